package bpf_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/bpfgo/bpf"
)

// A hash map of connection counts, used through a typed view.
func ExampleNewMap() {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "conn_count", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4096})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	counts, err := bpf.NewTypedMap[uint32, uint64](m) // key: port, value: count
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := counts.Update(443, 1, bpf.UpdateNoExist); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := counts.Lookup(80); errors.Is(err, bpf.ErrKeyNotExist) {
		fmt.Println("no connections to port 80")
	}
}

// Walking a map: range over the iterator, then check its error.
func ExampleMapIterator() {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "walk", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	it := m.Iterate()
	for k, v := range it.All() {
		fmt.Printf("%x: %x\n", k, v) // k and v are valid only inside the loop body
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
}

// Reading a per-CPU counter into a reused slice, then aggregating it.
func ExamplePerCPUTypedMap_LookupInto() {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "pkts", Type: bpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	pkts, err := bpf.NewPerCPUTypedMap[uint32, uint64](m)
	if err != nil {
		fmt.Println(err)
		return
	}
	perCPU := make([]uint64, pkts.NumCPU()) // allocate once, reuse for every lookup
	if err := pkts.LookupInto(0, perCPU); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("packets:", bpf.Sum(perCPU))
}

// A map pinned by name is created on first use and reused afterwards, also
// by other processes, as long as it matches the spec.
func ExamplePinByName() {
	spec := &bpf.MapSpec{Name: "shared_cfg", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 16, Pinning: bpf.PinByName}
	m, err := bpf.NewMapWithOptions(spec, &bpf.MapOptions{PinPath: "/sys/fs/bpf"})
	if err != nil {
		fmt.Println(err) // errors.Is(err, bpf.ErrSpecMismatch) when an incompatible map is pinned there
		return
	}
	defer m.Close()
	fmt.Println("pinned at", m.PinPath())
}

// LPM trie keys come from netip prefixes.
func ExampleLPMKey() {
	fmt.Printf("% x\n", bpf.LPMKey(netip.MustParsePrefix("10.1.0.0/16")))
	k, _ := bpf.NewLPMKeyIPv4(netip.MustParsePrefix("192.168.7.9/24"))
	fmt.Println(k.PrefixLen, k.Addr, k.Prefix())
	p, _ := bpf.ParseLPMKey(bpf.LPMKey(netip.MustParsePrefix("2001:db8::/32")))
	fmt.Println(p)
	// Output:
	// 10 00 00 00 0a 01 00 00
	// 24 [192 168 7 0] 192.168.7.0/24
	// 2001:db8::/32
}

// Aggregating per-CPU values.
func ExampleSum() {
	perCPU := []uint64{10, 30, 20}
	fmt.Println(bpf.Sum(perCPU), bpf.Min(perCPU), bpf.Max(perCPU), bpf.Avg(perCPU))
	// Output: 60 10 30 20
}

// Map types print their Go name; KernelName gives bpftool's.
func ExampleMapType_String() {
	fmt.Println(bpf.LRUPerCPUHash, bpf.LRUPerCPUHash.KernelName())
	t, ok := bpf.ParseMapType("lpm_trie")
	fmt.Println(t, ok)
	// Output:
	// LRUPerCPUHash lru_percpu_hash
	// LPMTrie true
}
