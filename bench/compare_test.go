//go:build linux

package bench

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	casm "github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const entries = 10000

// maps is one 10,000-entry hash (4-byte keys, 8-byte values) and one per-CPU array, each
// opened by both libraries: bpfgo creates them, cilium/ebpf opens the same objects by fd.
type maps struct {
	hash, pcpu   *bpf.Map
	chash, cpcpu *ebpf.Map
}

func newMaps(b *testing.B) *maps {
	b.Helper()
	testutil.RequireRoot(b)
	hash, err := bpf.NewMap(&bpf.MapSpec{Name: "bench_hash", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: entries})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { hash.Close() })
	keys, vals := make([]byte, 4*entries), make([]byte, 8*entries)
	for i := range entries {
		binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
		binary.NativeEndian.PutUint64(vals[8*i:], uint64(i))
	}
	if n, err := hash.BatchUpdate(keys, vals, bpf.UpdateAny); err != nil || n != entries {
		b.Fatalf("fill: %d %v", n, err)
	}
	pcpu, err := bpf.NewMap(&bpf.MapSpec{Name: "bench_pcpu", Type: bpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pcpu.Close() })
	m := &maps{hash: hash, pcpu: pcpu}
	for _, p := range []struct {
		src *bpf.Map
		dst **ebpf.Map
	}{{hash, &m.chash}, {pcpu, &m.cpcpu}} {
		dup, err := unix.FcntlInt(uintptr(p.src.FD()), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			b.Fatal(err)
		}
		cm, err := ebpf.NewMapFromFD(dup)
		if err != nil {
			unix.Close(dup)
			b.Fatal(err)
		}
		b.Cleanup(func() { cm.Close() })
		*p.dst = cm
	}
	return m
}

// rawElem issues cmd on a prebuilt attr: the floor.
func rawElem(cmd sys.Cmd, attr *sys.MapElemAttr) {
	unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
}

// paired3 alternates blocks of 64 floor, bpfgo and cilium/ebpf operations, rotating which runs
// first, and reports each library's median per-round ratio to the floor, and per-op times.
func paired3(b *testing.B, floor, ours, theirs func()) {
	const block = 64
	fns := [3]func(){floor, ours, theirs}
	var total [3]time.Duration
	ratios := [2][]float64{make([]float64, 0, 1<<14), make([]float64, 0, 1<<14)}
	round := 0
	for b.Loop() {
		var d [3]time.Duration
		for j := range 3 {
			k := (round + j) % 3
			t0 := time.Now()
			for range block {
				fns[k]()
			}
			d[k] = time.Since(t0)
		}
		round++
		for k := range 3 {
			total[k] += d[k]
		}
		if len(ratios[0]) < cap(ratios[0]) {
			ratios[0] = append(ratios[0], float64(d[1])/float64(d[0]))
			ratios[1] = append(ratios[1], float64(d[2])/float64(d[0]))
		}
	}
	ops := float64(b.N) * block
	b.ReportMetric(testing.AllocsPerRun(100, ours), "bpfgo-allocs/op")
	b.ReportMetric(testing.AllocsPerRun(100, theirs), "cilium-allocs/op")
	b.ReportMetric(float64(total[0])/ops, "floor-ns/op")
	b.ReportMetric(float64(total[1])/ops, "bpfgo-ns/op")
	b.ReportMetric(float64(total[2])/ops, "cilium-ns/op")
	b.ReportMetric(median(ratios[0]), "bpfgo-ratio")
	b.ReportMetric(median(ratios[1]), "cilium-ratio")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkMapPaired: lookups and updates of one key of the hash, with byte slices and with
// typed keys and values, and a per-CPU array lookup into caller-owned values.
func BenchmarkMapPaired(b *testing.B) {
	m := newMaps(b)
	tm, err := bpf.NewTypedMap[uint32, uint64](m.hash)
	if err != nil {
		b.Fatal(err)
	}
	key, val := make([]byte, 4), make([]byte, 8)
	binary.NativeEndian.PutUint32(key, 4242)
	var k32 uint32 = 4242
	var v64 uint64
	attr := sys.MapElemAttr{MapFD: uint32(m.hash.FD()), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(val)}
	lookup := func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &attr) }
	update := func() { rawElem(sys.BPF_MAP_UPDATE_ELEM, &attr) }

	b.Run("Lookup", func(b *testing.B) {
		paired3(b, lookup, func() { m.hash.Lookup(key, val) }, func() { m.chash.Lookup(key, val) })
	})
	b.Run("TypedLookup", func(b *testing.B) {
		paired3(b, lookup, func() { v64, _ = tm.Lookup(k32) }, func() { m.chash.Lookup(&k32, &v64) })
	})
	b.Run("Update", func(b *testing.B) {
		paired3(b, update, func() { m.hash.Update(key, val, bpf.UpdateAny) }, func() { m.chash.Update(key, val, ebpf.UpdateAny) })
	})
	b.Run("TypedUpdate", func(b *testing.B) {
		paired3(b, update, func() { tm.Update(k32, v64, bpf.UpdateAny) }, func() { m.chash.Update(&k32, &v64, ebpf.UpdateAny) })
	})

	pv, err := bpf.NewPerCPUTypedMap[uint32, uint64](m.pcpu)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]uint64, pv.NumCPU())
	var pkey uint32 = 3
	pval := make([]byte, 8*pv.NumCPU())
	pattr := sys.MapElemAttr{MapFD: uint32(m.pcpu.FD()), Key: sys.NewPointer(unsafe.Pointer(&pkey)), Value: sys.NewSlicePointer(pval)}
	var cdst []uint64
	b.Run("PerCPULookup", func(b *testing.B) {
		paired3(b, func() { rawElem(sys.BPF_MAP_LOOKUP_ELEM, &pattr) },
			func() { pv.LookupInto(pkey, dst) },
			func() { m.cpcpu.Lookup(&pkey, &cdst) })
	})
}

// BenchmarkReadAll reads all 10,000 entries of the hash: with batch lookups into caller
// buffers (one call), and with each library's iterator.
func BenchmarkReadAll(b *testing.B) {
	m := newMaps(b)
	keys, vals := make([]byte, 4*entries), make([]byte, 8*entries)
	b.Run("Batch/bpfgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c bpf.BatchCursor
			if n, err := m.hash.BatchLookup(&c, keys, vals); err != nil || n != entries {
				b.Fatalf("%d %v", n, err)
			}
		}
	})
	b.Run("Batch/cilium", func(b *testing.B) {
		// cilium/ebpf wants slices of keys and values of equal length.
		keys, vals := make([]uint32, entries), make([]uint64, entries)
		b.ReportAllocs()
		for b.Loop() {
			var c ebpf.MapBatchCursor
			if n, err := m.chash.BatchLookup(&c, keys, vals, nil); n != entries {
				b.Fatalf("%d %v", n, err)
			}
		}
	})
	b.Run("Iterate/bpfgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			it := m.hash.Iterate()
			n := 0
			for range it.All() {
				n++
			}
			if n != entries || it.Err() != nil {
				b.Fatalf("%d %v", n, it.Err())
			}
		}
	})
	b.Run("Iterate/cilium", func(b *testing.B) {
		b.ReportAllocs()
		var k uint32
		var v uint64
		for b.Loop() {
			it := m.chash.Iterate()
			n := 0
			for it.Next(&k, &v) {
				n++
			}
			if n != entries || it.Err() != nil {
				b.Fatalf("%d %v", n, it.Err())
			}
		}
	})
}

// program is a socket filter of n instructions: a chain of register moves and adds ending in
// exit, the same for both libraries.
const progLen = 1000

func bpfgoInsns() asm.Instructions {
	insns := make(asm.Instructions, 0, progLen)
	insns = append(insns, asm.MovImm(asm.R0, 0))
	for len(insns) < progLen-1 {
		insns = append(insns, asm.AddImm(asm.R0, 1))
	}
	return append(insns, asm.Exit())
}

func ciliumInsns() casm.Instructions {
	insns := make(casm.Instructions, 0, progLen)
	insns = append(insns, casm.Mov.Imm(casm.R0, 0))
	for len(insns) < progLen-1 {
		insns = append(insns, casm.Add.Imm(casm.R0, 1))
	}
	return append(insns, casm.Return())
}

// BenchmarkAssemble builds and encodes a 1,000-instruction program.
func BenchmarkAssemble(b *testing.B) {
	b.Run("bpfgo", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, progLen*asm.InstructionSize)
		for b.Loop() {
			out, err := bpfgoInsns().AppendEncode(buf[:0], nil)
			if err != nil || len(out) != progLen*asm.InstructionSize {
				b.Fatal(len(out), err)
			}
		}
	})
	b.Run("cilium", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		buf.Grow(progLen * asm.InstructionSize)
		for b.Loop() {
			buf.Reset()
			if err := ciliumInsns().Marshal(&buf, binary.LittleEndian); err != nil || buf.Len() != progLen*asm.InstructionSize {
				b.Fatal(buf.Len(), err)
			}
		}
	})
}

// BenchmarkLoad loads the 1,000-instruction socket filter and closes it (verifier included),
// then test-runs a loaded one (the result is checked: 999 adds).
func BenchmarkLoad(b *testing.B) {
	testutil.RequireRoot(b)
	b.Run("bpfgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.SocketFilter, License: "GPL", Instructions: bpfgoInsns()})
			if err != nil {
				b.Fatal(err)
			}
			p.Close()
		}
	})
	b.Run("cilium", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SocketFilter, License: "GPL", Instructions: ciliumInsns()})
			if err != nil {
				b.Fatal(err)
			}
			p.Close()
		}
	})
	frame, out := make([]byte, 64), make([]byte, 64)
	b.Run("Run/bpfgo", func(b *testing.B) {
		p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.SocketFilter, License: "GPL", Instructions: bpfgoInsns()})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			res, err := p.Run(&bpf.RunOptions{Data: frame, DataOut: out})
			if err != nil || res.ReturnValue != progLen-2 {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("Run/cilium", func(b *testing.B) {
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SocketFilter, License: "GPL", Instructions: ciliumInsns()})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			ret, err := p.Run(&ebpf.RunOptions{Data: frame})
			if err != nil || ret != progLen-2 {
				b.Fatal(ret, err)
			}
		}
	})
}
