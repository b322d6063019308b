//go:build linux

package ringbuf

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// bareDrain is the baseline: the least a consumer must do over the same
// mapped ring — load the producer position once, walk the headers, copy each
// sample (copyOut) or touch its first byte, publish the consumer position
// once. It returns the number of records and a checksum.
func bareDrain(r *Reader, buf []byte, copyOut bool) (int, uint64) {
	prod := atomic.LoadUint64(r.prodPos)
	cons := r.cons
	n, sum := 0, uint64(0)
	for cons < prod {
		off := cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, off)))
		if hdr&busyBit != 0 {
			break
		}
		l := hdr &^ discardBit
		cons += recordSpan(l)
		if hdr&discardBit != 0 {
			continue
		}
		s := unsafe.Slice((*byte)(unsafe.Add(r.data, off+hdrSize)), l)
		if copyOut {
			buf = append(buf[:0], s...)
			sum += uint64(buf[0])
		} else {
			sum += uint64(s[0])
		}
		n++
	}
	atomic.StoreUint64(r.consPos, cons)
	r.cons, r.prod, r.pub = cons, cons, cons
	return n, sum
}

// consumers are the ways of draining a filled ring that the benchmarks compare.
var consumers = []struct {
	name  string
	drain func(ctx context.Context, r *Reader, rec *Record, want int) (uint64, error)
}{
	{"bare-copy", func(_ context.Context, r *Reader, rec *Record, want int) (uint64, error) {
		n, sum := bareDrain(r, rec.Sample[:0], true)
		if n != want {
			return 0, fmt.Errorf("bare loop read %d, want %d", n, want)
		}
		return sum, nil
	}},
	{"bare-touch", func(_ context.Context, r *Reader, rec *Record, want int) (uint64, error) {
		n, sum := bareDrain(r, nil, false)
		if n != want {
			return 0, fmt.Errorf("bare loop read %d, want %d", n, want)
		}
		return sum, nil
	}},
	{"ReadInto", func(ctx context.Context, r *Reader, rec *Record, want int) (uint64, error) {
		sum := uint64(0)
		for range want {
			if err := r.ReadInto(ctx, rec); err != nil {
				return 0, err
			}
			sum += uint64(rec.Sample[0])
		}
		return sum, nil
	}},
	{"Read", func(ctx context.Context, r *Reader, _ *Record, want int) (uint64, error) {
		sum := uint64(0)
		for range want {
			rec, err := r.Read(ctx)
			if err != nil {
				return 0, err
			}
			sum += uint64(rec.Sample[0])
		}
		return sum, nil
	}},
	{"Drain", func(ctx context.Context, r *Reader, _ *Record, want int) (uint64, error) {
		sum := uint64(0)
		for got := 0; got < want; {
			n, err := r.Drain(ctx, func(s []byte) bool { sum += uint64(s[0]); return true })
			if err != nil {
				return 0, err
			}
			got += n
		}
		return sum, nil
	}},
}

// BenchmarkConsume measures draining 64-byte records from a ring the
// producer filled before the timer started; each iteration drains one full
// batch, and ns/record is the figure to compare with the bare loops.
//
//	go test -run '^$' -bench Consume -benchmem ./ringbuf
func BenchmarkConsume(b *testing.B) {
	for _, ring := range []struct {
		size    uint32
		records int
	}{{1 << 18, 3500}, {1 << 22, 56000}} {
		for _, c := range consumers {
			b.Run(fmt.Sprintf("ring=%dKiB/%s", ring.size>>10, c.name), func(b *testing.B) {
				r := newRig(b, ring.size, recordSize, emitOutput)
				rd := newReader(b, r.ring)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				rec := Record{Sample: make([]byte, 0, recordSize)}
				var elapsed time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					rd.publish() // as the next read would
					before := readCounter(b, r.seq)
					r.run(b, ring.records)
					want := int(readCounter(b, r.seq) - before)
					if d := readCounter(b, r.drops); d != 0 {
						b.Fatalf("%d records dropped while filling", d)
					}
					b.StartTimer()
					start := time.Now()
					if _, err := c.drain(ctx, rd, &rec, want); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					b.SetBytes(int64(want * recordSize))
				}
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*ring.records), "ns/record")
			})
		}
	}
}

// BenchmarkConsumePaired drains the same filled ring alternately with the
// bare loop and each read path in one run, and reports each path's time per
// record relative to the bare loop (the median of the per-round ratios).
//
//	go test -run '^$' -bench ConsumePaired -benchtime 200x ./ringbuf
func BenchmarkConsumePaired(b *testing.B) {
	const ringSize, records = 1 << 18, 3500
	r := newRig(b, ringSize, recordSize, emitOutput)
	rd := newReader(b, r.ring)
	ctx := context.Background()
	rec := Record{Sample: make([]byte, 0, recordSize)}
	ratios := map[string][]float64{}
	per := map[string]time.Duration{}
	b.ResetTimer()
	for b.Loop() {
		times := map[string]time.Duration{}
		for _, c := range consumers {
			b.StopTimer()
			rd.publish() // as the next read would
			before := readCounter(b, r.seq)
			r.run(b, records)
			want := int(readCounter(b, r.seq) - before)
			b.StartTimer()
			start := time.Now()
			if _, err := c.drain(ctx, rd, &rec, want); err != nil {
				b.Fatal(err)
			}
			times[c.name] = time.Since(start) / time.Duration(want)
			per[c.name] += time.Since(start)
		}
		for _, c := range consumers[2:] {
			ratios[c.name+"/bare-copy"] = append(ratios[c.name+"/bare-copy"], float64(times[c.name])/float64(times["bare-copy"]))
			ratios[c.name+"/bare-touch"] = append(ratios[c.name+"/bare-touch"], float64(times[c.name])/float64(times["bare-touch"]))
		}
	}
	for name, rs := range ratios {
		b.ReportMetric(median(rs), "x("+name+")")
	}
	for name, d := range per {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N*records), "ns/record("+name+")")
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
