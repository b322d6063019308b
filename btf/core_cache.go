package btf

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
func (c *coreBTF) Underlying(id TypeID) (TypeID, Type, error) { return skipRefs(c, id, true) }

// Sizeof is Spec.Sizeof through the cache.
func (c *coreBTF) Sizeof(id TypeID) (int, error) { return sizeofVia(c, id) }
