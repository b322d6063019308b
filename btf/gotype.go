package btf

import (
	"fmt"
	"reflect"
	"strings"
)

// AddGoType adds BTF describing the Go type t and returns its ID, so that a
// map created from Go carries key and value BTF and bpftool prints its
// entries with field names.
//
// Supported are bool, sized and platform integers, float32/64, arrays and
// structs of these. A struct becomes a BTF struct named after the Go type
// (anonymous for an unnamed struct type), with one member per field at the
// offset Go lays it out; padding stays implicit, and blank ("_") fields are
// left out as they are padding. Other named types become a typedef of their
// underlying type. Integers are named after their Go kind ("uint32").
// Pointers, slices, strings, maps, channels, functions and interfaces have
// no fixed layout the kernel can see and give an error.
//
// Types added before are reused, so adding a key and a value type that share
// a field type encodes it once.
func (b *Builder) AddGoType(t reflect.Type) (TypeID, error) {
	if t == nil {
		return 0, fmt.Errorf("go type: nil type")
	}
	if b.goTypes == nil {
		b.goTypes = make(map[reflect.Type]TypeID)
	}
	return b.addGo(t, 0)
}

func (b *Builder) addGo(t reflect.Type, depth int) (TypeID, error) {
	if id, ok := b.goTypes[t]; ok {
		return id, nil
	}
	if depth > maxResolveDepth {
		return 0, fmt.Errorf("go type %s: nested too deeply", t)
	}
	named := t.Name() != "" && t.PkgPath() != ""
	if named && t.Kind() != reflect.Struct {
		// type Port uint16 → typedef Port → uint16.
		under, err := b.addUnnamed(t, depth)
		if err != nil {
			return 0, err
		}
		id, err := b.Add(&Typedef{Name: cIdent(t.Name()), Type: under})
		if err != nil {
			return 0, err
		}
		b.goTypes[t] = id
		return id, nil
	}
	id, err := b.addUnnamed(t, depth)
	if err != nil {
		return 0, err
	}
	b.goTypes[t] = id
	return id, nil
}

// addUnnamed encodes the layout of t: an integer, float, array or struct.
func (b *Builder) addUnnamed(t reflect.Type, depth int) (TypeID, error) {
	switch t.Kind() {
	case reflect.Bool:
		return b.addBasic(t.Kind(), &Int{Name: "bool", Size: 1, Encoding: Bool, Bits: 8})
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		size := uint32(t.Size())
		return b.addBasic(t.Kind(), &Int{Name: t.Kind().String(), Size: size, Encoding: Signed, Bits: uint8(8 * size)})
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		size := uint32(t.Size())
		return b.addBasic(t.Kind(), &Int{Name: t.Kind().String(), Size: size, Bits: uint8(8 * size)})
	case reflect.Float32, reflect.Float64:
		return b.addBasic(t.Kind(), &Float{Name: t.Kind().String(), Size: uint32(t.Size())})
	case reflect.Array:
		elem, err := b.addGo(t.Elem(), depth+1)
		if err != nil {
			return 0, err
		}
		ix, err := b.arrayIndex()
		if err != nil {
			return 0, err
		}
		return b.Add(&Array{Type: elem, Index: ix, Nelems: uint32(t.Len())})
	case reflect.Struct:
		st := &Struct{Size: uint32(t.Size())}
		if t.Name() != "" {
			st.Name = cIdent(t.Name())
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" {
				continue
			}
			ft, err := b.addGo(f.Type, depth+1)
			if err != nil {
				return 0, fmt.Errorf("go type %s: field %s: %w", t, f.Name, err)
			}
			st.Members = append(st.Members, Member{Name: cIdent(f.Name), Type: ft, BitOffset: uint32(f.Offset) * 8})
		}
		return b.Add(st)
	}
	return 0, fmt.Errorf("go type %s: %s has no fixed-size BTF encoding", t, t.Kind())
}

// addBasic adds an integer or float type once per reflect.Kind, so that
// named types sharing a kind share the base type.
func (b *Builder) addBasic(k reflect.Kind, t Type) (TypeID, error) {
	key := basicTypes[k]
	if id, ok := b.goTypes[key]; ok {
		return id, nil
	}
	id, err := b.Add(t)
	if err == nil {
		b.goTypes[key] = id
	}
	return id, err
}

var basicTypes = map[reflect.Kind]reflect.Type{
	reflect.Bool: reflect.TypeFor[bool](), reflect.Int: reflect.TypeFor[int](),
	reflect.Int8: reflect.TypeFor[int8](), reflect.Int16: reflect.TypeFor[int16](),
	reflect.Int32: reflect.TypeFor[int32](), reflect.Int64: reflect.TypeFor[int64](),
	reflect.Uint: reflect.TypeFor[uint](), reflect.Uint8: reflect.TypeFor[uint8](),
	reflect.Uint16: reflect.TypeFor[uint16](), reflect.Uint32: reflect.TypeFor[uint32](),
	reflect.Uint64: reflect.TypeFor[uint64](), reflect.Uintptr: reflect.TypeFor[uintptr](),
	reflect.Float32: reflect.TypeFor[float32](), reflect.Float64: reflect.TypeFor[float64](),
}

// arrayIndex returns the integer type used as array index, which compilers
// call __ARRAY_SIZE_TYPE__.
func (b *Builder) arrayIndex() (TypeID, error) {
	if b.arrayIx != 0 {
		return b.arrayIx, nil
	}
	id, err := b.Add(&Int{Name: "__ARRAY_SIZE_TYPE__", Size: 4, Bits: 32})
	if err == nil {
		b.arrayIx = id
	}
	return id, err
}

// cIdent turns a Go identifier into a C one: the kernel accepts only ASCII
// letters, digits and '_' in names, so generic type arguments ("Pair[int]")
// and non-ASCII letters become '_'.
func cIdent(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

// MapBTF is BTF for a map whose key and value are Go types: the blob to
// load with BPF_BTF_LOAD and the IDs to pass as btf_key_type_id and
// btf_value_type_id to BPF_MAP_CREATE.
type MapBTF struct {
	BTF         []byte
	KeyTypeID   TypeID
	ValueTypeID TypeID
}

// NewMapBTF builds BTF for a map with the given key and value Go types (see
// [Builder.AddGoType]). A nil key or value gets ID 0, for map types without
// keys such as queues.
func NewMapBTF(key, value reflect.Type) (*MapBTF, error) {
	b := NewBuilder()
	var m MapBTF
	var err error
	if key != nil {
		if m.KeyTypeID, err = b.AddGoType(key); err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
	}
	if value != nil {
		if m.ValueTypeID, err = b.AddGoType(value); err != nil {
			return nil, fmt.Errorf("map value: %w", err)
		}
	}
	if m.BTF, err = b.Marshal(nil); err != nil {
		return nil, err
	}
	return &m, nil
}
