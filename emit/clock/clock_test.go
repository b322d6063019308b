//go:build linux

package clock_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/clock"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const retShort = 9000

var frame = packet.Spec{Protocol: packet.IPProtoUDP, Payload: make([]byte, 64)}.MustBuild()

// results wraps body in an XDP program that copies the u64 slots out to the first bytes of the
// packet (retShort when the packet is too short), so the test reads them from data_out.
func results(body asm.Instructions, out ...emit.Slot) asm.Instructions {
	insns := asm.Instructions{asm.MovReg(asm.R6, asm.R1)}
	insns = append(insns, body...)
	insns = append(insns,
		asm.Ldx(asm.W, asm.R2, asm.R6, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R6, asm.XDPMdDataEnd),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, int32(8*len(out))),
		asm.JmpReg(asm.JLE, asm.R4, asm.R3, "copy"),
		asm.MovImm(asm.R0, retShort),
		asm.Exit(),
		asm.Label("copy"),
	)
	for i, s := range out {
		insns = append(insns,
			asm.Ldx(asm.DW, asm.R4, asm.R10, s.Off),
			asm.Stx(asm.DW, asm.R2, asm.R4, int16(8*i)),
		)
	}
	return append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
}

func load(t *testing.T, typ bpf.ProgramType, insns asm.Instructions) *bpf.Program {
	t.Helper()
	testutil.RequireRoot(t)
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "clock_test", Type: typ, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// runResults runs p on data and returns the n u64 results it copied out.
func runResults(t *testing.T, p *bpf.Program, data []byte, n int) []uint64 {
	t.Helper()
	res, err := p.Run(&bpf.RunOptions{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != asm.XDPPass {
		t.Fatalf("returned %d", res.ReturnValue)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.NativeEndian.Uint64(res.Data[8*i:])
	}
	return out
}

func clockNow(t *testing.T, id int32) uint64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano())
}

var userClocks = map[clock.Clock]int32{
	clock.Monotonic: unix.CLOCK_MONOTONIC,
	clock.Boot:      unix.CLOCK_BOOTTIME,
	clock.Coarse:    unix.CLOCK_MONOTONIC_COARSE,
	clock.TAI:       unix.CLOCK_TAI,
}

func TestNow(t *testing.T) {
	for c, id := range userClocks {
		t.Run(c.String(), func(t *testing.T) {
			st := emit.NewStack()
			ts := st.MustAlloc("ts", 8)
			// The timestamp is copied out twice (16 bytes), so a 14-byte frame is the fail case.
			p := load(t, bpf.XDP, results(clock.StoreTimestamp(c, ts), ts, ts))
			for range 3 {
				before := clockNow(t, id)
				r := runResults(t, p, frame, 2)
				after := clockNow(t, id)
				if got := r[0]; got < before || got > after || r[1] != got {
					t.Fatalf("%v: kernel %d not within user-space readings [%d, %d]", c, got, before, after)
				}
			}
			// The fail case: a frame too short for the result.
			res, err := p.Run(&bpf.RunOptions{Data: frame[:14]})
			if err != nil || res.ReturnValue != retShort {
				t.Fatalf("short frame: %v %v", res, err)
			}
		})
	}
}

func TestNowPlain(t *testing.T) {
	// Now leaves the time in R0; compare the monotonic one with user space.
	st := emit.NewStack()
	out := st.MustAlloc("out", 8)
	body := append(clock.Now(clock.Monotonic), asm.Stx(asm.DW, asm.R10, asm.R0, out.Off))
	p := load(t, bpf.XDP, results(body, out))
	before := clockNow(t, unix.CLOCK_MONOTONIC)
	got := runResults(t, p, frame, 1)[0]
	after := clockNow(t, unix.CLOCK_MONOTONIC)
	if got < before || got > after {
		t.Fatalf("kernel %d not within [%d, %d]", got, before, after)
	}
}

func TestElapsedAndUpdate(t *testing.T) {
	for c := range userClocks {
		t.Run(c.String(), func(t *testing.T) {
			// A timestamp 2 s in the past in the slot: Elapsed must say about 2 s. Then
			// UpdateTimestamp through a pointer in R7 and ElapsedPtr from it: small.
			st := emit.NewStack()
			ts := st.MustAlloc("ts", 8)
			el := st.MustAlloc("elapsed", 8)
			el2 := st.MustAlloc("elapsed2", 8)
			body := clock.StoreTimestamp(c, ts)
			body = append(body,
				asm.LoadImm64(asm.R1, 2e9),
				asm.Ldx(asm.DW, asm.R0, asm.R10, ts.Off),
				asm.SubReg(asm.R0, asm.R1),
				asm.Stx(asm.DW, asm.R10, asm.R0, ts.Off),
			)
			body = append(body, clock.Elapsed(c, ts, asm.R8)...)
			body = append(body, asm.Stx(asm.DW, asm.R10, asm.R8, el.Off))
			body = append(body, ts.Addr(asm.R7)...)
			body = append(body, clock.UpdateTimestamp(c, asm.R7, 0)...)
			body = append(body, clock.ElapsedPtr(c, asm.R7, 0, asm.R0)...)
			body = append(body, asm.Stx(asm.DW, asm.R10, asm.R0, el2.Off))
			p := load(t, bpf.XDP, results(body, ts, el, el2))
			before := clockNow(t, userClocks[c])
			r := runResults(t, p, frame, 3)
			wall := clockNow(t, userClocks[c]) - before
			if r[1] < 2e9 || r[1] > 2e9+wall {
				t.Errorf("elapsed %d, want within [2e9, 2e9+%d]", r[1], wall)
			}
			if r[0] < before || r[0] > before+wall {
				t.Errorf("updated timestamp %d not within [%d, %d]", r[0], before, before+wall)
			}
			if r[2] > wall {
				t.Errorf("elapsed since update %d, more than the run's %d ns", r[2], wall)
			}
		})
	}
}

func TestJiffies64(t *testing.T) {
	st := emit.NewStack()
	j := st.MustAlloc("j", 8)
	body := append(clock.Jiffies64(), asm.Stx(asm.DW, asm.R10, asm.R0, j.Off))
	p := load(t, bpf.XDP, results(body, j))
	start := time.Now()
	j1 := runResults(t, p, frame, 1)[0]
	time.Sleep(100 * time.Millisecond)
	j2 := runResults(t, p, frame, 1)[0]
	elapsed := time.Since(start)
	// CONFIG_HZ is between 100 and 1000: 100 ms are at least 10 ticks, and at most
	// elapsed·1000 + 1.
	if d := j2 - j1; d < 9 || float64(d) > elapsed.Seconds()*1000+1 {
		t.Fatalf("jiffies advanced by %d in %v", d, elapsed)
	}
}

// histogram runs body (leaving a number in R0) repeat times and counts the numbers in a
// 16-bucket array; values of 15 or more land in bucket 15.
func histogram(t *testing.T, body asm.Instructions, repeat uint32) [16]uint64 {
	t.Helper()
	testutil.RequireRoot(t)
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "hist", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	insns := append(asm.Instructions{}, body...)
	insns = append(insns,
		asm.JmpImm(asm.JLT, asm.R0, 15, "store"),
		asm.MovImm(asm.R0, 15),
		asm.Label("store"),
		asm.Stx(asm.W, asm.R10, asm.R0, key.Off),
	)
	insns = append(insns, mapop.IncrementAtomic(m, key, init, 0, 1)...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	p := load(t, bpf.XDP, insns)
	if _, err := p.Run(&bpf.RunOptions{Data: frame, Repeat: repeat}); err != nil {
		t.Fatal(err)
	}
	var h [16]uint64
	v := make([]byte, 8)
	for i := range h {
		if err := m.Lookup(binary.NativeEndian.AppendUint32(nil, uint32(i)), v); err != nil {
			t.Fatal(err)
		}
		h[i] = binary.NativeEndian.Uint64(v)
	}
	return h
}

// checkProportions fails unless every bucket holds its expected share within 10%, or a few
// counts for tiny shares. With 200 000 samples, 10% of the smallest share used here (10%) is
// 2000 counts, over 14 standard deviations: a correct program cannot fail it.
func checkProportions(t *testing.T, h [16]uint64, want []float64) {
	t.Helper()
	var total uint64
	for _, n := range h {
		total += n
	}
	for i, n := range h {
		w := 0.0
		if i < len(want) {
			w = want[i]
		}
		exp := w * float64(total)
		if math.Abs(float64(n)-exp) > 0.1*exp || (w == 0 && n != 0) {
			t.Errorf("bucket %d: %d of %d, want about %.0f (histogram %v)", i, n, total, exp, h)
		}
	}
}

const samples = 200_000

func TestRandomMod(t *testing.T) {
	for _, n := range []uint32{1, 2, 7, 15} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h := histogram(t, clock.RandomMod(n), samples)
			want := make([]float64, n)
			for i := range want {
				want[i] = 1 / float64(n)
			}
			checkProportions(t, h, want)
		})
	}
	t.Run("bool", func(t *testing.T) {
		checkProportions(t, histogram(t, clock.RandomBool(), samples), []float64{0.5, 0.5})
	})
	t.Run("percent", func(t *testing.T) {
		// Buckets 0..14 hold 1% each, bucket 15 the 85% from 15 to 99.
		want := make([]float64, 16)
		for i := range 15 {
			want[i] = 0.01
		}
		want[15] = 0.85
		h := histogram(t, clock.RandomPercent(), samples)
		for i := range 15 { // 2000 expected, sd 44: allow 25%
			if e := want[i] * samples; math.Abs(float64(h[i])-e) > 0.25*e {
				t.Errorf("percent %d: %d, want about %.0f", i, h[i], e)
			}
		}
		if e := want[15] * samples; math.Abs(float64(h[15])-e) > 0.05*e {
			t.Errorf("percent >= 15: %d, want about %.0f", h[15], e)
		}
	})
	t.Run("raw", func(t *testing.T) {
		// n = 0 is the whole 32-bit range, as PrandomU32: nearly every sample is 15 or more
		// (each below 15 with probability 15/2^32).
		for _, seq := range []asm.Instructions{clock.RandomMod(0), clock.PrandomU32()} {
			h := histogram(t, seq, 20_000)
			if h[15] < 19_990 {
				t.Errorf("raw u32 below 15 too often: %v", h)
			}
		}
	})
}

func TestWeightedSelect(t *testing.T) {
	for _, weights := range [][]uint32{{30, 50, 20}, {1}, {0, 3, 0, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {math.MaxUint32 / 2, math.MaxUint32 / 2}} {
		t.Run(fmt.Sprint(weights), func(t *testing.T) {
			insns, err := clock.WeightedSelect(weights)
			if err != nil {
				t.Fatal(err)
			}
			if len(insns) != 2*len(weights)+2 {
				t.Errorf("%d instructions, want %d", len(insns), 2*len(weights)+2)
			}
			var total float64
			for _, w := range weights {
				total += float64(w)
			}
			want := make([]float64, len(weights))
			for i, w := range weights {
				want[i] = float64(w) / total
			}
			checkProportions(t, histogram(t, insns, samples), want)
		})
	}
	for _, bad := range [][]uint32{nil, {0, 0}, {math.MaxUint32, 1}} {
		if _, err := clock.WeightedSelect(bad); err == nil {
			t.Errorf("weights %v: no error", bad)
		}
	}
}

// TestProgramTypes checks with the verifier which program types may call each helper, as the
// package documentation states.
func TestProgramTypes(t *testing.T) {
	testutil.RequireRoot(t)
	tracing := map[bpf.ProgramType]bool{bpf.Kprobe: true, bpf.TracePoint: true, bpf.RawTracepoint: true, bpf.PerfEvent: true}
	types := []bpf.ProgramType{bpf.SocketFilter, bpf.XDP, bpf.SchedCLS, bpf.CgroupSKB, bpf.SkMsg, bpf.SockOps,
		bpf.FlowDissector, bpf.LWTIn, bpf.Kprobe, bpf.TracePoint, bpf.RawTracepoint, bpf.PerfEvent, bpf.Syscall}
	seqs := map[string]asm.Instructions{
		"monotonic": clock.Now(clock.Monotonic), "boot": clock.Now(clock.Boot), "coarse": clock.Now(clock.Coarse),
		"tai": clock.Now(clock.TAI), "jiffies64": clock.Jiffies64(), "prandom": clock.PrandomU32(),
	}
	for _, typ := range types {
		for name, seq := range seqs {
			spec := &bpf.ProgramSpec{Type: typ, License: "GPL",
				Instructions: append(append(asm.Instructions{}, seq...), asm.MovImm(asm.R0, 0), asm.Exit())}
			if typ == bpf.Syscall {
				spec.Flags = sys.BPF_F_SLEEPABLE
			}
			p, err := bpf.NewProgram(spec)
			if err == nil {
				p.Close()
			}
			want := !(name == "coarse" && (tracing[typ] || typ == bpf.Syscall))
			if (err == nil) != want {
				t.Errorf("%v calling %s: loaded %v, want %v (%v)", typ, name, err == nil, want, err)
			}
		}
	}
}

func TestClockString(t *testing.T) {
	for c, want := range map[clock.Clock]string{clock.Monotonic: "monotonic", clock.Boot: "boot",
		clock.Coarse: "coarse", clock.TAI: "tai", clock.Clock(9): "Clock(9)"} {
		if c.String() != want {
			t.Errorf("%d: %q", int(c), c.String())
		}
	}
	if clock.Clock(9).Helper() != asm.FnKtimeGetNs {
		t.Error("unknown clock does not read monotonic")
	}
}

// TestSizes records the instruction count of each sequence (the issue asks for them).
func TestSizes(t *testing.T) {
	st := emit.NewStack()
	ts := st.MustAlloc("ts", 8)
	w, _ := clock.WeightedSelect([]uint32{30, 50, 20})
	for _, c := range []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"Now", clock.Now(clock.TAI), 1},
		{"Jiffies64", clock.Jiffies64(), 1},
		{"PrandomU32", clock.PrandomU32(), 1},
		{"RandomMod", clock.RandomMod(10), 2},
		{"RandomPercent", clock.RandomPercent(), 2},
		{"RandomBool", clock.RandomBool(), 2},
		{"WeightedSelect(3)", w, 8},
		{"StoreTimestamp", clock.StoreTimestamp(clock.Boot, ts), 2},
		{"Elapsed", clock.Elapsed(clock.Monotonic, ts, asm.R6), 4},
		{"ElapsedPtr", clock.ElapsedPtr(clock.Monotonic, asm.R6, 8, asm.R0), 3},
		{"UpdateTimestamp", clock.UpdateTimestamp(clock.Coarse, asm.R6, 8), 2},
	} {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d", c.name, len(c.insns), c.want)
		}
		t.Logf("%-18s %d instructions", c.name, len(c.insns))
	}
}
