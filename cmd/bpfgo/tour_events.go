package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/event"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/perf"
	"github.com/bpfgo/bpf/ringbuf"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 50,
		Name:  "events through a ring buffer and a perf buffer",
		Run:   readersTour,
	})
}

// readersTourEvent is the record the chapter's programs emit: the C struct
// { __u64 seq; __u32 pkt_len; __u32 cpu; }.
type readersTourEvent struct {
	Seq    uint64
	PktLen uint32
	CPU    uint32
}

// readersTourEmitter returns an XDP program that fills a readersTourEvent on the stack at
// fp-16 (seq from an atomic counter, the packet's length, the CPU) and hands
// it to output, which sends it and may clobber R1-R5.
func readersTourEmitter(counter *bpf.Map, output asm.Instructions) asm.Instructions {
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1), // ctx
		asm.St(asm.W, asm.R10, -20, 0),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -20),
		asm.LoadMap(asm.R1, counter),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.MovImm(asm.R7, 1),
		asm.AtomicFetchAdd(asm.DW, asm.R0, asm.R7, 0), // r7 = seq
		asm.Stx(asm.DW, asm.R10, asm.R7, -16),
		asm.Ldx(asm.W, asm.R2, asm.R6, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R6, asm.XDPMdDataEnd),
		asm.SubReg(asm.R3, asm.R2),
		asm.Stx(asm.W, asm.R10, asm.R3, -8),
		asm.Call(asm.FnGetSmpProcessorID),
		asm.Stx(asm.W, asm.R10, asm.R0, -4),
	}
	insns = append(insns, output...)
	return append(insns,
		asm.Label("out"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
	)
}

func readersTour(ctx context.Context, w io.Writer) error {
	codec, err := event.NewCodec[readersTourEvent]()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Each run of an XDP program emits the record %v (%d bytes, C layout).\n",
		codec.Layout(), codec.Layout().Size())
	if err := readersTourRingBuf(ctx, w, codec); err != nil {
		return fmt.Errorf("ring buffer: %w", err)
	}
	if err := readersTourPerf(ctx, w, codec); err != nil {
		return fmt.Errorf("perf buffer: %w", err)
	}
	return nil
}

func readersTourCounter() (*bpf.Map, error) {
	return bpf.NewMap(&bpf.MapSpec{Name: "tour_seq", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
}

// readersTourRun runs prog n times on packets of different lengths.
func readersTourRun(prog *bpf.Program, n int) error {
	for i := range n {
		if _, err := prog.Run(&bpf.RunOptions{Data: make([]byte, 60+i*100)}); err != nil {
			return err
		}
	}
	return nil
}

func readersTourRingBuf(ctx context.Context, w io.Writer, codec *event.Codec[readersTourEvent]) error {
	fmt.Fprintf(w, "\n-- ring buffer (BPF_MAP_TYPE_RINGBUF): bpf_ringbuf_output, read with ringbuf.Reader\n")
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_ring", Type: bpf.RingBuf, MaxEntries: 1 << 16})
	if err != nil {
		return err
	}
	defer ring.Close()
	counter, err := readersTourCounter()
	if err != nil {
		return err
	}
	defer counter.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_ring_emit", Type: bpf.XDP, License: "GPL",
		Instructions: readersTourEmitter(counter, asm.Instructions{
			asm.LoadMap(asm.R1, ring),
			asm.MovReg(asm.R2, asm.R10),
			asm.AddImm(asm.R2, -16),
			asm.MovImm(asm.R3, 16),
			asm.MovImm(asm.R4, 0),
			asm.Call(asm.FnRingbufOutput),
		})})
	if err != nil {
		return err
	}
	defer prog.Close()
	rd, err := ringbuf.NewReader(ring)
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := readersTourRun(prog, 3); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for range 3 {
		rec, err := rd.Read(rctx) // zero-copy: valid until the next read
		if err != nil {
			return err
		}
		var e readersTourEvent
		if err := codec.Decode(rec.Sample, &e); err != nil {
			return err
		}
		fmt.Fprintf(w, "event seq=%d pkt_len=%d (cpu %d)\n", e.Seq, e.PktLen, e.CPU)
	}
	// A blocked read returns as soon as its context is cancelled.
	cctx, ccancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer ccancel()
	start := time.Now()
	if _, err := rd.Read(cctx); !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("read from an empty ring: %v, want a deadline error", err)
	}
	fmt.Fprintf(w, "empty ring: Read with a 20ms deadline returned after %v: context deadline exceeded\n",
		time.Since(start).Round(10*time.Millisecond))
	return nil
}

func readersTourPerf(ctx context.Context, w io.Writer, codec *event.Codec[readersTourEvent]) error {
	fmt.Fprintf(w, "\n-- perf buffer (BPF_MAP_TYPE_PERF_EVENT_ARRAY): bpf_perf_event_output, read with perf.Reader\n")
	events, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_perf", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4,
		MaxEntries: uint32(runtime.NumCPU())})
	if err != nil {
		return err
	}
	defer events.Close()
	counter, err := readersTourCounter()
	if err != nil {
		return err
	}
	defer counter.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_perf_emit", Type: bpf.XDP, License: "GPL",
		Instructions: readersTourEmitter(counter, asm.Instructions{
			asm.MovReg(asm.R1, asm.R6),
			asm.LoadMap(asm.R2, events),
			asm.LoadImm64(asm.R3, int64(sys.BPF_F_CURRENT_CPU)),
			asm.MovReg(asm.R4, asm.R10),
			asm.AddImm(asm.R4, -16),
			asm.MovImm(asm.R5, 16),
			asm.Call(asm.FnPerfEventOutput),
		})})
	if err != nil {
		return err
	}
	defer prog.Close()
	rd, err := perf.NewReader(events, nil)
	if err != nil {
		return err
	}
	defer rd.Close()
	fmt.Fprintf(w, "one ring per online CPU: %v\n", rd.CPUs())
	if err := readersTourRun(prog, 3); err != nil {
		return err
	}
	// The pipeline: parse -> filter -> transform -> handle, with statistics.
	var lines []string
	p := &event.Pipeline[readersTourEvent]{
		Parse:  codec.Parse,
		Filter: func(e readersTourEvent) bool { return e.PktLen > 100 }, // drop the smallest packet
		Handle: func(e readersTourEvent) error {
			lines = append(lines, fmt.Sprintf("event seq=%d pkt_len=%d (cpu %d)", e.Seq, e.PktLen, e.CPU))
			return nil
		},
	}
	st, err := event.Process(ctx, event.PerfSource(rd), p.Handler(), &event.ProcessOptions{MaxEvents: 3, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "pipeline kept %d, filtered %d (pkt_len <= 100), lost %d\n", st.Processed, st.Filtered, st.Lost)
	if st.Processed != 2 || st.Filtered != 1 {
		return fmt.Errorf("pipeline stats %v, want 2 processed and 1 filtered", st)
	}
	return nil
}
