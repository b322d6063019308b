//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/clock"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/emit/ratelimit"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/packet"
	"github.com/bpfgo/bpf/perf"
	"github.com/bpfgo/bpf/ringbuf"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 45,
		Name:  "generated code with state: map counters, clocks, a rate limiter, ring buffer events",
		Run:   tourEmitState,
	})
}

// srcKeyPrologue is the start of the chapter's XDP programs: R6 = ctx, R8 = data, R9 =
// data_end, the IPv4 source address in key, and XDP_PASS for frames too short to have one.
func srcKeyPrologue(key emit.Slot) asm.Instructions {
	return asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Ldx(asm.W, asm.R8, asm.R6, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R9, asm.R6, asm.XDPMdDataEnd),
		asm.MovReg(asm.R2, asm.R8),
		asm.AddImm(asm.R2, 14+20+4), // Ethernet, IPv4 without options, the ports
		asm.JmpReg(asm.JLE, asm.R2, asm.R9, "have_key"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
		asm.Label("have_key"),
		asm.Ldx(asm.W, asm.R2, asm.R8, 14+12),
		asm.Stx(asm.W, asm.R10, asm.R2, key.Off),
	}
}

// helperSize is the generated sequence of one emit helper, to report its size.
type helperSize struct {
	name  string
	insns asm.Instructions
}

// countInsns counts real instructions, not labels.
func countInsns(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		if !ins.IsLabel() {
			n++
		}
	}
	return n
}

// tourStep loads insns as an XDP program and reports its size; the caller closes it.
func tourStep(w io.Writer, name string, insns asm.Instructions, sizes ...helperSize) (*bpf.Program, error) {
	fmt.Fprintf(w, "\n%s\n", name)
	for _, h := range sizes {
		fmt.Fprintf(w, "  %-28s %3d instructions\n", h.name, countInsns(h.insns))
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_emit", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		return nil, fmt.Errorf("%s: load: %+v", name, err)
	}
	fmt.Fprintf(w, "  program: %d instructions (%d slots); verifier: %v\n", countInsns(insns), insns.EncodedSize()/asm.InstructionSize, prog.VerifierStats())
	return prog, nil
}

func tourEmitState(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "Five XDP programs built from the emit packages mapop, clock, ratelimit and output,\n"+
		"each run on real UDP/IPv4 frames with BPF_PROG_TEST_RUN; their maps are read back from Go.\n")
	frameFrom := func(src netip.Addr) []byte {
		return packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: src, SrcPort: 4000, DstPort: 53, Payload: []byte("query")}.MustBuild()
	}
	srcA, srcB := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.3")
	for _, step := range []func(context.Context, io.Writer, func(netip.Addr) []byte, netip.Addr, netip.Addr) error{
		tourCounter, tourClock, tourRateLimit, tourEvents, tourPerfEvents,
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(ctx, w, frameFrom, srcA, srcB); err != nil {
			return err
		}
	}
	return nil
}

// tourCounter: an atomic per-source packet counter in a hash map shared by all CPUs.
func tourCounter(_ context.Context, w io.Writer, frame func(netip.Addr) []byte, srcA, srcB netip.Addr) error {
	counts, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_counts", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 64})
	if err != nil {
		return err
	}
	defer counts.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	inc := mapop.IncrementAtomic(counts, key, init, 0, 1)
	insns := srcKeyPrologue(key)
	insns = append(insns, inc...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := tourStep(w, "mapop: count packets per source address (lock *(u64 *)(r0 + 0) += r1)", insns,
		helperSize{"mapop.IncrementAtomic", inc})
	if err != nil {
		return err
	}
	defer prog.Close()
	for src, n := range map[netip.Addr]uint32{srcA: 1000, srcB: 250} {
		if _, err := prog.Run(&bpf.RunOptions{Data: frame(src), Repeat: n}); err != nil {
			return err
		}
	}
	v := make([]byte, 8)
	for _, c := range []struct {
		src  netip.Addr
		want uint64
	}{{srcA, 1000}, {srcB, 250}} {
		k := c.src.As4()
		if err := counts.Lookup(k[:], v); err != nil {
			return fmt.Errorf("counter of %v: %w", c.src, err)
		}
		got := binary.NativeEndian.Uint64(v)
		fmt.Fprintf(w, "  %v: %d packets counted (sent %d)\n", c.src, got, c.want)
		if got != c.want {
			return fmt.Errorf("counter of %v: %d, want %d", c.src, got, c.want)
		}
	}
	return nil
}

// tourClock: a weighted random backend choice (30/50/20), counted in an array; and the time
// of the last packet, stored in the same array.
func tourClock(_ context.Context, w io.Writer, frame func(netip.Addr) []byte, srcA, _ netip.Addr) error {
	hist, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_backends", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	if err != nil {
		return err
	}
	defer hist.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	pick, err := clock.WeightedSelect([]uint32{30, 50, 20})
	if err != nil {
		return err
	}
	stamp := clock.UpdateTimestamp(clock.Monotonic, asm.R7, 0)
	insns := append(asm.Instructions{}, pick...)
	insns = append(insns, asm.Stx(asm.W, asm.R10, asm.R0, key.Off))
	insns = append(insns, mapop.IncrementAtomic(hist, key, init, 0, 1)...)
	insns = append(insns, asm.St(asm.W, asm.R10, key.Off, 3)) // element 3: the last packet's time
	insns = append(insns, mapop.Lookup(hist, key)...)
	insns = append(insns, asm.JmpImm(asm.JEQ, asm.R0, 0, "out"), asm.MovReg(asm.R7, asm.R0))
	insns = append(insns, stamp...)
	insns = append(insns, asm.Label("out"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := tourStep(w, "clock: pick a backend with weights 30/50/20, stamp the last packet", insns,
		helperSize{"clock.WeightedSelect", pick}, helperSize{"clock.UpdateTimestamp", stamp})
	if err != nil {
		return err
	}
	defer prog.Close()
	const runs = 10000
	before := monotonicNow()
	if _, err := prog.Run(&bpf.RunOptions{Data: frame(srcA), Repeat: runs}); err != nil {
		return err
	}
	v := make([]byte, 8)
	fmt.Fprintf(w, "  %d packets:", runs)
	for i, weight := range []int{30, 50, 20} {
		if err := hist.Lookup(binary.NativeEndian.AppendUint32(nil, uint32(i)), v); err != nil {
			return err
		}
		n := binary.NativeEndian.Uint64(v)
		fmt.Fprintf(w, "  backend %d %5d (%.1f%%, weight %d%%)", i, n, 100*float64(n)/runs, weight)
		if d := float64(n) - float64(weight)*runs/100; d > 0.1*float64(weight)*runs/100 || d < -0.1*float64(weight)*runs/100 {
			return fmt.Errorf("backend %d chosen %d times of %d, want about %d%%", i, n, runs, weight)
		}
	}
	after := monotonicNow()
	if err := hist.Lookup([]byte{3, 0, 0, 0}, v); err != nil {
		return err
	}
	stamp64 := int64(binary.NativeEndian.Uint64(v))
	fmt.Fprintf(w, "\n  last packet stamped %v after the runs started, %v before they ended (CLOCK_MONOTONIC)\n",
		time.Duration(stamp64-before), time.Duration(after-stamp64))
	if stamp64 < before || stamp64 > after {
		return fmt.Errorf("timestamp %d outside the run [%d, %d]", stamp64, before, after)
	}
	return nil
}

// tourRateLimit: 1 packet a second with bursts of 5, per source.
func tourRateLimit(_ context.Context, w io.Writer, frame func(netip.Addr) []byte, srcA, srcB netip.Addr) error {
	buckets, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_buckets", Type: bpf.LRUHash, KeySize: 4, ValueSize: ratelimit.BucketSize, MaxEntries: 64})
	if err != nil {
		return err
	}
	defer buckets.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	scratch := st.MustAlloc("scratch", ratelimit.ScratchSize)
	check := ratelimit.Check(buckets, key, scratch, 1, 5, "pass", "drop")
	insns := srcKeyPrologue(key)
	insns = append(insns, check...)
	insns = append(insns,
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit(),
	)
	prog, err := tourStep(w, "ratelimit: token bucket per source, 1 packet/s, burst 5", insns,
		helperSize{"ratelimit.Check", check})
	if err != nil {
		return err
	}
	defer prog.Close()
	for _, src := range []netip.Addr{srcA, srcB} {
		fmt.Fprintf(w, "  %v:", src)
		passed := 0
		for range 8 {
			res, err := prog.Run(&bpf.RunOptions{Data: frame(src)})
			if err != nil {
				return err
			}
			if res.ReturnValue == asm.XDPPass {
				passed++
			}
			fmt.Fprintf(w, " %s", map[uint32]string{asm.XDPPass: "pass", asm.XDPDrop: "drop"}[res.ReturnValue])
		}
		fmt.Fprintln(w)
		if passed != 5 {
			return fmt.Errorf("rate limiter passed %d of 8 packets from %v, want 5", passed, src)
		}
	}
	return nil
}

// tourEvents: one ring buffer record per packet (addresses and ports), read back with the
// ringbuf package.
func tourEvents(ctx context.Context, w io.Writer, frame func(netip.Addr) []byte, srcA, srcB netip.Addr) error {
	events, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_events", Type: bpf.RingBuf, MaxEntries: 4096})
	if err != nil {
		return err
	}
	defer events.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	reserve := output.ReserveOrJump(events, 12, asm.R7, "full")
	submit := output.Submit(asm.R7, output.WakeupAuto)
	insns := srcKeyPrologue(key)
	insns = append(insns, reserve...)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R8, 14+12), // source and destination address
		asm.Stx(asm.DW, asm.R7, asm.R1, 0),
		asm.Ldx(asm.W, asm.R1, asm.R8, 14+20), // ports
		asm.Stx(asm.W, asm.R7, asm.R1, 8),
	)
	insns = append(insns, submit...)
	insns = append(insns, asm.Label("full"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := tourStep(w, "output: a ring buffer record per packet", insns,
		helperSize{"output.ReserveOrJump", reserve}, helperSize{"output.Submit", submit})
	if err != nil {
		return err
	}
	defer prog.Close()
	rd, err := ringbuf.NewReader(events)
	if err != nil {
		return err
	}
	defer rd.Close()
	for _, src := range []netip.Addr{srcA, srcB} {
		if _, err := prog.Run(&bpf.RunOptions{Data: frame(src)}); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, src := range []netip.Addr{srcA, srcB} {
		rec, err := rd.Read(rctx)
		if err != nil {
			return fmt.Errorf("ring buffer: %w", err)
		}
		s := rec.Sample
		if len(s) != 12 {
			return fmt.Errorf("ring buffer record of %d bytes, want 12", len(s))
		}
		from := netip.AddrFrom4([4]byte(s[0:4]))
		to := netip.AddrFrom4([4]byte(s[4:8]))
		sport, dport := binary.BigEndian.Uint16(s[8:]), binary.BigEndian.Uint16(s[10:])
		fmt.Fprintf(w, "  record: %v:%d -> %v:%d\n", from, sport, to, dport)
		if from != src || sport != 4000 || dport != 53 {
			return fmt.Errorf("ring buffer record %v:%d -> %v:%d, want from %v:4000 to port 53", from, sport, to, dport, src)
		}
	}
	return nil
}

// tourPerfEvents: the same event through a perf event array, with the first bytes of the
// packet appended by the kernel, read back with the perf package.
func tourPerfEvents(ctx context.Context, w io.Writer, frame func(netip.Addr) []byte, srcA, _ netip.Addr) error {
	ncpu, err := bpf.PossibleCPUs()
	if err != nil {
		return err
	}
	events, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_perf", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: uint32(ncpu)})
	if err != nil {
		return err
	}
	defer events.Close()
	rd, err := perf.NewReader(events, nil)
	if err != nil {
		return err
	}
	defer rd.Close()
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	ev := st.MustAlloc("event", 12)
	const packetBytes = 14 // the Ethernet header
	out := output.PerfEventOutput(asm.R6, events, ev, output.CurrentCPU, packetBytes)
	insns := srcKeyPrologue(key)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R8, 14+12),
		asm.Stx(asm.DW, asm.R10, asm.R1, ev.Off),
		asm.Ldx(asm.W, asm.R1, asm.R8, 14+20),
		asm.Stx(asm.W, asm.R10, asm.R1, ev.At(8)),
	)
	insns = append(insns, out...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := tourStep(w, "output: a perf event sample per packet, with the Ethernet header appended", insns,
		helperSize{"output.PerfEventOutput", out})
	if err != nil {
		return err
	}
	defer prog.Close()
	data := frame(srcA)
	if _, err := prog.Run(&bpf.RunOptions{Data: data}); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rec, err := rd.Read(rctx)
	if err != nil {
		return fmt.Errorf("perf: %w", err)
	}
	s := rec.RawSample
	if len(s) < 12+packetBytes {
		return fmt.Errorf("perf sample of %d bytes, want %d", len(s), 12+packetBytes)
	}
	from := netip.AddrFrom4([4]byte(s[0:4]))
	fmt.Fprintf(w, "  sample from CPU %d: %v:%d -> %v:%d, Ethernet %x\n", rec.CPU, from, binary.BigEndian.Uint16(s[8:]),
		netip.AddrFrom4([4]byte(s[4:8])), binary.BigEndian.Uint16(s[10:]), s[12:12+packetBytes])
	if from != srcA || string(s[12:12+packetBytes]) != string(data[:packetBytes]) {
		return fmt.Errorf("perf sample %x does not match the packet", s)
	}
	return nil
}

// monotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock bpf_ktime_get_ns reads.
func monotonicNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for this clock
	return ts.Nano()
}
