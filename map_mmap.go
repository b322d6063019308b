package bpf

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// MapMemory is a memory mapping of a map's values; get one from
// [Map.Mmap]. Writes through Bytes are seen by programs and lookups at once,
// and vice versa; there is no synchronisation beyond what the CPU gives
// (use sync/atomic on aligned words, or bpf_spin_lock, for shared counters).
type MapMemory struct {
	mu       sync.Mutex
	b        []byte
	writable bool
}

// Mmap maps the values of an Array created with MapFlagMmapable (element i
// starts at i*round_up(ValueSize, 8)), or the pages of an Arena, into memory.
// The mapping is writable unless the map is frozen or read-only for user
// space, in which case it is read-only. The mapping stays valid after the
// Map is closed; Close the MapMemory to unmap it. Requires Linux 5.5.
func (m *Map) Mmap() (*MapMemory, error) {
	var size int
	switch {
	case m.typ == Array && m.flags&MapFlagMmapable != 0:
		size = int(roundUp8(m.valueSize)) * int(m.maxEntries)
	case m.typ == Arena:
		size = int(m.maxEntries) * os.Getpagesize()
	default:
		return nil, m.opError("mmap", fmt.Errorf("only Arrays with MapFlagMmapable and Arenas can be mapped"))
	}
	page := os.Getpagesize()
	size = (size + page - 1) / page * page
	if size == 0 {
		return nil, m.opError("mmap", errors.New("map has no memory"))
	}
	raw, err := m.fd.Acquire()
	if err != nil {
		return nil, m.opError("mmap", err)
	}
	defer m.fd.Release()
	writable := true
	b, err := unix.Mmap(raw, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		writable = false
		b, err = unix.Mmap(raw, 0, size, unix.PROT_READ, unix.MAP_SHARED)
	}
	if err != nil {
		return nil, m.opError("mmap", err)
	}
	return &MapMemory{b: b, writable: writable}, nil
}

// Bytes returns the mapped memory, or nil after Close. Do not use the slice
// after Close: the memory is gone and accessing it faults.
func (mm *MapMemory) Bytes() []byte {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	return mm.b
}

// Writable reports whether the mapping may be written.
func (mm *MapMemory) Writable() bool { return mm.writable }

// Close unmaps the memory. It is safe on nil and idempotent.
func (mm *MapMemory) Close() error {
	if mm == nil {
		return nil
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.b == nil {
		return nil
	}
	err := unix.Munmap(mm.b)
	mm.b = nil
	if err != nil {
		return fmt.Errorf("munmap: %w", err)
	}
	return nil
}
