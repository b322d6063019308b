package ratelimit_test

import (
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/ratelimit"
)

// BenchmarkCheckBuild measures generating the limiter in Go.
func BenchmarkCheckBuild(b *testing.B) {
	st := emit.NewStack()
	k := st.MustAlloc("key", 4)
	s := st.MustAlloc("scratch", ratelimit.ScratchSize)
	b.ReportAllocs()
	for b.Loop() {
		_ = ratelimit.Check(mapop.Name("buckets"), k, s, 100, 200, "pass", "drop")
	}
}

// BenchmarkCheckKernel measures the whole limiter program per packet in the kernel, for a
// source that stays within its rate (a huge rate: every packet passes).
func BenchmarkCheckKernel(b *testing.B) {
	buckets, err := bpf.NewMap(&bpf.MapSpec{Name: "buckets", Type: bpf.LRUHash, KeySize: 4, ValueSize: ratelimit.BucketSize, MaxEntries: 64})
	if err != nil {
		b.Skip(err)
	}
	defer buckets.Close()
	insns := program(func(k, s emit.Slot) asm.Instructions {
		return ratelimit.Check(buckets, k, s, ratelimit.MaxRate, ratelimit.MaxBurst, "pass", "drop")
	})
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		b.Fatalf("%+v", err)
	}
	defer p.Close()
	data := frame(srcA)
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
}
