package bpf

import (
	"errors"
	"strings"
	"testing"
)

type flowKey struct {
	Src, Dst uint32
	Port     uint16
	Proto    uint8
	_        uint8
}

type counters struct {
	Packets, Bytes uint64
}

func TestCheckPlainType(t *testing.T) {
	type withPtr struct {
		A uint32
		B *int
	}
	type nested struct {
		K [2]flowKey
		S [3]struct{ X []byte }
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"uint32", checkTypeSize[uint32]("key", 4), ""},
		{"struct", checkTypeSize[flowKey]("key", 12), ""},
		{"empty struct", checkTypeSize[struct{}]("key", 0), ""},
		{"lpm", checkTypeSize[LPMKeyIPv6]("key", 20), ""},
		{"size", checkTypeSize[uint64]("value", 4), "is 8 bytes, map wants 4"},
		{"pointer field", checkTypeSize[withPtr]("value", 16), "withPtr.B"},
		{"string", checkTypeSize[string]("key", 16), "holds pointers"},
		{"slice deep", checkTypeSize[nested]("value", 0), "nested.S"},
		{"interface", checkTypeSize[any]("value", 16), "holds pointers"},
		{"map", checkTypeSize[map[int]int]("value", 8), "holds pointers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				if tt.err != nil {
					t.Fatal(tt.err)
				}
				return
			}
			if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", tt.err, tt.want)
			}
		})
	}
}

func TestTypedMap(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "flows", Type: Hash, KeySize: 12, ValueSize: 16, MaxEntries: 64})
	if _, err := NewTypedMap[uint32, counters](m); err == nil || !strings.Contains(err.Error(), "key type uint32 is 4 bytes, map wants 12") {
		t.Fatalf("wrong key size: %v", err)
	}
	if _, err := NewTypedMap[flowKey, *counters](m); err == nil {
		t.Fatal("pointer value accepted")
	}
	if _, err := NewPerCPUTypedMap[flowKey, counters](m); err == nil {
		t.Fatal("per-CPU view of a hash accepted")
	}
	if _, err := NewTypedMap[flowKey, counters](nil); err == nil {
		t.Fatal("nil map accepted")
	}
	tm, err := NewTypedMap[flowKey, counters](m)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Map() != m {
		t.Fatal("Map()")
	}
	k := flowKey{Src: 1, Dst: 2, Port: 80, Proto: 6}
	if _, err := tm.Lookup(k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if err := tm.Update(k, counters{1, 100}, UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if err := tm.Update(k, counters{1, 100}, UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Fatalf("noexist: %v", err)
	}
	var c counters
	if err := tm.LookupInto(k, &c); err != nil || c != (counters{1, 100}) {
		t.Fatalf("lookup into: %v %v", c, err)
	}
	k2 := k
	k2.Port = 443
	if err := tm.Update(k2, counters{2, 200}, UpdateAny); err != nil {
		t.Fatal(err)
	}
	got := map[flowKey]counters{}
	it := tm.Iterate()
	for k, v := range it.All() {
		got[k] = v
	}
	if err := it.Err(); err != nil || len(got) != 2 || got[k2] != (counters{2, 200}) {
		t.Fatalf("walk: %v %v", got, err)
	}
	n := 0
	it = tm.Iterate()
	for range it.All() {
		n++
	}
	var ports []uint16
	it = tm.Iterate()
	for k := range it.Keys() {
		ports = append(ports, k.Port)
	}
	var total uint64
	for v := range it.Values() {
		total += v.Bytes
	}
	if n != 2 || len(ports) != 2 || total != 300 || it.Err() != nil {
		t.Fatalf("walks: %d %v %d %v", n, ports, total, it.Err())
	}
	if v, err := tm.LookupAndDelete(k); err != nil || v.Bytes != 100 {
		t.Fatalf("lookup and delete: %v %v", v, err)
	}
	if err := tm.Delete(k2); err != nil {
		t.Fatal(err)
	}
	if err := tm.Delete(k2); !errors.Is(err, ErrKeyNotExist) {
		t.Fatal(err)
	}
}

// TestZeroAllocs proves that the hot paths allocate nothing.
func TestZeroAllocs(t *testing.T) {
	h := fillHash(t, "allocs", 1024)
	tm, err := NewTypedMap[uint32, uint64](h)
	if err != nil {
		t.Fatal(err)
	}
	pa := mustNewMap(t, &MapSpec{Name: "allocs_pcpu", Type: PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	pv, err := NewPerCPUTypedMap[uint32, uint64](pa)
	if err != nil {
		t.Fatal(err)
	}
	pa4 := mustNewMap(t, &MapSpec{Name: "allocs_pcpu4", Type: PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	pv4, err := NewPerCPUTypedMap[uint32, uint32](pa4)
	if err != nil {
		t.Fatal(err)
	}
	key, val := u32(7), make([]byte, 8)
	dst := make([]uint64, pv.NumCPU())
	dst4 := make([]uint32, pv4.NumCPU())
	pbuf := make([]byte, pa.ValueBufferSize())
	for _, tt := range []struct {
		name string
		fn   func()
	}{
		{"Lookup", func() { h.Lookup(key, val) }},
		{"Lookup miss", func() { h.Lookup(u32x(5000), val) }},
		{"Update", func() { h.Update(key, val, UpdateAny) }},
		{"Delete+Update", func() { h.Delete(key); h.Update(key, val, UpdateAny) }},
		{"TypedMap.Lookup", func() { tm.Lookup(7) }},
		{"TypedMap.Update", func() { tm.Update(7, 14, UpdateAny) }},
		{"TypedMap.Delete+Update", func() { tm.Delete(7); tm.Update(7, 14, UpdateAny) }},
		{"PerCPU Lookup bytes", func() { pa.Lookup(key[:4], pbuf) }},
		{"PerCPUTypedMap.LookupInto", func() { pv.LookupInto(1, dst) }},
		{"PerCPUTypedMap.LookupInto padded", func() { pv4.LookupInto(1, dst4) }},
		{"Sum", func() { _ = Sum(dst) }},
	} {
		if n := testing.AllocsPerRun(200, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations per op, want 0", tt.name, n)
		}
	}
}

var u32buf [4]byte

// u32x returns a shared key buffer (no allocation in the measured closure).
func u32x(v uint32) []byte {
	hostEndian.PutUint32(u32buf[:], v)
	return u32buf[:]
}

func TestAggregates(t *testing.T) {
	ints := []int64{3, -1, 10, 4}
	if Sum(ints) != 16 || Min(ints) != -1 || Max(ints) != 10 || Avg(ints) != 4 {
		t.Fatalf("aggregates of %v: %d %d %d %v", ints, Sum(ints), Min(ints), Max(ints), Avg(ints))
	}
	var none []uint32
	if Sum(none) != 0 || Min(none) != 0 || Max(none) != 0 || Avg(none) != 0 {
		t.Fatal("aggregates of nothing")
	}
	floats := []float64{0.5, 1.5}
	if Sum(floats) != 2 || Avg(floats) != 1 {
		t.Fatal("floats")
	}
	big := []uint64{1 << 63, 1 << 63}
	if Avg(big) != float64(uint64(1<<63)) {
		t.Fatalf("Avg overflowed: %v", Avg(big))
	}
}

func TestParseCPUList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 1, true}, {"0-1", 2, true}, {"0-3,5,7-8", 7, true}, {"", 0, false},
		{"3-1", 0, false}, {"a", 0, false}, {"0-", 0, false}, {"0,,1", 0, false},
	} {
		got, err := parseCPUList(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseCPUList(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0", "0-1", "0-3,5,7-8", "", "3-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCPUList(s)
		if err == nil && n <= 0 {
			t.Fatalf("parseCPUList(%q) = %d without error", s, n)
		}
	})
}
