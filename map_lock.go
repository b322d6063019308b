package bpf

import (
	"unsafe"

	"github.com/bpfgo/bpf/internal/sys"
)

// LookupLock is [Map.Lookup] holding the value's bpf_spin_lock while the
// kernel copies it (BPF_MAP_LOOKUP_ELEM with BPF_F_LOCK), so the copy is
// consistent with programs that change the value under bpf_spin_lock. The
// lock field itself reads as zero. Updates take the lock with
// [UpdateLock] ORed into the update flags.
//
// The map must be a Hash, Array, or one of the local storage maps, whose
// value BTF (MapSpec.BTF) has a struct bpf_spin_lock member; for other maps
// the kernel answers EINVAL. A Go value type gets such BTF from
// btf.NewMapBTF when it has a field whose type is a struct named
// bpf_spin_lock holding one uint32. Requires Linux 5.1.
func (m *Map) LookupLock(key, valueOut []byte) error {
	if m == nil {
		return ErrClosed
	}
	if uint32(len(key)) != m.keySize || uint32(len(valueOut)) != m.valueBuf {
		return m.sizeError("lookup", key, valueOut)
	}
	return m.lookup(slicePtr(key), slicePtr(valueOut), sys.BPF_F_LOCK)
}

// LookupLock returns the value under key, copied while holding its
// bpf_spin_lock (see [Map.LookupLock]); a missing key matches
// [ErrKeyNotExist]. Update with [UpdateLock] to write under the lock.
func (t *TypedMap[K, V]) LookupLock(key K) (V, error) {
	var v V
	err := t.m.lookup(unsafe.Pointer(&key), unsafe.Pointer(&v), sys.BPF_F_LOCK)
	return v, err
}
