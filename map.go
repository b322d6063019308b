package bpf

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// MapFlags are the flags of BPF_MAP_CREATE (map_flags).
type MapFlags uint32

// Map creation flags. Which ones a map type accepts is up to the kernel; it
// answers EINVAL to the others.
const (
	// MapFlagNoPrealloc allocates hash elements on demand (BPF_F_NO_PREALLOC);
	// required by LPMTrie and the storage maps, which NewMap handles.
	MapFlagNoPrealloc MapFlags = sys.BPF_F_NO_PREALLOC
	// MapFlagNoCommonLRU gives every CPU its own LRU list (BPF_F_NO_COMMON_LRU).
	MapFlagNoCommonLRU MapFlags = sys.BPF_F_NO_COMMON_LRU
	// MapFlagNumaNode places the map on MapSpec.NumaNode (BPF_F_NUMA_NODE).
	MapFlagNumaNode MapFlags = sys.BPF_F_NUMA_NODE
	// MapFlagRdOnly makes the map read-only for user space through this fd (BPF_F_RDONLY).
	MapFlagRdOnly MapFlags = sys.BPF_F_RDONLY
	// MapFlagWrOnly makes the map write-only for user space (BPF_F_WRONLY).
	MapFlagWrOnly MapFlags = sys.BPF_F_WRONLY
	// MapFlagStackBuildID stores build ids in a StackTrace map (BPF_F_STACK_BUILD_ID).
	MapFlagStackBuildID MapFlags = sys.BPF_F_STACK_BUILD_ID
	// MapFlagZeroSeed zeroes the hash seed, for tests (BPF_F_ZERO_SEED). Requires Linux 5.0.
	MapFlagZeroSeed MapFlags = sys.BPF_F_ZERO_SEED
	// MapFlagRdOnlyProg makes the map read-only for programs (BPF_F_RDONLY_PROG). Requires Linux 5.2.
	MapFlagRdOnlyProg MapFlags = sys.BPF_F_RDONLY_PROG
	// MapFlagWrOnlyProg makes the map write-only for programs (BPF_F_WRONLY_PROG). Requires Linux 5.2.
	MapFlagWrOnlyProg MapFlags = sys.BPF_F_WRONLY_PROG
	// MapFlagClone lets sk storage be cloned to child sockets (BPF_F_CLONE). Requires Linux 5.4.
	MapFlagClone MapFlags = sys.BPF_F_CLONE
	// MapFlagMmapable lets an Array be memory-mapped (BPF_F_MMAPABLE), see
	// [Map.Mmap]. Requires Linux 5.5.
	MapFlagMmapable MapFlags = sys.BPF_F_MMAPABLE
	// MapFlagPreserveElems keeps perf event array elements when the fd closes
	// (BPF_F_PRESERVE_ELEMS). Requires Linux 5.10.
	MapFlagPreserveElems MapFlags = sys.BPF_F_PRESERVE_ELEMS
	// MapFlagInnerMap lets inner maps of a map-in-map differ in MaxEntries
	// (BPF_F_INNER_MAP). Requires Linux 5.10.
	MapFlagInnerMap MapFlags = sys.BPF_F_INNER_MAP
	// MapFlagSegvOnFault makes arena faults raise SIGSEGV (BPF_F_SEGV_ON_FAULT). Requires Linux 6.9.
	MapFlagSegvOnFault MapFlags = sys.BPF_F_SEGV_ON_FAULT
	// MapFlagNoUserConv keeps arena pointers unconverted (BPF_F_NO_USER_CONV). Requires Linux 6.9.
	MapFlagNoUserConv MapFlags = sys.BPF_F_NO_USER_CONV
)

var mapFlagNames = []struct {
	f    MapFlags
	name string
}{
	{MapFlagNoPrealloc, "NoPrealloc"}, {MapFlagNoCommonLRU, "NoCommonLRU"},
	{MapFlagNumaNode, "NumaNode"}, {MapFlagRdOnly, "RdOnly"}, {MapFlagWrOnly, "WrOnly"},
	{MapFlagStackBuildID, "StackBuildID"}, {MapFlagZeroSeed, "ZeroSeed"},
	{MapFlagRdOnlyProg, "RdOnlyProg"}, {MapFlagWrOnlyProg, "WrOnlyProg"}, {MapFlagClone, "Clone"},
	{MapFlagMmapable, "Mmapable"}, {MapFlagPreserveElems, "PreserveElems"},
	{MapFlagInnerMap, "InnerMap"}, {MapFlagSegvOnFault, "SegvOnFault"},
	{MapFlagNoUserConv, "NoUserConv"},
}

// String returns the flags as "NoPrealloc|Mmapable", "0" for none, and the
// hex value of unknown bits.
func (f MapFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, n := range mapFlagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}

// MapSpec describes a map to create. It is plain data: NewMap never changes
// it. The zero value is not a valid map; Type, and for most types the sizes
// and MaxEntries, must be set.
type MapSpec struct {
	// Name is the kernel's map_name: up to 15 ASCII letters, digits, '_'
	// and '.'. It names the map in errors, bpftool and pins.
	Name string
	// Type is the map type, e.g. [Hash].
	Type MapType
	// KeySize is the size of a key in bytes (0 for Queue, Stack, BloomFilter,
	// RingBuf).
	KeySize uint32
	// ValueSize is the size of one value in bytes; per-CPU maps store one
	// such value per possible CPU.
	ValueSize uint32
	// MaxEntries is the capacity; for RingBuf and UserRingBuf the size in bytes.
	MaxEntries uint32
	// Flags are BPF_F_* creation flags. For LPMTrie and the storage maps
	// NewMap adds MapFlagNoPrealloc, which the kernel requires.
	Flags MapFlags
	// InnerMap describes the inner maps of ArrayOfMaps and HashOfMaps; NewMap
	// creates a template from it for the kernel and closes it again.
	InnerMap *MapSpec
	// Pinning selects pinning by NewMapWithOptions; see [PinType].
	Pinning PinType
	// NumaNode is the NUMA node of the map's memory, used when Flags has
	// MapFlagNumaNode.
	NumaNode uint32
	// MapExtra is map_extra: the number of hash functions of a BloomFilter
	// (low 4 bits), the user-space address of an Arena. Requires Linux 5.16.
	MapExtra uint64

	// BTF is a raw BTF blob (e.g. btf.NewMapBTF's output) describing the key
	// and value; NewMap loads it with BPF_BTF_LOAD for the creation and
	// closes it afterwards (the map keeps a reference). Storage maps
	// (SkStorage, TaskStorage, InodeStorage, CgrpStorage) and values with a
	// bpf_spin_lock need it.
	BTF []byte
	// BTFKeyTypeID and BTFValueTypeID are the type ids of the key and value in BTF.
	BTFKeyTypeID, BTFValueTypeID uint32
	// Contents are entries NewMap stores right after creating the map (not
	// when it reuses a pinned one), e.g. the initial values of global
	// variables. Keys and values must have the map's sizes.
	Contents []MapEntry
	// Freeze makes NewMap freeze the map after storing Contents, so user
	// space can no longer change it (.rodata). Requires Linux 5.2.
	Freeze bool

	// BTFVmlinuxValueTypeID is the id in the kernel's own BTF of the value
	// type of a StructOpsMap (struct bpf_struct_ops_<name>); ValueSize must
	// be that struct's size, and the kernel also wants a BTF blob (any) in
	// BTF. Requires Linux 5.6.
	BTFVmlinuxValueTypeID uint32
}

// Copy returns a deep copy of s; nil stays nil. Inner specs are copied a few
// levels deep (the kernel nests maps one level), so a cyclic spec cannot
// make it recurse forever.
func (s *MapSpec) Copy() *MapSpec { return s.copyDepth(0) }

func (s *MapSpec) copyDepth(depth int) *MapSpec {
	if s == nil || depth > 4 {
		return nil
	}
	c := *s
	c.InnerMap = s.InnerMap.copyDepth(depth + 1)
	if s.Contents != nil {
		c.Contents = make([]MapEntry, len(s.Contents))
		for i, e := range s.Contents {
			c.Contents[i] = MapEntry{Key: append([]byte(nil), e.Key...), Value: append([]byte(nil), e.Value...)}
		}
	}
	if s.BTF != nil {
		c.BTF = append([]byte(nil), s.BTF...)
	}
	return &c
}

// String returns a one-line description such as
// `Hash "counts" key=4 value=8 max=1024`.
func (s *MapSpec) String() string {
	if s == nil {
		return "<nil MapSpec>"
	}
	out := fmt.Sprintf("%v %q key=%d value=%d max=%d", s.Type, s.Name, s.KeySize, s.ValueSize, s.MaxEntries)
	if s.Flags != 0 {
		out += " flags=" + s.Flags.String()
	}
	if s.InnerMap != nil {
		in := *s.InnerMap
		if in.InnerMap != nil {
			in.InnerMap = &MapSpec{Name: "...", Type: in.InnerMap.Type} // do not follow cycles
		}
		out += " inner=(" + in.String() + ")"
	}
	return out
}

// MapEntry is a key and a value, in the map's byte layout.
type MapEntry struct {
	Key, Value []byte
}

// MapOptions are options of NewMapWithOptions; the zero value (or nil) means
// defaults.
type MapOptions struct {
	// PinPath is the bpffs directory in which maps with Pinning PinByName
	// live; default [DefaultPinPath].
	PinPath string
}

// Map is a live BPF map. It owns a file descriptor: the caller must Close it.
// A Map is safe for concurrent use; Close waits for operations in flight, so
// an operation racing with Close never acts on a reused fd number (it returns
// [ErrClosed] instead).
//
// The byte-oriented methods take keys and values whose lengths are checked
// before any syscall: KeySize bytes for a key, and [Map.ValueBufferSize]
// bytes for a value (ValueSize, or for per-CPU maps one 8-byte-aligned slot
// per possible CPU). For Go-typed access see [TypedMap].
type Map struct {
	fd         *sys.FD
	name       string
	typ        MapType
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	flags      MapFlags
	valueBuf   uint32 // bytes user space passes per value
	stride     uint32 // per-CPU slot size (valueSize rounded up to 8), else valueSize

	errLookupMiss error // precomputed so a lookup miss allocates nothing

	pinMu   sync.Mutex
	pinPath string

	forceBatchFallback bool // test knob: behave as if the kernel had no batch ops
}

// NewMap creates a map from spec (BPF_MAP_CREATE). The caller must Close
// the map. It is NewMapWithOptions(spec, nil).
func NewMap(spec *MapSpec) (*Map, error) { return NewMapWithOptions(spec, nil) }

// NewMapWithOptions creates a map from spec, pinning it (or reusing a pinned
// one) when spec.Pinning asks for it. The caller must Close the map; a pin
// outlives it.
func NewMapWithOptions(spec *MapSpec, opts *MapOptions) (*Map, error) {
	if spec == nil {
		return nil, errors.New("new map: nil MapSpec")
	}
	if opts == nil {
		opts = &MapOptions{}
	}
	switch spec.Pinning {
	case PinNone:
		return createMap(spec)
	case PinByName:
		return createOrReusePinned(spec, opts)
	}
	return nil, fmt.Errorf("map %q: unknown pinning %v", spec.Name, spec.Pinning)
}

func createOrReusePinned(spec *MapSpec, opts *MapOptions) (*Map, error) {
	if spec.Name == "" {
		return nil, errors.New("map: PinByName needs a Name")
	}
	dir := opts.PinPath
	if dir == "" {
		dir = DefaultPinPath
	}
	path := filepath.Join(dir, spec.Name)
	for attempt := 0; ; attempt++ {
		m, err := OpenPinnedMap(path, spec)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, unix.ENOENT) {
			return nil, err
		}
		m, err = createMap(spec)
		if err != nil {
			return nil, err
		}
		err = m.Pin(path)
		if err == nil {
			return m, nil
		}
		m.Close()
		// Someone pinned the same name between our open and pin: reuse theirs.
		if !errors.Is(err, unix.EEXIST) || attempt > 0 {
			return nil, fmt.Errorf("map %q: %w", spec.Name, err)
		}
	}
}

// validMapName reports whether the kernel accepts name as map_name.
func validMapName(name string) error {
	if len(name) >= sys.BPF_OBJ_NAME_LEN {
		return fmt.Errorf("name %q is longer than %d bytes", name, sys.BPF_OBJ_NAME_LEN-1)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return fmt.Errorf("name %q contains %q (allowed: letters, digits, '_', '.')", name, c)
		}
	}
	return nil
}

func createMap(spec *MapSpec) (*Map, error) {
	if err := validMapName(spec.Name); err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	if spec.Type == UnspecifiedMap {
		return nil, fmt.Errorf("map %q: no map type", spec.Name)
	}
	attr := sys.MapCreateAttr{
		MapType:        uint32(spec.Type),
		KeySize:        spec.KeySize,
		ValueSize:      spec.ValueSize,
		MaxEntries:     spec.MaxEntries,
		MapFlags:       uint32(spec.Flags),
		MapExtra:       spec.MapExtra,
		BTFKeyTypeID:   spec.BTFKeyTypeID,
		BTFValueTypeID: spec.BTFValueTypeID,

		BTFVmlinuxValueTypeID: spec.BTFVmlinuxValueTypeID,
	}
	switch spec.Type {
	case LPMTrie, SkStorage, InodeStorage, TaskStorage, CgrpStorage:
		attr.MapFlags |= sys.BPF_F_NO_PREALLOC
	}
	if spec.Flags&MapFlagNumaNode != 0 {
		attr.NumaNode = spec.NumaNode
	}
	copy(attr.MapName[:], spec.Name)

	if spec.Type.isMapOfMaps() {
		if spec.InnerMap == nil {
			return nil, fmt.Errorf("map %q: %v needs an InnerMap spec", spec.Name, spec.Type)
		}
		if spec.InnerMap.Type.isMapOfMaps() {
			return nil, fmt.Errorf("map %q: inner map %v cannot be a map of maps", spec.Name, spec.InnerMap.Type)
		}
		inner := *spec.InnerMap // shallow: createMap does not modify it
		inner.Pinning = PinNone
		tmpl, err := createMap(&inner)
		if err != nil {
			return nil, fmt.Errorf("map %q: inner map: %w", spec.Name, err)
		}
		defer tmpl.Close()
		raw, err := tmpl.fd.Acquire()
		if err != nil {
			return nil, fmt.Errorf("map %q: inner map: %w", spec.Name, err)
		}
		defer tmpl.fd.Release()
		attr.InnerMapFD = uint32(raw)
	}

	if len(spec.BTF) > 0 {
		btfFD, err := sys.BTFLoad(&sys.BTFLoadAttr{
			BTF:     sys.NewSlicePointer(spec.BTF),
			BTFSize: uint32(len(spec.BTF)),
		})
		if err != nil {
			return nil, fmt.Errorf("map %q: load BTF: %w", spec.Name, err)
		}
		defer btfFD.Close()
		attr.BTFFD = btfFD.Uint()
	}

	fd, err := sys.MapCreate(&attr)
	if err != nil {
		return nil, createError(spec, err)
	}
	m, err := newMap(fd, spec.Name, spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries, MapFlags(attr.MapFlags))
	if err != nil {
		fd.Close()
		return nil, err
	}
	if err := m.populate(spec); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// populate stores spec.Contents and freezes the map if spec.Freeze.
func (m *Map) populate(spec *MapSpec) error {
	for i, e := range spec.Contents {
		var err error
		if m.typ.hasKeys() {
			err = m.Update(e.Key, e.Value, UpdateAny)
		} else {
			err = m.Push(e.Value, UpdateAny)
		}
		if err != nil {
			return fmt.Errorf("contents[%d]: %w", i, err)
		}
	}
	if spec.Freeze {
		return m.Freeze()
	}
	return nil
}

func createError(spec *MapSpec, err error) error {
	switch {
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("map %q: create: %w (needs CAP_BPF or CAP_SYS_ADMIN, and enough locked memory)", spec.Name, err)
	case errors.Is(err, unix.EINVAL) && int(spec.Type) >= len(mapTypeNames):
		return fmt.Errorf("map %q: create: %w", spec.Name,
			&FeatureError{Feature: "map type " + spec.Type.String(), Err: err})
	case errors.Is(err, errnoENOTSUPP), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("map %q: create: %w", spec.Name,
			&FeatureError{Feature: spec.Type.String() + " map", Err: err})
	}
	return fmt.Errorf("map %q: create %v: %w", spec.Name, spec, err)
}

// newMap wraps an fd the caller hands over.
func newMap(fd *sys.FD, name string, typ MapType, keySize, valueSize, maxEntries uint32, flags MapFlags) (*Map, error) {
	m := &Map{
		fd:         fd,
		name:       name,
		typ:        typ,
		keySize:    keySize,
		valueSize:  valueSize,
		maxEntries: maxEntries,
		flags:      flags,
		valueBuf:   valueSize,
		stride:     valueSize,
	}
	if typ.IsPerCPU() {
		n, err := PossibleCPUs()
		if err != nil {
			return nil, fmt.Errorf("map %q: %w", name, err)
		}
		m.stride = roundUp8(valueSize)
		m.valueBuf = m.stride * uint32(n)
	}
	m.errLookupMiss = &opError{kind: "map", name: name, op: "lookup", sentinel: ErrKeyNotExist, err: unix.ENOENT}
	return m, nil
}

func roundUp8(n uint32) uint32 { return (n + 7) &^ 7 }

// Close releases the map's fd, waiting for operations in flight. It is safe
// on nil and on a closed map (the second call returns nil). Pins and
// references from programs keep the kernel object alive.
func (m *Map) Close() error {
	if m == nil {
		return nil
	}
	return m.fd.Close()
}

// FD returns the map's file descriptor number, or -1 if the map is closed.
// The Map still owns it. It makes *Map an asm.MapHandle.
func (m *Map) FD() int {
	if m == nil {
		return -1
	}
	return m.fd.Int()
}

// Clone returns a new Map for the same kernel map with its own fd (dup).
// The caller must Close both.
func (m *Map) Clone() (*Map, error) {
	fd, err := m.fd.Dup()
	if err != nil {
		return nil, fmt.Errorf("map %q: clone: %w", m.name, err)
	}
	c, err := newMap(fd, m.name, m.typ, m.keySize, m.valueSize, m.maxEntries, m.flags)
	if err != nil {
		fd.Close()
		return nil, err
	}
	return c, nil
}

// Name returns the map's name.
func (m *Map) Name() string { return m.name }

// Type returns the map's type.
func (m *Map) Type() MapType { return m.typ }

// KeySize returns the size of a key in bytes.
func (m *Map) KeySize() uint32 { return m.keySize }

// ValueSize returns the size of one value in bytes as the kernel knows it
// (per CPU for per-CPU maps).
func (m *Map) ValueSize() uint32 { return m.valueSize }

// ValueBufferSize returns the number of bytes user space reads or writes per
// value: ValueSize, or for per-CPU maps ValueSize rounded up to 8 times the
// number of possible CPUs.
func (m *Map) ValueBufferSize() int { return int(m.valueBuf) }

// MaxEntries returns the map's capacity.
func (m *Map) MaxEntries() uint32 { return m.maxEntries }

// Flags returns the map's creation flags.
func (m *Map) Flags() MapFlags { return m.flags }

// String returns e.g. `Hash(counts) fd 5`.
func (m *Map) String() string {
	if m == nil {
		return "<nil Map>"
	}
	return fmt.Sprintf("%v(%s) %v", m.typ, m.name, m.fd)
}

// slicePtr returns the address of b's first byte, or nil for an empty slice.
func slicePtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

func (m *Map) checkKey(op string, key []byte) error {
	if uint32(len(key)) != m.keySize {
		return &opError{kind: "map", name: m.name, op: op,
			err: fmt.Errorf("key is %d bytes, want %d", len(key), m.keySize)}
	}
	return nil
}

func (m *Map) checkValue(op string, value []byte) error {
	if uint32(len(value)) != m.valueBuf {
		if m.typ.IsPerCPU() {
			return &opError{kind: "map", name: m.name, op: op,
				err: fmt.Errorf("per-CPU value buffer is %d bytes, want %d (%d CPUs x %d)",
					len(value), m.valueBuf, m.valueBuf/m.stride, m.stride)}
		}
		return &opError{kind: "map", name: m.name, op: op,
			err: fmt.Errorf("value is %d bytes, want %d", len(value), m.valueBuf)}
	}
	return nil
}

// Lookup copies the value stored under key into valueOut (BPF_MAP_LOOKUP_ELEM).
// A missing key returns an error matching [ErrKeyNotExist]. It allocates
// nothing.
func (m *Map) Lookup(key, valueOut []byte) error {
	if m == nil {
		return ErrClosed
	}
	if uint32(len(key)) != m.keySize || uint32(len(valueOut)) != m.valueBuf {
		return m.sizeError("lookup", key, valueOut)
	}
	return m.lookup(slicePtr(key), slicePtr(valueOut), 0)
}

// Update stores value under key (BPF_MAP_UPDATE_ELEM) according to flags.
// Errors match [ErrKeyExist] (UpdateNoExist on a present key),
// [ErrKeyNotExist] (UpdateExist on a missing key, or an Array index out of
// range) and [ErrMapFull]. It allocates nothing.
func (m *Map) Update(key, value []byte, flags UpdateFlags) error {
	if m == nil {
		return ErrClosed
	}
	if uint32(len(key)) != m.keySize || uint32(len(value)) != m.valueBuf {
		return m.sizeError("update", key, value)
	}
	return m.update(slicePtr(key), slicePtr(value), uint64(flags))
}

// Delete removes key (BPF_MAP_DELETE_ELEM). A missing key returns an error
// matching [ErrKeyNotExist]; arrays cannot delete (EINVAL).
func (m *Map) Delete(key []byte) error {
	if m == nil {
		return ErrClosed
	}
	if uint32(len(key)) != m.keySize {
		return m.checkKey("delete", key)
	}
	return m.delete(slicePtr(key))
}

// LookupAndDelete copies the value under key into valueOut and removes it
// (BPF_MAP_LOOKUP_AND_DELETE_ELEM). Requires Linux 5.14 for hashes; for
// queues and stacks see [Map.Pop].
func (m *Map) LookupAndDelete(key, valueOut []byte) error {
	if m == nil {
		return ErrClosed
	}
	if uint32(len(key)) != m.keySize || uint32(len(valueOut)) != m.valueBuf {
		return m.sizeError("lookup and delete", key, valueOut)
	}
	return m.lookupAndDelete("lookup and delete", slicePtr(key), slicePtr(valueOut))
}

// Push appends value to a Queue or Stack, or adds it to a BloomFilter
// (BPF_MAP_UPDATE_ELEM without a key). A full queue or stack returns
// [ErrMapFull], unless flags is UpdateExist, which drops the oldest element.
// Requires Linux 4.20.
func (m *Map) Push(value []byte, flags UpdateFlags) error {
	if m == nil {
		return ErrClosed
	}
	if len(value) != int(m.valueBuf) {
		return m.checkValue("push", value)
	}
	return m.update(nil, slicePtr(value), uint64(flags))
}

// Pop removes the next element of a Queue (oldest) or Stack (newest) into
// valueOut (BPF_MAP_LOOKUP_AND_DELETE_ELEM without a key). An empty map
// returns [ErrKeyNotExist]. Requires Linux 4.20.
func (m *Map) Pop(valueOut []byte) error {
	if m == nil {
		return ErrClosed
	}
	if len(valueOut) != int(m.valueBuf) {
		return m.checkValue("pop", valueOut)
	}
	return m.lookupAndDelete("pop", nil, slicePtr(valueOut))
}

// Peek copies the next element of a Queue or Stack into valueOut without
// removing it (BPF_MAP_LOOKUP_ELEM without a key). On a BloomFilter, value
// is the input: Peek returns nil if it is probably in the filter and
// [ErrKeyNotExist] if it is certainly not. Requires Linux 4.20.
func (m *Map) Peek(valueOut []byte) error {
	if m == nil {
		return ErrClosed
	}
	if len(valueOut) != int(m.valueBuf) {
		return m.checkValue("peek", valueOut)
	}
	err := m.lookup(nil, slicePtr(valueOut), 0)
	if err == m.errLookupMiss {
		return &opError{kind: "map", name: m.name, op: "peek", sentinel: ErrKeyNotExist, err: unix.ENOENT}
	}
	return err
}

// Freeze makes the map read-only for user space; programs can still write
// unless the map has MapFlagRdOnlyProg (BPF_MAP_FREEZE). Requires Linux 5.2.
func (m *Map) Freeze() error {
	if m == nil {
		return ErrClosed
	}
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError("freeze", err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw)}
	err = sys.MapFreeze(&attr)
	m.fd.Release()
	if err != nil {
		return m.opError("freeze", err)
	}
	return nil
}

func (m *Map) sizeError(op string, key, value []byte) error {
	if err := m.checkKey(op, key); err != nil {
		return err
	}
	return m.checkValue(op, value)
}

// The unexported operations below take raw pointers so that the typed views
// and the byte methods share one allocation-free path. The attr stays on the
// stack: sys wrappers do not let it escape.

func (m *Map) lookup(key, value unsafe.Pointer, flags uint64) error {
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError("lookup", err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewPointer(key), Value: sys.NewPointer(value), Flags: flags}
	err = sys.MapLookupElem(&attr)
	m.fd.Release()
	if err != nil {
		if err == unix.ENOENT {
			return m.errLookupMiss
		}
		return m.elemError("lookup", err)
	}
	return nil
}

func (m *Map) update(key, value unsafe.Pointer, flags uint64) error {
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError("update", err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewPointer(key), Value: sys.NewPointer(value), Flags: flags}
	err = sys.MapUpdateElem(&attr)
	m.fd.Release()
	if err != nil {
		return m.elemError("update", err)
	}
	return nil
}

func (m *Map) delete(key unsafe.Pointer) error {
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError("delete", err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewPointer(key)}
	err = sys.MapDeleteElem(&attr)
	m.fd.Release()
	if err != nil {
		return m.elemError("delete", err)
	}
	return nil
}

func (m *Map) lookupAndDelete(op string, key, value unsafe.Pointer) error {
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError(op, err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewPointer(key), Value: sys.NewPointer(value)}
	err = sys.MapLookupAndDeleteElem(&attr)
	m.fd.Release()
	if err != nil {
		return m.elemError(op, err)
	}
	return nil
}

// nextKey writes the key after key (the first key if key is nil) to next.
// It returns ErrKeyNotExist-matching errors at the end.
func (m *Map) nextKey(key, next unsafe.Pointer) error {
	raw, err := m.fd.Acquire()
	if err != nil {
		return m.opError("next key", err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewPointer(key), Value: sys.NewPointer(next)}
	err = sys.MapGetNextKey(&attr)
	m.fd.Release()
	if err != nil {
		return m.elemError("next key", err)
	}
	return nil
}

// NextKey writes the key that follows key to nextOut (BPF_MAP_GET_NEXT_KEY);
// with a nil key, the first key. At the end of the map it returns
// [ErrKeyNotExist]. If key is not in the map, hash maps start over at the
// first key. Prefer [Map.Iterate].
func (m *Map) NextKey(key, nextOut []byte) error {
	if key != nil {
		if err := m.checkKey("next key", key); err != nil {
			return err
		}
	}
	if err := m.checkKey("next key", nextOut); err != nil {
		return err
	}
	return m.nextKey(slicePtr(key), slicePtr(nextOut))
}

func (m *Map) opError(op string, err error) error {
	return &opError{kind: "map", name: m.name, op: op, err: err}
}

// elemError translates the errno of an element operation.
func (m *Map) elemError(op string, err error) error {
	e := &opError{kind: "map", name: m.name, op: op, err: err}
	switch {
	case errors.Is(err, unix.ENOENT):
		e.sentinel = ErrKeyNotExist
	case errors.Is(err, unix.EEXIST):
		e.sentinel = ErrKeyExist
	case errors.Is(err, unix.E2BIG) && op == "update" && m.typ.fullIsE2BIG():
		e.sentinel = ErrMapFull
	case errors.Is(err, unix.E2BIG) && op == "update" && m.typ.isIndexed():
		e.sentinel = ErrKeyNotExist
		e.err = fmt.Errorf("index >= max entries %d: %w", m.maxEntries, err)
	case errors.Is(err, unix.EINVAL) && op == "delete" && m.typ == SockMap:
		// A SockMap answers EINVAL for an empty slot or an index beyond
		// max_entries, where every other map says ENOENT.
		e.sentinel = ErrKeyNotExist
	case errors.Is(err, unix.ENOSPC) && op == "update" && m.typ == LPMTrie:
		e.sentinel = ErrMapFull
	case errors.Is(err, errnoENOTSUPP), errors.Is(err, unix.EOPNOTSUPP):
		e.sentinel = ErrNotSupported
	}
	return e
}
