package output_test

import (
	"context"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/ringbuf"
)

// BenchmarkSubmitKernel measures the reserve/fill/submit program per packet in the kernel, with
// a reader draining the ring between batches.
func BenchmarkSubmitKernel(b *testing.B) {
	for _, flags := range []output.Wakeup{output.WakeupAuto, output.NoWakeup} {
		b.Run(map[output.Wakeup]string{0: "auto", 1: "no-wakeup"}[flags], func(b *testing.B) {
			ring, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 1 << 20})
			if err != nil {
				b.Skip(err)
			}
			defer ring.Close()
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: reserveProgram(ring, flags, false)})
			if err != nil {
				b.Fatalf("%+v", err)
			}
			defer p.Close()
			rd, err := ringbuf.NewReader(ring)
			if err != nil {
				b.Fatal(err)
			}
			defer rd.Close()
			var total float64
			runs := 0
			for b.Loop() {
				res, err := p.Run(&bpf.RunOptions{Data: udp, Repeat: 1000})
				if err != nil {
					b.Fatal(err)
				}
				total += float64(res.Duration.Nanoseconds())
				runs++
				for n := 0; n < 1000; {
					k, err := rd.Drain(context.Background(), func([]byte) bool { return true })
					if err != nil {
						b.Fatal(err)
					}
					n += k
				}
			}
			b.ReportMetric(total/float64(runs), "ns/run")
		})
	}
}
