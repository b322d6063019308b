package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/link"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 72,
		Name:  "sockets: an sk_msg program redirecting between TCP connections",
		Run:   tourSockMap,
	})
}

// skMsgMdSize is offsetof(struct sk_msg_md, size) in the kernel's BTF.
const skMsgMdSize = 68

func tourSockMap(ctx context.Context, w io.Writer) error {
	socks, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_socks", Type: bpf.SockMap, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	if err != nil {
		return err
	}
	defer socks.Close()
	bytes, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_msg_bytes", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		return err
	}
	defer bytes.Close()
	// Count the bytes of every message (sk_msg_md.size), then move it to the receive queue of
	// socket 1 of the map instead of sending it to its peer.
	zero := emit.NewStack().MustAlloc("key", 4)
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Ldx(asm.W, asm.R7, asm.R6, skMsgMdSize),
		asm.St(asm.W, asm.R10, zero.Off, 0),
	}
	insns = append(insns, mapop.Lookup(bytes, zero)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "redirect"),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R7, 0),
		asm.Label("redirect"),
		asm.MovReg(asm.R1, asm.R6),
		asm.LoadMap(asm.R2, socks),
		asm.MovImm(asm.R3, 1),
		asm.MovImm(asm.R4, sys.BPF_F_INGRESS),
		asm.Call(asm.FnMsgRedirectMap),
		asm.Exit(),
	)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "tour_redirect", Type: bpf.SkMsg, AttachType: bpf.AttachSkMsgVerdict, License: "GPL",
		Instructions: insns,
	})
	if err != nil {
		return fmt.Errorf("sk_msg program: %w", err)
	}
	defer prog.Close()
	// Attach first: a socket takes the map's programs when it is added.
	l, err := link.AttachSockMap(link.SockMapOptions{Map: socks, Program: prog, Attach: bpf.AttachSkMsgVerdict})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintln(w, "an sk_msg verdict attached to a sockmap: it counts each message's bytes and")
	fmt.Fprintln(w, "redirects it to the receive queue of the map's socket 1")

	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // sockmap refuses MPTCP sockets
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	pair := func() (client, server net.Conn, err error) {
		var d net.Dialer
		d.SetMultipathTCP(false)
		if client, err = d.DialContext(ctx, "tcp4", ln.Addr().String()); err != nil {
			return nil, nil, err
		}
		if server, err = ln.Accept(); err != nil {
			client.Close()
			return nil, nil, err
		}
		return client, server, nil
	}
	c1, s1, err := pair()
	if err != nil {
		return err
	}
	defer c1.Close()
	defer s1.Close()
	c2, s2, err := pair()
	if err != nil {
		return err
	}
	defer c2.Close()
	defer s2.Close()
	key := make([]byte, 4)
	if err := socks.UpdateSocket(key, c1.(*net.TCPConn), bpf.UpdateAny); err != nil {
		return err
	}
	binary.NativeEndian.PutUint32(key, 1)
	if err := socks.UpdateSocket(key, s2.(*net.TCPConn), bpf.UpdateAny); err != nil {
		return err
	}
	fmt.Fprintf(w, "two loopback connections A (%v) and B (%v); A's client is socket 0, B's server socket 1\n",
		c1.LocalAddr(), c2.LocalAddr())

	msg := []byte("hello from A's client")
	if _, err := c1.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	s2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(s2, got); err != nil {
		return fmt.Errorf("B's server: %w", err)
	}
	fmt.Fprintf(w, "A's client wrote %q; B's server read %q\n", msg, got)
	if string(got) != string(msg) {
		return errors.New("B's server read something else")
	}
	s1.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := s1.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("A's server, the real peer, read %d bytes (%v), want nothing", n, err)
	}
	fmt.Fprintln(w, "A's server, the peer the bytes were sent to, got nothing")
	v := make([]byte, 8)
	if err := bytes.Lookup(make([]byte, 4), v); err != nil {
		return err
	}
	n := binary.NativeEndian.Uint64(v)
	fmt.Fprintf(w, "the program counted %d bytes\n", n)
	if n != uint64(len(msg)) {
		return fmt.Errorf("counted %d bytes, want %d", n, len(msg))
	}
	return nil
}
