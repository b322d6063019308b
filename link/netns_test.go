//go:build linux

package link_test

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// skLookupSteer returns a sk_lookup program that assigns every lookup to the
// socket in slot 0 of sockets, and counts its runs in slot 0 of counts.
func skLookupSteer(t *testing.T, sockets, counts *bpf.Map) *bpf.Program {
	t.Helper()
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.St(asm.W, asm.R10, -4, 0),
		asm.LoadMap(asm.R1, counts),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "lookup"),
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("lookup"),
		asm.LoadMap(asm.R1, sockets),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"),
		asm.MovReg(asm.R7, asm.R0),
		asm.MovReg(asm.R1, asm.R6),
		asm.MovReg(asm.R2, asm.R7),
		asm.MovImm(asm.R3, 0),
		asm.Call(asm.FnSkAssign),
		asm.MovReg(asm.R1, asm.R7),
		asm.Call(asm.FnSkRelease),
		asm.Label("pass"),
		asm.MovImm(asm.R0, 1), // SK_PASS
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "steer", Type: bpf.SkLookup, AttachType: bpf.AttachSkLookup, License: "GPL", Instructions: insns})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load sk_lookup: %+v", err)
	}
	closeAll(t, prog)
	return prog
}

// TestSkLookup steers TCP connections to a port nobody listens on to a
// listener on another port, in a private network namespace.
func TestSkLookup(t *testing.T) {
	ns := testutil.NewNetNS(t)
	counts, err := bpf.NewMap(&bpf.MapSpec{Name: "runs", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	sockets, err := bpf.NewMap(&bpf.MapSpec{Name: "sockets", Type: bpf.SockMap, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, counts, sockets)
	prog := skLookupSteer(t, sockets, counts)

	var ln *net.TCPListener
	var free *net.TCPListener // reserves a port, then closes: nobody listens there
	if err := ns.Do(func() error {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false) // sockmap refuses MPTCP sockets
		l, err := lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ln = l.(*net.TCPListener)
		l, err = lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		free = l.(*net.TCPListener)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	target := free.Addr().String()
	free.Close()
	if err := sockets.UpdateSocket([]byte{0, 0, 0, 0}, ln, bpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	dial := func() error {
		return ns.Do(func() error {
			c, err := net.Dial("tcp4", target)
			if err != nil {
				return err
			}
			defer c.Close()
			a, err := ln.Accept()
			if err != nil {
				return err
			}
			defer a.Close()
			if a.LocalAddr().String() != target {
				t.Errorf("accepted connection's local address %v, want %v", a.LocalAddr(), target)
			}
			return nil
		})
	}
	if err := dial(); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("dial before attaching: %v, want ECONNREFUSED", err)
	}
	l, err := link.AttachNetNs(ns.FD(), prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(); err != nil {
		t.Fatalf("dial with sk_lookup steering: %v", err)
	}
	if c := count(t, counts); c == 0 {
		t.Error("sk_lookup program did not run")
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	if n := info.NetNs(); info.Type != link.NetNsType || n == nil || n.Attach != bpf.AttachSkLookup || n.Inode == 0 {
		t.Errorf("info %+v, netns %+v", info, n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("dial after Close: %v, want ECONNREFUSED", err)
	}
}

// TestFlowDissector attaches a counting flow dissector to a namespace and makes
// the kernel dissect packets in it: a TC program on the receiving veth asks for
// the packet's hash anew (bpf_set_hash_invalid, bpf_get_hash_recalc), which runs
// the namespace's dissector.
func TestFlowDissector(t *testing.T) {
	v := testutil.NewVeth(t)
	u := newNetUDP(t, v)
	u.roundTrip(t, 1)
	dissector, counts := newCounter(t, counterSpec{typ: bpf.FlowDissector, attachType: bpf.AttachFlowDissector, ret: 0 /* BPF_OK */})
	closeAll(t, dissector, counts)
	hasher, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "hash", Type: bpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Call(asm.FnSetHashInvalid), // the sender's socket hash came along: drop it
		asm.MovReg(asm.R1, asm.R6),
		asm.Call(asm.FnGetHashRecalc),
		asm.MovImm(asm.R0, asm.TCActOK),
		asm.Exit(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, hasher)
	var tc *link.TCFilter
	if err := v.B.Do(func() (err error) {
		tc, err = link.AttachTC(link.TCOptions{Program: hasher, Interface: v.IndexB, Direction: link.Ingress})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	closeAll(t, tc)

	l, err := link.AttachNetNs(v.B.FD(), dissector)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	u.roundTrip(t, n)
	if c := count(t, counts); c < n {
		t.Errorf("flow dissector ran %d times for %d datagrams, want >= %d", c, n, n)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	if nsi := info.NetNs(); nsi == nil || nsi.Attach != bpf.AttachFlowDissector {
		t.Errorf("info %+v, netns %+v", info, nsi)
	}
	if _, err := link.AttachNetNs(v.B.FD(), dissector); err == nil {
		t.Error("second flow dissector link on one namespace succeeded")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c0 := count(t, counts)
	u.roundTrip(t, n)
	if c := count(t, counts); c != c0 {
		t.Errorf("flow dissector ran %d times after Close", c-c0)
	}
}

func TestAttachNetNsErrors(t *testing.T) {
	prog, counts := newCounter(t, counterSpec{typ: bpf.XDP, ret: 2})
	closeAll(t, prog, counts)
	if _, err := link.AttachNetNs(0, prog); err == nil {
		t.Error("attaching an XDP program to a netns succeeded")
	}
	if _, err := link.AttachNetNs(0, nil); err == nil {
		t.Error("attaching nil succeeded")
	}
}
