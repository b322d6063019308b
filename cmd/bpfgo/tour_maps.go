package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/tour"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 20,
		Name:  "maps",
		Run:   tourMaps,
	})
}

// tourMaps creates maps of several types, operates on them from user space
// and prints what the kernel answers.
func tourMaps(ctx context.Context, w io.Writer) error {
	steps := []struct {
		title string
		run   func(io.Writer) error
	}{
		{"hash map with a typed view", tourHash},
		{"array and batch operations", tourArrayBatch},
		{"per-CPU array", tourPerCPU},
		{"LRU hash evicts", tourLRU},
		{"LPM trie routes", tourLPM},
		{"queue and stack", tourQueueStack},
		{"map of maps", tourMapOfMaps},
		{"memory-mapped array", tourMmap},
		{"ring buffer", tourRingBuf},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n-- %s\n", s.title)
		if err := s.run(w); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	return nil
}

func tourHash(w io.Writer) error {
	spec := &bpf.MapSpec{Name: "tour_conns", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024}
	m, err := bpf.NewMap(spec)
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(w, "created %v\n", spec)
	conns, err := bpf.NewTypedMap[uint32, uint64](m)
	if err != nil {
		return err
	}
	for port, n := range map[uint32]uint64{22: 3, 80: 120, 443: 977} {
		if err := conns.Update(port, n, bpf.UpdateAny); err != nil {
			return err
		}
	}
	n, err := conns.Lookup(443)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "lookup 443 -> %d\n", n)
	if err := conns.Update(443, 1, bpf.UpdateNoExist); errors.Is(err, bpf.ErrKeyExist) {
		fmt.Fprintf(w, "update 443 with UpdateNoExist -> %v\n", err)
	} else {
		return fmt.Errorf("update-noexist of a present key: %v", err)
	}
	if _, err := conns.Lookup(8080); errors.Is(err, bpf.ErrKeyNotExist) {
		fmt.Fprintf(w, "lookup 8080 -> %v\n", err)
	} else {
		return fmt.Errorf("lookup of a missing key: %v", err)
	}
	it := conns.Iterate()
	var total uint64
	for port, n := range it.All() {
		total += n
		_ = port
	}
	if err := it.Err(); err != nil {
		return err
	}
	count, err := m.Count()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "walked %d entries, %d connections in total\n", count, total)
	info, err := m.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "kernel says: id %d, type %s, key %dB, value %dB, max_entries %d, memlock %dB\n",
		info.ID, info.Type.KernelName(), info.KeySize, info.ValueSize, info.MaxEntries, info.Memlock)
	return nil
}

func tourArrayBatch(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_array", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 8})
	if err != nil {
		return err
	}
	defer m.Close()
	keys := make([]byte, 4*8)
	vals := make([]byte, 4*8)
	for i := range 8 {
		putU32(keys[4*i:], uint32(i))
		putU32(vals[4*i:], uint32(i*i))
	}
	n, err := m.BatchUpdate(keys, vals, bpf.UpdateAny)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "BatchUpdate stored %d squares in one syscall\n", n)
	var c bpf.BatchCursor
	out := make([]byte, 4*8)
	got, err := m.BatchLookup(&c, keys, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "BatchLookup read %d values:", got)
	for i := range got {
		fmt.Fprintf(w, " %d", getU32(out[4*i:]))
	}
	fmt.Fprintln(w)
	if err := m.Update(putU32(nil, 8), putU32(nil, 1), bpf.UpdateAny); err != nil {
		fmt.Fprintf(w, "update index 8 -> %v\n", err)
	}
	fmt.Fprintln(w, "dump:")
	return m.Dump(w)
}

func tourPerCPU(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_pcpu", Type: bpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		return err
	}
	defer m.Close()
	pc, err := bpf.NewPerCPUTypedMap[uint32, uint64](m)
	if err != nil {
		return err
	}
	vals := make([]uint64, pc.NumCPU())
	for cpu := range vals {
		vals[cpu] = uint64(100 * (cpu + 1))
	}
	if err := pc.Update(0, vals, bpf.UpdateAny); err != nil {
		return err
	}
	clear(vals)
	if err := pc.LookupInto(0, vals); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d possible CPUs, values %v: sum %d, min %d, max %d, avg %.1f\n",
		pc.NumCPU(), vals, bpf.Sum(vals), bpf.Min(vals), bpf.Max(vals), bpf.Avg(vals))
	return nil
}

func tourLRU(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_lru", Type: bpf.LRUHash, KeySize: 4, ValueSize: 4, MaxEntries: 64})
	if err != nil {
		return err
	}
	defer m.Close()
	lru, err := bpf.NewTypedMap[uint32, uint32](m)
	if err != nil {
		return err
	}
	for i := range uint32(1000) {
		if err := lru.Update(i, i, bpf.UpdateAny); err != nil {
			return err
		}
	}
	n, err := m.Count()
	if err != nil {
		return err
	}
	_, err0 := lru.Lookup(0)
	fmt.Fprintf(w, "inserted 1000 keys into a 64-entry LRU hash: %d remain; key 0 -> %v\n", n, err0)
	return nil
}

func tourLPM(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_routes", Type: bpf.LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 16})
	if err != nil {
		return err
	}
	defer m.Close()
	routes, err := bpf.NewTypedMap[bpf.LPMKeyIPv4, uint32](m)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		prefix string
		hop    uint32
	}{{"0.0.0.0/0", 1}, {"10.0.0.0/8", 2}, {"10.20.0.0/16", 3}} {
		k, err := bpf.NewLPMKeyIPv4(netip.MustParsePrefix(r.prefix))
		if err != nil {
			return err
		}
		if err := routes.Update(k, r.hop, bpf.UpdateAny); err != nil {
			return err
		}
		fmt.Fprintf(w, "route %-13s -> next hop %d\n", r.prefix, r.hop)
	}
	for _, a := range []string{"10.20.30.40", "10.1.1.1", "192.0.2.1"} {
		addr := netip.MustParseAddr(a)
		k, _ := bpf.NewLPMKeyIPv4(netip.PrefixFrom(addr, 32))
		hop, err := routes.Lookup(k)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "lookup %-12s -> next hop %d\n", a, hop)
	}
	return nil
}

func tourQueueStack(w io.Writer) error {
	for _, typ := range []bpf.MapType{bpf.Queue, bpf.Stack} {
		m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_" + typ.KernelName(), Type: typ, ValueSize: 4, MaxEntries: 4})
		if err != nil {
			return err
		}
		q, err := bpf.NewTypedMap[struct{}, uint32](m)
		if err != nil {
			m.Close()
			return err
		}
		for i := uint32(1); i <= 3; i++ {
			if err := q.Push(i, bpf.UpdateAny); err != nil {
				m.Close()
				return err
			}
		}
		fmt.Fprintf(w, "%-5v push 1 2 3, pop:", typ)
		for {
			v, err := q.Pop()
			if errors.Is(err, bpf.ErrKeyNotExist) {
				break
			}
			if err != nil {
				m.Close()
				return err
			}
			fmt.Fprintf(w, " %d", v)
		}
		fmt.Fprintln(w)
		m.Close()
	}
	return nil
}

func tourMapOfMaps(w io.Writer) error {
	innerSpec := &bpf.MapSpec{Name: "tour_inner", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}
	outer, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_outer", Type: bpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: innerSpec})
	if err != nil {
		return err
	}
	defer outer.Close()
	inner, err := bpf.NewMap(innerSpec)
	if err != nil {
		return err
	}
	if err := inner.Update(putU32(nil, 0), putU32(nil, 42), bpf.UpdateAny); err != nil {
		inner.Close()
		return err
	}
	err = outer.UpdateInnerMap(putU32(nil, 1), inner, bpf.UpdateAny)
	inner.Close() // the outer map keeps it alive
	if err != nil {
		return err
	}
	got, err := outer.LookupInnerMap(putU32(nil, 1))
	if err != nil {
		return err
	}
	defer got.Close()
	v := make([]byte, 4)
	if err := got.Lookup(putU32(nil, 0), v); err != nil {
		return err
	}
	fmt.Fprintf(w, "outer[1] is map %q; its element 0 is %d\n", got.Name(), getU32(v))
	return nil
}

func tourMmap(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_mmap", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: bpf.MapFlagMmapable})
	if err != nil {
		return err
	}
	defer m.Close()
	mem, err := m.Mmap()
	if err != nil {
		return err
	}
	defer mem.Close()
	b := mem.Bytes()
	b[2*8] = 0x2a // element 2, written by plain memory access
	v := make([]byte, 8)
	if err := m.Lookup(putU32(nil, 2), v); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote 0x2a through a %d-byte mapping; Lookup(2) sees % x\n", len(b), v)
	return nil
}

func tourRingBuf(w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_events", Type: bpf.RingBuf, MaxEntries: 4096})
	if err != nil {
		return err
	}
	defer m.Close()
	info, err := m.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ring buffer id %d of %d bytes (programs write, the ringbuf package reads)\n", info.ID, info.MaxEntries)
	return nil
}

// putU32 writes v in host byte order (the kernel's) into b, allocating b if nil.
func putU32(b []byte, v uint32) []byte {
	if b == nil {
		b = make([]byte, 4)
	}
	binary.NativeEndian.PutUint32(b, v)
	return b
}

func getU32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }
