package bpf

import (
	"errors"
	"fmt"
	"strings"
)

// Pin pins the map at path on a bpffs (BPF_OBJ_PIN), so it outlives the
// process. The parent directory must exist. Requires Linux 4.4.
func (m *Map) Pin(path string) error {
	if err := pinObject(m.fd, path); err != nil {
		return fmt.Errorf("map %q: %w", m.name, err)
	}
	m.pinMu.Lock()
	m.pinPath = path
	m.pinMu.Unlock()
	return nil
}

// Unpin removes the pin made by [Map.Pin] or by PinByName; the map lives on
// while fds or programs refer to it. Unpinning a map that is not pinned does
// nothing.
func (m *Map) Unpin() error {
	m.pinMu.Lock()
	defer m.pinMu.Unlock()
	if m.pinPath == "" {
		return nil
	}
	if err := unpinPath(m.pinPath); err != nil {
		return fmt.Errorf("map %q: %w", m.name, err)
	}
	m.pinPath = ""
	return nil
}

// IsPinned reports whether this Map pinned itself or was opened from a pin.
func (m *Map) IsPinned() bool { return m.PinPath() != "" }

// PinPath returns the path this Map was pinned at or opened from, or "".
func (m *Map) PinPath() string {
	m.pinMu.Lock()
	defer m.pinMu.Unlock()
	return m.pinPath
}

// OpenPinnedMap opens the map pinned at path (BPF_OBJ_GET). If expected is
// not nil, the map must match it (type, key and value size, max entries,
// flags) or OpenPinnedMap returns an error matching [ErrSpecMismatch] that
// names every difference. A missing pin matches os.ErrNotExist. The caller
// must Close the map.
func OpenPinnedMap(path string, expected *MapSpec) (*Map, error) {
	fd, err := openPinned(path)
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	m, err := newMapFromSysFD(fd)
	if err != nil {
		return nil, fmt.Errorf("map pinned at %s: %w", path, err)
	}
	m.pinPath = path
	if expected != nil {
		if err := m.checkSpec(expected); err != nil {
			m.Close()
			return nil, fmt.Errorf("map pinned at %s: %w", path, err)
		}
	}
	return m, nil
}

// checkSpec compares m with spec the way the kernel would have created it.
func (m *Map) checkSpec(spec *MapSpec) error {
	var diffs []string
	diff := func(what string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s is %v, want %v", what, got, want))
	}
	if m.typ != spec.Type {
		diff("type", m.typ, spec.Type)
	}
	if m.keySize != spec.KeySize {
		diff("key size", m.keySize, spec.KeySize)
	}
	if m.valueSize != spec.ValueSize {
		diff("value size", m.valueSize, spec.ValueSize)
	}
	if m.maxEntries != spec.MaxEntries {
		diff("max entries", m.maxEntries, spec.MaxEntries)
	}
	wantFlags := spec.Flags
	switch spec.Type {
	case LPMTrie, SkStorage, InodeStorage, TaskStorage, CgrpStorage:
		wantFlags |= MapFlagNoPrealloc
	}
	// The kernel does not report fd-only flags in map_flags consistently;
	// compare the ones that describe the map itself.
	const fdOnly = MapFlagRdOnly | MapFlagWrOnly
	if m.flags&^fdOnly != wantFlags&^fdOnly {
		diff("flags", m.flags, wantFlags)
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrSpecMismatch, spec.Name, strings.Join(diffs, "; "))
}

// Compatible reports whether m matches spec in type, key and value size, max
// entries and flags; the error matches [ErrSpecMismatch] and names every
// difference.
func (m *Map) Compatible(spec *MapSpec) error {
	if spec == nil {
		return errors.New("compatible: nil MapSpec")
	}
	return m.checkSpec(spec)
}
