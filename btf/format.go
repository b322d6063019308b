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
			fmt.Fprintf(&b, "\n\t%s val=%s", quoteName(v.Name), enumValueString(t, v.Value))
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

// enumValueString prints an enumerator's value as bpftool does in both its
// formats: signed or unsigned, with an LL or ULL suffix for 64-bit enums.
func enumValueString(e *Enum, v uint64) string {
	var s string
	if e.Signed {
		s = strconv.FormatInt(int64(v), 10)
	} else {
		s = strconv.FormatUint(v, 10)
	}
	if e.Is64 {
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

// FormatC formats the type with the given ID as a C declaration: a struct,
// union or enum with its body, a typedef, a function prototype, a
// variable, or for other types the type's name as C spells it.
//
// Structs, unions, enums and typedefs are printed exactly as `bpftool btf
// dump file ... format c` (libbpf's btf_dump) prints them in its dump, so
// the two can be diffed: tab indentation, anonymous structs, unions and
// enums inline, "const char * const p", "int (*fn)(int, ...)", bitfields
// as "int x: 3;", enum64 values with ULL/LL suffixes, gaps that natural
// alignment does not explain filled with unnamed bitfields ("long: 64;",
// "long: 0;"), and "__attribute__((packed))" where members sit below
// their natural alignment. Only the names differ where bpftool renames
// types or enumerators that share a name ("foo___2") within a whole dump.
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
// "struct task_struct *", "unsigned int" or "char [16]". Unlike FormatC
// it separates an array's brackets from the element type and prints
// qualifiers in BTF order (outermost first), for listings.
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
	aligns   map[TypeID]int  // Alignof results, 0 for errors
	sizes    map[TypeID]int  // Sizeof results, 0 for errors
	types    map[TypeID]Type // decoded types
}

// typeByID is [Spec.TypeByID], remembered: a definition names the same
// types over and over, and decoding allocates.
func (f *cFormatter) typeByID(id TypeID) (Type, error) {
	if t, ok := f.types[id]; ok {
		return t, nil
	}
	t, err := f.s.TypeByID(id)
	if err != nil {
		return nil, err
	}
	if f.types == nil {
		f.types = make(map[TypeID]Type)
	}
	f.types[id] = t
	return t, nil
}

// sizeof is [Spec.Sizeof], remembered; 0 when id has no size.
func (f *cFormatter) sizeof(id TypeID) int {
	if n, ok := f.sizes[id]; ok {
		return n
	}
	if f.sizes == nil {
		f.sizes = make(map[TypeID]int)
	}
	n, err := f.s.Sizeof(id)
	if err != nil {
		n = 0
	}
	f.sizes[id] = n
	return n
}

// alignof is [Spec.Alignof], remembered: formatting asks for the alignment
// of every member of every struct printed, and a walk over a malformed
// type graph can take many steps. It returns 0 when id has no alignment.
func (f *cFormatter) alignof(id TypeID) int {
	if a, ok := f.aligns[id]; ok {
		return a
	}
	if f.aligns == nil {
		f.aligns = make(map[TypeID]int)
	}
	a, err := f.s.Alignof(id)
	if err != nil {
		a = 0
	}
	f.aligns[id] = a
	return a
}

// maxFormatSteps bounds the work of formatting one type, so that malformed
// BTF (anonymous types nested exponentially) cannot hang the formatter.
const maxFormatSteps = 1 << 20

var errTooComplex = fmt.Errorf("%w: type graph too complex to format", ErrInvalid)

func indent(n int) string { return strings.Repeat("\t", n) }

// definition prints the top-level declaration of id.
func (f *cFormatter) definition(id TypeID) error {
	t, err := f.typeByID(id)
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case *Struct, *Union:
		if err := f.structDef(&f.out, t, 0); err != nil {
			return err
		}
		f.out.WriteString(";\n")
	case *Enum:
		f.enumDef(&f.out, t, 0)
		f.out.WriteString(";\n")
	case *Typedef:
		if t.Type == 0 && t.Name == "__gnuc_va_list" {
			// Old GCC emits this typedef to void.
			f.out.WriteString("typedef __builtin_va_list __gnuc_va_list;\n")
			break
		}
		f.out.WriteString("typedef ")
		if err := f.typeDecl(&f.out, t.Type, t.Name, 0); err != nil {
			return err
		}
		f.out.WriteString(";\n")
	case *Fwd:
		fmt.Fprintf(&f.out, "%s;\n", fwdString(t))
	case *Func:
		prefix := ""
		switch t.Linkage {
		case StaticFunc:
			prefix = "static "
		case ExternFunc:
			prefix = "extern "
		}
		f.out.WriteString(prefix)
		if err := f.typeDecl(&f.out, t.Type, t.Name, 0); err != nil {
			return err
		}
		f.out.WriteString(";\n")
	case *Var:
		prefix := ""
		switch t.Linkage {
		case StaticVar:
			prefix = "static "
		case ExternVar:
			prefix = "extern "
		}
		f.out.WriteString(prefix)
		if err := f.typeDecl(&f.out, t.Type, t.Name, 0); err != nil {
			return err
		}
		f.out.WriteString(";\n")
	case *Datasec:
		fmt.Fprintf(&f.out, "/* section %s, %d bytes */\n", t.Name, t.Size)
		for _, v := range t.Vars {
			vt, err := f.typeByID(v.Type)
			if err != nil {
				return err
			}
			fmt.Fprintf(&f.out, "/* offset %d size %d: %s %s */\n", v.Offset, v.Size, strings.ToLower(vt.Kind().String()), vt.TypeName())
		}
	case *DeclTag:
		target, err := f.typeByID(t.Type)
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
	t, err := f.typeByID(id)
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
		var body strings.Builder
		if e, ok := t.(*Enum); ok {
			f.enumDef(&body, e, lvl)
		} else if err := f.structDef(&body, t, lvl); err != nil {
			return "", err
		}
		return join(body.String()), nil
	case *Pointer:
		inner := "*" + name
		if target, err := f.typeByID(t.Target); err == nil {
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
		tt, err := f.typeByID(target)
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
	t, err := f.typeByID(id)
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
			t, err := f.typeByID(d)
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

// The functions below print definitions the way libbpf's btf_dump (behind
// `bpftool btf dump ... format c`) does, so that the two outputs can be
// compared line by line.

// typeDecl writes the declaration of fname with type id: the chain of
// pointers, qualifiers, arrays and function prototypes down to a base
// type is collected first and then printed from the base type outwards.
func (f *cFormatter) typeDecl(w *strings.Builder, id TypeID, fname string, lvl int) error {
	if lvl > maxResolveDepth {
		return errDepth
	}
	var stack []TypeID
	for {
		if len(stack) > maxResolveDepth {
			return fmt.Errorf("type %d: %w", id, errDepth)
		}
		if f.steps++; f.steps > maxFormatSteps {
			return errTooComplex
		}
		stack = append(stack, id)
		if id == 0 {
			break
		}
		t, err := f.typeByID(id)
		if err != nil {
			return err
		}
		next, ok := chainNext(t)
		if !ok {
			break
		}
		id = next
	}
	return f.typeChain(w, &stack, fname, lvl)
}

// chainNext returns the type a link of a declarator chain refers to.
func chainNext(t Type) (TypeID, bool) {
	switch t := t.(type) {
	case *Pointer:
		return t.Target, true
	case *Const:
		return t.Type, true
	case *Volatile:
		return t.Type, true
	case *Restrict:
		return t.Type, true
	case *TypeTag:
		return t.Type, true
	case *FuncProto:
		return t.Return, true
	case *Array:
		return t.Type, true
	}
	return 0, false
}

// typeChain prints the declarator chain decls (outermost first) around
// fname. Pointers bind to what follows them without a space ("int **p"),
// qualifiers after a pointer apply to it ("char * const p"), and function
// prototypes and arrays below a pointer get parentheses.
func (f *cFormatter) typeChain(w *strings.Builder, decls *[]TypeID, fname string, lvl int) error {
	lastWasPtr := true
	for len(*decls) > 0 {
		id := (*decls)[len(*decls)-1]
		*decls = (*decls)[:len(*decls)-1]
		if id == 0 {
			f.emitMods(w, decls)
			w.WriteString("void")
			lastWasPtr = false
			continue
		}
		t, err := f.typeByID(id)
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case *Int:
			f.emitMods(w, decls)
			w.WriteString(t.Name)
		case *Float:
			f.emitMods(w, decls)
			w.WriteString(t.Name)
		case *Struct, *Union:
			f.emitMods(w, decls)
			if name := t.TypeName(); name != "" {
				w.WriteString(keyword(t.Kind()) + " " + name)
			} else if err := f.structDef(w, t, lvl); err != nil {
				return err
			}
		case *Enum:
			f.emitMods(w, decls)
			if t.Name != "" {
				w.WriteString("enum " + t.Name)
			} else {
				f.enumDef(w, t, lvl)
			}
		case *Fwd:
			f.emitMods(w, decls)
			w.WriteString(fwdString(t))
		case *Typedef:
			f.emitMods(w, decls)
			w.WriteString(t.Name)
		case *Pointer:
			if lastWasPtr {
				w.WriteString("*")
			} else {
				w.WriteString(" *")
			}
		case *Volatile:
			w.WriteString(" volatile")
		case *Const:
			w.WriteString(" const")
		case *Restrict:
			w.WriteString(" restrict")
		case *TypeTag:
			f.emitMods(w, decls)
			fmt.Fprintf(w, " __attribute__((btf_type_tag(%q)))", t.Name)
		case *Array:
			// Qualifiers of an array apply to its elements; C has no
			// syntax for them, and GCC emits them redundantly.
			f.dropMods(decls)
			if len(*decls) == 0 {
				emitName(w, fname, lastWasPtr)
				fmt.Fprintf(w, "[%d]", t.Nelems)
				return nil
			}
			next, err := f.typeByID((*decls)[len(*decls)-1])
			if err != nil {
				return err
			}
			_, multidim := next.(*Array)
			if fname != "" && !lastWasPtr {
				w.WriteString(" ")
			}
			if !multidim {
				w.WriteString("(")
			}
			if err := f.typeChain(w, decls, fname, lvl); err != nil {
				return err
			}
			if !multidim {
				w.WriteString(")")
			}
			fmt.Fprintf(w, "[%d]", t.Nelems)
			return nil
		case *FuncProto:
			// GCC marks noreturn function pointers volatile: drop it.
			f.dropMods(decls)
			if len(*decls) > 0 {
				w.WriteString(" (")
				if err := f.typeChain(w, decls, fname, lvl); err != nil {
					return err
				}
				w.WriteString(")")
			} else {
				emitName(w, fname, lastWasPtr)
			}
			return f.params(w, t, lvl)
		default:
			return fmt.Errorf("type %d: %s cannot be declared in C", id, t.Kind())
		}
		_, lastWasPtr = t.(*Pointer)
	}
	emitName(w, fname, lastWasPtr)
	return nil
}

// params prints a prototype's parameter list; a last parameter of type
// void is "...", and no parameters (or a single void one) is "(void)".
func (f *cFormatter) params(w *strings.Builder, t *FuncProto, lvl int) error {
	if len(t.Params) == 0 || (len(t.Params) == 1 && t.Params[0].Type == 0) {
		w.WriteString("(void)")
		return nil
	}
	w.WriteString("(")
	for i, p := range t.Params {
		if i > 0 {
			w.WriteString(", ")
		}
		if i == len(t.Params)-1 && p.Type == 0 {
			w.WriteString("...")
			break
		}
		if err := f.typeDecl(w, p.Type, p.Name, lvl); err != nil {
			return err
		}
	}
	w.WriteString(")")
	return nil
}

func emitName(w *strings.Builder, name string, lastWasPtr bool) {
	if name != "" && !lastWasPtr {
		w.WriteString(" ")
	}
	w.WriteString(name)
}

// emitMods prints the qualifiers that apply to the base type about to be
// printed ("const char").
func (f *cFormatter) emitMods(w *strings.Builder, decls *[]TypeID) {
	for len(*decls) > 0 {
		t, err := f.typeByID((*decls)[len(*decls)-1])
		if err != nil {
			return
		}
		switch t.(type) {
		case *Volatile:
			w.WriteString("volatile ")
		case *Const:
			w.WriteString("const ")
		case *Restrict:
			w.WriteString("restrict ")
		default:
			return
		}
		*decls = (*decls)[:len(*decls)-1]
	}
}

// dropMods skips qualifiers and type tags.
func (f *cFormatter) dropMods(decls *[]TypeID) {
	for len(*decls) > 0 {
		t, err := f.typeByID((*decls)[len(*decls)-1])
		if err != nil {
			return
		}
		switch t.(type) {
		case *Volatile, *Const, *Restrict, *TypeTag:
			*decls = (*decls)[:len(*decls)-1]
		default:
			return
		}
	}
}

// enumDef prints an enum with its values; an enum without values is only
// named.
func (f *cFormatter) enumDef(w *strings.Builder, t *Enum, lvl int) {
	w.WriteString("enum")
	if t.Name != "" {
		w.WriteString(" " + t.Name)
	}
	if len(t.Values) == 0 {
		return
	}
	w.WriteString(" {")
	for _, v := range t.Values {
		fmt.Fprintf(w, "\n%s%s = %s,", indent(lvl+1), v.Name, enumValueString(t, v.Value))
	}
	w.WriteString("\n" + indent(lvl) + "}")
}

// structDef prints a struct or union with its members. Gaps the C
// compiler would not leave by itself are filled with unnamed bitfields
// ("long: 64;"), and a struct whose layout natural alignment cannot
// explain is marked __attribute__((packed)).
func (f *cFormatter) structDef(w *strings.Builder, t Type, lvl int) error {
	if lvl > maxResolveDepth {
		return errDepth
	}
	var size uint32
	st, isStruct := t.(*Struct)
	if isStruct {
		size = st.Size
	} else {
		size = t.(*Union).Size
	}
	members := Members(t)
	packed := isStruct && f.isPacked(members, size)
	w.WriteString(keyword(t.Kind()))
	if name := t.TypeName(); name != "" {
		w.WriteString(" " + name)
	}
	w.WriteString(" {")
	off := int64(0)
	prevBitfield := false
	for _, m := range members {
		mAlign := 1
		if !packed {
			mAlign = f.alignof(m.Type)
		}
		inBitfield := prevBitfield && m.BitfieldSize != 0
		if err := f.bitPadding(w, off, int64(m.BitOffset), mAlign, inBitfield, lvl+1); err != nil {
			return err
		}
		w.WriteString("\n" + indent(lvl+1))
		if err := f.typeDecl(w, m.Type, m.Name, lvl+1); err != nil {
			return err
		}
		if m.BitfieldSize != 0 {
			fmt.Fprintf(w, ": %d", m.BitfieldSize)
			off = int64(m.BitOffset) + int64(m.BitfieldSize)
			prevBitfield = true
		} else {
			off = int64(m.BitOffset) + int64(f.sizeof(m.Type))*8
			prevBitfield = false
		}
		w.WriteString(";")
	}
	if isStruct {
		align := f.compositeAlign(members, size)
		if err := f.bitPadding(w, off, int64(size)*8, align, false, lvl+1); err != nil {
			return err
		}
	}
	// An empty struct stays on one line: "struct {} x;".
	if len(members) > 0 || size > 0 {
		w.WriteString("\n" + indent(lvl) + "}")
	} else {
		w.WriteString("}")
	}
	if packed {
		w.WriteString(" __attribute__((packed))")
	}
	return nil
}

// isPacked reports whether a struct needs __attribute__((packed)) to keep
// its layout in C: a member that is not a bitfield sits below its natural
// alignment, or the size is not a multiple of the largest alignment.
func (f *cFormatter) isPacked(members []Member, size uint32) bool {
	maxAlign := 1
	for _, m := range members {
		a := f.alignof(m.Type)
		if a == 0 {
			continue
		}
		if m.BitfieldSize == 0 && m.BitOffset%uint32(8*a) != 0 {
			return true
		}
		maxAlign = max(maxAlign, a)
	}
	return size%uint32(maxAlign) != 0
}

// compositeAlign is the alignment of a struct with these members, as
// [Spec.Alignof] computes it: 1 for a packed layout, 0 when a member has
// no alignment.
func (f *cFormatter) compositeAlign(members []Member, size uint32) int {
	align := 1
	for _, m := range members {
		a := f.alignof(m.Type)
		if a == 0 {
			return 0
		}
		if m.BitfieldSize == 0 && m.BitOffset%uint32(8*a) != 0 {
			return 1
		}
		align = max(align, a)
	}
	if size%uint32(align) != 0 {
		return 1
	}
	return align
}

// maxPadLines bounds the padding lines of one gap (512 KiB of "long: 64;"),
// so that malformed BTF declaring a huge struct fails fast.
const maxPadLines = 1 << 16

func roundUp(v, a int64) int64 {
	if a <= 0 {
		return v
	}
	return (v + a - 1) / a * a
}

// bitPadding fills the gap from bit cur to bit next, where the next
// member (or the end of the struct) with alignment nextAlign begins, with
// unnamed bitfields, relying on natural alignment where it suffices. The
// largest of long, int, short and char whose alignment boundary after cur
// is not beyond next is chosen; reaching that boundary takes a "<type>: 0"
// marker (or "<type>: N" between bitfields) unless the compiler aligns the
// next member there anyway, and the rest of the gap is filled with whole
// "<type>: <bits>" fields and a last, smaller one. Unnamed bitfields do not
// change the alignment of the struct.
// Every printed line counts as a step of the formatter: malformed BTF can
// declare gigabyte-sized structs.
func (f *cFormatter) bitPadding(w *strings.Builder, cur, next int64, nextAlign int, inBitfield bool, lvl int) error {
	if cur >= next {
		return nil
	}
	pads := [...]struct {
		name string
		bits int64
	}{{"long", 8 * PointerSize}, {"int", 32}, {"short", 16}, {"char", 8}}
	var newOff, padBits int64
	padType := ""
	for _, p := range pads {
		padBits, padType = p.bits, p.name
		newOff = roundUp(cur, padBits)
		if newOff <= next {
			break
		}
	}
	if newOff > cur && newOff <= next {
		if inBitfield ||
			(newOff == next && roundUp(cur, int64(max(nextAlign, 1))*8) != newOff) ||
			(newOff != next && next-newOff <= newOff-cur) {
			n := int64(0)
			if inBitfield {
				n = newOff - cur
			}
			fmt.Fprintf(w, "\n%s%s: %d;", indent(lvl), padType, n)
		}
		cur = newOff
	}
	if n := (next - cur) / padBits; n > 0 {
		if n > maxPadLines {
			return fmt.Errorf("%w: %d bytes of padding", errTooComplex, (next-cur)/8)
		}
		if f.steps += int(n); f.steps > maxFormatSteps {
			return errTooComplex
		}
		w.WriteString(strings.Repeat(fmt.Sprintf("\n%s%s: %d;", indent(lvl), padType, padBits), int(n)))
		cur += n * padBits
	}
	for cur != next {
		bits := min(next-cur, padBits)
		// The last piece: the smallest type that holds it.
		for i := len(pads) - 1; i >= 0; i-- {
			if pads[i].bits < bits {
				continue
			}
			padType, padBits = pads[i].name, pads[i].bits
			fmt.Fprintf(w, "\n%s%s: %d;", indent(lvl), padType, bits)
			cur += bits
			break
		}
	}
	return nil
}
