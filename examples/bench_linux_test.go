//go:build linux

package examples_test

import (
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/internal/testutil"
)

// BenchmarkKernelRun measures the in-kernel run time of the packet examples on a TCP SYN to
// port 80, with BPF_PROG_TEST_RUN's Repeat (reported as kernel-ns/run), and the Go-side cost of
// building each program.
func BenchmarkKernelRun(b *testing.B) {
	testutil.RequireRoot(b)
	frame := tcpTo(80)
	for _, name := range []string{"xdp-pass-all", "xdp-tcp-port-filter", "xdp-map-counter", "syn-flood-protection", "icmp-rate-limiter", "ip-allowlist"} {
		b.Run(name, func(b *testing.B) {
			l, err := examples.Load(name)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			var total float64
			runs := 0
			for b.Loop() {
				res, err := l.Program.Run(&bpf.RunOptions{Data: frame, Repeat: 1000})
				if err != nil {
					b.Fatal(err)
				}
				total += float64(res.Duration.Nanoseconds())
				runs++
			}
			b.ReportMetric(total/float64(runs), "kernel-ns/run")
		})
	}
}

func BenchmarkInstructions(b *testing.B) {
	e, err := examples.Get("icmp-rate-limiter")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Instructions()
	}
}
