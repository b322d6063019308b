//go:build linux

package bpf

import (
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// The benchmarks use a 10,000-entry hash with 4-byte keys and 8-byte values
// (issue 2's target). The floor is a bare bpf(2) syscall on a prebuilt attr.

const benchEntries = 10000

func benchHash(b *testing.B) *Map {
	b.Helper()
	return fillHash(b, "bench", benchEntries)
}

// rawElem issues cmd on a prebuilt attr: the floor.
func rawElem(cmd sys.Cmd, attr *sys.MapElemAttr) {
	unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
}

// paired alternates blocks of 64 floor operations and 64 of ours (in ABBA
// order, so neither side always runs first), timing each block, so drift in
// the noisy VM hits both alike. One benchmark iteration is one pair of
// blocks. It reports the per-operation times and two ratios ours/floor: of
// the totals, and the median of the per-pair ratios, which shrugs off pairs
// hit by an interrupt or a neighbour's burst.
func paired(b *testing.B, floor, ours func()) {
	const block = 64
	var floorNs, oursNs time.Duration
	ratios := make([]float64, 0, 1<<16)
	run := func(f func()) time.Duration {
		t0 := time.Now()
		for range block {
			f()
		}
		return time.Since(t0)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var fd, od time.Duration
		if i%2 == 0 {
			fd = run(floor)
			od = run(ours)
		} else {
			od = run(ours)
			fd = run(floor)
		}
		i++
		floorNs += fd
		oursNs += od
		if len(ratios) < cap(ratios) {
			ratios = append(ratios, float64(od)/float64(fd))
		}
	}
	ops := float64(b.N) * block
	b.ReportMetric(float64(floorNs)/ops, "floor-ns/op")
	b.ReportMetric(float64(oursNs)/ops, "ours-ns/op")
	b.ReportMetric(float64(oursNs)/float64(floorNs), "ratio-total")
	b.ReportMetric(median(ratios), "ratio-median")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func BenchmarkPaired(b *testing.B) {
	m := benchHash(b)
	tm, err := NewTypedMap[uint32, uint64](m)
	if err != nil {
		b.Fatal(err)
	}
	key, val := u32(4242), make([]byte, 8)
	var k32 uint32 = 4242
	var v64 uint64
	fd := uint32(m.FD())
	attr := sys.MapElemAttr{MapFD: fd, Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(val)}
	// BPF_MAP_DELETE_ELEM wants every field after key zero (else EINVAL).
	delAttr := sys.MapElemAttr{MapFD: fd, Key: sys.NewSlicePointer(key)}

	b.Run("Lookup", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &attr) }, func() { m.Lookup(key, val) })
	})
	b.Run("TypedLookup", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &attr) }, func() { v64, _ = tm.Lookup(k32) })
	})
	b.Run("Update", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_UPDATE_ELEM, &attr) }, func() { m.Update(key, val, UpdateAny) })
	})
	b.Run("TypedUpdate", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_UPDATE_ELEM, &attr) }, func() { tm.Update(k32, v64, UpdateAny) })
	})
	// Delete needs a present key: each op deletes and re-inserts it.
	b.Run("DeleteUpdate", func(b *testing.B) {
		paired(b, func() {
			rawElem(sys.BPF_MAP_DELETE_ELEM, &delAttr)
			rawElem(sys.BPF_MAP_UPDATE_ELEM, &attr)
		}, func() {
			m.Delete(key)
			m.Update(key, val, UpdateAny)
		})
	})
	b.Run("TypedDeleteUpdate", func(b *testing.B) {
		paired(b, func() {
			rawElem(sys.BPF_MAP_DELETE_ELEM, &delAttr)
			rawElem(sys.BPF_MAP_UPDATE_ELEM, &attr)
		}, func() {
			tm.Delete(k32)
			tm.Update(k32, v64, UpdateAny)
		})
	})

	pa := mustNewMap(b, &MapSpec{Name: "bench_pcpu", Type: PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	pv, err := NewPerCPUTypedMap[uint32, uint64](pa)
	if err != nil {
		b.Fatal(err)
	}
	pbuf := make([]byte, pa.ValueBufferSize())
	pkey := u32(3)
	pattr := sys.MapElemAttr{MapFD: uint32(pa.FD()), Key: sys.NewSlicePointer(pkey), Value: sys.NewSlicePointer(pbuf)}
	dst := make([]uint64, pv.NumCPU())
	b.Run("PerCPULookupInto", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &pattr) }, func() { pv.LookupInto(3, dst) })
	})
	b.Run("PerCPULookupBytes", func(b *testing.B) {
		paired(b, func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &pattr) }, func() { pa.Lookup(pkey, pbuf) })
	})
}

// Plain benchmarks, for -benchmem.

func BenchmarkLookup(b *testing.B) {
	m := benchHash(b)
	key, val := u32(4242), make([]byte, 8)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Lookup(key, val); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupRawSyscall(b *testing.B) {
	m := benchHash(b)
	key, val := u32(4242), make([]byte, 8)
	attr := sys.MapElemAttr{MapFD: uint32(m.FD()), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(val)}
	b.ReportAllocs()
	for b.Loop() {
		rawElem(sys.BPF_MAP_LOOKUP_ELEM, &attr)
	}
}

func BenchmarkTypedLookup(b *testing.B) {
	tm, _ := NewTypedMap[uint32, uint64](benchHash(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Lookup(4242); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	m := benchHash(b)
	key, val := u32(4242), make([]byte, 8)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Update(key, val, UpdateAny); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypedUpdate(b *testing.B) {
	tm, _ := NewTypedMap[uint32, uint64](benchHash(b))
	b.ReportAllocs()
	for b.Loop() {
		if err := tm.Update(4242, 1, UpdateAny); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeleteUpdate(b *testing.B) {
	m := benchHash(b)
	key, val := u32(4242), make([]byte, 8)
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Delete(key); err != nil {
			b.Fatal(err)
		}
		if err := m.Update(key, val, UpdateAny); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypedDeleteUpdate(b *testing.B) {
	tm, _ := NewTypedMap[uint32, uint64](benchHash(b))
	b.ReportAllocs()
	for b.Loop() {
		if err := tm.Delete(4242); err != nil {
			b.Fatal(err)
		}
		if err := tm.Update(4242, 1, UpdateAny); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPerCPULookupInto(b *testing.B) {
	pa := mustNewMap(b, &MapSpec{Name: "bench_pcpu", Type: PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	pv, _ := NewPerCPUTypedMap[uint32, uint64](pa)
	dst := make([]uint64, pv.NumCPU())
	b.ReportAllocs()
	for b.Loop() {
		if err := pv.LookupInto(3, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAll compares reading all 10,000 entries with batch lookups,
// with 10,000 single lookups of known keys, and with a get-next-key walk;
// "speedup" is single (or next-key) time over batch time.
func BenchmarkReadAll(b *testing.B) {
	m := benchHash(b)
	keys := make([]byte, 4*benchEntries)
	vals := make([]byte, 8*benchEntries)
	for i := range benchEntries {
		hostEndian.PutUint32(keys[4*i:], uint32(i))
	}
	// The batch walk writes into its own buffers, so the key list of the
	// single lookups never needs restoring inside the timed part.
	bkeys := make([]byte, 4*benchEntries)
	bvals := make([]byte, 8*benchEntries)
	batch := func() {
		var c BatchCursor
		off := 0
		for !c.Done() {
			n, err := m.BatchLookup(&c, bkeys[4*off:], bvals[8*off:])
			if err != nil {
				b.Fatal(err)
			}
			off += n
		}
		if off != benchEntries {
			b.Fatalf("batch read %d entries", off)
		}
	}
	single := func() {
		for i := range benchEntries {
			if err := m.Lookup(keys[4*i:4*i+4], vals[8*i:8*i+8]); err != nil {
				b.Fatal(err)
			}
		}
	}
	walk := func(fallback bool) func() {
		return func() {
			m.forceBatchFallback = fallback
			defer func() { m.forceBatchFallback = false }()
			it := m.Iterate()
			n := 0
			for range it.All() {
				n++
			}
			if it.Err() != nil || n != benchEntries {
				b.Fatalf("walk: %d %v", n, it.Err())
			}
		}
	}
	compare := func(b *testing.B, fast, slow func()) {
		var fastNs, slowNs time.Duration
		ratios := make([]float64, 0, 1<<12)
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			fast()
			t1 := time.Now()
			slow()
			sd, fd := time.Since(t1), t1.Sub(t0)
			slowNs += sd
			fastNs += fd
			if len(ratios) < cap(ratios) {
				ratios = append(ratios, float64(sd)/float64(fd))
			}
		}
		b.ReportMetric(float64(fastNs)/float64(b.N), "fast-ns/walk")
		b.ReportMetric(float64(slowNs)/float64(b.N), "slow-ns/walk")
		b.ReportMetric(float64(slowNs)/float64(fastNs), "speedup-total")
		b.ReportMetric(median(ratios), "speedup-median")
	}
	b.Run("BatchVsSingleLookups", func(b *testing.B) { compare(b, batch, single) })
	b.Run("IterateBatchVsNextKey", func(b *testing.B) { compare(b, walk(false), walk(true)) })
}
