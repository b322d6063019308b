package btf

import (
	"fmt"
	"strings"
)

// TypeID identifies a type within a [Spec]. ID 0 is always void. In split BTF
// (kernel modules) the IDs of the split types continue after the last ID of
// the base.
type TypeID uint32

// Kind is the kind of a BTF type record (BTF_KIND_*).
type Kind uint8

// The BTF kinds (BTF_KIND_*). KindVoid is the implicit type 0.
const (
	KindVoid      Kind = 0
	KindInt       Kind = 1  // BTF_KIND_INT
	KindPointer   Kind = 2  // BTF_KIND_PTR
	KindArray     Kind = 3  // BTF_KIND_ARRAY
	KindStruct    Kind = 4  // BTF_KIND_STRUCT
	KindUnion     Kind = 5  // BTF_KIND_UNION
	KindEnum      Kind = 6  // BTF_KIND_ENUM
	KindFwd       Kind = 7  // BTF_KIND_FWD
	KindTypedef   Kind = 8  // BTF_KIND_TYPEDEF
	KindVolatile  Kind = 9  // BTF_KIND_VOLATILE
	KindConst     Kind = 10 // BTF_KIND_CONST
	KindRestrict  Kind = 11 // BTF_KIND_RESTRICT
	KindFunc      Kind = 12 // BTF_KIND_FUNC, Linux 5.0
	KindFuncProto Kind = 13 // BTF_KIND_FUNC_PROTO, Linux 5.0
	KindVar       Kind = 14 // BTF_KIND_VAR, Linux 5.2
	KindDatasec   Kind = 15 // BTF_KIND_DATASEC, Linux 5.2
	KindFloat     Kind = 16 // BTF_KIND_FLOAT, Linux 5.13
	KindDeclTag   Kind = 17 // BTF_KIND_DECL_TAG, Linux 5.16
	KindTypeTag   Kind = 18 // BTF_KIND_TYPE_TAG, Linux 5.17
	KindEnum64    Kind = 19 // BTF_KIND_ENUM64, Linux 6.0

	maxKind = KindEnum64
)

var kindNames = [...]string{
	KindVoid: "VOID", KindInt: "INT", KindPointer: "PTR", KindArray: "ARRAY",
	KindStruct: "STRUCT", KindUnion: "UNION", KindEnum: "ENUM", KindFwd: "FWD",
	KindTypedef: "TYPEDEF", KindVolatile: "VOLATILE", KindConst: "CONST",
	KindRestrict: "RESTRICT", KindFunc: "FUNC", KindFuncProto: "FUNC_PROTO",
	KindVar: "VAR", KindDatasec: "DATASEC", KindFloat: "FLOAT",
	KindDeclTag: "DECL_TAG", KindTypeTag: "TYPE_TAG", KindEnum64: "ENUM64",
}

// String returns the kernel's name of the kind without the BTF_KIND_ prefix,
// as bpftool prints it ("STRUCT", "FUNC_PROTO").
func (k Kind) String() string {
	if k <= maxKind {
		return kindNames[k]
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}

// Type is one decoded BTF type. The concrete types are [*Void], [*Int],
// [*Pointer], [*Array], [*Struct], [*Union], [*Enum], [*Fwd], [*Typedef],
// [*Volatile], [*Const], [*Restrict], [*Func], [*FuncProto], [*Var],
// [*Datasec], [*Float], [*DeclTag] and [*TypeTag].
//
// Types refer to other types by [TypeID] within the same [Spec] (or
// [Builder]), never by pointer: a lookup decodes only the record asked for,
// and the referenced types are decoded when the caller asks for them.
type Type interface {
	// Kind returns the BTF kind of the record.
	Kind() Kind
	// TypeName returns the name of the type, "" for anonymous types.
	TypeName() string

	// refs calls fn on every type reference held by the type.
	refs(fn func(*TypeID))
	copyType() Type
}

// Copy returns a deep copy of t, which the caller may modify.
func Copy(t Type) Type {
	if t == nil {
		return nil
	}
	return t.copyType()
}

// Void is type 0: "void" in C, the absent return type of a function, or the
// target of an untyped pointer.
type Void struct{}

// IntEncoding holds the BTF_INT_* flags of an integer.
type IntEncoding uint8

// Integer encodings (BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL).
const (
	Unsigned IntEncoding = 0
	Signed   IntEncoding = 1 << 0
	Char     IntEncoding = 1 << 1
	Bool     IntEncoding = 1 << 2
)

// String formats the encoding as bpftool does: "(none)", "SIGNED", "CHAR" or
// "BOOL".
func (e IntEncoding) String() string {
	switch e {
	case Unsigned:
		return "(none)"
	case Signed:
		return "SIGNED"
	case Char:
		return "CHAR"
	case Bool:
		return "BOOL"
	}
	var parts []string
	for _, f := range []struct {
		bit  IntEncoding
		name string
	}{{Signed, "SIGNED"}, {Char, "CHAR"}, {Bool, "BOOL"}} {
		if e&f.bit != 0 {
			parts = append(parts, f.name)
		}
	}
	if rest := e &^ (Signed | Char | Bool); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// Int is an integer type (BTF_KIND_INT), including char and _Bool.
type Int struct {
	Name     string
	Size     uint32 // in bytes
	Encoding IntEncoding
	// Offset is the legacy bit offset of the value within Size bytes
	// (BTF_INT_OFFSET); it is 0 in all BTF that modern compilers emit.
	Offset uint8
	Bits   uint8 // number of value bits (BTF_INT_BITS)
}

// Pointer is a pointer to Target (BTF_KIND_PTR).
type Pointer struct {
	Target TypeID
}

// Array is a fixed-size array (BTF_KIND_ARRAY).
type Array struct {
	Type   TypeID // element type
	Index  TypeID // index type, an integer
	Nelems uint32
}

// Member is a field of a [Struct] or [Union].
type Member struct {
	Name string // "" for an anonymous nested struct or union
	Type TypeID
	// BitOffset is the offset of the member from the start of the
	// enclosing type, in bits.
	BitOffset uint32
	// BitfieldSize is the width of a bitfield in bits, or 0 for a member
	// that is not a bitfield. It is decoded from records whose kind_flag
	// is set (the encoding every compiler uses since Linux 4.20); members
	// of records without kind_flag report 0, as bpftool does.
	BitfieldSize uint8
}

// Struct is a C struct (BTF_KIND_STRUCT).
type Struct struct {
	Name    string
	Size    uint32 // in bytes
	Members []Member
}

// Union is a C union (BTF_KIND_UNION).
type Union struct {
	Name    string
	Size    uint32 // in bytes
	Members []Member
}

// EnumValue is one enumerator of an [Enum].
type EnumValue struct {
	Name string
	// Value is the enumerator's value. For a signed enum it holds the
	// two's-complement bits of the int64 value: use int64(Value).
	Value uint64
}

// Enum is an enumeration (BTF_KIND_ENUM, or BTF_KIND_ENUM64 for 64-bit values
// since Linux 6.0).
type Enum struct {
	Name   string
	Size   uint32 // in bytes: 1, 2, 4 or 8
	Signed bool   // the values are signed (kind_flag, Linux 6.0)
	// Is64 records the enum as BTF_KIND_ENUM64, whose values are 64 bits
	// wide; otherwise it is BTF_KIND_ENUM with 32-bit values.
	Is64   bool
	Values []EnumValue
}

// Fwd is a forward declaration of a struct or union (BTF_KIND_FWD).
type Fwd struct {
	Name  string
	Union bool // declares a union rather than a struct (kind_flag)
}

// Typedef names another type (BTF_KIND_TYPEDEF).
type Typedef struct {
	Name string
	Type TypeID
}

// Volatile is the volatile qualifier (BTF_KIND_VOLATILE).
type Volatile struct {
	Type TypeID
}

// Const is the const qualifier (BTF_KIND_CONST).
type Const struct {
	Type TypeID
}

// Restrict is the restrict qualifier (BTF_KIND_RESTRICT).
type Restrict struct {
	Type TypeID
}

// FuncLinkage is the linkage of a [Func] (enum btf_func_linkage).
type FuncLinkage uint16

// Function linkages (BTF_FUNC_STATIC, BTF_FUNC_GLOBAL, BTF_FUNC_EXTERN).
const (
	StaticFunc FuncLinkage = 0
	GlobalFunc FuncLinkage = 1
	ExternFunc FuncLinkage = 2
)

// String returns "static", "global" or "extern", as bpftool prints linkages.
func (l FuncLinkage) String() string {
	switch l {
	case StaticFunc:
		return "static"
	case GlobalFunc:
		return "global"
	case ExternFunc:
		return "extern"
	}
	return fmt.Sprintf("linkage(%d)", uint16(l))
}

// Func is a function (BTF_KIND_FUNC). Its Type is a [FuncProto]. Requires
// Linux 5.0 to load; linkage other than static requires Linux 5.6.
type Func struct {
	Name    string
	Type    TypeID // a FUNC_PROTO
	Linkage FuncLinkage
}

// FuncParam is a parameter of a [FuncProto]. A last parameter with Type 0 and
// no name marks a variadic function ("...").
type FuncParam struct {
	Name string
	Type TypeID
}

// FuncProto is a function signature (BTF_KIND_FUNC_PROTO).
type FuncProto struct {
	Return TypeID // 0 for void
	Params []FuncParam
}

// Variadic reports whether the prototype ends with "...".
func (fp *FuncProto) Variadic() bool {
	n := len(fp.Params)
	return n > 0 && fp.Params[n-1].Type == 0 && fp.Params[n-1].Name == ""
}

// VarLinkage is the linkage of a [Var] (BTF_VAR_*).
type VarLinkage uint32

// Variable linkages (BTF_VAR_STATIC, BTF_VAR_GLOBAL_ALLOCATED,
// BTF_VAR_GLOBAL_EXTERN).
const (
	StaticVar VarLinkage = 0
	GlobalVar VarLinkage = 1
	ExternVar VarLinkage = 2
)

// String returns the linkage as bpftool prints it: "static", "global" or
// "extern".
func (l VarLinkage) String() string {
	switch l {
	case StaticVar:
		return "static"
	case GlobalVar:
		return "global"
	case ExternVar:
		return "extern"
	}
	return fmt.Sprintf("linkage(%d)", uint32(l))
}

// Var is a global or static variable (BTF_KIND_VAR). Requires Linux 5.2.
type Var struct {
	Name    string
	Type    TypeID
	Linkage VarLinkage
}

// VarSecinfo places a [Var] within a [Datasec] (struct btf_var_secinfo).
type VarSecinfo struct {
	Type   TypeID // a VAR (or a FUNC for extern functions in .ksyms)
	Offset uint32 // in bytes from the start of the section
	Size   uint32 // in bytes
}

// Datasec is an ELF data section and the variables it holds
// (BTF_KIND_DATASEC). Requires Linux 5.2.
type Datasec struct {
	Name string
	Size uint32
	Vars []VarSecinfo
}

// Float is a floating-point type (BTF_KIND_FLOAT). Requires Linux 5.13.
type Float struct {
	Name string
	Size uint32 // in bytes
}

// DeclTag attaches the string Name to a declaration (BTF_KIND_DECL_TAG,
// from __attribute__((btf_decl_tag("...")))). Requires Linux 5.16.
type DeclTag struct {
	Name string // the tag's value
	Type TypeID // the tagged struct, union, func, var or typedef
	// ComponentIdx is -1 when the tag applies to Type itself, or the index
	// of the tagged member or parameter.
	ComponentIdx int32
	// Attr marks a tag that is a C attribute rather than a free-form tag
	// (kind_flag, Linux 6.13).
	Attr bool
}

// TypeTag qualifies a pointee type with the string Name (BTF_KIND_TYPE_TAG,
// from __attribute__((btf_type_tag("...")))), e.g. "rcu" or "user".
// Requires Linux 5.17.
type TypeTag struct {
	Name string // the tag's value
	Type TypeID
	// Attr marks a tag that is a C attribute (kind_flag, Linux 6.13).
	Attr bool
}

// Kind implements [Type].
func (*Void) Kind() Kind { return KindVoid }

// Kind implements [Type].
func (*Int) Kind() Kind { return KindInt }

// Kind implements [Type].
func (*Pointer) Kind() Kind { return KindPointer }

// Kind implements [Type].
func (*Array) Kind() Kind { return KindArray }

// Kind implements [Type].
func (*Struct) Kind() Kind { return KindStruct }

// Kind implements [Type].
func (*Union) Kind() Kind { return KindUnion }

// Kind implements [Type]: KindEnum64 when Is64 is set, KindEnum otherwise.
func (e *Enum) Kind() Kind {
	if e.Is64 {
		return KindEnum64
	}
	return KindEnum
}

// Kind implements [Type].
func (*Fwd) Kind() Kind { return KindFwd }

// Kind implements [Type].
func (*Typedef) Kind() Kind { return KindTypedef }

// Kind implements [Type].
func (*Volatile) Kind() Kind { return KindVolatile }

// Kind implements [Type].
func (*Const) Kind() Kind { return KindConst }

// Kind implements [Type].
func (*Restrict) Kind() Kind { return KindRestrict }

// Kind implements [Type].
func (*Func) Kind() Kind { return KindFunc }

// Kind implements [Type].
func (*FuncProto) Kind() Kind { return KindFuncProto }

// Kind implements [Type].
func (*Var) Kind() Kind { return KindVar }

// Kind implements [Type].
func (*Datasec) Kind() Kind { return KindDatasec }

// Kind implements [Type].
func (*Float) Kind() Kind { return KindFloat }

// Kind implements [Type].
func (*DeclTag) Kind() Kind { return KindDeclTag }

// Kind implements [Type].
func (*TypeTag) Kind() Kind { return KindTypeTag }

// TypeName implements [Type].
func (*Void) TypeName() string { return "" }

// TypeName implements [Type].
func (t *Int) TypeName() string { return t.Name }

// TypeName implements [Type].
func (*Pointer) TypeName() string { return "" }

// TypeName implements [Type].
func (*Array) TypeName() string { return "" }

// TypeName implements [Type].
func (t *Struct) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Union) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Enum) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Fwd) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Typedef) TypeName() string { return t.Name }

// TypeName implements [Type].
func (*Volatile) TypeName() string { return "" }

// TypeName implements [Type].
func (*Const) TypeName() string { return "" }

// TypeName implements [Type].
func (*Restrict) TypeName() string { return "" }

// TypeName implements [Type].
func (t *Func) TypeName() string { return t.Name }

// TypeName implements [Type].
func (*FuncProto) TypeName() string { return "" }

// TypeName implements [Type].
func (t *Var) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Datasec) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *Float) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *DeclTag) TypeName() string { return t.Name }

// TypeName implements [Type].
func (t *TypeTag) TypeName() string { return t.Name }

func (*Void) refs(func(*TypeID))         {}
func (*Int) refs(func(*TypeID))          {}
func (t *Pointer) refs(fn func(*TypeID)) { fn(&t.Target) }
func (t *Array) refs(fn func(*TypeID))   { fn(&t.Type); fn(&t.Index) }
func (t *Struct) refs(fn func(*TypeID)) {
	for i := range t.Members {
		fn(&t.Members[i].Type)
	}
}
func (t *Union) refs(fn func(*TypeID)) {
	for i := range t.Members {
		fn(&t.Members[i].Type)
	}
}
func (*Enum) refs(func(*TypeID))          {}
func (*Fwd) refs(func(*TypeID))           {}
func (t *Typedef) refs(fn func(*TypeID))  { fn(&t.Type) }
func (t *Volatile) refs(fn func(*TypeID)) { fn(&t.Type) }
func (t *Const) refs(fn func(*TypeID))    { fn(&t.Type) }
func (t *Restrict) refs(fn func(*TypeID)) { fn(&t.Type) }
func (t *Func) refs(fn func(*TypeID))     { fn(&t.Type) }
func (t *FuncProto) refs(fn func(*TypeID)) {
	fn(&t.Return)
	for i := range t.Params {
		fn(&t.Params[i].Type)
	}
}
func (t *Var) refs(fn func(*TypeID)) { fn(&t.Type) }
func (t *Datasec) refs(fn func(*TypeID)) {
	for i := range t.Vars {
		fn(&t.Vars[i].Type)
	}
}
func (*Float) refs(func(*TypeID))        {}
func (t *DeclTag) refs(fn func(*TypeID)) { fn(&t.Type) }
func (t *TypeTag) refs(fn func(*TypeID)) { fn(&t.Type) }

func (t *Void) copyType() Type    { return &Void{} }
func (t *Int) copyType() Type     { c := *t; return &c }
func (t *Pointer) copyType() Type { c := *t; return &c }
func (t *Array) copyType() Type   { c := *t; return &c }
func (t *Struct) copyType() Type {
	c := *t
	c.Members = append([]Member(nil), t.Members...)
	return &c
}
func (t *Union) copyType() Type {
	c := *t
	c.Members = append([]Member(nil), t.Members...)
	return &c
}
func (t *Enum) copyType() Type {
	c := *t
	c.Values = append([]EnumValue(nil), t.Values...)
	return &c
}
func (t *Fwd) copyType() Type      { c := *t; return &c }
func (t *Typedef) copyType() Type  { c := *t; return &c }
func (t *Volatile) copyType() Type { c := *t; return &c }
func (t *Const) copyType() Type    { c := *t; return &c }
func (t *Restrict) copyType() Type { c := *t; return &c }
func (t *Func) copyType() Type     { c := *t; return &c }
func (t *FuncProto) copyType() Type {
	c := *t
	c.Params = append([]FuncParam(nil), t.Params...)
	return &c
}
func (t *Var) copyType() Type { c := *t; return &c }
func (t *Datasec) copyType() Type {
	c := *t
	c.Vars = append([]VarSecinfo(nil), t.Vars...)
	return &c
}
func (t *Float) copyType() Type   { c := *t; return &c }
func (t *DeclTag) copyType() Type { c := *t; return &c }
func (t *TypeTag) copyType() Type { c := *t; return &c }

// Members returns the members of a struct or union, nil for other types. It
// lets CO-RE style code walk composites without a type switch.
func Members(t Type) []Member {
	switch t := t.(type) {
	case *Struct:
		return t.Members
	case *Union:
		return t.Members
	}
	return nil
}

// EssentialName strips a CO-RE "flavour" suffix from a type or field name,
// following libbpf's rule: the name is cut before the last "___" that has a
// character other than '_' on both sides ("task_struct___old" becomes
// "task_struct"). Names without such a suffix are returned unchanged.
func EssentialName(name string) string {
	return name[:essentialLen(name)]
}

func essentialLen[S string | []byte](name S) int {
	n := len(name)
	for i := n - 5; i >= 0; i-- {
		if name[i] != '_' && name[i+1] == '_' && name[i+2] == '_' && name[i+3] == '_' && name[i+4] != '_' {
			return i + 1
		}
	}
	return n
}
