//go:build linux

package ringbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

// Test records are 64 bytes (or less): word i of record seq is seq+i*wordStep,
// so a torn or shifted record is caught by checkRecord.
const (
	recordSize = 64
	wordStep   = 0x0101010101
)

// checkRecord verifies that sample is record number seq (or any, if seq < 0)
// of n bytes, and returns its sequence number.
func checkRecord(sample []byte, n int, seq int64) (uint64, error) {
	if len(sample) != n {
		return 0, fmt.Errorf("sample of %d bytes, want %d", len(sample), n)
	}
	var full [recordSize]byte
	copy(full[:], sample)
	got := binary.NativeEndian.Uint64(full[:8])
	if seq >= 0 && got != uint64(seq) {
		return got, fmt.Errorf("record %d, want %d", got, seq)
	}
	for i := 1; i*8+8 <= n; i++ {
		if w := binary.NativeEndian.Uint64(full[i*8:]); w != got+uint64(i)*wordStep {
			return got, fmt.Errorf("record %d: word %d is %#x, want %#x", got, i, w, got+uint64(i)*wordStep)
		}
	}
	return got, nil
}

// rig is a ring buffer, a counter of produced records, a counter of
// reservation failures and an XDP program that emits one record per run.
type rig struct {
	ring, seq, drops *bpf.Map
	prog             *bpf.Program
}

type emitMode int

const (
	emitOutput  emitMode = iota // bpf_ringbuf_output
	emitReserve                 // bpf_ringbuf_reserve + submit
	emitDiscard                 // reserve, then discard odd records, submit even ones
)

func newRig(t testing.TB, ringSize uint32, n int, mode emitMode) *rig {
	t.Helper()
	testutil.RequireRoot(t)
	newMap := func(spec *bpf.MapSpec) *bpf.Map {
		m, err := bpf.NewMap(spec)
		testutil.SkipIfNotSupported(t, err)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	r := &rig{
		ring:  newMap(&bpf.MapSpec{Name: "test_ring", Type: bpf.RingBuf, MaxEntries: ringSize}),
		seq:   newMap(&bpf.MapSpec{Name: "test_seq", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}),
		drops: newMap(&bpf.MapSpec{Name: "test_drops", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "test_emit", Type: bpf.XDP, License: "GPL",
		Instructions: emitProgram(r, n, mode),
	})
	if err != nil {
		t.Fatalf("load producer: %+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	r.prog = prog
	return r
}

// counterInsns leaves a pointer to element 0 of m in R0, or jumps to out.
func lookupZero(m *bpf.Map, out string) asm.Instructions {
	return asm.Instructions{
		asm.St(asm.W, asm.R10, -4, 0),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.LoadMap(asm.R1, m),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, out),
	}
}

// fillWords writes the n-byte record numbered R7 at base+off.
func fillWords(base asm.Register, off int16, n int) asm.Instructions {
	var insns asm.Instructions
	for i := 0; i*8 < n; i++ {
		insns = append(insns,
			asm.MovReg(asm.R8, asm.R7),
			asm.LoadImm64(asm.R9, int64(i)*wordStep),
			asm.AddReg(asm.R8, asm.R9),
		)
		switch left := n - i*8; {
		case left >= 8:
			insns = append(insns, asm.Stx(asm.DW, base, asm.R8, off+int16(i*8)))
		case left >= 4:
			insns = append(insns, asm.Stx(asm.W, base, asm.R8, off+int16(i*8)))
			for j := 4; j < left; j++ {
				insns = append(insns, asm.RshImm(asm.R8, 8), asm.Stx(asm.B, base, asm.R8, off+int16(i*8+j)))
			}
		default:
			for j := 0; j < left; j++ {
				insns = append(insns, asm.Stx(asm.B, base, asm.R8, off+int16(i*8+j)), asm.RshImm(asm.R8, 8))
			}
		}
	}
	return insns
}

func emitProgram(r *rig, n int, mode emitMode) asm.Instructions {
	insns := lookupZero(r.seq, "out")
	insns = append(insns,
		asm.MovImm(asm.R7, 1),
		asm.AtomicFetchAdd(asm.DW, asm.R0, asm.R7, 0), // R7 = this record's number
	)
	switch mode {
	case emitOutput:
		// Build the record on the stack at fp-72 and copy it with bpf_ringbuf_output.
		for i := int16(0); i < 8; i++ {
			insns = append(insns, asm.St(asm.DW, asm.R10, -72+i*8, 0))
		}
		insns = append(insns, fillWords(asm.R10, -72, n)...)
		insns = append(insns,
			asm.LoadMap(asm.R1, r.ring),
			asm.MovReg(asm.R2, asm.R10),
			asm.AddImm(asm.R2, -72),
			asm.MovImm(asm.R3, int32(n)),
			asm.MovImm(asm.R4, 0),
			asm.Call(asm.FnRingbufOutput),
			asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
			asm.Ja("drop"),
		)
	case emitReserve, emitDiscard:
		insns = append(insns,
			asm.LoadMap(asm.R1, r.ring),
			asm.MovImm(asm.R2, int32(n)),
			asm.MovImm(asm.R3, 0),
			asm.Call(asm.FnRingbufReserve),
			asm.JmpImm(asm.JEQ, asm.R0, 0, "drop"),
			asm.MovReg(asm.R6, asm.R0),
		)
		insns = append(insns, fillWords(asm.R6, 0, n)...)
		insns = append(insns,
			asm.MovReg(asm.R1, asm.R6),
			asm.MovImm(asm.R2, 0),
		)
		if mode == emitDiscard {
			insns = append(insns,
				asm.MovReg(asm.R8, asm.R7),
				asm.AndImm(asm.R8, 1),
				asm.JmpImm(asm.JEQ, asm.R8, 0, "submit"),
				asm.Call(asm.FnRingbufDiscard),
				asm.Ja("out"),
			)
		}
		insns = append(insns,
			asm.Label("submit"),
			asm.Call(asm.FnRingbufSubmit),
			asm.Ja("out"),
		)
	}
	insns = append(insns, asm.Label("drop"))
	insns = append(insns, lookupZero(r.drops, "out")...)
	insns = append(insns,
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("out"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
	)
	return insns
}

// run runs the producer n times (one record per run).
func (r *rig) run(t testing.TB, n int) {
	t.Helper()
	if _, err := r.prog.Run(&bpf.RunOptions{Data: make([]byte, 64), Repeat: uint32(n)}); err != nil {
		t.Fatal(err)
	}
}

func readCounter(t testing.TB, m *bpf.Map) uint64 {
	t.Helper()
	var v [8]byte
	if err := m.Lookup(make([]byte, 4), v[:]); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(v[:])
}

func newReader(t testing.TB, m *bpf.Map) *Reader {
	t.Helper()
	rd, err := NewReader(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rd.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Error(err)
		}
	})
	return rd
}
