package btf

import "testing"

// reportCPU adds the process CPU time per operation as a metric: wall time
// suffers when other processes load the machine, CPU time much less.
func reportCPU(b *testing.B, start int64) {
	if end := processCPU(); end > 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkColdLookup measures the target (a): from opening
// /sys/kernel/btf/vmlinux, without any cache, to the byte offset of
// task_struct.pid.
func BenchmarkColdLookup(b *testing.B) {
	requireKernelBTF(b)
	b.ReportAllocs()
	start := processCPU()
	defer reportCPU(b, start)
	for b.Loop() {
		s, err := LoadKernelSpec()
		if err != nil {
			b.Fatal(err)
		}
		_, st, err := Find[*Struct](s, "task_struct")
		if err != nil {
			b.Fatal(err)
		}
		found := false
		for _, m := range st.Members {
			if m.Name == "pid" {
				found = m.BitOffset > 0
				break
			}
		}
		if !found {
			b.Fatal("task_struct.pid not found")
		}
	}
}

// BenchmarkDecodeAll measures the target (b): a full decode of every
// type of vmlinux into Go values (the parse is included).
func BenchmarkDecodeAll(b *testing.B) {
	requireKernelBTF(b)
	b.ReportAllocs()
	start := processCPU()
	defer reportCPU(b, start)
	for b.Loop() {
		s, err := LoadKernelSpec()
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, t := range s.All() {
			if t != nil {
				n++
			}
		}
		if TypeID(n) != s.LastID() {
			b.Fatalf("decoded %d types, want %d", n, s.LastID())
		}
	}
}

// BenchmarkWarmLookup measures a name lookup on a loaded Spec once its name
// index is built.
func BenchmarkWarmLookup(b *testing.B) {
	s := mustLoadKernel(b)
	for range indexAfter + 1 {
		s.TypeIDsByName("task_struct")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.TypeByName("sk_buff", KindStruct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalKernel measures re-encoding all of vmlinux.
func BenchmarkMarshalKernel(b *testing.B) {
	s := mustLoadKernel(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Marshal(nil); err != nil {
			b.Fatal(err)
		}
	}
}
