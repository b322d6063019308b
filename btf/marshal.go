package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
)

// Builder assembles BTF from Go values of the [Type] types, for loading into
// the kernel with BPF_BTF_LOAD or writing to a file. Types are added in ID
// order and refer to each other by the IDs [Builder.Add] returned (or, for a
// split Builder, to types of the base). A Builder is not safe for
// concurrent use.
type Builder struct {
	base    *Spec
	firstID TypeID
	types   []Type

	strs    map[string]uint32
	strtab  []byte
	strBase uint32

	goTypes map[reflect.Type]TypeID
	arrayIx TypeID

	typHint int // expected size of the type section, to size buffers
}

// NewBuilder returns an empty Builder whose first type gets ID 1.
func NewBuilder() *Builder {
	return newBuilder(nil)
}

// NewSplitBuilder returns an empty Builder for split BTF on top of base (a
// kernel module's BTF on top of vmlinux): its first type gets the ID after
// base's last, and its types may refer to base's.
func NewSplitBuilder(base *Spec) *Builder {
	return newBuilder(base)
}

func newBuilder(base *Spec) *Builder {
	b := &Builder{base: base, firstID: 1, strs: map[string]uint32{"": 0}, strtab: []byte{0}}
	if base != nil {
		b.firstID = base.nextID()
		b.strBase = base.stringsEnd()
		// The empty string of the base serves as name offset 0.
		b.strs[""] = 0
	}
	return b
}

// Add appends t and returns its ID. The Builder keeps t: do not modify it
// afterwards. References are checked by [Builder.Marshal], so types may
// refer to IDs that are added later.
func (b *Builder) Add(t Type) (TypeID, error) {
	switch t.(type) {
	case nil:
		return 0, errors.New("btf builder: add nil type")
	case *Void:
		return 0, errors.New("btf builder: void is implicit type 0 and cannot be added")
	}
	id := b.firstID + TypeID(len(b.types))
	if id == math.MaxUint32 {
		return 0, errors.New("btf builder: too many types")
	}
	b.types = append(b.types, t)
	return id, nil
}

// AddString adds s to the string section and returns its offset, as
// func_info and line_info records refer to file names and source lines.
func (b *Builder) AddString(s string) uint32 {
	if off, ok := b.strs[s]; ok {
		return off
	}
	off := b.strBase + uint32(len(b.strtab))
	b.strtab = append(b.strtab, s...)
	b.strtab = append(b.strtab, 0)
	b.strs[s] = off
	return off
}

// NextID returns the ID the next added type will get.
func (b *Builder) NextID() TypeID { return b.firstID + TypeID(len(b.types)) }

// MarshalOptions configures [Builder.Marshal] and [Spec.Marshal].
type MarshalOptions struct {
	// Order is the byte order to encode in. nil means the host's order,
	// which BPF_BTF_LOAD requires.
	Order binary.ByteOrder
}

// Marshal encodes the added types as raw BTF (header, type section, string
// section). It fails on references to IDs that do not exist and on values
// the encoding cannot hold.
func (b *Builder) Marshal(opts *MarshalOptions) ([]byte, error) {
	var order binary.ByteOrder = binary.NativeEndian
	if opts != nil && opts.Order != nil {
		order = opts.Order
	}
	next := b.NextID()
	typ := make([]byte, 0, b.typHint)
	for i, t := range b.types {
		id := b.firstID + TypeID(i)
		var bad error
		t.refs(func(r *TypeID) {
			if *r >= next && bad == nil {
				bad = fmt.Errorf("btf builder: type %d (%s): reference to type %d beyond the last type %d", id, t.Kind(), *r, next-1)
			}
		})
		if bad != nil {
			return nil, bad
		}
		var err error
		typ, err = b.encode(typ, t)
		if err != nil {
			return nil, fmt.Errorf("btf builder: type %d (%s %q): %w", id, t.Kind(), t.TypeName(), err)
		}
	}
	if order == binary.BigEndian || (order != binary.LittleEndian && order.Uint16([]byte{0, 1}) == 1) {
		for i := 0; i+4 <= len(typ); i += 4 {
			binary.BigEndian.PutUint32(typ[i:], binary.LittleEndian.Uint32(typ[i:]))
		}
	}
	if uint64(len(typ))+uint64(len(b.strtab)) > math.MaxUint32-btfHeaderLen {
		return nil, errors.New("btf builder: output too large")
	}
	out := make([]byte, btfHeaderLen, btfHeaderLen+len(typ)+len(b.strtab))
	order.PutUint16(out[0:], btfMagic)
	out[2] = 1 // version
	out[3] = 0 // flags
	order.PutUint32(out[4:], btfHeaderLen)
	order.PutUint32(out[8:], 0)
	order.PutUint32(out[12:], uint32(len(typ)))
	order.PutUint32(out[16:], uint32(len(typ)))
	order.PutUint32(out[20:], uint32(len(b.strtab)))
	out = append(out, typ...)
	out = append(out, b.strtab...)
	return out, nil
}

func putRecord(buf []byte, name uint32, kind Kind, kflag bool, vlen int, sizeType uint32) ([]byte, error) {
	if vlen > 0xffff {
		return buf, fmt.Errorf("%d items exceed the limit of 65535", vlen)
	}
	info := uint32(kind)<<24 | uint32(vlen)
	if kflag {
		info |= 1 << 31
	}
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(buf, name), info), sizeType), nil
}

func (b *Builder) encode(buf []byte, t Type) ([]byte, error) {
	le := binary.LittleEndian
	u32 := le.AppendUint32
	var err error
	switch t := t.(type) {
	case *Int:
		if t.Encoding > 0xf {
			return buf, fmt.Errorf("encoding %#x out of range", uint8(t.Encoding))
		}
		buf, err = putRecord(buf, b.AddString(t.Name), KindInt, false, 0, t.Size)
		buf = u32(buf, uint32(t.Encoding)<<24|uint32(t.Offset)<<16|uint32(t.Bits))
	case *Pointer:
		buf, err = putRecord(buf, 0, KindPointer, false, 0, uint32(t.Target))
	case *Array:
		buf, err = putRecord(buf, 0, KindArray, false, 0, 0)
		buf = u32(u32(u32(buf, uint32(t.Type)), uint32(t.Index)), t.Nelems)
	case *Struct:
		return b.encodeComposite(buf, KindStruct, t.Name, t.Size, t.Members)
	case *Union:
		return b.encodeComposite(buf, KindUnion, t.Name, t.Size, t.Members)
	case *Enum:
		kind := KindEnum
		if t.Is64 {
			kind = KindEnum64
		}
		buf, err = putRecord(buf, b.AddString(t.Name), kind, t.Signed, len(t.Values), t.Size)
		for _, v := range t.Values {
			buf = u32(buf, b.AddString(v.Name))
			if t.Is64 {
				buf = u32(u32(buf, uint32(v.Value)), uint32(v.Value>>32))
				continue
			}
			if t.Signed && (int64(v.Value) < math.MinInt32 || int64(v.Value) > math.MaxInt32) ||
				!t.Signed && v.Value > math.MaxUint32 {
				return buf, fmt.Errorf("value %s = %d does not fit a 32-bit enum (set Is64)", v.Name, v.Value)
			}
			buf = u32(buf, uint32(v.Value))
		}
	case *Fwd:
		buf, err = putRecord(buf, b.AddString(t.Name), KindFwd, t.Union, 0, 0)
	case *Typedef:
		buf, err = putRecord(buf, b.AddString(t.Name), KindTypedef, false, 0, uint32(t.Type))
	case *Volatile:
		buf, err = putRecord(buf, 0, KindVolatile, false, 0, uint32(t.Type))
	case *Const:
		buf, err = putRecord(buf, 0, KindConst, false, 0, uint32(t.Type))
	case *Restrict:
		buf, err = putRecord(buf, 0, KindRestrict, false, 0, uint32(t.Type))
	case *Func:
		buf, err = putRecord(buf, b.AddString(t.Name), KindFunc, false, int(t.Linkage), uint32(t.Type))
	case *FuncProto:
		buf, err = putRecord(buf, 0, KindFuncProto, false, len(t.Params), uint32(t.Return))
		for _, p := range t.Params {
			buf = u32(u32(buf, b.AddString(p.Name)), uint32(p.Type))
		}
	case *Var:
		buf, err = putRecord(buf, b.AddString(t.Name), KindVar, false, 0, uint32(t.Type))
		buf = u32(buf, uint32(t.Linkage))
	case *Datasec:
		buf, err = putRecord(buf, b.AddString(t.Name), KindDatasec, false, len(t.Vars), t.Size)
		for _, v := range t.Vars {
			buf = u32(u32(u32(buf, uint32(v.Type)), v.Offset), v.Size)
		}
	case *Float:
		buf, err = putRecord(buf, b.AddString(t.Name), KindFloat, false, 0, t.Size)
	case *DeclTag:
		buf, err = putRecord(buf, b.AddString(t.Name), KindDeclTag, t.Attr, 0, uint32(t.Type))
		buf = u32(buf, uint32(t.ComponentIdx))
	case *TypeTag:
		buf, err = putRecord(buf, b.AddString(t.Name), KindTypeTag, t.Attr, 0, uint32(t.Type))
	default:
		return buf, fmt.Errorf("cannot encode %T", t)
	}
	return buf, err
}

func (b *Builder) encodeComposite(buf []byte, kind Kind, name string, size uint32, ms []Member) ([]byte, error) {
	kflag := false
	for _, m := range ms {
		if m.BitfieldSize != 0 {
			kflag = true
		}
	}
	buf, err := putRecord(buf, b.AddString(name), kind, kflag, len(ms), size)
	if err != nil {
		return buf, err
	}
	for _, m := range ms {
		off := m.BitOffset
		if kflag {
			if off > 0xffffff {
				return buf, fmt.Errorf("member %q: bit offset %d of a bitfield struct exceeds 24 bits", m.Name, off)
			}
			off |= uint32(m.BitfieldSize) << 24
		}
		le := binary.LittleEndian
		buf = le.AppendUint32(le.AppendUint32(le.AppendUint32(buf, b.AddString(m.Name)), uint32(m.Type)), off)
	}
	return buf, nil
}

// Marshal re-encodes the Spec's own types (for split BTF, not the base's)
// from their decoded form. Parsing the result on the same base gives the
// same types under the same IDs.
func (s *Spec) Marshal(opts *MarshalOptions) ([]byte, error) {
	b, err := s.Builder()
	if err != nil {
		return nil, err
	}
	return b.Marshal(opts)
}

// Builder returns a Builder holding copies of the Spec's own types under the
// same IDs (for split BTF, on top of the same base), so that a caller can
// rewrite some of them with [Builder.Type] before marshalling: the ELF
// loader fills in DATASEC sizes and variable offsets this way, and loading
// on older kernels can replace kinds they lack.
func (s *Spec) Builder() (*Builder, error) {
	b := newBuilder(s.base)
	// Size everything for a copy of this Spec up front.
	b.types = make([]Type, 0, len(s.offsets))
	b.strtab = make([]byte, 1, len(s.strings)+1)
	b.strs = make(map[string]uint32, s.named)
	b.strs[""] = 0
	b.typHint = len(s.types)
	var err error
	s.all(func(_ TypeID, t Type) bool {
		_, err = b.Add(t)
		return err == nil
	}, false)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Type returns the type added under id, which the caller may modify in
// place, or nil if id was not added to this Builder.
func (b *Builder) Type(id TypeID) Type {
	if id < b.firstID || id-b.firstID >= TypeID(len(b.types)) {
		return nil
	}
	return b.types[id-b.firstID]
}

// Replace swaps the type under id for t.
func (b *Builder) Replace(id TypeID, t Type) error {
	if b.Type(id) == nil {
		return fmt.Errorf("btf builder: type %d: %w", id, ErrNotFound)
	}
	if _, ok := t.(*Void); ok || t == nil {
		return fmt.Errorf("btf builder: type %d: cannot replace with void", id)
	}
	b.types[id-b.firstID] = t
	return nil
}
