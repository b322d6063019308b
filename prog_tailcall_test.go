//go:build linux

package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/packet"
)

// chainMark is the byte stage k of the chain writes at packet offset k.
func chainMark(k int) byte { return 0xA0 + byte(k) }

// chainStage loads XDP program k of a chain: it writes chainMark(k) at
// packet offset k, counts its run in stats[k], and tail-calls index k+1 of
// the chain's array; when that slot is empty it returns XDP_PASS.
func chainStage(t *testing.T, chain *TailCallChain, stats *Map, k int32) *Program {
	t.Helper()
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Ldx(asm.W, asm.R2, asm.R6, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R6, asm.XDPMdDataEnd),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 4),
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "count"),
		asm.St(asm.B, asm.R2, int16(k), int32(chainMark(int(k)))),
		asm.Label("count"),
		asm.St(asm.W, asm.R10, -4, k),
		asm.LoadMap(asm.R1, stats),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "call"),
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("call"),
		asm.MovReg(asm.R1, asm.R6),
		asm.LoadMap(asm.R2, chain.Map()),
		asm.MovImm(asm.R3, k+1),
		asm.Call(asm.FnTailCall),
		asm.MovImm(asm.R0, xdpPass),
		asm.Exit(),
	}
	return loadTestProg(t, &ProgramSpec{Name: "chain_stage", Type: XDP, License: "GPL", Instructions: insns})
}

// TestTailCallChain builds a chain of three XDP programs, runs its entry on
// a real UDP frame and checks each stage's packet mark and counter, then
// empties the last slot and checks the chain stops before it.
func TestTailCallChain(t *testing.T) {
	stats := mustNewMap(t, &MapSpec{Name: "chain_stats", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	chain, err := NewTailCallChain(nil, &TailCallChainOptions{Name: "chain", MaxEntries: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	progs := make([]*Program, 3)
	for k := range progs {
		progs[k] = chainStage(t, chain, stats, int32(k))
		if err := chain.Register(uint32(k), progs[k]); err != nil {
			t.Fatal(err)
		}
	}
	if n := chain.Len(); n != 3 {
		t.Errorf("Len %d, want 3", n)
	}
	if idx := chain.Indexes(); !slices.Equal(idx, []uint32{0, 1, 2}) {
		t.Errorf("Indexes %v", idx)
	}
	for k, p := range progs {
		if got := chain.Program(uint32(k)); got != p {
			t.Errorf("Program(%d) = %v, want %v", k, got, p)
		}
		want, err := p.ID()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := chain.Map().LookupProgramID(uint32(k)); err != nil || got != want {
			t.Errorf("kernel slot %d: id %d, %v; want %d", k, got, err, want)
		}
	}
	if p := chain.Program(3); p != nil {
		t.Errorf("Program(3) of an empty slot = %v", p)
	}

	frame := packet.MustBuild(
		&packet.Ethernet{},
		&packet.IPv4{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		&packet.UDP{SrcPort: 1234, DstPort: 53},
		packet.Payload([]byte("tail call chain")),
	)
	counts := func() [4]uint64 {
		var c [4]uint64
		for i := range c {
			var v [8]byte
			if err := stats.Lookup(u32(uint32(i)), v[:]); err != nil {
				t.Fatal(err)
			}
			c[i] = binary.NativeEndian.Uint64(v[:])
		}
		return c
	}
	run := func(stages int) {
		t.Helper()
		res, err := progs[0].Run(&RunOptions{Data: frame})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != xdpPass {
			t.Errorf("chain returned %d, want XDP_PASS", res.ReturnValue)
		}
		for k := range 3 {
			want := frame[k]
			if k < stages {
				want = chainMark(k)
			}
			if res.Data[k] != want {
				t.Errorf("%d stages: packet byte %d = %#x, want %#x", stages, k, res.Data[k], want)
			}
		}
		if !slices.Equal(res.Data[3:], frame[3:]) {
			t.Errorf("chain changed bytes beyond its marks")
		}
	}
	run(3)
	if c := counts(); c != [4]uint64{1, 1, 1, 0} {
		t.Errorf("counters after a full run: %v, want [1 1 1 0]", c)
	}

	if err := chain.Unregister(2); err != nil {
		t.Fatal(err)
	}
	if n := chain.Len(); n != 2 || chain.Program(2) != nil {
		t.Errorf("after Unregister(2): Len %d, Program(2) %v", n, chain.Program(2))
	}
	if _, err := chain.Map().LookupProgramID(2); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("kernel slot 2 after Unregister: %v, want ErrKeyNotExist", err)
	}
	run(2)
	if c := counts(); c != [4]uint64{2, 2, 1, 0} {
		t.Errorf("counters after a run without stage 2: %v, want [2 2 1 0]", c)
	}
	if err := chain.Unregister(2); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("Unregister of an empty slot: %v, want ErrKeyNotExist", err)
	}
	if err := chain.Register(2, progs[2]); err != nil {
		t.Fatal(err)
	}
	run(3)

	if err := chain.Register(4, progs[1]); err == nil {
		t.Error("Register beyond MaxEntries succeeded")
	}
	if err := chain.Register(1, nil); err == nil {
		t.Error("Register of nil succeeded")
	}
	sched := loadTestProg(t, &ProgramSpec{Name: "other_type", Type: SchedCLS, License: "GPL", Instructions: retZero()})
	if err := chain.Register(3, sched); err == nil {
		t.Error("Register of a program of another type succeeded")
	}
	if n := chain.Len(); n != 3 {
		t.Errorf("failed registrations changed Len to %d", n)
	}

	if err := chain.Close(); err != nil {
		t.Fatal(err)
	}
	if err := chain.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := chain.Register(0, progs[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Register after Close: %v, want ErrClosed", err)
	}
	if progs[0].FD() < 0 {
		t.Error("Close of a chain that does not own its programs closed one")
	}
}

// TestTailCallChainOwnPrograms checks that a chain with OwnPrograms closes
// its programs on Unregister and Close.
func TestTailCallChainOwnPrograms(t *testing.T) {
	progs := []*Program{xdpReturn(t, "own_a", xdpPass), xdpReturn(t, "own_b", xdpDrop)}
	chain, err := NewTailCallChain([]TailCall{{0, progs[0]}, {5, progs[1]}}, &TailCallChainOptions{MaxEntries: 8, OwnPrograms: true})
	if err != nil {
		t.Fatal(err)
	}
	if chain.Map().MaxEntries() != 8 || chain.Map().Name() != "tail_call_chain" || chain.Len() != 2 {
		t.Errorf("chain: map %v, Len %d", chain.Map(), chain.Len())
	}
	if err := chain.Unregister(5); err != nil {
		t.Fatal(err)
	}
	if progs[1].FD() >= 0 {
		t.Error("Unregister did not close the owned program")
	}
	if err := chain.Close(); err != nil {
		t.Fatal(err)
	}
	if progs[0].FD() >= 0 {
		t.Error("Close did not close the owned program")
	}

	bad := xdpReturn(t, "own_bad", xdpPass)
	if _, err := NewTailCallChain([]TailCall{{9, bad}}, &TailCallChainOptions{MaxEntries: 2, OwnPrograms: true}); err == nil {
		t.Error("chain with an index beyond MaxEntries succeeded")
	}
	if bad.FD() >= 0 {
		t.Error("failed NewTailCallChain did not close the program it was given")
	}
}

// ExampleNewTailCallChain registers a program at index 0 of a chain; the
// entry program would end in asm.LoadMap(asm.R2, chain.Map()), the index in
// R3 and asm.Call(asm.FnTailCall).
func ExampleNewTailCallChain() {
	stage, err := NewProgram(&ProgramSpec{
		Name: "stage", Type: XDP, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 2), asm.Exit()}, // XDP_PASS
	})
	if err != nil {
		panic(err)
	}
	chain, err := NewTailCallChain([]TailCall{{Index: 0, Program: stage}}, &TailCallChainOptions{OwnPrograms: true})
	if err != nil {
		panic(err)
	}
	defer chain.Close() // clj-ebpf's with-tail-call-chain
	fmt.Println(chain.Len(), chain.Program(0) == stage)
}
