package main

//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c tourdata/tcp_cc.c -o tourdata/tcp_cc.o

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/elfobj"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/link"
)

// tcpCCObj is tourdata/tcp_cc.c compiled by clang-19 (see the go:generate line).
//
//go:embed tourdata/tcp_cc.o
var tcpCCObj []byte

func init() {
	tour.Register(tour.Chapter{
		Order: 76,
		Name:  "a TCP congestion control in C (struct_ops)",
		Run:   tourStructOps,
	})
}

func tourStructOps(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "tourdata/tcp_cc.c declares a struct tcp_congestion_ops in .struct_ops.link whose\n"+
		"members point at four struct_ops programs; elfobj finds the table, link registers it.\n")
	spec, err := elfobj.LoadCollectionSpecFromReader(bytes.NewReader(tcpCCObj))
	if err != nil {
		return fmt.Errorf("tcp_cc.o: %w", err)
	}
	table := spec.StructOps["bpfgo_tour_cc"]
	if table == nil {
		return errors.New("tcp_cc.o: no struct_ops table bpfgo_tour_cc")
	}
	for _, m := range []string{"init", "ssthresh", "cong_avoid", "undo_cwnd"} {
		fmt.Fprintf(w, "  %s.%-10s = program %s\n", table.Type, m, table.Programs[m])
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		return fmt.Errorf("tcp_cc.o: load: %w", err)
	}
	defer coll.Close()
	so, err := link.AttachStructOpsVar(coll, table)
	if err != nil {
		return fmt.Errorf("register bpfgo_tour_cc: %w", err)
	}
	defer so.Close()
	const name = "bpfgo_tour"
	avail, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "registered; tcp_available_congestion_control: %s", avail)
	if !strings.Contains(string(avail), name) {
		return fmt.Errorf("%s is not among the available congestion controls", name)
	}

	used, err := tourTCPFlow(ctx, name, 1<<20)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a loopback TCP connection set TCP_CONGESTION=%s, the socket reports %q, sent 1 MiB\n", name, used)
	if used != name {
		return fmt.Errorf("the socket uses %q, not %s", used, name)
	}
	v := make([]byte, coll.Maps[".bss"].ValueSize())
	if err := coll.Maps[".bss"].Lookup(make([]byte, 4), v); err != nil {
		return fmt.Errorf(".bss: %w", err)
	}
	if len(v) < 24 {
		return fmt.Errorf(".bss: %d bytes, want 24", len(v))
	}
	inits, avoids := binary.NativeEndian.Uint64(v), binary.NativeEndian.Uint64(v[8:])
	fmt.Fprintf(w, "the kernel called the C programs: init %d, cong_avoid %d, ssthresh %d times (.bss read back)\n",
		inits, avoids, binary.NativeEndian.Uint64(v[16:]))
	if inits < 1 || avoids < 1 {
		return errors.New("init or cong_avoid never ran")
	}
	if err := so.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "closed: the congestion control is unregistered")
	return nil
}

// tourTCPFlow sends n bytes over a loopback TCP connection whose client uses the congestion
// control cc, and returns the one the socket reports.
func tourTCPFlow(ctx context.Context, cc string, n int) (string, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(io.Discard, c)
		done <- err
	}()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
		}); err != nil {
			return err
		}
		return serr
	}}
	d.SetMultipathTCP(false)
	conn, err := d.DialContext(ctx, "tcp4", ln.Addr().String())
	if err != nil {
		return "", fmt.Errorf("dial with congestion control %s: %w", cc, err)
	}
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		conn.Close()
		return "", err
	}
	var used string
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		used, gerr = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
	}); err != nil || gerr != nil {
		conn.Close()
		return "", errors.Join(err, gerr)
	}
	buf := make([]byte, 64<<10)
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := conn.Write(buf); err != nil {
			conn.Close()
			return "", fmt.Errorf("send: %w", err)
		}
	}
	if err := conn.Close(); err != nil {
		return "", err
	}
	if err := <-done; err != nil {
		return "", fmt.Errorf("receive: %w", err)
	}
	return strings.TrimRight(used, "\x00"), nil
}
