package bpf

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// BatchCursor is the position of a batch walk over a map
// ([Map.BatchLookup], [Map.BatchLookupAndDelete]). The zero value starts at
// the beginning; reuse one cursor for the whole walk and stop when Done
// reports true. A cursor belongs to one map and one goroutine.
type BatchCursor struct {
	token    []byte // the kernel's opaque position (in_batch/out_batch)
	prevKey  []byte // position of the single-operation fallback
	started  bool
	done     bool
	fallback bool
}

// Done reports whether the walk reached the end of the map.
func (c *BatchCursor) Done() bool { return c.done }

// Reset moves the cursor back to the beginning.
func (c *BatchCursor) Reset() {
	c.started, c.done, c.fallback = false, false, false
	c.prevKey = c.prevKey[:0]
}

// errBucketTooBig says a hash batch call needs room for more entries.
var errBucketTooBig = errors.New("batch buffers are smaller than a hash bucket")

// batchTokenSize is the size of in_batch/out_batch: hash maps use a u32
// bucket index, the generic implementation a key.
func (m *Map) batchTokenSize() int {
	return max(int(m.keySize), 8)
}

func (m *Map) checkBatchBufs(op string, keys, values []byte, needValues bool) (int, error) {
	if !m.typ.hasKeys() || m.keySize == 0 {
		return 0, m.opError(op, fmt.Errorf("%v maps have no keys: %w", m.typ, ErrNotSupported))
	}
	if len(keys)%int(m.keySize) != 0 {
		return 0, m.opError(op, fmt.Errorf("keys buffer is %d bytes, not a multiple of the key size %d", len(keys), m.keySize))
	}
	n := len(keys) / int(m.keySize)
	if needValues && len(values) < n*int(m.valueBuf) {
		return 0, m.opError(op, fmt.Errorf("values buffer is %d bytes, want %d for %d entries of %d bytes",
			len(values), n*int(m.valueBuf), n, m.valueBuf))
	}
	return n, nil
}

// BatchLookup copies the next entries of a walk over the map into keysOut
// and valuesOut (BPF_MAP_LOOKUP_BATCH) and returns how many it copied; their
// capacity is len(keysOut)/KeySize entries, and valuesOut must hold as many
// values of [Map.ValueBufferSize] bytes. When the walk reaches the end,
// c.Done() reports true (the last call may still return entries).
//
// Where the kernel has no batch operation for the map type (EINVAL or
// ENOTSUPP on the first call) it falls back to BPF_MAP_GET_NEXT_KEY and
// single lookups, with the same results. Under concurrent modification a
// walk may miss or repeat entries. Requires Linux 5.6 for the batch path.
func (m *Map) BatchLookup(c *BatchCursor, keysOut, valuesOut []byte) (int, error) {
	return m.batchWalk("batch lookup", c, keysOut, valuesOut, false)
}

// BatchLookupAndDelete is [Map.BatchLookup] that also removes every entry it
// returns (BPF_MAP_LOOKUP_AND_DELETE_BATCH), with a fallback to single
// lookup-and-delete operations.
func (m *Map) BatchLookupAndDelete(c *BatchCursor, keysOut, valuesOut []byte) (int, error) {
	return m.batchWalk("batch lookup and delete", c, keysOut, valuesOut, true)
}

func (m *Map) batchWalk(op string, c *BatchCursor, keys, values []byte, del bool) (int, error) {
	if c == nil {
		return 0, m.opError(op, errors.New("nil BatchCursor"))
	}
	n, err := m.checkBatchBufs(op, keys, values, true)
	if err != nil || n == 0 || c.done {
		return 0, err
	}
	if !c.fallback && !m.forceBatchFallback {
		got, err := m.batchWalkKernel(op, c, keys, values, n, del)
		if err == nil || !c.fallback {
			return got, err
		}
	}
	c.fallback = true
	return m.batchWalkFallback(op, c, keys, values, n, del)
}

// batchWalkKernel runs one kernel batch call; on an answer that means "no
// batch for this map type" before any progress it sets c.fallback.
func (m *Map) batchWalkKernel(op string, c *BatchCursor, keys, values []byte, n int, del bool) (int, error) {
	if len(c.token) < m.batchTokenSize() {
		c.token = make([]byte, 2*m.batchTokenSize())
	}
	ts := m.batchTokenSize()
	in, out := c.token[:ts], c.token[ts:2*ts]
	raw, err := m.fd.Acquire()
	if err != nil {
		return 0, m.opError(op, err)
	}
	attr := sys.MapBatchAttr{
		OutBatch: sys.NewSlicePointer(out),
		Keys:     sys.NewSlicePointer(keys),
		Values:   sys.NewSlicePointer(values),
		Count:    uint32(n),
		MapFD:    uint32(raw),
	}
	if c.started {
		attr.InBatch = sys.NewSlicePointer(in)
	}
	if del {
		err = sys.MapLookupAndDeleteBatch(&attr)
	} else {
		err = sys.MapLookupBatch(&attr)
	}
	m.fd.Release()
	got := int(attr.Count)
	switch {
	case err == nil:
	case errors.Is(err, unix.ENOENT):
		c.done = true
		return got, nil
	case !c.started && isNotSupportedErrno(err):
		// No batch op for this map type (the kernel leaves count as it was).
		c.fallback = true
		return 0, err
	case errors.Is(err, unix.ENOSPC) && got == 0:
		// A hash bucket holds more entries than fit: the caller needs
		// bigger buffers.
		return 0, m.opError(op, fmt.Errorf("%w: buffers for %d entries (%w)", errBucketTooBig, n, err))
	default:
		return got, m.elemError(op, err)
	}
	c.started = true
	copy(in, out)
	return got, nil
}

func (m *Map) batchWalkFallback(op string, c *BatchCursor, keys, values []byte, n int, del bool) (int, error) {
	ks, vs := int(m.keySize), int(m.valueBuf)
	if c.prevKey == nil {
		c.prevKey = make([]byte, 0, ks)
	}
	got := 0
	misses := 0
	for steps := 0; got < n; steps++ {
		// Every step either returns an entry, skips an empty index, or
		// retries after a vanished key; bound them all.
		if steps > 2*int(m.maxEntries)+n+16 {
			return got, m.opError(op, ErrIterationAborted)
		}
		k := keys[got*ks : (got+1)*ks]
		var prev unsafe.Pointer
		// A lookup-and-delete walk of a hash restarts from the first key:
		// what it returned is gone. Indexes never vanish.
		if c.started && (!del || m.typ.isIndexed()) {
			prev = slicePtr(c.prevKey)
		}
		err := m.nextKey(prev, slicePtr(k))
		if errors.Is(err, ErrKeyNotExist) {
			c.done = true
			return got, nil
		}
		if err != nil {
			return got, err
		}
		v := values[got*vs : (got+1)*vs]
		if del {
			err = m.lookupAndDelete(op, slicePtr(k), slicePtr(v))
			if errors.Is(err, ErrNotSupported) || errors.Is(err, unix.EINVAL) {
				// Older kernels: lookup, then delete.
				if err = m.lookup(slicePtr(k), slicePtr(v), 0); err == nil {
					err = m.delete(slicePtr(k))
				}
			}
		} else {
			err = m.lookup(slicePtr(k), slicePtr(v), 0)
		}
		if errors.Is(err, ErrKeyNotExist) {
			if m.typ.isIndexed() {
				// An empty slot of an fd array: skip the index.
				c.prevKey = append(c.prevKey[:0], k...)
				c.started = true
				continue
			}
			// Deleted between next-key and lookup: try again from prev.
			if misses++; misses > int(m.maxEntries)+16 {
				return got, m.opError(op, ErrIterationAborted)
			}
			continue
		}
		if err != nil {
			return got, err
		}
		c.prevKey = append(c.prevKey[:0], k...)
		c.started = true
		got++
	}
	return got, nil
}

// BatchUpdate stores len(keys)/KeySize entries (BPF_MAP_UPDATE_BATCH) with
// flags (UpdateAny, UpdateNoExist, UpdateExist, optionally |UpdateLock) and
// returns how many it stored; values holds one [Map.ValueBufferSize] value per
// key. It stops at the first failing entry. Where the kernel has no batch
// update for the map type it falls back to single updates. Requires Linux
// 5.6 for the batch path.
func (m *Map) BatchUpdate(keys, values []byte, flags UpdateFlags) (int, error) {
	const op = "batch update"
	n, err := m.checkBatchBufs(op, keys, values, true)
	if err != nil || n == 0 {
		return 0, err
	}
	if len(values) != n*int(m.valueBuf) {
		return 0, m.opError(op, fmt.Errorf("values buffer is %d bytes, want %d", len(values), n*int(m.valueBuf)))
	}
	if !m.forceBatchFallback {
		raw, err := m.fd.Acquire()
		if err != nil {
			return 0, m.opError(op, err)
		}
		attr := sys.MapBatchAttr{
			Keys: sys.NewSlicePointer(keys), Values: sys.NewSlicePointer(values),
			Count: uint32(n), MapFD: uint32(raw), ElemFlags: uint64(flags),
		}
		err = sys.MapUpdateBatch(&attr)
		m.fd.Release()
		if err == nil {
			return n, nil
		}
		if !(isNotSupportedErrno(err) && m.batchUnsupported(err)) {
			return int(attr.Count), m.elemError("update", err)
		}
	}
	ks, vs := int(m.keySize), int(m.valueBuf)
	for i := range n {
		if err := m.update(slicePtr(keys[i*ks:(i+1)*ks]), slicePtr(values[i*vs:(i+1)*vs]), uint64(flags)); err != nil {
			return i, err
		}
	}
	return n, nil
}

// BatchDelete removes len(keys)/KeySize keys (BPF_MAP_DELETE_BATCH) and
// returns how many it removed, stopping at the first failure (a missing key
// matches [ErrKeyNotExist]). Falls back to single deletes where the kernel
// has no batch delete. Requires Linux 5.6 for the batch path.
func (m *Map) BatchDelete(keys []byte) (int, error) {
	const op = "batch delete"
	n, err := m.checkBatchBufs(op, keys, nil, false)
	if err != nil || n == 0 {
		return 0, err
	}
	if !m.forceBatchFallback {
		raw, err := m.fd.Acquire()
		if err != nil {
			return 0, m.opError(op, err)
		}
		attr := sys.MapBatchAttr{Keys: sys.NewSlicePointer(keys), Count: uint32(n), MapFD: uint32(raw)}
		err = sys.MapDeleteBatch(&attr)
		m.fd.Release()
		if err == nil {
			return n, nil
		}
		if !(isNotSupportedErrno(err) && m.batchUnsupported(err)) {
			return int(attr.Count), m.elemError("delete", err)
		}
	}
	ks := int(m.keySize)
	for i := range n {
		if err := m.delete(slicePtr(keys[i*ks : (i+1)*ks])); err != nil {
			return i, err
		}
	}
	return n, nil
}

// batchUnsupported decides whether an EINVAL/ENOTSUPP from a batch update or
// delete means the map type has no batch op (fall back) rather than a bad
// element (report). ENOTSUPP/EOPNOTSUPP always mean the former; EINVAL only
// for map types whose batch ops the kernel lacks (arrays cannot delete, so
// their EINVAL is the element's fault).
func (m *Map) batchUnsupported(err error) bool {
	if !errors.Is(err, unix.EINVAL) {
		return true
	}
	switch m.typ {
	case Hash, PerCPUHash, LRUHash, LRUPerCPUHash, Array, PerCPUArray, HashOfMaps:
		return false
	}
	return true
}
