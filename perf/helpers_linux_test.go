//go:build linux

package perf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

// Test samples: word i of sample seq is seq+i*wordStep.
const (
	recordSize = 64
	wordStep   = 0x0101010101
)

func checkSample(sample []byte, n int, seq int64) (uint64, error) {
	// The kernel pads a raw sample to keep records 8-byte aligned.
	if len(sample) < n || len(sample) > n+7 {
		return 0, fmt.Errorf("sample of %d bytes, want %d (+ up to 7 of padding)", len(sample), n)
	}
	var full [recordSize]byte
	copy(full[:], sample[:n])
	got := binary.NativeEndian.Uint64(full[:8])
	if seq >= 0 && got != uint64(seq) {
		return got, fmt.Errorf("sample %d, want %d", got, seq)
	}
	for i := 1; i*8+8 <= n; i++ {
		if w := binary.NativeEndian.Uint64(full[i*8:]); w != got+uint64(i)*wordStep {
			return got, fmt.Errorf("sample %d: word %d is %#x", got, i, w)
		}
	}
	return got, nil
}

// rig is a perf event array, a counter of produced samples, a counter of
// failed outputs and an XDP program that sends one sample per run.
type rig struct {
	events, seq, fails *bpf.Map
	prog               *bpf.Program
}

func newRig(t testing.TB, n int) *rig {
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
		events: newMap(&bpf.MapSpec{Name: "test_events", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: uint32(runtime.NumCPU())}),
		seq:    newMap(&bpf.MapSpec{Name: "test_seq", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}),
		fails:  newMap(&bpf.MapSpec{Name: "test_fails", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}),
	}
	insns := lookupZero(r.seq, "out")
	insns = append(insns,
		asm.MovImm(asm.R7, 1),
		asm.AtomicFetchAdd(asm.DW, asm.R0, asm.R7, 0),
	)
	for i := int16(0); i < 8; i++ {
		insns = append(insns, asm.St(asm.DW, asm.R10, -72+i*8, 0))
	}
	for i := 0; i*8 < n; i++ {
		insns = append(insns,
			asm.MovReg(asm.R8, asm.R7),
			asm.LoadImm64(asm.R9, int64(i)*wordStep),
			asm.AddReg(asm.R8, asm.R9),
			asm.Stx(asm.DW, asm.R10, asm.R8, -72+int16(i*8)),
		)
	}
	insns = append(insns,
		asm.MovReg(asm.R1, asm.R6),
		asm.LoadMap(asm.R2, r.events),
		asm.LoadImm64(asm.R3, int64(sys.BPF_F_CURRENT_CPU)),
		asm.MovReg(asm.R4, asm.R10),
		asm.AddImm(asm.R4, -72),
		asm.MovImm(asm.R5, int32(n)),
		asm.Call(asm.FnPerfEventOutput),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
	)
	insns = append(insns, lookupZero(r.fails, "out")...)
	insns = append(insns,
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("out"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
	)
	insns = append(asm.Instructions{asm.MovReg(asm.R6, asm.R1)}, insns...)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "test_perf_emit", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load producer: %+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	r.prog = prog
	return r
}

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

// run runs the producer n times on CPU 0: a test run may migrate between
// repetitions, and samples on different CPUs have no order.
func (r *rig) run(t testing.TB, n int) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, cpu0 unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	cpu0.Set(0)
	if err := unix.SchedSetaffinity(0, &cpu0); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &old)
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

func newReader(t testing.TB, m *bpf.Map, opts *ReaderOptions) *Reader {
	t.Helper()
	rd, err := NewReader(m, opts)
	testutil.SkipIfNotSupported(t, err)
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
