package btf

import (
	"errors"
	"fmt"
	"strings"
)

// PointerSize is the size of a pointer in BPF programs and 64-bit kernels,
// in bytes. BTF does not record it.
const PointerSize = 8

// errDepth reports a chain of references too long to be valid.
var errDepth = fmt.Errorf("%w: type chain longer than %d", ErrInvalid, maxResolveDepth)

// refTarget returns the single referenced type of a typedef, qualifier or
// type tag.
func refTarget(t Type) (TypeID, bool) {
	switch t := t.(type) {
	case *Typedef:
		return t.Type, true
	case *Const:
		return t.Type, true
	case *Volatile:
		return t.Type, true
	case *Restrict:
		return t.Type, true
	case *TypeTag:
		return t.Type, true
	}
	return 0, false
}

// Underlying resolves id through typedefs, const, volatile, restrict and type
// tags, and returns the first type that is none of these, with its ID.
func (s *Spec) Underlying(id TypeID) (TypeID, Type, error) {
	return s.skip(id, true)
}

// SkipQualifiers resolves id through const, volatile, restrict and type tags
// (but not typedefs), as CO-RE does when comparing types.
func (s *Spec) SkipQualifiers(id TypeID) (TypeID, Type, error) {
	return s.skip(id, false)
}

func (s *Spec) skip(id TypeID, typedefs bool) (TypeID, Type, error) {
	return skipRefs(s, id, typedefs)
}

// typeLookup decodes types by id: a *Spec, or a cache in front of one.
type typeLookup interface {
	TypeByID(id TypeID) (Type, error)
}

// skipRefs resolves id through qualifiers (and typedefs, when asked) using l.
func skipRefs(l typeLookup, id TypeID, typedefs bool) (TypeID, Type, error) {
	for range maxResolveDepth {
		t, err := l.TypeByID(id)
		if err != nil {
			return 0, nil, err
		}
		if _, ok := t.(*Typedef); ok && !typedefs {
			return id, t, nil
		}
		next, ok := refTarget(t)
		if !ok {
			return id, t, nil
		}
		id = next
	}
	return 0, nil, fmt.Errorf("type %d: %w", id, errDepth)
}

// Sizeof returns the size in bytes of a value of type id, resolving
// typedefs, qualifiers and arrays. Void, functions and forward declarations
// have no size and give an error.
func (s *Spec) Sizeof(id TypeID) (int, error) { return sizeofVia(s, id) }

// sizeofVia is Sizeof with types decoded through l.
func sizeofVia(l typeLookup, id TypeID) (int, error) {
	n := uint64(1)
	for range maxResolveDepth {
		t, err := l.TypeByID(id)
		if err != nil {
			return 0, err
		}
		var size uint64
		switch t := t.(type) {
		case *Int:
			size = uint64(t.Size)
		case *Struct:
			size = uint64(t.Size)
		case *Union:
			size = uint64(t.Size)
		case *Enum:
			size = uint64(t.Size)
		case *Float:
			size = uint64(t.Size)
		case *Datasec:
			size = uint64(t.Size)
		case *Pointer:
			size = PointerSize
		case *Array:
			n *= uint64(t.Nelems)
			if n > 1<<32 {
				return 0, fmt.Errorf("type %d: array too large", id)
			}
			id = t.Type
			continue
		case *Var:
			id = t.Type
			continue
		default:
			next, ok := refTarget(t)
			if !ok {
				return 0, fmt.Errorf("type %d: %s has no size", id, t.Kind())
			}
			id = next
			continue
		}
		if size*n > 1<<32 {
			return 0, fmt.Errorf("type %d: size overflows", id)
		}
		return int(size * n), nil
	}
	return 0, fmt.Errorf("type %d: %w", id, errDepth)
}

// Alignof returns the alignment in bytes of a value of type id, by the rules
// libbpf uses: scalars align to their size (at most [PointerSize]), arrays
// to their element, structs and unions to their most aligned member, or 1
// when the layout shows the type is packed.
func (s *Spec) Alignof(id TypeID) (int, error) {
	steps := 0
	return s.alignof(id, 0, &steps)
}

// maxSteps bounds recursive walks over members, which malformed BTF could
// make exponential.
const maxSteps = 1 << 16

var errTooManySteps = fmt.Errorf("%w: type graph too complex", ErrInvalid)

func (s *Spec) alignof(id TypeID, depth int, steps *int) (int, error) {
	if depth > maxResolveDepth {
		return 0, fmt.Errorf("type %d: %w", id, errDepth)
	}
	if *steps++; *steps > maxSteps {
		return 0, errTooManySteps
	}
	t, err := s.TypeByID(id)
	if err != nil {
		return 0, err
	}
	switch t := t.(type) {
	case *Int:
		return max(1, min(PointerSize, int(t.Size))), nil
	case *Enum:
		return max(1, min(PointerSize, int(t.Size))), nil
	case *Float:
		return max(1, min(PointerSize, int(t.Size))), nil
	case *Pointer:
		return PointerSize, nil
	case *Array:
		return s.alignof(t.Type, depth+1, steps)
	case *Struct, *Union:
		return s.compositeAlign(t, depth, steps)
	}
	if next, ok := refTarget(t); ok {
		return s.alignof(next, depth+1, steps)
	}
	return 0, fmt.Errorf("type %d: %s has no alignment", id, t.Kind())
}

// alignOfType is Alignof for a decoded struct or union.
func (s *Spec) alignOfType(t Type) (int, error) {
	steps := 0
	return s.compositeAlign(t, 0, &steps)
}

func (s *Spec) compositeAlign(t Type, depth int, steps *int) (int, error) {
	size := uint32(0)
	if st, ok := t.(*Struct); ok {
		size = st.Size
	} else if u, ok := t.(*Union); ok {
		size = u.Size
	}
	align := 1
	for _, m := range Members(t) {
		a, err := s.alignof(m.Type, depth+1, steps)
		if err != nil {
			return 0, err
		}
		if m.BitfieldSize == 0 && m.BitOffset%uint32(8*a) != 0 {
			return 1, nil // a misaligned member: packed
		}
		align = max(align, a)
	}
	if size%uint32(align) != 0 {
		return 1, nil
	}
	return align, nil
}

// Field is a member of a struct or union found by [Spec.Field], with its
// offset from the start of the outermost type.
type Field struct {
	Member
	// Offset is the member's offset in bits from the start of the type the
	// search began at (Member.BitOffset is relative to its direct parent).
	Offset uint32
}

// Field finds the member reached by path in the struct or union id: each
// element names a member of the (typedef- and qualifier-resolved) type of
// the previous one, and members of anonymous nested structs and unions are
// found as in C. For example, spec.Field(taskStructID, "pid") or
// spec.Field(id, "thread", "sp"). The error wraps [ErrNotFound] when a name
// does not exist.
func (s *Spec) Field(id TypeID, path ...string) (Field, error) {
	var f Field
	if len(path) == 0 {
		return f, errors.New("field: empty path")
	}
	var offset uint32
	for i, name := range path {
		_, t, err := s.Underlying(id)
		if err != nil {
			return f, err
		}
		steps := 0
		m, off, ok, err := s.findMember(t, name, 0, &steps)
		if err != nil {
			return f, err
		}
		if !ok {
			return f, fmt.Errorf("field %q: %w", strings.Join(path[:i+1], "."), ErrNotFound)
		}
		offset += off
		f = Field{Member: m, Offset: offset}
		id = m.Type
	}
	return f, nil
}

// findMember looks for name among the members of t, descending into
// anonymous members. It returns the member and its bit offset from t.
func (s *Spec) findMember(t Type, name string, depth int, steps *int) (Member, uint32, bool, error) {
	if depth > maxResolveDepth {
		return Member{}, 0, false, errDepth
	}
	if *steps++; *steps > maxSteps {
		return Member{}, 0, false, errTooManySteps
	}
	ms := Members(t)
	for _, m := range ms {
		if m.Name == name {
			return m, m.BitOffset, true, nil
		}
	}
	for _, m := range ms {
		if m.Name != "" {
			continue
		}
		_, inner, err := s.Underlying(m.Type)
		if err != nil {
			return Member{}, 0, false, err
		}
		found, off, ok, err := s.findMember(inner, name, depth+1, steps)
		if err != nil || ok {
			return found, m.BitOffset + off, ok, err
		}
	}
	return Member{}, 0, false, nil
}
