package btf

import "testing"

// BenchmarkFormatCTaskStruct prints task_struct as `bpfgo btf show` does,
// alone and with the definitions of everything it refers to.
func BenchmarkFormatCTaskStruct(b *testing.B) {
	s := mustLoadKernel(b)
	id, _, err := Find[*Struct](s, "task_struct")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts *FormatOptions
	}{
		{"alone", nil},
		{"deps", &FormatOptions{Dependencies: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, err := s.FormatC(id, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "output-bytes")
		})
	}
}
