package ratelimit_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/ratelimit"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const retShort = 9000

var (
	srcA = netip.MustParseAddr("10.0.0.1")
	srcB = netip.MustParseAddr("10.0.0.2")
	srcC = netip.MustParseAddr("10.0.0.3")
)

func frame(src netip.Addr) []byte {
	return packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: src, Payload: []byte("x")}.MustBuild()
}

func key(a netip.Addr) []byte { b := a.As4(); return b[:] }

func monoNow(t *testing.T) uint64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano())
}

// program returns an XDP program that rate-limits by IPv4 source address with check, built
// from the key and scratch slots it is given: XDP_PASS or XDP_DROP.
func program(check func(key, scratch emit.Slot) asm.Instructions) asm.Instructions {
	st := emit.NewStack()
	k := st.MustAlloc("key", 4)
	scratch := st.MustAlloc("scratch", ratelimit.ScratchSize)
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R1, asm.XDPMdDataEnd),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14+20),
		asm.JmpReg(asm.JLE, asm.R4, asm.R3, "have_key"),
		asm.MovImm(asm.R0, retShort),
		asm.Exit(),
		asm.Label("have_key"),
		asm.Ldx(asm.W, asm.R4, asm.R2, 14+12),
		asm.Stx(asm.W, asm.R10, asm.R4, k.Off),
	}
	insns = append(insns, check(k, scratch)...)
	return append(insns,
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit(),
	)
}

type limiter struct {
	t       *testing.T
	buckets *bpf.Map
	config  *bpf.Map
	prog    *bpf.Program
}

func newMap(t *testing.T, spec *bpf.MapSpec) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(spec)
	if err != nil {
		t.Fatalf("create map: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// newLimiter builds the fixed-rate limiter, or the config-driven one when rate < 0.
func newLimiter(t *testing.T, rate, burst int64) *limiter {
	t.Helper()
	testutil.RequireRoot(t)
	l := &limiter{t: t}
	l.buckets = newMap(t, &bpf.MapSpec{Name: "buckets", Type: bpf.LRUHash, KeySize: 4, ValueSize: ratelimit.BucketSize, MaxEntries: 64})
	var insns asm.Instructions
	if rate < 0 {
		l.config = newMap(t, &bpf.MapSpec{Name: "rl_config", Type: bpf.Array, KeySize: 4, ValueSize: ratelimit.ConfigSize, MaxEntries: 2})
		insns = program(func(k, s emit.Slot) asm.Instructions {
			return ratelimit.CheckConfig(mapop.Name("rl_config"), 1, l.buckets, k, s, "pass", "drop")
		})
	} else {
		insns = program(func(k, s emit.Slot) asm.Instructions {
			return ratelimit.Check(l.buckets, k, s, uint64(rate), uint64(burst), "pass", "drop")
		})
	}
	opts := &bpf.ProgramOptions{}
	if l.config != nil {
		opts.Maps = map[string]asm.MapHandle{"rl_config": l.config}
	}
	p, err := bpf.NewProgramWithOptions(&bpf.ProgramSpec{Name: "ratelimit", Type: bpf.XDP, License: "GPL", Instructions: insns}, opts)
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	t.Cleanup(func() { p.Close() })
	l.prog = p
	return l
}

func (l *limiter) setConfig(value []byte) {
	l.t.Helper()
	if err := l.config.Update([]byte{1, 0, 0, 0}, value, bpf.UpdateAny); err != nil {
		l.t.Fatal(err)
	}
}

func (l *limiter) run(src netip.Addr) uint32 {
	l.t.Helper()
	res, err := l.prog.Run(&bpf.RunOptions{Data: frame(src)})
	if err != nil {
		l.t.Fatal(err)
	}
	return res.ReturnValue
}

// drain sends packets from src until one is dropped (at most limit) and returns how many passed.
func (l *limiter) drain(src netip.Addr, limit int) int {
	l.t.Helper()
	for n := 0; n < limit; n++ {
		switch r := l.run(src); r {
		case asm.XDPPass:
		case asm.XDPDrop:
			return n
		default:
			l.t.Fatalf("returned %d", r)
		}
	}
	l.t.Fatalf("%v: no drop after %d packets", src, limit)
	return 0
}

func (l *limiter) bucket(src netip.Addr) ratelimit.Bucket {
	l.t.Helper()
	v := make([]byte, ratelimit.BucketSize)
	if err := l.buckets.Lookup(key(src), v); err != nil {
		l.t.Fatalf("bucket of %v: %v", src, err)
	}
	var b ratelimit.Bucket
	if err := b.UnmarshalBinary(v); err != nil {
		l.t.Fatal(err)
	}
	return b
}

func (l *limiter) setBucket(src netip.Addr, b ratelimit.Bucket) {
	l.t.Helper()
	v, _ := b.MarshalBinary()
	if err := l.buckets.Update(key(src), v, bpf.UpdateAny); err != nil {
		l.t.Fatal(err)
	}
}

// checkBurst drains src and checks that exactly burst packets passed, plus the tokens the
// measured duration of the drain can have refilled at rate.
func checkBurst(t *testing.T, l *limiter, src netip.Addr, rate, burst int) {
	t.Helper()
	start := time.Now()
	n := l.drain(src, burst+1000)
	extra := int(float64(rate) * time.Since(start).Seconds())
	if n < burst || n > burst+extra {
		t.Fatalf("%v: %d packets passed, want %d (+%d refilled during the drain)", src, n, burst, extra)
	}
	if b := l.bucket(src); b.Tokens >= ratelimit.TokenScale {
		t.Fatalf("%v: bucket has %d units after a drop", src, b.Tokens)
	}
}

func TestBurst(t *testing.T) {
	const rate, burst = 1, 5
	l := newLimiter(t, rate, burst)
	checkBurst(t, l, srcA, rate, burst)
	// A second source has its own bucket.
	checkBurst(t, l, srcB, rate, burst)
	// A short frame never reaches the limiter.
	res, err := l.prog.Run(&bpf.RunOptions{Data: frame(srcC)[:20]})
	if err != nil || res.ReturnValue != retShort {
		t.Fatalf("short frame: %v %v", res, err)
	}
}

// TestRefill sleeps, then checks that the tokens gained follow the real elapsed time: exactly
// (kernel's elapsed ns) × rate units, read back from the bucket, and the kernel's elapsed time
// within the bounds user space measured around it, so the test holds at any speed.
func TestRefill(t *testing.T) {
	// The bucket takes 10 s to fill: the refill stays below the capacity (where the gain would
	// be capped) even if the machine is slow.
	const rate, burst = 10, 100
	l := newLimiter(t, rate, burst)
	checkBurst(t, l, srcA, rate, burst)
	after := monoNow(t) // the drain's last run is over: its refill time is earlier
	b0 := l.bucket(srcA)

	time.Sleep(300 * time.Millisecond)

	before := monoNow(t) // the next run's refill time is later
	n := l.drain(srcA, 1000)
	end := monoNow(t)
	b1 := l.bucket(srcA)

	elapsed := b1.Last - b0.Last
	if elapsed < before-after || elapsed > end-b0.Last {
		t.Fatalf("kernel refill time advanced %d ns, user space measured [%d, %d]", elapsed, before-after, end-b0.Last)
	}
	gained := elapsed * rate // units; below capacity, so not capped
	if got := b0.Tokens + gained - uint64(n)*ratelimit.TokenScale; b1.Tokens != got {
		t.Fatalf("bucket %d units, want %d + %d·%d - %d·1e9 = %d", b1.Tokens, b0.Tokens, elapsed, rate, n, got)
	}
	// The count elapsed time implies: floor(tokens before + gained) whole tokens.
	lo := int(float64(rate) * float64(before-after) / 1e9)
	hi := int(float64(rate)*float64(end-b0.Last)/1e9) + 1
	if n < lo || n > hi || n != int((b0.Tokens+gained)/ratelimit.TokenScale) {
		t.Fatalf("%d packets passed after %v, want within [%d, %d]", n, time.Duration(elapsed), lo, hi)
	}
	t.Logf("after %v: %d packets passed (rate %d/s)", time.Duration(elapsed), n, rate)
}

// TestLongIdle makes the time since the last refill 2^62 ns: at 16 tokens/s the uncapped
// product 2^62·16 wraps to exactly 0, which would leave the bucket empty; the cap gives a
// full bucket.
func TestLongIdle(t *testing.T) {
	const rate, burst = 16, 4
	for _, config := range []bool{false, true} {
		t.Run(map[bool]string{false: "fixed", true: "config"}[config], func(t *testing.T) {
			var l *limiter
			if config {
				l = newLimiter(t, -1, 0)
				v, err := ratelimit.EncodeConfig(rate, burst)
				if err != nil {
					t.Fatal(err)
				}
				l.setConfig(v)
			} else {
				l = newLimiter(t, rate, burst)
			}
			l.setBucket(srcA, ratelimit.Bucket{Tokens: 0, Last: monoNow(t) - 1<<62})
			checkBurst(t, l, srcA, rate, burst)
			// A corrupt bucket holding more than the capacity is clamped, not overflowed.
			l.setBucket(srcB, ratelimit.Bucket{Tokens: ^uint64(0), Last: monoNow(t)})
			checkBurst(t, l, srcB, rate, burst)
		})
	}
}

func TestConfig(t *testing.T) {
	l := newLimiter(t, -1, 0)
	// No config element yet (index 1 of the array is zero): disabled, everything passes.
	for range 20 {
		if r := l.run(srcA); r != asm.XDPPass {
			t.Fatalf("zero config: %d", r)
		}
	}
	cfg, err := ratelimit.EncodeConfig(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	l.setConfig(cfg)
	checkBurst(t, l, srcA, 1, 3)

	// Changed from Go: a bigger burst for a new source.
	cfg, _ = ratelimit.EncodeConfig(1, 7)
	l.setConfig(cfg)
	checkBurst(t, l, srcB, 1, 7)

	// Disabled: the drained sources pass again, every packet.
	l.setConfig(ratelimit.DisabledConfig())
	for range 50 {
		if r := l.run(srcA); r != asm.XDPPass {
			t.Fatalf("disabled config: %d", r)
		}
	}
	// Enabled again with burst 2 for a third source; and burst 0 drops everything.
	cfg, _ = ratelimit.EncodeConfig(1, 2)
	l.setConfig(cfg)
	checkBurst(t, l, srcC, 1, 2)
	cfg, _ = ratelimit.EncodeConfig(1, 0)
	l.setConfig(cfg)
	if n := l.drain(netip.MustParseAddr("10.0.0.4"), 10); n != 0 {
		t.Fatalf("burst 0: %d passed", n)
	}
	// Out-of-range values written by someone else are clamped, and the program still runs.
	raw := binary.NativeEndian.AppendUint64(nil, ^uint64(0))
	raw = binary.NativeEndian.AppendUint64(raw, ^uint64(0))
	l.setConfig(raw)
	if r := l.run(srcA); r != asm.XDPPass {
		t.Fatalf("clamped config: %d", r)
	}
}

func TestRateZero(t *testing.T) {
	l := newLimiter(t, 0, 0)
	for range 20 {
		if r := l.run(srcA); r != asm.XDPPass {
			t.Fatalf("rate 0: %d", r)
		}
	}
}

func TestEncodeConfig(t *testing.T) {
	v, err := ratelimit.EncodeConfig(100, 200)
	if err != nil {
		t.Fatal(err)
	}
	want := binary.NativeEndian.AppendUint64(binary.NativeEndian.AppendUint64(nil, 100), 200)
	if !bytes.Equal(v, want) {
		t.Fatalf("encoded %x, want %x", v, want)
	}
	if d := ratelimit.DisabledConfig(); !bytes.Equal(d, make([]byte, 16)) {
		t.Fatalf("disabled %x", d)
	}
	for _, c := range []ratelimit.Config{{Rate: ratelimit.MaxRate + 1, Burst: 1}, {Rate: 1, Burst: ratelimit.MaxBurst + 1}} {
		if _, err := c.MarshalBinary(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestSizes(t *testing.T) {
	st := emit.NewStack()
	k := st.MustAlloc("key", 4)
	s := st.MustAlloc("scratch", ratelimit.ScratchSize)
	b := mapop.Name("b")
	for _, c := range []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"Check", ratelimit.Check(b, k, s, 100, 200, "pass", "drop"), 46},
		{"Check(rate 0)", ratelimit.Check(b, k, s, 0, 200, "pass", "drop"), 3},
		{"CheckConfig", ratelimit.CheckConfig(mapop.Name("c"), 0, b, k, s, "pass", "drop"), 67},
	} {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d", c.name, len(c.insns), c.want)
		}
		t.Logf("%-13s %d instructions, %d slots", c.name, len(c.insns), c.insns.EncodedSize()/asm.InstructionSize)
	}
}

// TestMissingConfig: a config index outside the array finds no element, and the limiter fails
// open.
func TestMissingConfig(t *testing.T) {
	testutil.RequireRoot(t)
	buckets := newMap(t, &bpf.MapSpec{Name: "buckets", Type: bpf.LRUHash, KeySize: 4, ValueSize: ratelimit.BucketSize, MaxEntries: 8})
	config := newMap(t, &bpf.MapSpec{Name: "rl_config", Type: bpf.Array, KeySize: 4, ValueSize: ratelimit.ConfigSize, MaxEntries: 2})
	cfg, _ := ratelimit.EncodeConfig(1, 1)
	for i := range uint32(2) {
		if err := config.Update(binary.NativeEndian.AppendUint32(nil, i), cfg, bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		index  uint32
		passes int
	}{{1, 1}, {7, 100}} {
		insns := program(func(k, s emit.Slot) asm.Instructions {
			return ratelimit.CheckConfig(config, tc.index, buckets, k, s, "pass", "drop")
		})
		p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "ratelimit", Type: bpf.XDP, License: "GPL", Instructions: insns})
		if err != nil {
			t.Fatalf("load: %+v", err)
		}
		l := &limiter{t: t, buckets: buckets, prog: p}
		src := netip.AddrFrom4([4]byte{10, 1, 0, byte(tc.index)})
		n := 0
		for range 100 {
			if l.run(src) == asm.XDPPass {
				n++
			}
		}
		p.Close()
		if n != tc.passes {
			t.Errorf("index %d: %d of 100 passed, want %d", tc.index, n, tc.passes)
		}
	}
}

// FuzzConfig: any 16 bytes decode, and a decoded config within the maxima encodes back to the
// same bytes; other lengths are errors.
func FuzzConfig(f *testing.F) {
	v, _ := ratelimit.EncodeConfig(100, 200)
	f.Add(v)
	f.Add(ratelimit.DisabledConfig())
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ratelimit.Config
		err := c.UnmarshalBinary(data)
		if (err == nil) != (len(data) == ratelimit.ConfigSize) {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		if err != nil {
			return
		}
		out, err := c.MarshalBinary()
		if c.Rate > ratelimit.MaxRate || c.Burst > ratelimit.MaxBurst {
			if err == nil {
				t.Fatalf("%+v encoded", c)
			}
			return
		}
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip %x -> %+v -> %x, %v", data, c, out, err)
		}
	})
}

// FuzzBucket: 16 bytes round-trip, other lengths are errors.
func FuzzBucket(f *testing.F) {
	b, _ := ratelimit.Bucket{Tokens: 5 * ratelimit.TokenScale, Last: 123456789}.MarshalBinary()
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var b ratelimit.Bucket
		err := b.UnmarshalBinary(data)
		if (err == nil) != (len(data) == ratelimit.BucketSize) {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		if err == nil {
			if out, _ := b.MarshalBinary(); !bytes.Equal(out, data) {
				t.Fatalf("round trip %x -> %x", data, out)
			}
		}
	})
}
