//go:build linux

package clock_test

import (
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/clock"
)

// BenchmarkWeightedSelectBuild measures generating a 10-way weighted choice in Go.
func BenchmarkWeightedSelectBuild(b *testing.B) {
	w := []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := clock.WeightedSelect(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClockKernel measures each clock read in the kernel (a program that only reads it,
// BPF_PROG_TEST_RUN with a repeat).
func BenchmarkClockKernel(b *testing.B) {
	for _, c := range []clock.Clock{clock.Monotonic, clock.Boot, clock.Coarse, clock.TAI} {
		b.Run(c.String(), func(b *testing.B) {
			insns := append(clock.Now(c), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: insns})
			if err != nil {
				b.Skipf("%v", err)
			}
			defer p.Close()
			var total float64
			runs := 0
			for b.Loop() {
				res, err := p.Run(&bpf.RunOptions{Data: frame, Repeat: 1000})
				if err != nil {
					b.Fatal(err)
				}
				total += float64(res.Duration.Nanoseconds())
				runs++
			}
			b.ReportMetric(total/float64(runs), "ns/run")
		})
	}
}
