package bpf

import (
	"errors"
	"fmt"
	"iter"
)

// MapIterator walks a map's entries; get one from [Map.Iterate]. It is a
// cursor with a sticky error, in the style of bufio.Scanner: range over
// All, Keys or Values, then check Err.
//
//	it := m.Iterate()
//	for k, v := range it.All() {
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// The key and value slices are valid only inside the loop body: the next
// step overwrites them. Copy what you keep.
//
// The walk uses BPF_MAP_LOOKUP_BATCH where the kernel has it for the map
// type (hashes and arrays; Linux 5.6), a few hundred entries per syscall,
// and BPF_MAP_GET_NEXT_KEY plus single lookups elsewhere.
//
// Concurrent modification (by programs or other goroutines, or deletes in
// the loop body) never makes the walk loop forever, but it may miss entries
// added or moved meanwhile and, for hash maps walked by next-key, repeat
// entries when the last returned key vanished (the kernel then restarts from
// the first key). A walk stops with [ErrIterationAborted] when it sees more
// than twice MaxEntries entries or when keys keep vanishing under it.
type MapIterator struct {
	m   *Map
	err error
}

// Iterate returns a new walk over m's entries. Keyless maps (Queue, Stack,
// BloomFilter, RingBuf) cannot be walked: Err then matches [ErrNotSupported].
func (m *Map) Iterate() *MapIterator { return &MapIterator{m: m} }

// Err returns the first error of the walk, or nil after a complete walk.
func (it *MapIterator) Err() error { return it.err }

// All yields every key and value. Values of per-CPU maps hold one slot per
// possible CPU (see [Map.PerCPUSlot]).
func (it *MapIterator) All() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) { it.walk(yield) }
}

// Keys yields every key.
func (it *MapIterator) Keys() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		it.walk(func(k, _ []byte) bool { return yield(k) })
	}
}

// Values yields every value.
func (it *MapIterator) Values() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		it.walk(func(_, v []byte) bool { return yield(v) })
	}
}

// iterChunk is the number of entries fetched per batch call: large enough
// to amortise the syscall, small enough to keep buffers under 64 KiB.
func (m *Map) iterChunk() int {
	per := int(m.keySize) + int(m.valueBuf)
	n := (64 << 10) / max(per, 1)
	n = min(max(n, 16), 4096)
	if m.maxEntries > 0 {
		n = min(n, int(m.maxEntries))
	}
	return max(n, 1)
}

func (it *MapIterator) walk(yield func(k, v []byte) bool) {
	if it.err != nil {
		return
	}
	m := it.m
	if m == nil {
		it.err = ErrClosed
		return
	}
	if !m.typ.hasKeys() || m.keySize == 0 {
		it.err = m.opError("iterate", fmt.Errorf("%v maps have no keys: %w", m.typ, ErrNotSupported))
		return
	}
	chunk := m.iterChunk()
	ks, vs := int(m.keySize), int(m.valueBuf)
	keys := make([]byte, chunk*ks)
	values := make([]byte, chunk*vs)
	limit := 2*int(m.maxEntries) + chunk
	seen := 0
	var c BatchCursor
	for !c.Done() {
		n, err := m.BatchLookup(&c, keys, values)
		if err != nil && errors.Is(err, errBucketTooBig) && chunk < 1<<16 {
			// A hash bucket holds more entries than one chunk: grow.
			chunk *= 4
			keys = make([]byte, chunk*ks)
			values = make([]byte, chunk*vs)
			continue
		}
		for i := range n {
			if seen++; seen > limit {
				it.err = m.opError("iterate", fmt.Errorf("%w: more than %d entries seen", ErrIterationAborted, limit))
				return
			}
			if !yield(keys[i*ks:(i+1)*ks:(i+1)*ks], values[i*vs:(i+1)*vs:(i+1)*vs]) {
				return
			}
		}
		if err != nil {
			it.err = err
			return
		}
	}
}

// Count returns the number of entries: MaxEntries for arrays, else what a
// walk finds (see [MapIterator] about concurrent modification).
func (m *Map) Count() (int, error) {
	if m == nil || m.fd.Int() < 0 {
		return 0, ErrClosed
	}
	if m.typ.isArrayLike() {
		return int(m.maxEntries), nil
	}
	n := 0
	it := m.Iterate()
	for range it.Keys() {
		n++
	}
	if err := it.Err(); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// Clear removes every entry: it zeroes every element of an Array or
// PerCPUArray (which cannot delete), drains a Queue or Stack, and deletes
// every key of other maps, using batch operations where the kernel has them.
// Entries added concurrently may survive.
func (m *Map) Clear() error {
	switch {
	case m.typ.isArrayLike():
		return m.zeroArray()
	case m.typ == Queue || m.typ == Stack:
		v := make([]byte, m.valueBuf)
		for range int(m.maxEntries) + 1 {
			err := m.Pop(v)
			if errors.Is(err, ErrKeyNotExist) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("clear: %w", err)
			}
		}
		return nil
	case !m.typ.hasKeys() || m.keySize == 0:
		return m.opError("clear", fmt.Errorf("%v maps cannot be cleared from user space: %w", m.typ, ErrNotSupported))
	case m.typ.isIndexed():
		return m.clearIndexed()
	}
	// Hash-like: lookup-and-delete in batches; the walk restarts on its own
	// because deleted keys are gone.
	chunk := m.iterChunk()
	keys := make([]byte, chunk*int(m.keySize))
	values := make([]byte, chunk*int(m.valueBuf))
	var c BatchCursor
	total := 0
	for !c.Done() {
		n, err := m.BatchLookupAndDelete(&c, keys, values)
		if err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		if total += n; total > 2*int(m.maxEntries)+chunk {
			return m.opError("clear", ErrIterationAborted)
		}
	}
	return nil
}

func (m *Map) zeroArray() error {
	chunk := m.iterChunk()
	keys := make([]byte, chunk*4)
	values := make([]byte, chunk*int(m.valueBuf))
	for start := uint32(0); start < m.maxEntries; start += uint32(chunk) {
		n := min(uint32(chunk), m.maxEntries-start)
		for i := range n {
			hostEndian.PutUint32(keys[i*4:], start+i)
		}
		if _, err := m.BatchUpdate(keys[:n*4], values[:int(n)*int(m.valueBuf)], UpdateAny); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
	}
	return nil
}

// clearIndexed deletes every index of an fd array or device/cpu map.
func (m *Map) clearIndexed() error {
	key := make([]byte, m.keySize)
	next := make([]byte, m.keySize)
	first := true
	for range int(m.maxEntries) + 1 {
		var err error
		if first {
			err = m.NextKey(nil, next)
		} else {
			err = m.NextKey(key, next)
		}
		if errors.Is(err, ErrKeyNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		if err := m.Delete(next); err != nil && !errors.Is(err, ErrKeyNotExist) {
			return fmt.Errorf("clear: %w", err)
		}
		copy(key, next)
		first = false
	}
	return nil
}
