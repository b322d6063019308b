package perf_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/perf"
)

// Read samples and lost-sample reports from every CPU's ring. A program
// writes the samples with bpf_perf_event_output(ctx, &events,
// BPF_F_CURRENT_CPU, &data, sizeof(data)).
func ExampleReader() {
	events, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4,
		MaxEntries: uint32(runtime.NumCPU())})
	if err != nil {
		panic(err)
	}
	defer events.Close()
	rd, err := perf.NewReader(events, &perf.ReaderOptions{PerCPUBuffer: 64 << 10})
	if err != nil {
		panic(err)
	}
	defer rd.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		rec, err := rd.Read(ctx)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, perf.ErrClosed) {
			return
		}
		if err != nil {
			panic(err)
		}
		if rec.LostSamples > 0 {
			fmt.Printf("cpu %d: %d samples lost\n", rec.CPU, rec.LostSamples)
			continue
		}
		fmt.Printf("cpu %d: %x\n", rec.CPU, rec.RawSample)
	}
}
