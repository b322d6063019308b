package btf

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

type flowKey struct {
	SrcAddr [4]byte
	DstAddr [4]byte
	SrcPort Port
	DstPort Port
	Proto   uint8
	_       [3]byte
}

// Port is a named integer type: it becomes a typedef.
type Port uint16

type flowStats struct {
	Packets uint64
	Bytes   uint64
	Flags   uint8 // padding follows
	Seen    bool
	Last    int32
	Hist    [4]uint32
	Nested  struct {
		A int16
		B float64
	}
}

func TestGoTypes(t *testing.T) {
	m, err := NewMapBTF(reflect.TypeFor[flowKey](), reflect.TypeFor[flowStats]())
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSpecFromBytes(m.BTF)
	if err != nil {
		t.Fatal(err)
	}
	// Every Go struct matches its BTF: size and each field's offset.
	check := func(goType reflect.Type, id TypeID) {
		t.Helper()
		st, ok := mustType(t, s, id).(*Struct)
		if !ok {
			t.Fatalf("%s: type %d is %T", goType, id, mustType(t, s, id))
		}
		if st.Size != uint32(goType.Size()) {
			t.Fatalf("%s: size %d, want %d", goType, st.Size, goType.Size())
		}
		if sz, err := s.Sizeof(id); err != nil || uintptr(sz) != goType.Size() {
			t.Fatalf("%s: Sizeof %d, %v", goType, sz, err)
		}
		if a, err := s.Alignof(id); err != nil || a != goType.Align() {
			t.Fatalf("%s: Alignof %d, %v; Go aligns to %d", goType, a, err, goType.Align())
		}
		i := 0
		for j := range goType.NumField() {
			f := goType.Field(j)
			if f.Name == "_" {
				continue
			}
			mem := st.Members[i]
			if mem.Name != f.Name || mem.BitOffset != uint32(f.Offset*8) || mem.BitfieldSize != 0 {
				t.Fatalf("%s.%s: member %+v, want offset %d", goType, f.Name, mem, f.Offset*8)
			}
			if sz, err := s.Sizeof(mem.Type); err != nil || uintptr(sz) != f.Type.Size() {
				t.Fatalf("%s.%s: size %d, %v; want %d", goType, f.Name, sz, err, f.Type.Size())
			}
			i++
		}
		if i != len(st.Members) {
			t.Fatalf("%s: %d members, want %d", goType, len(st.Members), i)
		}
	}
	check(reflect.TypeFor[flowKey](), m.KeyTypeID)
	check(reflect.TypeFor[flowStats](), m.ValueTypeID)
	if name, _ := s.NameOf(m.KeyTypeID); name != "flowKey" {
		t.Fatalf("key named %q", name)
	}
	f, err := s.Field(m.KeyTypeID, "SrcPort")
	if err != nil {
		t.Fatal(err)
	}
	if td, ok := mustType(t, s, f.Type).(*Typedef); !ok || td.Name != "Port" {
		t.Fatalf("SrcPort type %v", mustType(t, s, f.Type))
	}
	nested, _ := s.Field(m.ValueTypeID, "Nested")
	check(reflect.TypeFor[flowStats]().Field(6).Type, nested.Type)
	if got, _ := s.TypeString(nested.Type); !strings.HasPrefix(got, "struct {") {
		t.Fatalf("anonymous Go struct printed as %q", got)
	}
	// Integer types are shared: one uint64 for Packets and Bytes.
	p, _ := s.Field(m.ValueTypeID, "Packets")
	b, _ := s.Field(m.ValueTypeID, "Bytes")
	if p.Type != b.Type {
		t.Fatal("uint64 encoded twice")
	}
}

func TestGoTypesRejected(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[*int](),
		reflect.TypeFor[[]byte](),
		reflect.TypeFor[string](),
		reflect.TypeFor[map[int]int](),
		reflect.TypeFor[struct{ P *int }](),
		reflect.TypeFor[complex64](),
		reflect.TypeFor[any](),
	} {
		if _, err := NewBuilder().AddGoType(typ); err == nil {
			t.Errorf("%s accepted", typ)
		}
	}
	if _, err := NewMapBTF(nil, reflect.TypeFor[uint64]()); err != nil {
		t.Errorf("map without key: %v", err)
	}
}

// TestGoTypesBpftool checks that bpftool reads BTF built from Go types and
// prints the struct with the Go field names.
func TestGoTypesBpftool(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	m, err := NewMapBTF(reflect.TypeFor[flowKey](), reflect.TypeFor[flowStats]())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "map.btf")
	if err := os.WriteFile(path, m.BTF, 0o644); err != nil {
		t.Fatal(err)
	}
	out := string(runTool(t, bpftool, "btf", "dump", "file", path, "format", "c"))
	for _, want := range []string{"struct flowKey {", "Port SrcPort;", "uint8 Proto;", "struct flowStats {", "uint32 Hist[4];", "typedef uint16 Port;"} {
		if !strings.Contains(out, want) {
			t.Errorf("bpftool output lacks %q:\n%s", want, out)
		}
	}
}

func TestBuilder(t *testing.T) {
	b := NewBuilder()
	u32, _ := b.Add(&Int{Name: "u32", Size: 4, Bits: 32})
	ptr, _ := b.Add(&Pointer{Target: 0})
	all := []Type{
		&Array{Type: u32, Index: u32, Nelems: 3},
		&Struct{Name: "s", Size: 8, Members: []Member{{Name: "a", Type: u32, BitfieldSize: 3}, {Name: "b", Type: u32, BitOffset: 32}}},
		&Union{Name: "u", Size: 8, Members: []Member{{Name: "p", Type: ptr}, {Name: "x", Type: u32}}},
		&Enum{Name: "e", Size: 4, Signed: true, Values: []EnumValue{{"A", uint64(0xffffffffffffffff)}, {"B", 7}}},
		&Enum{Name: "e64", Size: 8, Is64: true, Values: []EnumValue{{"C", 1 << 40}}},
		&Fwd{Name: "f", Union: true},
		&Typedef{Name: "t", Type: u32},
		&Volatile{Type: u32},
		&Const{Type: u32},
		&Restrict{Type: ptr},
		&FuncProto{Return: u32, Params: []FuncParam{{Name: "x", Type: u32}, {}}},
		&Func{Name: "fn", Type: 13, Linkage: GlobalFunc},
		&Var{Name: "v", Type: u32, Linkage: GlobalVar},
		&Datasec{Name: ".data", Size: 4, Vars: []VarSecinfo{{Type: 15, Offset: 0, Size: 4}}},
		&Float{Name: "double", Size: 8},
		&DeclTag{Name: "tag", Type: 4, ComponentIdx: 1},
		&TypeTag{Name: "rcu", Type: u32},
	}
	for _, typ := range all {
		if _, err := b.Add(typ); err != nil {
			t.Fatal(err)
		}
	}
	strOff := b.AddString("file.go")
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		data, err := b.Marshal(&MarshalOptions{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSpecFromBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range all {
			got := mustType(t, s, TypeID(3+i))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("type %d:\ngot  %#v\nwant %#v", 3+i, got, want)
			}
		}
		if fp := mustType(t, s, 13).(*FuncProto); !fp.Variadic() {
			t.Fatal("variadic prototype lost")
		}
		if string(s.strBytes(strOff)) != "file.go" {
			t.Fatal("AddString offset")
		}
	}

	bad := []struct {
		name string
		typ  Type
	}{
		{"dangling reference", &Pointer{Target: 1000}},
		{"32-bit enum overflow", &Enum{Name: "x", Size: 4, Values: []EnumValue{{"A", 1 << 33}}}},
		{"bitfield offset", &Struct{Name: "x", Members: []Member{{Name: "a", Type: 1, BitOffset: 1 << 24, BitfieldSize: 1}}}},
	}
	for _, tt := range bad {
		b := NewBuilder()
		b.Add(&Int{Name: "int", Size: 4, Bits: 32})
		b.Add(tt.typ)
		if _, err := b.Marshal(nil); err == nil {
			t.Errorf("%s: marshalled", tt.name)
		}
	}
	if _, err := NewBuilder().Add(&Void{}); err == nil {
		t.Error("void added")
	}
}

// TestSpecBuilder rewrites a parsed spec, as the ELF loader fixes up the
// DATASEC sizes clang leaves at 0.
func TestSpecBuilder(t *testing.T) {
	s := mustLoad(t, "testdata/core.o")
	id, _, err := s.TypeByName(".bss", KindDatasec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Builder()
	if err != nil {
		t.Fatal(err)
	}
	ds := b.Type(id).(*Datasec)
	ds.Size = 80
	ds.Vars[1].Offset = 72
	if b.Type(0) != nil || b.Type(s.LastID()+1) != nil {
		t.Fatal("Type out of range")
	}
	if err := b.Replace(1, &Pointer{Target: 3}); err != nil {
		t.Fatal(err)
	}
	if err := b.Replace(1000, &Pointer{}); err == nil {
		t.Fatal("replaced a missing type")
	}
	data, err := b.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LoadSpecFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	got := mustType(t, s2, id).(*Datasec)
	if got.Size != 80 || got.Vars[1].Offset != 72 {
		t.Fatalf("datasec not rewritten: %+v", got)
	}
	if p := mustType(t, s2, 1).(*Pointer); p.Target != 3 {
		t.Fatalf("pointer not replaced: %+v", p)
	}
	// The original spec is unchanged.
	if orig := mustType(t, s, id).(*Datasec); orig.Size != 0 {
		t.Fatal("spec modified through its builder")
	}
}

func TestProgInfos(t *testing.T) {
	fi, err := MarshalFuncInfos([]ProgFuncInfo{{0, 3}, {10, 5}})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, 3, 10, 5}
	for i, w := range want {
		if got := binary.NativeEndian.Uint32(fi[4*i:]); got != w {
			t.Fatalf("func_info word %d: %d, want %d", i, got, w)
		}
	}
	li, err := MarshalLineInfos([]ProgLineInfo{{InsnOff: 2, FileNameOff: 1, LineOff: 9, LineNum: 42, Column: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if len(li) != LineInfoRecSize || binary.NativeEndian.Uint32(li[12:]) != 42<<10|7 {
		t.Fatalf("line_info %x", li)
	}
	if _, err := MarshalFuncInfos([]ProgFuncInfo{{5, 1}, {5, 1}}); err == nil {
		t.Fatal("unsorted func_info accepted")
	}
	if _, err := MarshalLineInfos([]ProgLineInfo{{Column: 1024}}); err == nil {
		t.Fatal("column 1024 accepted")
	}
}
