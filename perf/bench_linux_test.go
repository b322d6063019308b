//go:build linux

package perf

import (
	"context"
	"testing"
	"time"
)

// BenchmarkConsume measures draining 64-byte samples from a perf ring the
// producer filled before the timer started (the producer is not timed);
// ns/record is the figure (the anchor: 142 ns per record).
//
//	go test -run '^$' -bench Consume -benchmem -benchtime 100x ./perf
func BenchmarkConsume(b *testing.B) {
	const records = 20_000 // 80 bytes each in a 2 MiB ring
	for _, mode := range []string{"ReadInto", "Read", "Drain"} {
		b.Run(mode, func(b *testing.B) {
			r := newRig(b, recordSize)
			rd := newReader(b, r.events, &ReaderOptions{PerCPUBuffer: 2 << 20})
			ctx := context.Background()
			rec := Record{RawSample: make([]byte, 0, recordSize+8)}
			var elapsed time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				before := readCounter(b, r.seq)
				r.run(b, records)
				want := int(readCounter(b, r.seq) - before)
				if f := readCounter(b, r.fails); f != 0 {
					b.Fatalf("%d samples lost while filling", f)
				}
				b.StartTimer()
				start := time.Now()
				sum := 0
				switch mode {
				case "ReadInto":
					for range want {
						if err := rd.ReadInto(ctx, &rec); err != nil {
							b.Fatal(err)
						}
						sum += int(rec.RawSample[0])
					}
				case "Read":
					for range want {
						rec, err := rd.Read(ctx)
						if err != nil {
							b.Fatal(err)
						}
						sum += int(rec.RawSample[0])
					}
				case "Drain":
					for got := 0; got < want; {
						n, err := rd.Drain(ctx, func(_ int, s []byte, _ uint64) bool { sum += int(s[0]); return true })
						if err != nil {
							b.Fatal(err)
						}
						got += n
					}
				}
				elapsed += time.Since(start)
				b.SetBytes(int64(want * recordSize))
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*records), "ns/record")
		})
	}
}
