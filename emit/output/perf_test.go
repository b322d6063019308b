//go:build linux

package output_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/perf"
)

func newPerfArray(t *testing.T) *bpf.Map {
	t.Helper()
	testutil.RequireRoot(t)
	ncpu, err := bpf.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "perf_events", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: uint32(ncpu)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// perfProgram writes the packet's addresses and ports (12 bytes) with PerfEventOutput and
// returns the helper's result + 100.
func perfProgram(m *bpf.Map, byPtr bool, index, packetBytes uint32) asm.Instructions {
	st := emit.NewStack()
	ev := st.MustAlloc("event", 12)
	insns := packetPrologue(14 + 20 + 4)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R8, 14+12),
		asm.Stx(asm.DW, asm.R10, asm.R1, ev.Off),
		asm.Ldx(asm.W, asm.R1, asm.R8, 14+20),
		asm.Stx(asm.W, asm.R10, asm.R1, ev.At(8)),
	)
	if byPtr {
		// Data pointer in R1 and context in R4: both sit where the arguments go.
		insns = append(insns, ev.Addr(asm.R1)...)
		insns = append(insns, asm.MovReg(asm.R4, asm.R6))
		insns = append(insns, output.PerfEventOutputPtr(asm.R4, m, asm.R1, 12, index, packetBytes)...)
	} else {
		insns = append(insns, output.PerfEventOutput(asm.R6, m, ev, index, packetBytes)...)
	}
	return append(insns, asm.AddImm(asm.R0, 100), asm.Exit())
}

// TestPerfEventOutputErrors checks the program side against the kernel's answers where no
// reader is involved: the flags carry the index and the packet bytes to the right places.
// With no perf event installed for the CPU the helper says -ENOENT; an index past the array
// -E2BIG; more packet bytes than the packet has -EFAULT.
func TestPerfEventOutputErrors(t *testing.T) {
	m := newPerfArray(t)
	for _, tc := range []struct {
		index, packetBytes uint32
		want               unix.Errno
	}{
		{output.CurrentCPU, 0, unix.ENOENT},
		{0, 0, unix.ENOENT},
		{m.MaxEntries(), 0, unix.E2BIG},
		{output.CurrentCPU, uint32(len(udp)), unix.ENOENT},
		{output.CurrentCPU, uint32(len(udp)) + 1, unix.EFAULT},
	} {
		for _, byPtr := range []bool{false, true} {
			t.Run(fmt.Sprintf("index=%#x/bytes=%d/ptr=%v", tc.index, tc.packetBytes, byPtr), func(t *testing.T) {
				p := load(t, perfProgram(m, byPtr, tc.index, tc.packetBytes))
				if got := int32(run(t, p, udp)) - 100; got != -int32(tc.want) {
					t.Fatalf("bpf_perf_event_output returned %d, want %d (%v)", got, -int32(tc.want), tc.want)
				}
			})
		}
	}
}

func newPerfReader(t *testing.T, m *bpf.Map) *perf.Reader {
	t.Helper()
	r, err := perf.NewReader(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// onCPU runs fn on a thread pinned to cpu.
func onCPU(t *testing.T, cpu int, fn func() error) {
	t.Helper()
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // the thread dies with the pinning: never unlocked
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestPerfEventOutput reads the samples back with package perf: the data, then the data
// followed by the whole packet; and an explicit index that is, or is not, the running CPU.
func TestPerfEventOutput(t *testing.T) {
	m := newPerfArray(t)
	r := newPerfReader(t, m)
	event := udp[26:38] // the addresses and ports the program copies
	for _, tc := range []struct {
		name        string
		byPtr       bool
		packetBytes uint32
	}{
		{"slot", false, 0},
		{"ptr", true, 0},
		{"slot+packet", false, uint32(len(udp))},
		{"ptr+packet", true, uint32(len(udp))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := load(t, perfProgram(m, tc.byPtr, output.CurrentCPU, tc.packetBytes))
			if got := int32(run(t, p, udp)) - 100; got != 0 {
				t.Fatalf("bpf_perf_event_output returned %d", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			rec, err := r.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]byte(nil), event...), udp[:tc.packetBytes]...)
			// The kernel pads raw samples to keep records 8-byte aligned.
			if s := rec.RawSample; len(s) < len(want) || len(s) > len(want)+7 || !bytes.Equal(s[:len(want)], want) {
				t.Fatalf("sample %x, want %x (+ up to 7 bytes of padding)", s, want)
			}
		})
	}
	cpus := r.CPUs()
	if len(cpus) < 2 {
		t.Skipf("the index test needs two CPUs, the reader has %v", cpus)
	}
	cpu, other := cpus[1], cpus[0]
	t.Run("index", func(t *testing.T) {
		here := load(t, perfProgram(m, false, uint32(cpu), 0))
		there := load(t, perfProgram(m, false, uint32(other), 0))
		var gotHere, gotThere int32
		onCPU(t, cpu, func() error {
			for _, c := range []struct {
				p   *bpf.Program
				ret *int32
			}{{here, &gotHere}, {there, &gotThere}} {
				res, err := c.p.Run(&bpf.RunOptions{Data: udp})
				if err != nil {
					return err
				}
				*c.ret = int32(res.ReturnValue) - 100
			}
			return nil
		})
		if gotHere != 0 || gotThere != -int32(unix.EOPNOTSUPP) {
			t.Fatalf("on CPU %d: index %d returned %d, index %d returned %d (want 0 and -EOPNOTSUPP)",
				cpu, cpu, gotHere, other, gotThere)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rec, err := r.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.CPU != cpu || !bytes.Equal(rec.RawSample[:len(event)], event) {
			t.Fatalf("record from CPU %d: %x, want CPU %d: %x", rec.CPU, rec.RawSample, cpu, event)
		}
	})
}
