//go:build linux

package mapop_test

import (
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
)

// BenchmarkBuild measures generating an increment sequence in Go.
func BenchmarkBuild(b *testing.B) {
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	b.ReportAllocs()
	for b.Loop() {
		_ = mapop.IncrementAtomic(mapop.Name("counts"), key, init, 0, 1)
	}
}

// BenchmarkIncrementKernel measures a whole counting program in the kernel (BPF_PROG_TEST_RUN
// with a repeat), atomic vs plain, on a shared hash map from one CPU.
func BenchmarkIncrementKernel(b *testing.B) {
	for _, atomic := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "atomic"}[atomic], func(b *testing.B) {
			m, err := bpf.NewMap(&bpf.MapSpec{Name: "cnt", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 8})
			if err != nil {
				b.Skip(err)
			}
			defer m.Close()
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: counterProg(m, atomic)})
			if err != nil {
				b.Fatalf("%+v", err)
			}
			defer p.Close()
			data := frame(ipKnown)
			var total float64
			runs := 0
			for b.Loop() {
				res, err := p.Run(&bpf.RunOptions{Data: data, Repeat: 1000})
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
