package bpf

import (
	"fmt"
	"unsafe"
)

// UpdateInnerMap stores inner under key in an ArrayOfMaps or HashOfMaps
// (the kernel takes inner's fd and keeps a reference; inner may be closed
// afterwards). inner must match the outer map's InnerMap spec. Requires
// Linux 4.12.
func (m *Map) UpdateInnerMap(key []byte, inner *Map, flags UpdateFlags) error {
	if !m.typ.isMapOfMaps() {
		return m.opError("update inner map", fmt.Errorf("%v is not a map of maps", m.typ))
	}
	if err := m.checkKey("update inner map", key); err != nil {
		return err
	}
	raw, err := inner.fd.Acquire()
	if err != nil {
		return m.opError("update inner map", err)
	}
	defer inner.fd.Release()
	fd := uint32(raw)
	return m.update(slicePtr(key), unsafe.Pointer(&fd), uint64(flags))
}

// LookupInnerMap opens the inner map stored under key of an ArrayOfMaps or
// HashOfMaps (user space reads its id, then opens it by id). The caller must
// Close it. A missing key matches [ErrKeyNotExist].
func (m *Map) LookupInnerMap(key []byte) (*Map, error) {
	id, err := m.LookupInnerMapID(key)
	if err != nil {
		return nil, err
	}
	return NewMapFromID(id)
}

// LookupInnerMapID returns the id of the inner map stored under key.
func (m *Map) LookupInnerMapID(key []byte) (MapID, error) {
	if !m.typ.isMapOfMaps() {
		return 0, m.opError("lookup inner map", fmt.Errorf("%v is not a map of maps", m.typ))
	}
	if err := m.checkKey("lookup inner map", key); err != nil {
		return 0, err
	}
	var id uint32
	if err := m.lookup(slicePtr(key), unsafe.Pointer(&id), 0); err != nil {
		return 0, err
	}
	return MapID(id), nil
}
