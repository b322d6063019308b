package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/link"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 73,
		Name:  "sk_reuseport: a program picks the socket of a reuseport group",
		Run:   tourReuseport,
	})
}

// Offsets of data and data_end in struct sk_reuseport_md, from the kernel's BTF.
const (
	reuseportMDData    = 0
	reuseportMDDataEnd = 8
)

func tourReuseport(ctx context.Context, w io.Writer) error {
	const n = 3
	socks, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_group", Type: bpf.ReusePortSockArray, KeySize: 4, ValueSize: 8, MaxEntries: n})
	if err != nil {
		return err
	}
	defer socks.Close()
	// The index of the socket is the datagram's first payload byte (ctx->data points at the UDP
	// header); bpf_sk_select_reuseport picks that socket of the map.
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "tour_pick", Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelect, License: "GPL",
		Instructions: asm.Instructions{
			asm.MovReg(asm.R6, asm.R1),
			asm.Ldx(asm.DW, asm.R2, asm.R6, reuseportMDData),
			asm.Ldx(asm.DW, asm.R3, asm.R6, reuseportMDDataEnd),
			asm.MovReg(asm.R4, asm.R2),
			asm.AddImm(asm.R4, 9),
			asm.JmpReg(asm.JGT, asm.R4, asm.R3, "pass"),
			asm.Ldx(asm.B, asm.R1, asm.R2, 8),
			asm.Stx(asm.W, asm.R10, asm.R1, -4),
			asm.MovReg(asm.R1, asm.R6),
			asm.LoadMap(asm.R2, socks),
			asm.MovReg(asm.R3, asm.R10),
			asm.AddImm(asm.R3, -4),
			asm.MovImm(asm.R4, 0),
			asm.Call(asm.FnSkSelectReuseport),
			asm.Label("pass"),
			asm.MovImm(asm.R0, asm.SKPass),
			asm.Exit(),
		},
	})
	if err != nil {
		return fmt.Errorf("sk_reuseport program: %w", err)
	}
	defer prog.Close()

	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	addr := "127.0.0.1:0"
	conns := make([]*net.UDPConn, n)
	for i := range conns {
		pc, err := lc.ListenPacket(ctx, "udp4", addr)
		if err != nil {
			return err
		}
		defer pc.Close()
		conns[i] = pc.(*net.UDPConn)
		addr = pc.LocalAddr().String() // the others join the first one's port
		key := binary.NativeEndian.AppendUint32(nil, uint32(i))
		if err := socks.UpdateSocket(key, conns[i], bpf.UpdateAny); err != nil {
			return err
		}
	}
	l, err := link.AttachReuseport(conns[0], prog)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(w, "%d UDP sockets share %s (SO_REUSEPORT); the program attached to their group\n", n, addr)
	fmt.Fprintln(w, "sends each datagram to the socket its first payload byte names")

	client, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer client.Close()
	want := []byte{2, 0, 1, 2, 2, 1}
	for _, b := range want {
		if _, err := client.Write([]byte{b, 'x'}); err != nil {
			return err
		}
	}
	got := make([]int, n)
	buf := make([]byte, 16)
	for i, c := range conns {
		for {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			m, err := c.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return err
			}
			if m < 1 || int(buf[0]) != i {
				return fmt.Errorf("socket %d received a datagram for socket %d", i, buf[0])
			}
			got[i]++
		}
	}
	for i, k := range got {
		fmt.Fprintf(w, "  socket %d received %d datagrams\n", i, k)
	}
	wantCount := make([]int, n)
	for _, b := range want {
		wantCount[b]++
	}
	for i := range got {
		if got[i] != wantCount[i] {
			return fmt.Errorf("socket %d received %d datagrams, want %d", i, got[i], wantCount[i])
		}
	}
	return nil
}
