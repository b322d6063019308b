package btf

import (
	"fmt"
	"strconv"
	"strings"
)

func quoteName(name string) string {
	if name == "" {
		return "'(anon)'"
	}
	return "'" + name + "'"
}

// FormatRaw formats the type with the given ID the way `bpftool btf dump
// file ... format raw` does: one line such as
//
//	[1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 encoding=(none)
//
// followed, for structs, unions, enums, function prototypes and data
// sections, by one tab-indented line per item.
func (s *Spec) FormatRaw(id TypeID) (string, error) {
	t, err := s.TypeByID(id)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%d] %s %s", id, t.Kind(), quoteName(t.TypeName()))
	switch t := t.(type) {
	case *Int:
		fmt.Fprintf(&b, " size=%d bits_offset=%d nr_bits=%d encoding=%s", t.Size, t.Offset, t.Bits, t.Encoding)
	case *Pointer:
		fmt.Fprintf(&b, " type_id=%d", t.Target)
	case *Array:
		fmt.Fprintf(&b, " type_id=%d index_type_id=%d nr_elems=%d", t.Type, t.Index, t.Nelems)
	case *Struct, *Union:
		size := uint32(0)
		if st, ok := t.(*Struct); ok {
			size = st.Size
		} else {
			size = t.(*Union).Size
		}
		ms := Members(t)
		fmt.Fprintf(&b, " size=%d vlen=%d", size, len(ms))
		for _, m := range ms {
			fmt.Fprintf(&b, "\n\t%s type_id=%d bits_offset=%d", quoteName(m.Name), m.Type, m.BitOffset)
			if m.BitfieldSize != 0 {
				fmt.Fprintf(&b, " bitfield_size=%d", m.BitfieldSize)
			}
		}
	case *Enum:
		enc := "UNSIGNED"
		if t.Signed {
			enc = "SIGNED"
		}
		fmt.Fprintf(&b, " encoding=%s size=%d vlen=%d", enc, t.Size, len(t.Values))
		for _, v := range t.Values {
			fmt.Fprintf(&b, "\n\t%s val=%s", quoteName(v.Name), enumValueString(t, v.Value, true))
		}
	case *Fwd:
		kind := "struct"
		if t.Union {
			kind = "union"
		}
		fmt.Fprintf(&b, " fwd_kind=%s", kind)
	case *Typedef:
		fmt.Fprintf(&b, " type_id=%d", t.Type)
	case *Volatile:
		fmt.Fprintf(&b, " type_id=%d", t.Type)
	case *Const:
		fmt.Fprintf(&b, " type_id=%d", t.Type)
	case *Restrict:
		fmt.Fprintf(&b, " type_id=%d", t.Type)
	case *TypeTag:
		fmt.Fprintf(&b, " type_id=%d", t.Type)
	case *Func:
		fmt.Fprintf(&b, " type_id=%d linkage=%s", t.Type, t.Linkage)
	case *FuncProto:
		fmt.Fprintf(&b, " ret_type_id=%d vlen=%d", t.Return, len(t.Params))
		for _, p := range t.Params {
			fmt.Fprintf(&b, "\n\t%s type_id=%d", quoteName(p.Name), p.Type)
		}
	case *Var:
		fmt.Fprintf(&b, " type_id=%d, linkage=%s", t.Type, t.Linkage)
	case *Datasec:
		fmt.Fprintf(&b, " size=%d vlen=%d", t.Size, len(t.Vars))
		for _, v := range t.Vars {
			fmt.Fprintf(&b, "\n\ttype_id=%d offset=%d size=%d", v.Type, v.Offset, v.Size)
			if vt, err := s.TypeByID(v.Type); err == nil {
				fmt.Fprintf(&b, " (%s %s)", vt.Kind(), quoteName(vt.TypeName()))
			}
		}
	case *Float:
		fmt.Fprintf(&b, " size=%d", t.Size)
	case *DeclTag:
		fmt.Fprintf(&b, " type_id=%d component_idx=%d", t.Type, t.ComponentIdx)
	}
	return b.String(), nil
}

// enumValueString prints an enumerator's value, with bpftool's ULL/LL
// suffix for 64-bit enums when raw is set.
func enumValueString(e *Enum, v uint64, raw bool) string {
	var s string
	if e.Signed {
		s = strconv.FormatInt(int64(v), 10)
	} else {
		s = strconv.FormatUint(v, 10)
	}
	if raw && e.Is64 {
		if e.Signed {
			return s + "LL"
		}
		return s + "ULL"
	}
	return s
}

// FormatOptions configures [Spec.FormatC].
type FormatOptions struct {
	// Dependencies also prints, before the type, the definitions of every
	// named type it refers to, transitively, in an order a C compiler
	// accepts (forward declarations break cycles through pointers), as
	// `bpftool btf dump ... format c` does for a whole file.
	Dependencies bool
}

// FormatC formats the type with the given ID as a C declaration, in the
// style of `bpftool btf dump file ... format c`: a struct, union or enum
// with its body, a typedef, a function prototype, a variable, or for other
// types the type's name as C spells it. Members that are anonymous structs
// or unions are printed inline; bitfields as "int x: 3;".
func (s *Spec) FormatC(id TypeID, opts *FormatOptions) (string, error) {
	f := &cFormatter{s: s}
	if opts != nil && opts.Dependencies {
		f.done = make(map[TypeID]bool)
		f.declared = make(map[TypeID]bool)
		if err := f.emitWithDeps(id); err != nil {
			return "", err
		}
		return f.out.String(), nil
	}
	if err := f.definition(id); err != nil {
		return "", err
	}
	return strings.TrimSuffix(f.out.String(), "\n"), nil
}

// TypeString returns how C spells a reference to type id, such as
// "struct task_struct *", "unsigned int" or "char [16]".
func (s *Spec) TypeString(id TypeID) (string, error) {
	f := &cFormatter{s: s}
	decl, err := f.decl(id, "", 0, 0)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(decl), nil
}

type cFormatter struct {
	s        *Spec
	out      strings.Builder
	done     map[TypeID]bool // definitions printed
	declared map[TypeID]bool // forward declarations printed
	steps    int             // work done, bounded by maxFormatSteps
}

// maxFormatSteps bounds the work of formatting one type, so that malformed
// BTF (anonymous types nested exponentially) cannot hang the formatter.
const maxFormatSteps = 1 << 20

var errTooComplex = fmt.Errorf("%w: type graph too complex to format", ErrInvalid)

func indent(n int) string { return strings.Repeat("\t", n) }

// definition prints the top-level declaration of id.
func (f *cFormatter) definition(id TypeID) error {
	t, err := f.s.TypeByID(id)
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *Struct, *Union, *Enum:
		body, err := f.body(t, 0)
		if err != nil {
			return err
		}
		f.out.WriteString(body + ";\n")
	case *Typedef:
		d, err := f.decl(t.Type, t.Name, 0, 0)
		if err != nil {
			return err
		}
		f.out.WriteString("typedef " + d + ";\n")
	case *Fwd:
		fmt.Fprintf(&f.out, "%s;\n", fwdString(t))
	case *Func:
		d, err := f.decl(t.Type, t.Name, 0, 0)
		if err != nil {
			return err
		}
		prefix := ""
		switch t.Linkage {
		case StaticFunc:
			prefix = "static "
		case ExternFunc:
			prefix = "extern "
		}
		f.out.WriteString(prefix + d + ";\n")
	case *Var:
		d, err := f.decl(t.Type, t.Name, 0, 0)
		if err != nil {
			return err
		}
		prefix := ""
		switch t.Linkage {
		case StaticVar:
			prefix = "static "
		case ExternVar:
			prefix = "extern "
		}
		f.out.WriteString(prefix + d + ";\n")
	case *Datasec:
		fmt.Fprintf(&f.out, "/* section %s, %d bytes */\n", t.Name, t.Size)
		for _, v := range t.Vars {
			vt, err := f.s.TypeByID(v.Type)
			if err != nil {
				return err
			}
			fmt.Fprintf(&f.out, "/* offset %d size %d: %s %s */\n", v.Offset, v.Size, strings.ToLower(vt.Kind().String()), vt.TypeName())
		}
	case *DeclTag:
		target, err := f.s.TypeByID(t.Type)
		if err != nil {
			return err
		}
		where := ""
		if t.ComponentIdx >= 0 {
			where = fmt.Sprintf(" component %d", t.ComponentIdx)
		}
		fmt.Fprintf(&f.out, "/* __attribute__((btf_decl_tag(%q))) on %s %s%s */\n", t.Name, strings.ToLower(target.Kind().String()), target.TypeName(), where)
	default:
		d, err := f.decl(id, "", 0, 0)
		if err != nil {
			return err
		}
		f.out.WriteString(strings.TrimSpace(d) + "\n")
	}
	return nil
}

// keyword returns the C keyword of a struct, union, enum or qualifier kind.
func keyword(k Kind) string {
	switch k {
	case KindStruct:
		return "struct"
	case KindUnion:
		return "union"
	case KindEnum, KindEnum64:
		return "enum"
	case KindConst:
		return "const"
	case KindVolatile:
		return "volatile"
	case KindRestrict:
		return "restrict"
	}
	return ""
}

func fwdString(t *Fwd) string {
	if t.Union {
		return "union " + t.Name
	}
	return "struct " + t.Name
}

// body prints a struct, union or enum with its members, indented by lvl.
func (f *cFormatter) body(t Type, lvl int) (string, error) {
	if lvl > maxResolveDepth {
		return "", errDepth
	}
	var b strings.Builder
	switch t := t.(type) {
	case *Enum:
		b.WriteString("enum ")
		if t.Name != "" {
			b.WriteString(t.Name + " ")
		}
		b.WriteString("{\n")
		for _, v := range t.Values {
			fmt.Fprintf(&b, "%s%s = %s,\n", indent(lvl+1), v.Name, enumValueString(t, v.Value, false))
		}
		b.WriteString(indent(lvl) + "}")
		if t.Size != 4 && !t.Is64 {
			// bpftool marks enums whose size differs from int.
			fmt.Fprintf(&b, " __attribute__((mode(%s)))", modeName(t.Size))
		}
		return b.String(), nil
	case *Struct, *Union:
		kw := "struct"
		name := t.TypeName()
		if _, ok := t.(*Union); ok {
			kw = "union"
		}
		b.WriteString(kw + " ")
		if name != "" {
			b.WriteString(name + " ")
		}
		b.WriteString("{\n")
		st, isStruct := t.(*Struct)
		packed := false
		if isStruct {
			packed = f.isPacked(st)
		}
		cur := uint64(0) // end of the previous member, in bits
		for _, m := range Members(t) {
			if isStruct {
				natural := f.naturalOffset(m, cur, packed)
				if uint64(m.BitOffset) > natural {
					padBits(&b, lvl+1, cur, uint64(m.BitOffset))
				}
			}
			d, err := f.decl(m.Type, m.Name, lvl+1, 0)
			if err != nil {
				return "", err
			}
			b.WriteString(indent(lvl+1) + d)
			if m.BitfieldSize != 0 {
				fmt.Fprintf(&b, ": %d", m.BitfieldSize)
			}
			b.WriteString(";\n")
			if isStruct {
				size := uint64(m.BitfieldSize)
				if size == 0 {
					sz, _ := f.s.Sizeof(m.Type)
					size = uint64(sz) * 8
				}
				cur = max(cur, uint64(m.BitOffset)+size)
			}
		}
		if isStruct {
			align := uint64(1)
			if !packed {
				if a, err := f.s.alignOfType(st); err == nil {
					align = uint64(a)
				}
			}
			if end := alignUp(cur, 8*align); uint64(st.Size)*8 > end {
				padBits(&b, lvl+1, cur, uint64(st.Size)*8)
			}
		}
		b.WriteString(indent(lvl) + "}")
		if packed {
			b.WriteString(" __attribute__((packed))")
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("%s has no body", t.Kind())
}

func alignUp(v, a uint64) uint64 {
	if a == 0 {
		return v
	}
	return (v + a - 1) / a * a
}

// isPacked reports whether st needs __attribute__((packed)) to keep its
// layout in C: a member sits below its natural alignment.
func (f *cFormatter) isPacked(st *Struct) bool {
	a, err := f.s.alignOfType(st)
	return err == nil && a == 1 && f.naturalAlign(st) > 1
}

// naturalAlign is the alignment C would give st from its members alone.
func (f *cFormatter) naturalAlign(st *Struct) int {
	align := 1
	for _, m := range st.Members {
		if a, err := f.s.Alignof(m.Type); err == nil {
			align = max(align, a)
		}
	}
	return align
}

// naturalOffset returns where a C compiler would place m after cur bits.
func (f *cFormatter) naturalOffset(m Member, cur uint64, packed bool) uint64 {
	sz, err := f.s.Sizeof(m.Type)
	if err != nil || sz == 0 {
		return cur
	}
	if m.BitfieldSize != 0 {
		unit := uint64(sz) * 8
		if cur/unit != (cur+uint64(m.BitfieldSize)-1)/unit {
			return alignUp(cur, unit)
		}
		return cur
	}
	if packed {
		return alignUp(cur, 8)
	}
	a, err := f.s.Alignof(m.Type)
	if err != nil {
		return cur
	}
	return alignUp(cur, uint64(a)*8)
}

// padBits prints unnamed bitfields that fill the bits from cur to end, as
// bpftool does ("long: 64;"). Unnamed bitfields do not change the
// alignment of the struct.
func padBits(b *strings.Builder, lvl int, cur, end uint64) {
	pads := []struct {
		typ  string
		bits uint64
	}{{"long", 64}, {"int", 32}, {"short", 16}, {"char", 8}}
	for cur < end {
		if cur%8 == 0 && end-cur >= 8*64 {
			// A large gap: one padding array instead of many lines.
			n := (end - cur) / 8
			fmt.Fprintf(b, "%schar __pad_%d[%d];\n", indent(lvl), cur/8, n)
			cur += 8 * n
			continue
		}
		done := false
		for _, p := range pads {
			if cur%p.bits == 0 && cur+p.bits <= end {
				fmt.Fprintf(b, "%s%s: %d;\n", indent(lvl), p.typ, p.bits)
				cur += p.bits
				done = true
				break
			}
		}
		if !done {
			n := min(end-cur, 8-cur%8)
			fmt.Fprintf(b, "%schar: %d;\n", indent(lvl), n)
			cur += n
		}
	}
}

func modeName(size uint32) string {
	switch size {
	case 1:
		return "byte"
	case 2:
		return "HI"
	case 8:
		return "DI"
	}
	return "SI"
}

// decl returns a C declaration of name with type id: "int x", "char *p[4]",
// "void (*fn)(int)". Anonymous structs, unions and enums are printed inline
// at indentation lvl.
func (f *cFormatter) decl(id TypeID, name string, lvl, depth int) (string, error) {
	if depth > maxResolveDepth {
		return "", fmt.Errorf("type %d: %w", id, errDepth)
	}
	if f.steps++; f.steps > maxFormatSteps {
		return "", errTooComplex
	}
	join := func(base string) string {
		if name == "" {
			return base
		}
		return base + " " + name
	}
	t, err := f.s.TypeByID(id)
	if err != nil {
		return "", err
	}
	switch t := t.(type) {
	case *Void:
		return join("void"), nil
	case *Int:
		return join(t.Name), nil
	case *Float:
		return join(t.Name), nil
	case *Typedef:
		return join(t.Name), nil
	case *Fwd:
		return join(fwdString(t)), nil
	case *Struct, *Union, *Enum:
		if n := t.TypeName(); n != "" {
			return join(keyword(t.Kind()) + " " + n), nil
		}
		body, err := f.body(t, lvl)
		if err != nil {
			return "", err
		}
		return join(body), nil
	case *Pointer:
		inner := "*" + name
		if target, err := f.s.TypeByID(t.Target); err == nil {
			switch target.(type) {
			case *Array, *FuncProto:
				inner = "(*" + name + ")"
			}
		}
		return f.decl(t.Target, inner, lvl, depth+1)
	case *Array:
		return f.decl(t.Type, name+"["+strconv.FormatUint(uint64(t.Nelems), 10)+"]", lvl, depth+1)
	case *Const, *Volatile, *Restrict:
		q := keyword(t.Kind())
		target, _ := refTarget(t)
		tt, err := f.s.TypeByID(target)
		if err != nil {
			return "", err
		}
		if _, isPtr := tt.(*Pointer); isPtr {
			// int *const p: the qualifier binds to the pointer.
			return f.decl(target, q+" "+name, lvl, depth+1)
		}
		d, err := f.decl(target, name, lvl, depth+1)
		if err != nil {
			return "", err
		}
		return q + " " + d, nil
	case *TypeTag:
		return f.decl(t.Type, name, lvl, depth+1)
	case *FuncProto:
		var params []string
		for _, p := range t.Params {
			if p.Type == 0 && p.Name == "" {
				params = append(params, "...")
				continue
			}
			d, err := f.decl(p.Type, p.Name, lvl, depth+1)
			if err != nil {
				return "", err
			}
			params = append(params, strings.TrimSpace(d))
		}
		if len(params) == 0 {
			params = []string{"void"}
		}
		return f.decl(t.Return, name+"("+strings.Join(params, ", ")+")", lvl, depth+1)
	case *Func:
		return f.decl(t.Type, name, lvl, depth+1)
	case *Var:
		return f.decl(t.Type, name, lvl, depth+1)
	}
	return "", fmt.Errorf("type %d: %s cannot be declared in C", id, t.Kind())
}

// deps returns the named types id needs: strong ones must be defined
// before it (used by value), weak ones only declared (used through a
// pointer).
func (f *cFormatter) deps(id TypeID, viaPtr bool, strong, weak *[]TypeID, depth int) error {
	if depth > maxResolveDepth {
		return errDepth
	}
	if f.steps++; f.steps > maxFormatSteps {
		return errTooComplex
	}
	t, err := f.s.TypeByID(id)
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *Struct, *Union, *Enum, *Typedef, *Fwd:
		if t.TypeName() != "" && depth > 0 {
			if viaPtr {
				*weak = append(*weak, id)
			} else {
				*strong = append(*strong, id)
			}
			return nil
		}
	case *Pointer:
		return f.deps(t.Target, true, strong, weak, depth+1)
	}
	var err2 error
	t.refs(func(r *TypeID) {
		if err2 == nil && *r != 0 {
			err2 = f.deps(*r, viaPtr, strong, weak, depth+1)
		}
	})
	return err2
}

func (f *cFormatter) emitWithDeps(id TypeID) error {
	var queue []TypeID
	var visit func(id TypeID, depth int) error
	visit = func(id TypeID, depth int) error {
		if f.done[id] {
			return nil
		}
		if depth > 4*maxResolveDepth {
			return errDepth
		}
		var strong, weak []TypeID
		if err := f.deps(id, false, &strong, &weak, 0); err != nil {
			return err
		}
		f.done[id] = true
		for _, d := range strong {
			if err := visit(d, depth+1); err != nil {
				return err
			}
		}
		for _, d := range weak {
			if f.done[d] || f.declared[d] {
				continue
			}
			t, err := f.s.TypeByID(d)
			if err != nil {
				return err
			}
			switch t := t.(type) {
			case *Struct:
				fmt.Fprintf(&f.out, "struct %s;\n\n", t.Name)
				f.declared[d] = true
			case *Union:
				fmt.Fprintf(&f.out, "union %s;\n\n", t.Name)
				f.declared[d] = true
			case *Typedef, *Enum, *Fwd:
				// A typedef or enum is needed in full even behind a pointer.
				if err := visit(d, depth+1); err != nil {
					return err
				}
				continue
			}
			queue = append(queue, d)
		}
		if err := f.definition(id); err != nil {
			return err
		}
		f.out.WriteString("\n")
		return nil
	}
	if err := visit(id, 0); err != nil {
		return err
	}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		if err := visit(next, 0); err != nil {
			return err
		}
	}
	return nil
}
