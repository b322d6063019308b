package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/testutil"
)

// mustNewMap creates a map for t and closes it at the end of the test.
func mustNewMap(t testing.TB, spec *MapSpec) *Map {
	t.Helper()
	testutil.RequireRoot(t)
	m, err := NewMap(spec)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("NewMap(%v): %v", spec, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func hashSpec(name string, max uint32) *MapSpec {
	return &MapSpec{Name: name, Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: max}
}

func TestMapHashOperations(t *testing.T) {
	m := mustNewMap(t, hashSpec("ops", 16))
	if m.Name() != "ops" || m.Type() != Hash || m.KeySize() != 4 || m.ValueSize() != 8 || m.MaxEntries() != 16 {
		t.Fatalf("accessors: %v %v %d %d %d", m.Name(), m.Type(), m.KeySize(), m.ValueSize(), m.MaxEntries())
	}
	val := make([]byte, 8)

	err := m.Lookup(u32(1), val)
	if !errors.Is(err, ErrKeyNotExist) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("lookup missing key: got %v, want ErrKeyNotExist and ENOENT", err)
	}
	if err := m.Update(u32(1), u64(100), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Lookup(u32(1), val); err != nil || !bytes.Equal(val, u64(100)) {
		t.Fatalf("lookup: %v %x", err, val)
	}
	err = m.Update(u32(1), u64(5), UpdateNoExist)
	if !errors.Is(err, ErrKeyExist) || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("update-noexist on existing key: got %v, want ErrKeyExist", err)
	}
	err = m.Update(u32(2), u64(5), UpdateExist)
	if !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("update-exist on missing key: got %v, want ErrKeyNotExist", err)
	}
	if err := m.Update(u32(1), u64(200), UpdateExist); err != nil {
		t.Fatal(err)
	}
	if err := m.LookupAndDelete(u32(1), val); err != nil || !bytes.Equal(val, u64(200)) {
		t.Fatalf("lookup and delete: %v %x", err, val)
	}
	if err := m.Delete(u32(1)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("delete missing key: got %v, want ErrKeyNotExist", err)
	}
	if err := m.Update(u32(3), u64(3), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(u32(3)); err != nil {
		t.Fatal(err)
	}
	if got := err2str(m.Lookup(u32(9), val)); got != `map "ops": lookup: key does not exist (no such file or directory)` {
		t.Errorf("error text: %s", got)
	}
}

func err2str(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestMapWrongSizesFailBeforeSyscall(t *testing.T) {
	m := mustNewMap(t, hashSpec("sizes", 4))
	pm := mustNewMap(t, &MapSpec{Name: "sizes_pcpu", Type: PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	// Close the maps first: if a size check reached the kernel, the error
	// would be ErrClosed instead of the size message.
	m.Close()
	pm.Close()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"lookup short key", m.Lookup(make([]byte, 3), make([]byte, 8)), "key is 3 bytes, want 4"},
		{"lookup long value", m.Lookup(make([]byte, 4), make([]byte, 9)), "value is 9 bytes, want 8"},
		{"update short value", m.Update(make([]byte, 4), make([]byte, 7), UpdateAny), "value is 7 bytes, want 8"},
		{"update nil key", m.Update(nil, make([]byte, 8), UpdateAny), "key is 0 bytes, want 4"},
		{"delete long key", m.Delete(make([]byte, 5)), "key is 5 bytes, want 4"},
		{"lookup and delete", m.LookupAndDelete(make([]byte, 4), nil), "value is 0 bytes, want 8"},
		{"push", m.Push(make([]byte, 3), UpdateAny), "value is 3 bytes, want 8"},
		{"per-CPU value", pm.Lookup(make([]byte, 4), make([]byte, 4)), "per-CPU value buffer is 4 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || errors.Is(tt.err, ErrClosed) || !bytes.Contains([]byte(tt.err.Error()), []byte(tt.want)) {
				t.Fatalf("got %v, want an error containing %q", tt.err, tt.want)
			}
		})
	}
	// With the right sizes the closed map answers ErrClosed.
	if err := m.Lookup(make([]byte, 4), make([]byte, 8)); !errors.Is(err, ErrClosed) {
		t.Fatalf("lookup on closed map: %v", err)
	}
}

func TestMapCloseIdempotent(t *testing.T) {
	var nilMap *Map
	if err := nilMap.Close(); err != nil {
		t.Fatal(err)
	}
	if nilMap.FD() != -1 {
		t.Fatal("nil map FD")
	}
	m := mustNewMap(t, hashSpec("close", 1))
	if m.FD() < 3 {
		t.Fatalf("fd %d", m.FD())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if m.FD() != -1 {
		t.Fatalf("FD after close: %d", m.FD())
	}
}

func TestMapFull(t *testing.T) {
	for _, typ := range []MapType{Hash, PerCPUHash} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNewMap(t, &MapSpec{Name: "full", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 2})
			v := make([]byte, m.ValueBufferSize())
			for i := range uint32(2) {
				if err := m.Update(u32(i), v, UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			err := m.Update(u32(2), v, UpdateAny)
			if !errors.Is(err, ErrMapFull) || !errors.Is(err, unix.E2BIG) {
				t.Fatalf("update of a full map: got %v, want ErrMapFull", err)
			}
			// Overwriting an existing key still works.
			if err := m.Update(u32(1), v, UpdateAny); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("LPMTrie", func(t *testing.T) {
		m := mustNewMap(t, &MapSpec{Name: "full_lpm", Type: LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 1})
		if err := m.Update(LPMKey(mustPrefix("10.0.0.0/8")), u32(1), UpdateAny); err != nil {
			t.Fatal(err)
		}
		err := m.Update(LPMKey(mustPrefix("11.0.0.0/8")), u32(1), UpdateAny)
		if !errors.Is(err, ErrMapFull) {
			t.Fatalf("got %v, want ErrMapFull", err)
		}
	})
	t.Run("Array out of range", func(t *testing.T) {
		m := mustNewMap(t, &MapSpec{Name: "full_arr", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 2})
		err := m.Update(u32(2), u64(1), UpdateAny)
		if !errors.Is(err, ErrKeyNotExist) || !errors.Is(err, unix.E2BIG) {
			t.Fatalf("got %v, want ErrKeyNotExist (E2BIG)", err)
		}
	})
}

func TestMapLRUEviction(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "lru", Type: LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 128})
	const n = 2000
	for i := range uint32(n) {
		if err := m.Update(u32(i), u64(uint64(i)), UpdateAny); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	count, err := m.Count()
	if err != nil {
		t.Fatal(err)
	}
	if count == 0 || count > 128 {
		t.Fatalf("LRU holds %d entries after %d inserts, want 1..128", count, n)
	}
	// The oldest keys were evicted; the newest one is present.
	if err := m.Lookup(u32(0), make([]byte, 8)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("key 0 not evicted: %v", err)
	}
	if err := m.Lookup(u32(n-1), make([]byte, 8)); err != nil {
		t.Fatalf("newest key: %v", err)
	}
	t.Logf("LRU kept %d of %d entries", count, n)
}

func TestMapPerCPU(t *testing.T) {
	ncpu, err := PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []MapType{PerCPUHash, PerCPUArray, LRUPerCPUHash} {
		t.Run(typ.String(), func(t *testing.T) {
			// A 4-byte value exercises the padding to 8 bytes per CPU.
			m := mustNewMap(t, &MapSpec{Name: "pcpu", Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 4})
			if m.ValueBufferSize() != 8*ncpu {
				t.Fatalf("ValueBufferSize %d, want %d", m.ValueBufferSize(), 8*ncpu)
			}
			buf := make([]byte, m.ValueBufferSize())
			for cpu := range ncpu {
				binary.NativeEndian.PutUint32(m.PerCPUSlot(buf, cpu), uint32(10*(cpu+1)))
			}
			if err := m.Update(u32(1), buf, UpdateAny); err != nil {
				t.Fatal(err)
			}
			out := make([]byte, len(buf))
			if err := m.Lookup(u32(1), out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, buf) {
				t.Fatalf("per-CPU round trip: %x, want %x", out, buf)
			}
			view, err := NewPerCPUTypedMap[uint32, uint32](m)
			if err != nil {
				t.Fatal(err)
			}
			vals := make([]uint32, view.NumCPU())
			if err := view.LookupInto(1, vals); err != nil {
				t.Fatal(err)
			}
			var want uint32
			for cpu := range ncpu {
				want += uint32(10 * (cpu + 1))
			}
			if Sum(vals) != want || Min(vals) != 10 || Max(vals) != uint32(10*ncpu) {
				t.Fatalf("values %v: sum %d min %d max %d", vals, Sum(vals), Min(vals), Max(vals))
			}
			if err := view.Update(2, []uint32{7, 8, 9, 10, 11, 12, 13, 14}[:ncpu], UpdateAny); err != nil {
				t.Fatal(err)
			}
			got, err := view.Lookup(2)
			if err != nil || got[0] != 7 {
				t.Fatalf("typed per-CPU: %v %v", got, err)
			}
			if err := view.Update(2, make([]uint32, ncpu+1), UpdateAny); err == nil {
				t.Fatal("update with too many per-CPU values succeeded")
			}
			seen := 0
			it := view.Iterate()
			for k, v := range it.All() {
				if len(v) != ncpu {
					t.Fatalf("key %d: %d values", k, len(v))
				}
				seen++
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if typ == PerCPUArray && seen != 4 || typ != PerCPUArray && seen != 2 {
				t.Fatalf("walk saw %d entries", seen)
			}
		})
	}
}

func TestMapQueueStack(t *testing.T) {
	for _, tt := range []struct {
		typ  MapType
		want []uint32
	}{
		{Queue, []uint32{1, 2, 3}},
		{Stack, []uint32{3, 2, 1}},
	} {
		t.Run(tt.typ.String(), func(t *testing.T) {
			m := mustNewMap(t, &MapSpec{Name: "qs", Type: tt.typ, ValueSize: 4, MaxEntries: 3})
			v := make([]byte, 4)
			if err := m.Pop(v); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("pop from empty: %v", err)
			}
			for i := uint32(1); i <= 3; i++ {
				if err := m.Push(u32(i), UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Push(u32(4), UpdateAny); !errors.Is(err, ErrMapFull) {
				t.Fatalf("push into full: got %v, want ErrMapFull", err)
			}
			if err := m.Peek(v); err != nil || binary.NativeEndian.Uint32(v) != tt.want[0] {
				t.Fatalf("peek: %v %d", err, binary.NativeEndian.Uint32(v))
			}
			var got []uint32
			for {
				err := m.Pop(v)
				if errors.Is(err, ErrKeyNotExist) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, binary.NativeEndian.Uint32(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("pop order %v, want %v", got, tt.want)
			}
			// UpdateExist on a full map drops the oldest element.
			tm, err := NewTypedMap[struct{}, uint32](m)
			if err != nil {
				t.Fatal(err)
			}
			for i := uint32(1); i <= 4; i++ {
				if err := tm.Push(i, UpdateExist); err != nil {
					t.Fatal(err)
				}
			}
			first, err := tm.Pop()
			if err != nil {
				t.Fatal(err)
			}
			if tt.typ == Queue && first != 2 || tt.typ == Stack && first != 4 {
				t.Fatalf("after overwrite, pop gave %d", first)
			}
			if err := m.Clear(); err != nil {
				t.Fatal(err)
			}
			if _, err := tm.Peek(); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("peek after clear: %v", err)
			}
			if _, err := m.Count(); !errors.Is(err, ErrNotSupported) {
				t.Fatalf("count of a queue: %v", err)
			}
		})
	}
}

func TestMapBloomFilter(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "bloom", Type: BloomFilter, ValueSize: 4, MaxEntries: 100, MapExtra: 3})
	tm, err := NewTypedMap[struct{}, uint32](m)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint32{1, 2, 3} {
		if err := tm.Push(v, UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []uint32{1, 2, 3} {
		if ok, err := tm.Contains(v); err != nil || !ok {
			t.Fatalf("contains %d: %v %v", v, ok, err)
		}
	}
	if err := m.Peek(u32(12345)); !errors.Is(err, ErrKeyNotExist) {
		// A false positive is possible but unlikely with 3 hashes and 100 slots.
		t.Logf("peek of absent value: %v", err)
	}
}

func TestMapFreeze(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "frozen", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err := m.Update(u32(0), u32(42), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(u32(0), u32(1), UpdateAny); !errors.Is(err, unix.EPERM) {
		t.Fatalf("update after freeze: %v, want EPERM", err)
	}
	v := make([]byte, 4)
	if err := m.Lookup(u32(0), v); err != nil || binary.NativeEndian.Uint32(v) != 42 {
		t.Fatalf("lookup after freeze: %v %x", err, v)
	}
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !info.Frozen {
		t.Fatal("Info().Frozen is false after Freeze")
	}
}

func TestMapCloseRace(t *testing.T) {
	for range 20 {
		m := mustNewMap(t, hashSpec("race", 4))
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := make([]byte, 8)
				for i := range 200 {
					err := m.Update(u32(uint32(i%4)), v, UpdateAny)
					if err != nil && !errors.Is(err, ErrClosed) {
						errs <- err
						return
					}
					if errors.Is(err, ErrClosed) {
						return
					}
				}
			}()
		}
		m.Close()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("operation racing Close: %v", err)
		}
	}
}

func TestMapSpecValidation(t *testing.T) {
	testutil.RequireRoot(t)
	tests := []struct {
		name string
		spec *MapSpec
		want string
	}{
		{"nil", nil, "nil MapSpec"},
		{"long name", &MapSpec{Name: "abcdefghijklmnopq", Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1}, "longer than 15"},
		{"bad char", &MapSpec{Name: "a-b", Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1}, `contains '-'`},
		{"no type", &MapSpec{Name: "x", KeySize: 4, ValueSize: 4, MaxEntries: 1}, "no map type"},
		{"no inner", &MapSpec{Name: "x", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1}, "needs an InnerMap"},
		{"nested map of maps", &MapSpec{Name: "x", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			InnerMap: &MapSpec{Type: HashOfMaps}}, "cannot be a map of maps"},
		{"bad inner", &MapSpec{Name: "x", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			InnerMap: &MapSpec{Type: Array}}, "inner map"},
		{"bad BTF", &MapSpec{Name: "x", Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1, BTF: []byte{1, 2, 3}}, "load BTF"},
		{"kernel rejects", &MapSpec{Name: "x", Type: Hash, KeySize: 0, ValueSize: 4, MaxEntries: 1}, "invalid argument"},
		{"unknown type", &MapSpec{Name: "x", Type: MapType(999), KeySize: 4, ValueSize: 4, MaxEntries: 1}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMap(tt.spec)
			if err == nil {
				m.Close()
				t.Fatal("NewMap succeeded")
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestMapFromFDAndID(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "byid", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 7})
	if err := m.Update(u32(1), u64(11), UpdateAny); err != nil {
		t.Fatal(err)
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for got, err := range MapIDs() {
		if err != nil {
			t.Fatal(err)
		}
		if got == id {
			found = true
		}
	}
	if !found {
		t.Fatalf("MapIDs does not list %d", id)
	}
	byID, err := NewMapFromID(id)
	if err != nil {
		t.Fatal(err)
	}
	defer byID.Close()
	if byID.Name() != "byid" || byID.MaxEntries() != 7 || byID.Type() != Hash {
		t.Fatalf("from id: %v", byID)
	}
	v := make([]byte, 8)
	if err := byID.Lookup(u32(1), v); err != nil || !bytes.Equal(v, u64(11)) {
		t.Fatalf("lookup through id: %v", err)
	}
	dup, err := unix.FcntlInt(uintptr(m.FD()), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	byFD, err := NewMapFromFD(dup)
	if err != nil {
		t.Fatal(err)
	}
	if err := byFD.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(uintptr(dup), unix.F_GETFD, 0); err == nil {
		t.Fatal("NewMapFromFD did not take ownership: fd still open after Close")
	}
	if _, err := NewMapFromID(MapID(0xfffffff0)); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("missing id: %v", err)
	}
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if c.FD() == m.FD() {
		t.Fatal("clone shares the fd")
	}
	c.Close()
}

func TestMapInfo(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "info", Type: LRUHash, KeySize: 8, ValueSize: 16, MaxEntries: 32, Flags: MapFlagNoCommonLRU})
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	want := MapInfo{ID: info.ID, Name: "info", Type: LRUHash, KeySize: 8, ValueSize: 16, MaxEntries: 32,
		Flags: MapFlagNoCommonLRU, Memlock: info.Memlock}
	if *info != want {
		t.Fatalf("Info() = %+v, want %+v", *info, want)
	}
	if info.ID == 0 || info.Memlock == 0 {
		t.Fatalf("id %d memlock %d", info.ID, info.Memlock)
	}
}

func TestMapLeak10000(t *testing.T) {
	testutil.RequireRoot(t)
	if testing.Short() {
		t.Skip("creates 10,000 maps; skipped with -short")
	}
	// Fds an earlier test left for the garbage collector close now, not during the loop
	// (CheckFDs reports them); afterwards the process has exactly the fds it had before.
	testutil.RunCleanups()
	before := testutil.OpenFDs()
	if before == nil {
		t.Fatal("cannot read /proc/self/fd")
	}
	for i := range 10000 {
		m, err := NewMap(&MapSpec{Name: "leak", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			t.Fatalf("map %d: %v", i, err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if changes := testutil.FDChanges(before, testutil.OpenFDs()); changes != "" {
		t.Fatalf("open fds changed over creating and closing 10,000 maps: %s", changes)
	}
}

func TestMapString(t *testing.T) {
	m := mustNewMap(t, hashSpec("str", 1))
	if got := m.String(); got != fmt.Sprintf("Hash(str) fd %d", m.FD()) {
		t.Fatal(got)
	}
}

func TestNilMap(t *testing.T) {
	var m *Map
	for name, err := range map[string]error{
		"Lookup":          m.Lookup(nil, nil),
		"Update":          m.Update(nil, nil, UpdateAny),
		"Delete":          m.Delete(nil),
		"LookupAndDelete": m.LookupAndDelete(nil, nil),
		"Push":            m.Push(nil, UpdateAny),
		"Pop":             m.Pop(nil),
		"Peek":            m.Peek(nil),
		"Freeze":          m.Freeze(),
		"Close":           m.Close(),
	} {
		if name == "Close" {
			if err != nil {
				t.Errorf("Close: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a nil Map: %v", name, err)
		}
	}
	if _, err := m.Info(); !errors.Is(err, ErrClosed) {
		t.Errorf("Info: %v", err)
	}
	it := m.Iterate()
	for range it.All() {
	}
	if !errors.Is(it.Err(), ErrClosed) {
		t.Errorf("Iterate: %v", it.Err())
	}
}

func TestMapContentsAndFreeze(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "rodata", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 2,
		Contents: []MapEntry{{Key: u32(1), Value: u64(7)}}, Freeze: true})
	v := make([]byte, 8)
	if err := m.Lookup(u32(1), v); err != nil || !bytes.Equal(v, u64(7)) {
		t.Fatalf("contents: %v %x", err, v)
	}
	if err := m.Update(u32(0), v, UpdateAny); !errors.Is(err, unix.EPERM) {
		t.Fatalf("update of a frozen map: %v", err)
	}
	q := mustNewMap(t, &MapSpec{Name: "q_init", Type: Queue, ValueSize: 8, MaxEntries: 2,
		Contents: []MapEntry{{Value: u64(1)}, {Value: u64(2)}}})
	if err := q.Pop(v); err != nil || !bytes.Equal(v, u64(1)) {
		t.Fatalf("queue contents: %v %x", err, v)
	}
	testutil.RequireRoot(t)
	_, err := NewMap(&MapSpec{Name: "bad_init", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 2,
		Contents: []MapEntry{{Key: u32(1), Value: u32(1)}}})
	if err == nil || !strings.Contains(err.Error(), "contents[0]") {
		t.Fatalf("bad contents: %v", err)
	}
}
