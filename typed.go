package bpf

import (
	"fmt"
	"iter"
	"reflect"
	"sync"
	"unsafe"
)

// checkPlainType rejects types whose memory the kernel cannot hold: anything
// with pointers (pointers, slices, maps, strings, interfaces, channels,
// functions) and platform-sized ints whose layout differs across builds are
// allowed only as plain fixed-size data. It walks t once.
func checkPlainType(t reflect.Type) error {
	switch t.Kind() {
	case reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Int, reflect.Uint, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return nil
	case reflect.Array:
		if err := checkPlainType(t.Elem()); err != nil {
			return fmt.Errorf("%v: %w", t, err)
		}
		return nil
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if err := checkPlainType(f.Type); err != nil {
				return fmt.Errorf("%v.%s: %w", t, f.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("%v (kind %v) holds pointers or has no fixed size", t, t.Kind())
}

func checkTypeSize[T any](what string, want uint32) error {
	var zero T
	t := reflect.TypeOf(&zero).Elem()
	if err := checkPlainType(t); err != nil {
		return fmt.Errorf("%s type %v: %w", what, t, err)
	}
	if got := unsafe.Sizeof(zero); got != uintptr(want) {
		return fmt.Errorf("%s type %v is %d bytes, map wants %d", what, t, got, want)
	}
	return nil
}

// TypedMap is a view of a [Map] whose keys and values are the Go types K
// and V. K and V must be pointer-free fixed-size types (integers, floats,
// arrays and structs of them; struct{} for keyless maps) whose size equals
// the map's key and value size. Their in-memory layout is what the kernel
// sees, including padding and host byte order. The sizes are checked once,
// in [NewTypedMap]; operations allocate nothing.
//
// The view does not own the Map: closing the Map ends the view. For
// per-CPU maps use [PerCPUTypedMap].
type TypedMap[K, V any] struct {
	m *Map
}

// NewTypedMap returns a typed view of m. It fails if K or V holds pointers,
// if their sizes differ from m's key and value size, or if m is per-CPU.
func NewTypedMap[K, V any](m *Map) (*TypedMap[K, V], error) {
	if m == nil {
		return nil, fmt.Errorf("typed map: nil Map")
	}
	if m.typ.IsPerCPU() {
		return nil, fmt.Errorf("typed map %q: %v is per-CPU, use NewPerCPUTypedMap", m.name, m.typ)
	}
	if err := checkTypeSize[K]("key", m.keySize); err != nil {
		return nil, fmt.Errorf("typed map %q: %w", m.name, err)
	}
	if err := checkTypeSize[V]("value", m.valueSize); err != nil {
		return nil, fmt.Errorf("typed map %q: %w", m.name, err)
	}
	return &TypedMap[K, V]{m: m}, nil
}

// Map returns the underlying map.
func (t *TypedMap[K, V]) Map() *Map { return t.m }

// Lookup returns the value under key; a missing key matches [ErrKeyNotExist].
func (t *TypedMap[K, V]) Lookup(key K) (V, error) {
	var v V
	err := t.m.lookup(unsafe.Pointer(&key), unsafe.Pointer(&v), 0)
	return v, err
}

// LookupInto copies the value under key into *v.
func (t *TypedMap[K, V]) LookupInto(key K, v *V) error {
	return t.m.lookup(unsafe.Pointer(&key), unsafe.Pointer(v), 0)
}

// Update stores val under key according to flags (see [Map.Update]).
func (t *TypedMap[K, V]) Update(key K, val V, flags UpdateFlags) error {
	return t.m.update(unsafe.Pointer(&key), unsafe.Pointer(&val), uint64(flags))
}

// Delete removes key; a missing key matches [ErrKeyNotExist].
func (t *TypedMap[K, V]) Delete(key K) error {
	return t.m.delete(unsafe.Pointer(&key))
}

// LookupAndDelete returns the value under key and removes it.
func (t *TypedMap[K, V]) LookupAndDelete(key K) (V, error) {
	var v V
	err := t.m.lookupAndDelete("lookup and delete", unsafe.Pointer(&key), unsafe.Pointer(&v))
	return v, err
}

// Push appends val to a Queue or Stack or adds it to a BloomFilter (see [Map.Push]).
func (t *TypedMap[K, V]) Push(val V, flags UpdateFlags) error {
	return t.m.update(nil, unsafe.Pointer(&val), uint64(flags))
}

// Pop removes and returns the next element of a Queue or Stack; an empty
// map matches [ErrKeyNotExist].
func (t *TypedMap[K, V]) Pop() (V, error) {
	var v V
	err := t.m.lookupAndDelete("pop", nil, unsafe.Pointer(&v))
	return v, err
}

// Peek returns the next element of a Queue or Stack without removing it.
func (t *TypedMap[K, V]) Peek() (V, error) {
	var v V
	err := t.m.lookup(nil, unsafe.Pointer(&v), 0)
	return v, err
}

// Contains reports whether a BloomFilter probably holds val (false means
// certainly not).
func (t *TypedMap[K, V]) Contains(val V) (bool, error) {
	err := t.m.lookup(nil, unsafe.Pointer(&val), 0)
	if err == t.m.errLookupMiss {
		return false, nil
	}
	return err == nil, err
}

// Iterate returns a typed walk over the map; see [MapIterator] for the
// concurrency rules.
func (t *TypedMap[K, V]) Iterate() *TypedIterator[K, V] {
	return &TypedIterator[K, V]{it: t.m.Iterate()}
}

// TypedIterator is a typed [MapIterator]: range over All, Keys or Values,
// then check Err.
type TypedIterator[K, V any] struct {
	it *MapIterator
}

// Err returns the first error of the walk.
func (ti *TypedIterator[K, V]) Err() error { return ti.it.Err() }

// All yields every key and value (copies: they stay valid).
func (ti *TypedIterator[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, v := range ti.it.All() {
			if !yield(*(*K)(unsafe.Pointer(unsafe.SliceData(k))), *(*V)(unsafe.Pointer(unsafe.SliceData(v)))) {
				return
			}
		}
	}
}

// Keys yields every key.
func (ti *TypedIterator[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range ti.it.Keys() {
			if !yield(*(*K)(unsafe.Pointer(unsafe.SliceData(k)))) {
				return
			}
		}
	}
}

// Values yields every value.
func (ti *TypedIterator[K, V]) Values() iter.Seq[V] {
	return func(yield func(V) bool) {
		for v := range ti.it.Values() {
			if !yield(*(*V)(unsafe.Pointer(unsafe.SliceData(v)))) {
				return
			}
		}
	}
}

// PerCPUTypedMap is a typed view of a per-CPU map (PerCPUHash, PerCPUArray,
// LRUPerCPUHash): every key holds one V per possible CPU. Reads go into a
// caller-owned []V of [PerCPUTypedMap.NumCPU] elements, so a steady-state
// lookup allocates nothing. Aggregate with [Sum], [Min], [Max], [Avg].
type PerCPUTypedMap[K, V any] struct {
	m      *Map
	ncpu   int
	direct bool // V's size is a multiple of 8: []V has the kernel's layout
	pool   sync.Pool
}

// NewPerCPUTypedMap returns a typed view of a per-CPU map m; see
// [NewTypedMap] for the rules on K and V.
func NewPerCPUTypedMap[K, V any](m *Map) (*PerCPUTypedMap[K, V], error) {
	if m == nil {
		return nil, fmt.Errorf("per-CPU typed map: nil Map")
	}
	if !m.typ.IsPerCPU() {
		return nil, fmt.Errorf("per-CPU typed map %q: %v is not per-CPU", m.name, m.typ)
	}
	if err := checkTypeSize[K]("key", m.keySize); err != nil {
		return nil, fmt.Errorf("per-CPU typed map %q: %w", m.name, err)
	}
	if err := checkTypeSize[V]("value", m.valueSize); err != nil {
		return nil, fmt.Errorf("per-CPU typed map %q: %w", m.name, err)
	}
	t := &PerCPUTypedMap[K, V]{m: m, ncpu: int(m.valueBuf / m.stride), direct: m.stride == m.valueSize}
	t.pool.New = func() any { b := make([]byte, m.valueBuf); return &b }
	return t, nil
}

// Map returns the underlying map.
func (t *PerCPUTypedMap[K, V]) Map() *Map { return t.m }

// NumCPU returns the number of values per key (the possible CPUs).
func (t *PerCPUTypedMap[K, V]) NumCPU() int { return t.ncpu }

func (t *PerCPUTypedMap[K, V]) checkDst(op string, n int) error {
	if n != t.ncpu {
		return t.m.opError(op, fmt.Errorf("got %d per-CPU values, want %d (one per possible CPU)", n, t.ncpu))
	}
	return nil
}

// LookupInto copies the per-CPU values under key into dst, which must have
// NumCPU elements. It allocates nothing.
func (t *PerCPUTypedMap[K, V]) LookupInto(key K, dst []V) error {
	if len(dst) != t.ncpu {
		return t.checkDst("lookup", len(dst))
	}
	if t.direct {
		return t.m.lookup(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(dst)), 0)
	}
	bp := t.pool.Get().(*[]byte)
	defer t.pool.Put(bp)
	buf := *bp
	if err := t.m.lookup(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(buf)), 0); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = *(*V)(unsafe.Pointer(&buf[i*int(t.m.stride)]))
	}
	return nil
}

// Lookup returns a new slice of the per-CPU values under key.
func (t *PerCPUTypedMap[K, V]) Lookup(key K) ([]V, error) {
	dst := make([]V, t.ncpu)
	if err := t.LookupInto(key, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// Update stores one value per CPU (len(vals) must be NumCPU) under key.
func (t *PerCPUTypedMap[K, V]) Update(key K, vals []V, flags UpdateFlags) error {
	if len(vals) != t.ncpu {
		return t.checkDst("update", len(vals))
	}
	if t.direct {
		return t.m.update(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(vals)), uint64(flags))
	}
	bp := t.pool.Get().(*[]byte)
	defer t.pool.Put(bp)
	buf := *bp
	clear(buf)
	for i, v := range vals {
		*(*V)(unsafe.Pointer(&buf[i*int(t.m.stride)])) = v
	}
	return t.m.update(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(buf)), uint64(flags))
}

// Delete removes key.
func (t *PerCPUTypedMap[K, V]) Delete(key K) error {
	return t.m.delete(unsafe.Pointer(&key))
}

// Iterate returns a typed walk; each value is a []V of NumCPU elements
// valid only inside the loop body.
func (t *PerCPUTypedMap[K, V]) Iterate() *PerCPUTypedIterator[K, V] {
	return &PerCPUTypedIterator[K, V]{t: t, it: t.m.Iterate()}
}

// PerCPUTypedIterator walks a [PerCPUTypedMap].
type PerCPUTypedIterator[K, V any] struct {
	t  *PerCPUTypedMap[K, V]
	it *MapIterator
}

// Err returns the first error of the walk.
func (ti *PerCPUTypedIterator[K, V]) Err() error { return ti.it.Err() }

// All yields every key with its per-CPU values; the slice is reused for
// the next entry, so copy it to keep it.
func (ti *PerCPUTypedIterator[K, V]) All() iter.Seq2[K, []V] {
	return func(yield func(K, []V) bool) {
		vals := make([]V, ti.t.ncpu)
		stride := int(ti.t.m.stride)
		for k, v := range ti.it.All() {
			for i := range vals {
				vals[i] = *(*V)(unsafe.Pointer(&v[i*stride]))
			}
			if !yield(*(*K)(unsafe.Pointer(unsafe.SliceData(k))), vals) {
				return
			}
		}
	}
}
