package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Kind is the type of a field of a record.
type Kind uint8

// Field kinds: fixed-size integers in the byte order of the kernel (the
// host's), and byte arrays (char comm[16]).
const (
	U8 Kind = iota + 1
	U16
	U32
	U64
	I8
	I16
	I32
	I64
	Bytes // a byte array of Field.Len bytes, alignment 1
)

var kindNames = [...]string{U8: "u8", U16: "u16", U32: "u32", U64: "u64", I8: "i8", I16: "i16", I32: "i32", I64: "i64", Bytes: "bytes"}

// String returns the kind's name as the seed writes it without the colon:
// "u32", "i64", "bytes".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Size returns the size in bytes of an integer kind, 0 for Bytes and
// unknown kinds.
func (k Kind) Size() int {
	switch k {
	case U8, I8:
		return 1
	case U16, I16:
		return 2
	case U32, I32:
		return 4
	case U64, I64:
		return 8
	}
	return 0
}

func (k Kind) signed() bool { return k >= I8 && k <= I64 }

// Field is one field of a record layout.
type Field struct {
	// Name names the field (optional); [Layout.Index] finds it.
	Name string
	// Kind is the field's type.
	Kind Kind
	// Len is the length of a Bytes field; ignored for integers.
	Len int
	// Offset is the field's offset in the record, set by [NewLayout] with
	// C's alignment rules.
	Offset int
}

// Layout is the layout of a fixed-size record as a C compiler lays out a
// struct: each field at the next offset aligned to its size (byte arrays to
// 1), and the whole rounded up to the largest alignment. The record
// [:u32 :u64 :u32] of the seed is 24 bytes: offsets 0, 8 and 16.
//
// A Layout is immutable and safe for concurrent use.
type Layout struct {
	fields []Field
	size   int
	align  int
}

// maxRecord bounds a record's size: a ring buffer record is at most 4 GiB,
// but layouts are for small fixed records.
const maxRecord = 1 << 20

// NewLayout lays fields out with C alignment and returns the layout. The
// Offset of each field is computed (a given Offset is ignored).
func NewLayout(fields ...Field) (*Layout, error) {
	l := &Layout{fields: make([]Field, len(fields)), align: 1}
	off := 0
	for i, f := range fields {
		size, align := f.Kind.Size(), f.Kind.Size()
		switch {
		case f.Kind == Bytes:
			if f.Len <= 0 || f.Len > maxRecord {
				return nil, fmt.Errorf("layout: field %d (%s): byte array length %d", i, f.Name, f.Len)
			}
			size, align = f.Len, 1
		case size == 0:
			return nil, fmt.Errorf("layout: field %d (%s): unknown kind %v", i, f.Name, f.Kind)
		default:
			f.Len = 0
		}
		off = (off + align - 1) &^ (align - 1)
		f.Offset = off
		off += size
		if off > maxRecord {
			return nil, fmt.Errorf("layout: record larger than %d bytes", maxRecord)
		}
		l.align = max(l.align, align)
		l.fields[i] = f
	}
	l.size = (off + l.align - 1) &^ (l.align - 1)
	return l, nil
}

// MustLayout is [NewLayout] for layouts fixed in the source: it panics on
// an error.
func MustLayout(fields ...Field) *Layout {
	l, err := NewLayout(fields...)
	if err != nil {
		panic(err)
	}
	return l
}

// ParseLayout parses a field list in the seed's notation, "[:u32 :u64 :u32]",
// or with names, "[pid:u32 ts:u64 comm:u8[16]]". Brackets and commas are
// optional; the types are u8, u16, u32, u64, i8, i16, i32, i64 (also
// uint32_t-style and __u32-style names), and u8[N] or char[N] for byte arrays.
func ParseLayout(spec string) (*Layout, error) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") || len(s) < 2 {
			return nil, fmt.Errorf("parse layout %q: unbalanced brackets", spec)
		}
		s = s[1 : len(s)-1]
	}
	var fields []Field
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
		name, typ := "", tok
		if i := strings.LastIndexByte(tok, ':'); i >= 0 {
			name, typ = tok[:i], tok[i+1:]
		}
		f, err := parseFieldType(typ)
		if err != nil {
			return nil, fmt.Errorf("parse layout %q: field %q: %w", spec, tok, err)
		}
		f.Name = name
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("parse layout %q: no fields", spec)
	}
	l, err := NewLayout(fields...)
	if err != nil {
		return nil, fmt.Errorf("parse layout %q: %w", spec, err)
	}
	return l, nil
}

func parseFieldType(typ string) (Field, error) {
	if base, n, ok := strings.Cut(typ, "["); ok {
		if !strings.HasSuffix(n, "]") {
			return Field{}, errors.New("unbalanced brackets")
		}
		length, err := strconv.Atoi(n[:len(n)-1])
		if err != nil || length <= 0 || length > maxRecord {
			return Field{}, fmt.Errorf("bad array length %q", n[:len(n)-1])
		}
		switch base {
		case "u8", "char", "i8", "uint8_t", "__u8", "byte":
			return Field{Kind: Bytes, Len: length}, nil
		}
		return Field{}, fmt.Errorf("arrays of %q are not supported (only byte arrays)", base)
	}
	t := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(typ, "__"), "uint"), "_t")
	switch t {
	case "u8", "8":
		return Field{Kind: U8}, nil
	case "u16", "16":
		return Field{Kind: U16}, nil
	case "u32", "32":
		return Field{Kind: U32}, nil
	case "u64", "64":
		return Field{Kind: U64}, nil
	}
	t = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(typ, "__"), "int"), "_t")
	switch t {
	case "i8", "s8", "8":
		return Field{Kind: I8}, nil
	case "i16", "s16", "16":
		return Field{Kind: I16}, nil
	case "i32", "s32", "32":
		return Field{Kind: I32}, nil
	case "i64", "s64", "64":
		return Field{Kind: I64}, nil
	}
	return Field{}, fmt.Errorf("unknown type %q", typ)
}

// LayoutOf returns the layout of the Go struct type T, whose fields must be
// fixed-size integers (int8 ... uint64, not int or uint) or byte arrays;
// nested structs and arrays of them are flattened. It fails when Go's
// layout of T differs from C's (it does not for these field types).
func LayoutOf[T any]() (*Layout, error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("layout of %v: not a struct", t)
	}
	var fields []Field
	if err := flatten(t, "", 0, &fields); err != nil {
		return nil, fmt.Errorf("layout of %v: %w", t, err)
	}
	l, err := NewLayout(fields...)
	if err != nil {
		return nil, fmt.Errorf("layout of %v: %w", t, err)
	}
	for i, f := range l.fields {
		if f.Offset != fields[i].Offset {
			return nil, fmt.Errorf("layout of %v: field %s at Go offset %d, C offset %d", t, f.Name, fields[i].Offset, f.Offset)
		}
	}
	if l.size != int(t.Size()) {
		return nil, fmt.Errorf("layout of %v: Go size %d, C size %d", t, t.Size(), l.size)
	}
	return l, nil
}

var reflectKinds = map[reflect.Kind]Kind{
	reflect.Uint8: U8, reflect.Uint16: U16, reflect.Uint32: U32, reflect.Uint64: U64,
	reflect.Int8: I8, reflect.Int16: I16, reflect.Int32: I32, reflect.Int64: I64,
}

func flatten(t reflect.Type, prefix string, base int, out *[]Field) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		name := prefix + sf.Name
		off := base + int(sf.Offset)
		ft := sf.Type
		if k, ok := reflectKinds[ft.Kind()]; ok {
			*out = append(*out, Field{Name: name, Kind: k, Offset: off})
			continue
		}
		switch ft.Kind() {
		case reflect.Array:
			if ft.Elem().Kind() == reflect.Uint8 || ft.Elem().Kind() == reflect.Int8 {
				*out = append(*out, Field{Name: name, Kind: Bytes, Len: ft.Len(), Offset: off})
				continue
			}
			for j := range ft.Len() {
				if err := flattenOne(ft.Elem(), fmt.Sprintf("%s[%d]", name, j), off+j*int(ft.Elem().Size()), out); err != nil {
					return err
				}
			}
			continue
		case reflect.Struct:
			if err := flatten(ft, name+".", off, out); err != nil {
				return err
			}
			continue
		}
		return fmt.Errorf("field %s: type %v is not a fixed-size integer, byte array or struct of them", name, ft)
	}
	return nil
}

func flattenOne(t reflect.Type, name string, off int, out *[]Field) error {
	if k, ok := reflectKinds[t.Kind()]; ok {
		*out = append(*out, Field{Name: name, Kind: k, Offset: off})
		return nil
	}
	if t.Kind() == reflect.Struct {
		return flatten(t, name+".", off, out)
	}
	return fmt.Errorf("field %s: type %v is not supported", name, t)
}

// Size returns the record's size in bytes, padding included.
func (l *Layout) Size() int { return l.size }

// Fields returns a copy of the fields with their offsets.
func (l *Layout) Fields() []Field { return append([]Field(nil), l.fields...) }

// Index returns the index of the field called name, or -1.
func (l *Layout) Index(name string) int {
	for i, f := range l.fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// String returns the layout in the notation ParseLayout reads.
func (l *Layout) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range l.fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Name)
		b.WriteByte(':')
		if f.Kind == Bytes {
			fmt.Fprintf(&b, "u8[%d]", f.Len)
		} else {
			b.WriteString(f.Kind.String())
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Parse decodes a record into one value per field: uint8, uint16, uint32,
// uint64, int8, ..., int64, or a []byte copy for byte arrays. b must hold
// at least Size bytes (perf samples carry padding after the record, which is
// ignored).
func (l *Layout) Parse(b []byte) ([]any, error) {
	if len(b) < l.size {
		return nil, fmt.Errorf("parse %v: record of %d bytes, want %d", l, len(b), l.size)
	}
	vals := make([]any, len(l.fields))
	for i, f := range l.fields {
		p := b[f.Offset:]
		switch f.Kind {
		case U8:
			vals[i] = p[0]
		case U16:
			vals[i] = binary.NativeEndian.Uint16(p)
		case U32:
			vals[i] = binary.NativeEndian.Uint32(p)
		case U64:
			vals[i] = binary.NativeEndian.Uint64(p)
		case I8:
			vals[i] = int8(p[0])
		case I16:
			vals[i] = int16(binary.NativeEndian.Uint16(p))
		case I32:
			vals[i] = int32(binary.NativeEndian.Uint32(p))
		case I64:
			vals[i] = int64(binary.NativeEndian.Uint64(p))
		case Bytes:
			vals[i] = append([]byte(nil), p[:f.Len]...)
		}
	}
	return vals, nil
}

// Uint returns field i of record b as a uint64 (sign-extended for signed
// kinds); it allocates nothing. It fails for Bytes fields and short records.
func (l *Layout) Uint(b []byte, i int) (uint64, error) {
	if i < 0 || i >= len(l.fields) {
		return 0, fmt.Errorf("field %d of %v: no such field", i, l)
	}
	f := l.fields[i]
	if len(b) < f.Offset+f.Kind.Size() || f.Kind == Bytes {
		return 0, fmt.Errorf("field %d of %v: record of %d bytes or not an integer", i, l, len(b))
	}
	p := b[f.Offset:]
	switch f.Kind {
	case U8:
		return uint64(p[0]), nil
	case U16:
		return uint64(binary.NativeEndian.Uint16(p)), nil
	case U32:
		return uint64(binary.NativeEndian.Uint32(p)), nil
	case U64, I64:
		return binary.NativeEndian.Uint64(p), nil
	case I8:
		return uint64(int64(int8(p[0]))), nil
	case I16:
		return uint64(int64(int16(binary.NativeEndian.Uint16(p)))), nil
	case I32:
		return uint64(int64(int32(binary.NativeEndian.Uint32(p)))), nil
	}
	return 0, fmt.Errorf("field %d of %v: kind %v", i, l, f.Kind)
}

// Append serializes vals, one per field, as a record appended to dst, with
// zeroed padding. Integer fields take any Go integer whose value fits the
// field; byte-array fields take a []byte or string of at most Len bytes
// (zero-filled).
func (l *Layout) Append(dst []byte, vals ...any) ([]byte, error) {
	if len(vals) != len(l.fields) {
		return dst, fmt.Errorf("serialize %v: %d values for %d fields", l, len(vals), len(l.fields))
	}
	start := len(dst)
	dst = append(dst, make([]byte, l.size)...)
	rec := dst[start:]
	for i, f := range l.fields {
		p := rec[f.Offset:]
		if f.Kind == Bytes {
			var src []byte
			switch v := vals[i].(type) {
			case []byte:
				src = v
			case string:
				src = []byte(v)
			default:
				return dst[:start], fmt.Errorf("serialize %v: field %d: %T for a byte array", l, i, vals[i])
			}
			if len(src) > f.Len {
				return dst[:start], fmt.Errorf("serialize %v: field %d: %d bytes for %d", l, i, len(src), f.Len)
			}
			copy(p, src)
			continue
		}
		v, err := toBits(vals[i], f.Kind)
		if err != nil {
			return dst[:start], fmt.Errorf("serialize %v: field %d: %w", l, i, err)
		}
		switch f.Kind.Size() {
		case 1:
			p[0] = byte(v)
		case 2:
			binary.NativeEndian.PutUint16(p, uint16(v))
		case 4:
			binary.NativeEndian.PutUint32(p, uint32(v))
		case 8:
			binary.NativeEndian.PutUint64(p, v)
		}
	}
	return dst, nil
}

// Serialize is Append to a new buffer.
func (l *Layout) Serialize(vals ...any) ([]byte, error) { return l.Append(nil, vals...) }

// toBits converts an integer of any Go type to the bits of kind k, checking
// its range.
func toBits(v any, k Kind) (uint64, error) {
	var u uint64
	var s int64
	var neg, isSigned bool
	switch x := v.(type) {
	case int:
		s, isSigned = int64(x), true
	case int8:
		s, isSigned = int64(x), true
	case int16:
		s, isSigned = int64(x), true
	case int32:
		s, isSigned = int64(x), true
	case int64:
		s, isSigned = x, true
	case uint:
		u = uint64(x)
	case uint8:
		u = uint64(x)
	case uint16:
		u = uint64(x)
	case uint32:
		u = uint64(x)
	case uint64:
		u = x
	case uintptr:
		u = uint64(x)
	default:
		return 0, fmt.Errorf("%T is not an integer", v)
	}
	if isSigned {
		neg = s < 0
		u = uint64(s)
	}
	bits := uint(k.Size() * 8)
	if k.signed() {
		lo, hi := int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
		if !neg && u > uint64(math.MaxInt64) || !neg && int64(u) > hi || neg && s < lo {
			return 0, fmt.Errorf("%v out of range for %v", v, k)
		}
	} else if neg || bits < 64 && u >= 1<<bits {
		return 0, fmt.Errorf("%v out of range for %v", v, k)
	}
	return u, nil
}
