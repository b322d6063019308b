package btf

import "fmt"

// coreBTF is a Spec with a cache of decoded types, for the repeated lookups of one CO-RE
// pass: a relocation on task_struct decodes its 200-odd members once, not at every step.
// Cached types are shared and never modified.
type coreBTF struct {
	*Spec
	types map[TypeID]Type
}

func newCoreBTF(s *Spec) *coreBTF { return &coreBTF{Spec: s, types: map[TypeID]Type{}} }

// TypeByID is Spec.TypeByID through the cache.
func (c *coreBTF) TypeByID(id TypeID) (Type, error) {
	if t, ok := c.types[id]; ok {
		return t, nil
	}
	t, err := c.Spec.TypeByID(id)
	if err != nil {
		return nil, err
	}
	c.types[id] = t
	return t, nil
}

// Underlying is Spec.Underlying through the cache.
func (c *coreBTF) Underlying(id TypeID) (TypeID, Type, error) {
	for range maxResolveDepth {
		t, err := c.TypeByID(id)
		if err != nil {
			return 0, nil, err
		}
		next, ok := refTarget(t)
		if !ok {
			return id, t, nil
		}
		id = next
	}
	return 0, nil, fmt.Errorf("type %d: %w", id, errDepth)
}

// Sizeof is Spec.Sizeof through the cache.
func (c *coreBTF) Sizeof(id TypeID) (int, error) {
	n := uint64(1)
	for range maxResolveDepth {
		t, err := c.TypeByID(id)
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
			if n *= uint64(t.Nelems); n > 1<<32 {
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
