package bpf

import (
	"encoding/binary"
	"errors"
	"testing"
)

// fillHash creates a hash of n entries key i -> value 2*i.
func fillHash(t testing.TB, name string, n int) *Map {
	t.Helper()
	m := mustNewMap(t, &MapSpec{Name: name, Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: uint32(n)})
	keys := make([]byte, 4*n)
	vals := make([]byte, 8*n)
	for i := range n {
		binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
		binary.NativeEndian.PutUint64(vals[8*i:], uint64(2*i))
	}
	if got, err := m.BatchUpdate(keys, vals, UpdateAny); err != nil || got != n {
		t.Fatalf("batch update: %d %v", got, err)
	}
	return m
}

// walkAll returns the map's content, failing on any repeat.
func walkAll(t *testing.T, m *Map) map[uint32]uint64 {
	t.Helper()
	got := map[uint32]uint64{}
	it := m.Iterate()
	for k, v := range it.All() {
		key := binary.NativeEndian.Uint32(k)
		if _, dup := got[key]; dup {
			t.Fatalf("key %d yielded twice", key)
		}
		got[key] = binary.NativeEndian.Uint64(v)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMapIterateBatchAndFallback(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		name := "batch"
		if fallback {
			name = "fallback"
		}
		t.Run(name, func(t *testing.T) {
			const n = 10000
			m := fillHash(t, "walk", n)
			m.forceBatchFallback = fallback
			got := walkAll(t, m)
			if len(got) != n {
				t.Fatalf("walk saw %d entries, want %d", len(got), n)
			}
			for k, v := range got {
				if v != 2*uint64(k) {
					t.Fatalf("key %d: value %d", k, v)
				}
			}
			if c, err := m.Count(); err != nil || c != n {
				t.Fatalf("count %d %v", c, err)
			}
			// Keys and Values agree with All; an early break stops cleanly.
			it := m.Iterate()
			seen := 0
			for range it.Keys() {
				if seen++; seen == 10 {
					break
				}
			}
			if it.Err() != nil || seen != 10 {
				t.Fatalf("early break: %d %v", seen, it.Err())
			}
			var sum uint64
			it = m.Iterate()
			for v := range it.Values() {
				sum += binary.NativeEndian.Uint64(v)
			}
			if it.Err() != nil || sum != uint64(n)*(n-1) {
				t.Fatalf("values sum %d %v", sum, it.Err())
			}
		})
	}
}

func TestMapIterateDeleteInBody(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		m := fillHash(t, "del_walk", 1000)
		m.forceBatchFallback = fallback
		it := m.Iterate()
		steps := 0
		for k := range it.Keys() {
			steps++
			if err := m.Delete(k); err != nil && !errors.Is(err, ErrKeyNotExist) {
				t.Fatal(err)
			}
		}
		if err := it.Err(); err != nil && !errors.Is(err, ErrIterationAborted) {
			t.Fatal(err)
		}
		if steps > 2*1000+m.iterChunk() {
			t.Fatalf("fallback=%v: %d steps for 1000 keys", fallback, steps)
		}
		if n, _ := m.Count(); n != 0 {
			t.Errorf("fallback=%v: %d keys survive deleting every yielded key", fallback, n)
		}
	}
}

func TestMapIterateConcurrentChurnTerminates(t *testing.T) {
	m := fillHash(t, "churn", 256)
	m.forceBatchFallback = true
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v := make([]byte, 8)
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m.Delete(u32(i % 256))
			m.Update(u32(i%256), v, UpdateAny)
		}
	}()
	for range 20 {
		it := m.Iterate()
		n := 0
		for range it.All() {
			n++
		}
		if err := it.Err(); err != nil && !errors.Is(err, ErrIterationAborted) {
			t.Fatal(err)
		}
		if n > 2*256+m.iterChunk() {
			t.Fatalf("walk yielded %d entries of a 256-entry map", n)
		}
	}
	close(stop)
	<-done
}

func TestMapBatchOperations(t *testing.T) {
	for _, typ := range []MapType{Hash, PerCPUHash, Array, LRUHash} {
		for _, fallback := range []bool{false, true} {
			name := typ.String()
			if fallback {
				name += "/fallback"
			}
			t.Run(name, func(t *testing.T) {
				const n = 100
				m := mustNewMap(t, &MapSpec{Name: "batch", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: n})
				m.forceBatchFallback = fallback
				vs := m.ValueBufferSize()
				keys := make([]byte, 4*n)
				vals := make([]byte, vs*n)
				for i := range n {
					binary.NativeEndian.PutUint32(keys[4*i:], uint32(i))
					binary.NativeEndian.PutUint64(vals[vs*i:], uint64(i+1))
				}
				if got, err := m.BatchUpdate(keys, vals, UpdateAny); err != nil || got != n {
					t.Fatalf("batch update: %d %v", got, err)
				}
				// Walk in chunks of 7 entries.
				var c BatchCursor
				kbuf, vbuf := make([]byte, 4*7), make([]byte, vs*7)
				seen := map[uint32]bool{}
				for !c.Done() {
					got, err := m.BatchLookup(&c, kbuf, vbuf)
					if err != nil {
						t.Fatal(err)
					}
					for i := range got {
						k := binary.NativeEndian.Uint32(kbuf[4*i:])
						if v := binary.NativeEndian.Uint64(vbuf[vs*i:]); v != uint64(k+1) {
							t.Fatalf("key %d: value %d", k, v)
						}
						seen[k] = true
					}
				}
				if len(seen) != n {
					t.Fatalf("batch lookup saw %d keys", len(seen))
				}
				if c.fallback != fallback && typ != Array {
					t.Errorf("cursor fallback=%v, want %v", c.fallback, fallback)
				}
				if typ == Array {
					if _, err := m.BatchDelete(keys[:4*2]); err == nil {
						t.Fatal("batch delete from an array succeeded")
					}
					return
				}
				if got, err := m.BatchDelete(keys[:4*40]); err != nil || got != 40 {
					t.Fatalf("batch delete: %d %v", got, err)
				}
				if _, err := m.BatchDelete(keys[:4]); !errors.Is(err, ErrKeyNotExist) {
					t.Fatalf("batch delete of a missing key: %v", err)
				}
				c.Reset()
				total := 0
				for !c.Done() {
					got, err := m.BatchLookupAndDelete(&c, kbuf, vbuf)
					if err != nil {
						t.Fatal(err)
					}
					total += got
				}
				if total != n-40 {
					t.Fatalf("lookup-and-delete batch returned %d entries, want %d", total, n-40)
				}
				if cnt, _ := m.Count(); cnt != 0 {
					t.Fatalf("%d entries left", cnt)
				}
				if _, err := m.BatchUpdate(keys[:3], vals, UpdateAny); err == nil {
					t.Fatal("mismatched values buffer accepted")
				}
				if _, err := m.BatchLookup(&c, make([]byte, 5), vbuf); err == nil {
					t.Fatal("keys buffer of 5 bytes accepted")
				}
			})
		}
	}
}

func TestMapClearHash(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		m := fillHash(t, "clear", 3000)
		m.forceBatchFallback = fallback
		if err := m.Clear(); err != nil {
			t.Fatal(err)
		}
		if n, err := m.Count(); err != nil || n != 0 {
			t.Fatalf("fallback=%v: count after clear %d %v", fallback, n, err)
		}
	}
}

// TestMapBatchLookupAndDeleteFDArray: a lookup-and-delete walk over an fd
// array (empty slots, no kernel batch op) terminates.
func TestMapBatchLookupAndDeleteFDArray(t *testing.T) {
	outer := mustNewMap(t, &MapSpec{Name: "lad_outer", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4,
		InnerMap: &MapSpec{Name: "lad_inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}})
	inner := mustNewMap(t, &MapSpec{Name: "lad_inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	for _, fallback := range []bool{true, false} {
		if err := outer.UpdateInnerMap(u32(2), inner, UpdateAny); err != nil {
			t.Fatal(err)
		}
		outer.forceBatchFallback = fallback
		var c BatchCursor
		keys, vals := make([]byte, 4*8), make([]byte, 4*8)
		total := 0
		for i := 0; !c.Done(); i++ {
			if i > 10 {
				t.Fatal("walk does not end")
			}
			n, err := outer.BatchLookupAndDelete(&c, keys, vals)
			if err != nil {
				t.Fatalf("fallback=%v: %v", fallback, err)
			}
			total += n
		}
		if total != 1 || hostEndian.Uint32(keys) != 2 {
			t.Fatalf("fallback=%v: %d entries, first key %d; want 1 entry, key 2", fallback, total, hostEndian.Uint32(keys))
		}
		if _, err := outer.LookupInnerMapID(u32(2)); !errors.Is(err, ErrKeyNotExist) {
			t.Fatalf("slot 2 after lookup-and-delete: %v", err)
		}
	}
}
