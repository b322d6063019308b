//go:build linux

package link_test

import (
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// iterCtxOffsets returns the byte offsets of the members of struct bpf_iter__<target>, the
// iterator program's context, from the kernel's BTF.
func iterCtxOffsets(t *testing.T, target string) map[string]int16 {
	t.Helper()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := btf.Find[*btf.Struct](spec, "bpf_iter__"+target)
	if err != nil {
		t.Fatal(err)
	}
	offs := map[string]int16{}
	for _, m := range st.Members {
		name := m.Name
		if name == "" { // union { T *name; }
			_, u, err := spec.Underlying(m.Type)
			if un, ok := u.(*btf.Union); err == nil && ok && len(un.Members) == 1 {
				name = un.Members[0].Name
			}
		}
		offs[name] = int16(m.BitOffset / 8)
	}
	return offs
}

// TestIterMapElem walks the entries of a hash map with a bpf_map_elem iterator that writes each
// key and value, and finds exactly the map's content (as Map.Iterate reads it). The verifier
// checks the program's key and value accesses against the map at attach time: a map with
// smaller values is refused.
func TestIterMapElem(t *testing.T) {
	testutil.RequireRoot(t)
	offs := iterCtxOffsets(t, "bpf_map_elem")
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "iter_elems", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 256})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, m)
	want := map[uint32]uint64{}
	for i := range uint32(200) {
		k, v := i*7+1, uint64(i)*1000003
		want[k] = v
		if err := m.Update(binary.NativeEndian.AppendUint32(nil, k), binary.NativeEndian.AppendUint64(nil, v), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R6, asm.R1, offs["meta"]),
		asm.Ldx(asm.DW, asm.R7, asm.R1, offs["key"]),
		asm.Ldx(asm.DW, asm.R8, asm.R1, offs["value"]),
		asm.JmpImm(asm.JEQ, asm.R7, 0, "out"), // NULL once the walk is over
		asm.JmpImm(asm.JEQ, asm.R8, 0, "out"),
		asm.Ldx(asm.W, asm.R2, asm.R7, 0),
		asm.Stx(asm.W, asm.R10, asm.R2, -12),
		asm.Ldx(asm.DW, asm.R2, asm.R8, 0),
		asm.Stx(asm.DW, asm.R10, asm.R2, -8),
		asm.Ldx(asm.DW, asm.R1, asm.R6, 0), // meta->seq
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -12),
		asm.MovImm(asm.R3, 12),
		asm.Call(asm.FnSeqWrite),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "iter_elems", Type: bpf.Tracing, AttachType: bpf.AttachTraceIter,
		AttachTo: "bpf_map_elem", License: "GPL", Instructions: insns})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	closeAll(t, prog)
	it, err := link.AttachIter(prog, &link.IterOptions{Map: m})
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, it)
	b := readIter(t, it)
	if len(b)%12 != 0 {
		t.Fatalf("%d bytes, not a multiple of 12", len(b))
	}
	got := map[uint32]uint64{}
	for i := 0; i < len(b); i += 12 {
		k := binary.NativeEndian.Uint32(b[i:])
		if _, dup := got[k]; dup {
			t.Errorf("key %d twice", k)
		}
		got[k] = binary.NativeEndian.Uint64(b[i+4:])
	}
	if !maps.Equal(got, want) {
		t.Errorf("iterator read %d entries, the map holds %d; they differ", len(got), len(want))
	}
	ours := map[uint32]uint64{}
	iter := m.Iterate()
	for k, v := range iter.All() {
		ours[binary.NativeEndian.Uint32(k)] = binary.NativeEndian.Uint64(v)
	}
	if iter.Err() != nil || !maps.Equal(ours, got) {
		t.Errorf("Map.Iterate and the BPF iterator disagree (%v)", iter.Err())
	}

	small, err := bpf.NewMap(&bpf.MapSpec{Name: "iter_small", Type: bpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, small)
	if l, err := link.AttachIter(prog, &link.IterOptions{Map: small}); err == nil {
		l.Close()
		t.Error("a program reading 8-byte values attached to a map of 4-byte values")
	} else if !errors.Is(err, unix.EACCES) {
		t.Errorf("map with small values: %v, want EACCES", err)
	}
}

// TestIterTCP walks the TCP sockets with a tcp iterator that writes each socket's local port
// (sock_common.skc_num, through CO-RE) and finds the listener and both ends of a connection
// this test made.
func TestIterTCP(t *testing.T) {
	testutil.RequireRoot(t)
	offs := iterCtxOffsets(t, "tcp")
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var d net.Dialer
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R6, asm.R1, offs["meta"]),
		asm.Ldx(asm.DW, asm.R7, asm.R1, offs["sk_common"]),
		asm.JmpImm(asm.JEQ, asm.R7, 0, "out"),
		asm.CoreLoad(asm.H, asm.R2, asm.R7, "sock_common", "skc_num"),
		asm.Stx(asm.H, asm.R10, asm.R2, -2),
		asm.Ldx(asm.DW, asm.R1, asm.R6, 0),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -2),
		asm.MovImm(asm.R3, 2),
		asm.Call(asm.FnSeqWrite),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "iter_tcp", Type: bpf.Tracing, AttachType: bpf.AttachTraceIter,
		AttachTo: "tcp", License: "GPL", Instructions: insns})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	closeAll(t, prog)
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, it)
	b := readIter(t, it)
	var ports []uint16
	for i := 0; i+2 <= len(b); i += 2 {
		ports = append(ports, binary.NativeEndian.Uint16(b[i:]))
	}
	for name, a := range map[string]net.Addr{"listener": ln.Addr(), "client": c.LocalAddr()} {
		p := uint16(a.(*net.TCPAddr).Port)
		n := 0
		for _, q := range ports {
			if q == p {
				n++
			}
		}
		// The listener's port is also the accepted socket's.
		if want := map[string]int{"listener": 2, "client": 1}[name]; n < want {
			t.Errorf("%s port %d listed %d times among %d sockets, want at least %d", name, p, n, len(ports), want)
		}
	}
}
