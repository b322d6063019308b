package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bpfgo/bpf/internal/elfsec"
)

// Errors returned by this package. Callers branch on them with errors.Is.
var (
	// ErrNotFound is returned when a type, ID or section does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid is wrapped by every error about malformed BTF or .BTF.ext
	// data.
	ErrInvalid = errors.New("invalid BTF")
)

const (
	btfMagic     = 0xeB9F
	btfHeaderLen = 24
	// maxResolveDepth bounds chains of typedefs, qualifiers and arrays, so
	// that cyclic BTF cannot loop forever (libbpf uses the same limit).
	maxResolveDepth = 32
)

// KernelBTFPath is where the running kernel exposes its BTF (Linux 5.4,
// CONFIG_DEBUG_INFO_BTF). Modules' BTF sits next to it (Linux 5.11).
const KernelBTFPath = "/sys/kernel/btf/vmlinux"

// Spec is a parsed set of BTF types: the kernel's, a module's (split BTF on
// top of a base Spec), or an ELF object's .BTF section.
//
// A Spec keeps the raw type and string sections and an index of record
// offsets; types are decoded only when asked for, so a lookup does not
// decode the whole of vmlinux. A Spec is immutable and safe for concurrent
// use. The Types it returns are fresh copies that the caller owns.
type Spec struct {
	base    *Spec
	firstID TypeID // ID of the first own type: 1, or the base's next ID
	order   binary.ByteOrder

	types   []byte   // the type section, always little-endian here
	strings []byte   // the own string section
	strBase uint32   // string offsets below this belong to the base
	offsets []uint32 // offset in types of each own type record
	named   int      // number of own records with a name

	lookups   atomic.Int64
	indexOnce sync.Once
	index     []TypeID // open-addressing hash table of named own types

	strtabOnce sync.Once
	strtab     string // string section as one Go string, for bulk decoding
}

// LoadKernelSpec parses the running kernel's BTF from [KernelBTFPath]. On
// Linux the file is memory-mapped read-only (MAP_PRIVATE, which sysfs
// allows since about Linux 6.16), with a plain read as fallback. As the
// kernel verified its BTF at boot, only the record structure is checked,
// which keeps a cold lookup to a few milliseconds. Each call parses afresh
// (there is no cache); callers that look up many types should keep the Spec.
func LoadKernelSpec() (*Spec, error) {
	s, err := loadRawFile(KernelBTFPath, nil, true)
	if err != nil {
		return nil, fmt.Errorf("kernel btf: %w", err)
	}
	return s, nil
}

// LoadKernelModuleSpec parses the split BTF of a kernel module from
// /sys/kernel/btf/<module>, on top of base (the kernel's Spec, see
// [LoadKernelSpec]).
func LoadKernelModuleSpec(module string, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, fmt.Errorf("module %q btf: base spec is nil", module)
	}
	if module == "" || module == "." || module == ".." || strings.ContainsRune(module, '/') {
		return nil, fmt.Errorf("module %q btf: invalid module name", module)
	}
	s, err := loadRawFile("/sys/kernel/btf/"+module, base, true)
	if err != nil {
		return nil, fmt.Errorf("module %q btf: %w", module, err)
	}
	return s, nil
}

// LoadSpec parses BTF from a file: raw BTF (such as a copy of
// /sys/kernel/btf/vmlinux) or the .BTF section of an ELF object. The file is
// read, not mapped; see [LoadKernelSpec] for the kernel's own BTF.
func LoadSpec(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	isELF := elfsec.IsELF(f)
	if isELF {
		defer f.Close()
		s, err := LoadSpecFromELF(f)
		if err != nil {
			return nil, fmt.Errorf("btf %s: %w", path, err)
		}
		return s, nil
	}
	f.Close()
	s, err := loadRawFile(path, nil, false)
	if err != nil {
		return nil, fmt.Errorf("btf %s: %w", path, err)
	}
	return s, nil
}

// LoadSplitSpec parses raw split BTF read from path on top of base, such as
// a copy of /sys/kernel/btf/<module>.
func LoadSplitSpec(path string, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, fmt.Errorf("btf %s: base spec is nil", path)
	}
	s, err := loadRawFile(path, base, false)
	if err != nil {
		return nil, fmt.Errorf("btf %s: %w", path, err)
	}
	return s, nil
}

// LoadSpecFromReader parses raw BTF or the .BTF section of an ELF object
// read from r.
func LoadSpecFromReader(r io.ReaderAt) (*Spec, error) {
	if elfsec.IsELF(r) {
		return LoadSpecFromELF(r)
	}
	data, err := readRaw(r)
	if err != nil {
		return nil, err
	}
	return newSpec(data, nil, false)
}

// LoadSplitSpecFromReader parses raw split BTF read from r on top of base.
func LoadSplitSpecFromReader(r io.ReaderAt, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, errors.New("split btf: base spec is nil")
	}
	data, err := readRaw(r)
	if err != nil {
		return nil, err
	}
	return newSpec(data, base, false)
}

// LoadSpecFromBytes parses raw BTF held in data. The Spec keeps a reference
// to data, which must not be modified afterwards.
func LoadSpecFromBytes(data []byte) (*Spec, error) {
	return newSpec(data, nil, false)
}

// LoadSplitSpecFromBytes parses raw split BTF held in data on top of base.
// The Spec keeps a reference to data, which must not be modified afterwards.
func LoadSplitSpecFromBytes(data []byte, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, errors.New("split btf: base spec is nil")
	}
	return newSpec(data, base, false)
}

// LoadSpecFromELF parses the .BTF section of an ELF object read from r. The
// error wraps [ErrNotFound] when the object has no .BTF section.
func LoadSpecFromELF(r io.ReaderAt) (*Spec, error) {
	f, err := elfsec.Open(r)
	if err != nil {
		return nil, err
	}
	data, err := f.Section(".BTF")
	if errors.Is(err, elfsec.ErrNoSection) {
		return nil, fmt.Errorf("section .BTF: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return newSpec(data, nil, false)
}

// readRaw reads a whole raw BTF blob, whose length the header gives.
func readRaw(r io.ReaderAt) ([]byte, error) {
	var hdr [btfHeaderLen]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("btf header: %w", err)
	}
	h, _, err := parseHeader(hdr[:], len(hdr), true)
	if err != nil {
		return nil, err
	}
	end := uint64(h.hdrLen) + max(uint64(h.typeOff)+uint64(h.typeLen), uint64(h.strOff)+uint64(h.strLen))
	if end > 1<<31 {
		return nil, fmt.Errorf("%w: %d bytes of BTF is too large", ErrInvalid, end)
	}
	data := make([]byte, end)
	if _, err := r.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && len(data) == 0) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("btf: read %d bytes: %w", end, err)
	}
	return data, nil
}

type header struct {
	hdrLen, typeOff, typeLen, strOff, strLen uint32
}

// parseHeader decodes a BTF header. With onlyHeader it does not check that
// the sections fit in data.
func parseHeader(data []byte, size int, onlyHeader bool) (header, binary.ByteOrder, error) {
	var h header
	if len(data) < btfHeaderLen {
		return h, nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrInvalid, len(data))
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint16(data) == btfMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint16(data) == btfMagic:
		bo = binary.BigEndian
	default:
		return h, nil, fmt.Errorf("%w: bad magic %#04x", ErrInvalid, binary.LittleEndian.Uint16(data))
	}
	if v := data[2]; v != 1 {
		return h, nil, fmt.Errorf("%w: unsupported version %d", ErrInvalid, v)
	}
	h.hdrLen = bo.Uint32(data[4:])
	h.typeOff = bo.Uint32(data[8:])
	h.typeLen = bo.Uint32(data[12:])
	h.strOff = bo.Uint32(data[16:])
	h.strLen = bo.Uint32(data[20:])
	if h.hdrLen < btfHeaderLen {
		return h, nil, fmt.Errorf("%w: header length %d", ErrInvalid, h.hdrLen)
	}
	if onlyHeader {
		return h, bo, nil
	}
	body := uint64(size) - uint64(min(uint64(h.hdrLen), uint64(size)))
	if uint64(h.hdrLen) > uint64(size) {
		return h, nil, fmt.Errorf("%w: header length %d beyond %d bytes", ErrInvalid, h.hdrLen, size)
	}
	if uint64(h.typeOff)+uint64(h.typeLen) > body {
		return h, nil, fmt.Errorf("%w: type section [%d, +%d) beyond %d bytes", ErrInvalid, h.typeOff, h.typeLen, body)
	}
	if uint64(h.strOff)+uint64(h.strLen) > body {
		return h, nil, fmt.Errorf("%w: string section [%d, +%d) beyond %d bytes", ErrInvalid, h.strOff, h.strLen, body)
	}
	if h.typeLen%4 != 0 {
		return h, nil, fmt.Errorf("%w: type section length %d is not a multiple of 4", ErrInvalid, h.typeLen)
	}
	return h, bo, nil
}

// newSpec parses raw BTF. Records are always checked to lie within the type
// section with known kinds, and decoding never reads out of bounds. Unless
// trusted (the kernel's own BTF, which the kernel verified), every name
// offset and type reference is checked too, so that malformed input fails
// here with a clear error; trusted input skips the items of structs,
// unions, enums, prototypes and data sections, which halves the scan of
// vmlinux.
func newSpec(data []byte, base *Spec, trusted bool) (*Spec, error) {
	h, bo, err := parseHeader(data, len(data), false)
	if err != nil {
		return nil, err
	}
	body := data[h.hdrLen:]
	s := &Spec{
		base:    base,
		firstID: 1,
		order:   bo,
		types:   body[h.typeOff : h.typeOff+h.typeLen],
		strings: body[h.strOff : h.strOff+h.strLen],
	}
	if base != nil {
		s.firstID = base.nextID()
		s.strBase = base.stringsEnd()
	}
	if bo == binary.BigEndian {
		s.types = swapWords(s.types)
	}
	if err := s.checkStrings(); err != nil {
		return nil, err
	}
	if err := s.scan(!trusted); err != nil {
		return nil, err
	}
	return s, nil
}

// swapWords returns a copy of b with every 32-bit word byte-swapped: every
// field of a BTF type record is 32 bits wide, so this turns a big-endian
// type section into a little-endian one.
func swapWords(b []byte) []byte {
	out := make([]byte, len(b))
	for i := 0; i+4 <= len(b); i += 4 {
		binary.LittleEndian.PutUint32(out[i:], binary.BigEndian.Uint32(b[i:]))
	}
	return out
}

func (s *Spec) checkStrings() error {
	if len(s.strings) > 0 && s.strings[len(s.strings)-1] != 0 {
		return fmt.Errorf("%w: string section does not end with NUL", ErrInvalid)
	}
	if s.base == nil && (len(s.strings) == 0 || s.strings[0] != 0) {
		return fmt.Errorf("%w: string section does not start with an empty string", ErrInvalid)
	}
	return nil
}

// nextID is the first ID after the Spec's last type.
func (s *Spec) nextID() TypeID { return s.firstID + TypeID(len(s.offsets)) }

// stringsEnd is the first string offset after the Spec's strings.
func (s *Spec) stringsEnd() uint32 { return s.strBase + uint32(len(s.strings)) }

// Record layout: name_off, info (vlen 0-15, kind 24-28, kind_flag 31),
// size_or_type, then kind-specific data.
const recHeaderLen = 12

// Sizes of the data following a record's 12-byte header: a fixed part and
// a part per vlen item, by kind. validKind marks the kinds this package knows.
var (
	fixedExtra = [32]uint32{KindInt: 4, KindVar: 4, KindDeclTag: 4, KindArray: 12}
	itemSize   = [32]uint32{KindStruct: 12, KindUnion: 12, KindDatasec: 12, KindEnum64: 12, KindEnum: 8, KindFuncProto: 8}
	validKind  = [32]bool{
		KindInt: true, KindPointer: true, KindArray: true, KindStruct: true, KindUnion: true,
		KindEnum: true, KindFwd: true, KindTypedef: true, KindVolatile: true, KindConst: true,
		KindRestrict: true, KindFunc: true, KindFuncProto: true, KindVar: true, KindDatasec: true,
		KindFloat: true, KindDeclTag: true, KindTypeTag: true, KindEnum64: true,
	}
	// refsInSizeType marks kinds whose size_or_type field is a type ID.
	refsInSizeType = [32]bool{
		KindPointer: true, KindTypedef: true, KindVolatile: true, KindConst: true, KindRestrict: true,
		KindFunc: true, KindFuncProto: true, KindVar: true, KindDeclTag: true, KindTypeTag: true,
	}
)

// scan walks all records once: it records their offsets and checks that
// every record, and with items set every string offset and type reference,
// is in range.
func (s *Spec) scan(items bool) error {
	b := s.types
	le := binary.LittleEndian
	strEnd := s.stringsEnd()
	var maxRef uint32
	offsets := make([]uint32, 0, len(b)/24+1)
	named := 0
	id := s.firstID
	n := uint32(len(b))
	for off := uint32(0); off < n; id++ {
		if n-off < recHeaderLen {
			return fmt.Errorf("%w: type %d: truncated record header", ErrInvalid, id)
		}
		hdr := b[off : off+recHeaderLen]
		nameOff := le.Uint32(hdr)
		info := le.Uint32(hdr[4:])
		sizeType := le.Uint32(hdr[8:])
		kind := Kind(info >> 24 & 0x1f)
		if !validKind[kind] {
			return fmt.Errorf("%w: type %d: unknown kind %d", ErrInvalid, id, kind)
		}
		extra := fixedExtra[kind] + itemSize[kind]*(info&0xffff)
		end := uint64(off) + recHeaderLen + uint64(extra)
		if end > uint64(n) {
			return fmt.Errorf("%w: type %d (%s): record of %d bytes is truncated", ErrInvalid, id, kind, recHeaderLen+extra)
		}
		if nameOff >= strEnd {
			return fmt.Errorf("%w: type %d (%s): name offset %d out of range", ErrInvalid, id, kind, nameOff)
		}
		if nameOff != 0 {
			named++
		}
		if refsInSizeType[kind] {
			maxRef = max(maxRef, sizeType)
		}
		rec := b[off+recHeaderLen : end]
		var maxName uint32 // the largest name offset of the record's items
		if !items && kind != KindArray {
			rec = nil
		}
		switch kind {
		case KindArray:
			maxRef = max(maxRef, le.Uint32(rec), le.Uint32(rec[4:]))
		case KindStruct, KindUnion:
			for ; len(rec) >= 12; rec = rec[12:] {
				maxName = max(maxName, le.Uint32(rec[0:4]))
				maxRef = max(maxRef, le.Uint32(rec[4:8]))
			}
		case KindDatasec:
			for ; len(rec) >= 12; rec = rec[12:] {
				maxRef = max(maxRef, le.Uint32(rec[0:4]))
			}
		case KindEnum:
			for ; len(rec) >= 8; rec = rec[8:] {
				maxName = max(maxName, le.Uint32(rec[0:4]))
			}
		case KindEnum64:
			for ; len(rec) >= 12; rec = rec[12:] {
				maxName = max(maxName, le.Uint32(rec[0:4]))
			}
		case KindFuncProto:
			for ; len(rec) >= 8; rec = rec[8:] {
				maxName = max(maxName, le.Uint32(rec[0:4]))
				maxRef = max(maxRef, le.Uint32(rec[4:8]))
			}
		}
		if maxName >= strEnd {
			return fmt.Errorf("%w: type %d (%s): item name offset %d out of range", ErrInvalid, id, kind, maxName)
		}
		offsets = append(offsets, off)
		off = uint32(end)
		if id == ^TypeID(0) {
			return fmt.Errorf("%w: too many types", ErrInvalid)
		}
	}
	s.offsets = offsets
	s.named = named
	if TypeID(maxRef) >= s.nextID() {
		return s.badRef(maxRef)
	}
	return nil
}

// badRef reports the first type that refers to ref, which is out of range.
func (s *Spec) badRef(ref uint32) error {
	for i, off := range s.offsets {
		found := false
		s.decode(off).refs(func(r *TypeID) { found = found || uint32(*r) == ref })
		if found {
			return fmt.Errorf("%w: type %d: reference to type %d beyond the last type %d", ErrInvalid, s.firstID+TypeID(i), ref, s.nextID()-1)
		}
	}
	return fmt.Errorf("%w: reference to type %d beyond the last type %d", ErrInvalid, ref, s.nextID()-1)
}

// ByteOrder returns the byte order the BTF was encoded in.
func (s *Spec) ByteOrder() binary.ByteOrder { return s.order }

// Base returns the base Spec of split BTF, or nil.
func (s *Spec) Base() *Spec { return s.base }

// FirstID returns the ID of the Spec's first own type: 1, or for split BTF
// the ID following the base's last type.
func (s *Spec) FirstID() TypeID { return s.firstID }

// LastID returns the highest type ID in the Spec (including its base). A
// Spec holds LastID types besides void, the count bpftool reports.
func (s *Spec) LastID() TypeID { return s.nextID() - 1 }

// locate returns the Spec that holds id and the index of its record there, or
// false if id is void or out of range.
func (s *Spec) locate(id TypeID) (*Spec, uint32, bool) {
	for s != nil {
		if id >= s.firstID {
			i := uint32(id - s.firstID)
			if i < uint32(len(s.offsets)) {
				return s, s.offsets[i], true
			}
			return nil, 0, false
		}
		s = s.base
	}
	return nil, 0, false
}

// TypeByID returns a fresh copy of the type with the given ID. ID 0 gives
// [*Void]. The error wraps [ErrNotFound] for IDs beyond [Spec.LastID].
func (s *Spec) TypeByID(id TypeID) (Type, error) {
	if id == 0 {
		return &Void{}, nil
	}
	owner, off, ok := s.locate(id)
	if !ok {
		return nil, fmt.Errorf("type id %d: %w", id, ErrNotFound)
	}
	return owner.decode(off), nil
}

// KindOf returns the kind of the type with the given ID without decoding it.
func (s *Spec) KindOf(id TypeID) (Kind, error) {
	if id == 0 {
		return KindVoid, nil
	}
	owner, off, ok := s.locate(id)
	if !ok {
		return 0, fmt.Errorf("type id %d: %w", id, ErrNotFound)
	}
	return Kind(binary.LittleEndian.Uint32(owner.types[off+4:]) >> 24 & 0x1f), nil
}

// NameOf returns the name of the type with the given ID without decoding it.
func (s *Spec) NameOf(id TypeID) (string, error) {
	if id == 0 {
		return "", nil
	}
	owner, off, ok := s.locate(id)
	if !ok {
		return "", fmt.Errorf("type id %d: %w", id, ErrNotFound)
	}
	return string(owner.strBytes(binary.LittleEndian.Uint32(owner.types[off:]))), nil
}

// All decodes and yields every type from ID 1 to [Spec.LastID], the base's
// types first for split BTF. Each yielded Type is a fresh value.
func (s *Spec) All() iter.Seq2[TypeID, Type] {
	return func(yield func(TypeID, Type) bool) {
		s.all(yield, true)
	}
}

func (s *Spec) all(yield func(TypeID, Type) bool, withBase bool) bool {
	if withBase && s.base != nil && !s.base.all(yield, true) {
		return false
	}
	s.bulk()
	d := newDecoder(s, true)
	for i, off := range s.offsets {
		if !yield(s.firstID+TypeID(i), d.decode(off)) {
			return false
		}
	}
	return true
}

// bulk prepares the Spec for decoding many types: names become substrings
// of one copy of the string section instead of one allocation each.
func (s *Spec) bulk() {
	s.strtabOnce.Do(func() { s.strtab = string(s.strings) })
	if s.base != nil {
		s.base.bulk()
	}
}

// TypeIDsByName returns the IDs of all types called name, of any kind, in
// ascending order. It returns nil when there is none.
func (s *Spec) TypeIDsByName(name string) []TypeID {
	var ids []TypeID
	for sp := s; sp != nil; sp = sp.base {
		ids = sp.appendByName(ids, name, false)
	}
	slices.Sort(ids)
	return ids
}

// TypeIDsByEssentialName returns the IDs of all types whose essential name
// (see [EssentialName]) equals that of name, in ascending order. CO-RE uses
// it to find the candidates for a local type such as "task_struct___v2".
func (s *Spec) TypeIDsByEssentialName(name string) []TypeID {
	name = EssentialName(name)
	var ids []TypeID
	for sp := s; sp != nil; sp = sp.base {
		ids = sp.appendByName(ids, name, true)
	}
	slices.Sort(ids)
	return ids
}

// AnyTypeByName returns the type called name with the lowest ID, of any
// kind. The error wraps [ErrNotFound] when there is none.
func (s *Spec) AnyTypeByName(name string) (TypeID, Type, error) {
	ids := s.TypeIDsByName(name)
	if len(ids) == 0 {
		return 0, nil, fmt.Errorf("type %q: %w", name, ErrNotFound)
	}
	t, err := s.TypeByID(ids[0])
	return ids[0], t, err
}

// TypeByName returns the type called name of the given kind with the lowest
// ID. KindEnum and KindEnum64 match each other, as both decode to [*Enum].
// The error wraps [ErrNotFound] when there is none.
func (s *Spec) TypeByName(name string, kind Kind) (TypeID, Type, error) {
	for _, id := range s.TypeIDsByName(name) {
		k, _ := s.KindOf(id)
		if k == kind || (isEnumKind(k) && isEnumKind(kind)) {
			t, err := s.TypeByID(id)
			return id, t, err
		}
	}
	return 0, nil, fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
}

func isEnumKind(k Kind) bool { return k == KindEnum || k == KindEnum64 }

// Find returns the type of Go type T (such as *btf.Struct) called name with
// the lowest ID. The error wraps [ErrNotFound] when there is none.
func Find[T Type](s *Spec, name string) (TypeID, T, error) {
	var zero T
	for _, id := range s.TypeIDsByName(name) {
		t, err := s.TypeByID(id)
		if err != nil {
			return 0, zero, err
		}
		if tt, ok := t.(T); ok {
			return id, tt, nil
		}
	}
	return 0, zero, fmt.Errorf("%T %q: %w", zero, name, ErrNotFound)
}

// strBytes returns the NUL-terminated string at off (without the NUL), or
// nil for an offset out of range (possible only in trusted BTF).
func (s *Spec) strBytes(off uint32) []byte {
	if off >= s.stringsEnd() {
		return nil
	}
	for off < s.strBase {
		s = s.base
	}
	b := s.strings[off-s.strBase:]
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// hashName is FNV-1a over the essential part of a name.
func hashName(name []byte) uint32 {
	name = name[:essentialLen(name)]
	h := uint32(2166136261)
	for _, c := range name {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// buildIndex builds the hash table of named own types, keyed by essential
// name. It holds type IDs, 0 marking an empty slot.
func (s *Spec) buildIndex() {
	size := 16
	for size < 2*s.named {
		size <<= 1
	}
	table := make([]TypeID, size)
	mask := uint32(size - 1)
	le := binary.LittleEndian
	for i, off := range s.offsets {
		nameOff := le.Uint32(s.types[off:])
		if nameOff == 0 {
			continue
		}
		h := hashName(s.strBytes(nameOff)) & mask
		for table[h] != 0 {
			h = (h + 1) & mask
		}
		table[h] = s.firstID + TypeID(i)
	}
	s.index = table
}

// indexAfter is the number of name lookups served by scanning before a
// Spec builds its name index: a scan costs a fraction of building the index,
// so programs that look up a handful of types never pay for it.
const indexAfter = 8

func (s *Spec) appendByName(ids []TypeID, name string, essential bool) []TypeID {
	if name == "" || len(s.offsets) == 0 {
		return ids
	}
	if !essential && s.lookups.Add(1) <= indexAfter {
		return s.appendByNameScan(ids, name)
	}
	s.indexOnce.Do(s.buildIndex)
	mask := uint32(len(s.index) - 1)
	le := binary.LittleEndian
	for h := hashName([]byte(name)) & mask; s.index[h] != 0; h = (h + 1) & mask {
		id := s.index[h]
		got := s.strBytes(le.Uint32(s.types[s.offsets[id-s.firstID]:]))
		if essential {
			got = got[:essentialLen(got)]
		}
		if string(got) == name {
			ids = append(ids, id)
		}
	}
	return ids
}

// appendByNameScan finds name without the index, comparing the name of
// every record.
func (s *Spec) appendByNameScan(ids []TypeID, name string) []TypeID {
	le := binary.LittleEndian
	c0 := name[0]
	for i, off := range s.offsets {
		nameOff := le.Uint32(s.types[off:])
		if nameOff == 0 {
			continue
		}
		sp := s
		for nameOff < sp.strBase {
			sp = sp.base // split BTF may use the base's strings
		}
		str := sp.strings[nameOff-sp.strBase:]
		if len(str) == 0 || str[0] != c0 || len(str) <= len(name) || str[len(name)] != 0 || string(str[:len(name)]) != name {
			continue
		}
		ids = append(ids, s.firstID+TypeID(i))
	}
	return ids
}

// StringAt returns the string at offset off of the string section (for
// split BTF, offsets below the base's string size address the base's
// strings). .BTF.ext records and line_info refer to strings this way. The
// error wraps [ErrNotFound] for offsets beyond the section.
func (s *Spec) StringAt(off uint32) (string, error) {
	if off >= s.stringsEnd() {
		return "", fmt.Errorf("string offset %d: %w", off, ErrNotFound)
	}
	return string(s.strBytes(off)), nil
}
