package btf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

func mustLoad(t testing.TB, path string) *Spec {
	t.Helper()
	s, err := LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestELFRawFormat compares every type of the clang-compiled test object
// with bpftool's raw dump of it.
func TestELFRawFormat(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	s := mustLoad(t, "testdata/core.o")
	compareRaw(t, s, runTool(t, bpftool, "btf", "dump", "file", "testdata/core.o", "format", "raw"))
}

// TestBigEndian checks that the big-endian object decodes to the same types
// as the little-endian one, and that marshalling in either order round-trips.
func TestBigEndian(t *testing.T) {
	le := mustLoad(t, "testdata/core.o")
	be := mustLoad(t, "testdata/core_eb.o")
	if le.ByteOrder() != binary.LittleEndian || be.ByteOrder() != binary.BigEndian {
		t.Fatalf("byte orders %v, %v", le.ByteOrder(), be.ByteOrder())
	}
	assertSameTypes(t, le, be)
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		data, err := be.Marshal(&MarshalOptions{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSpecFromBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		if s.ByteOrder() != order {
			t.Fatalf("marshalled in %v, parsed as %v", order, s.ByteOrder())
		}
		assertSameTypes(t, le, s)
	}
}

func TestELFTypes(t *testing.T) {
	s := mustLoad(t, "testdata/core.o")
	id, task, err := Find[*Struct](s, "task")
	if err != nil {
		t.Fatal(err)
	}
	if task.Size != 72 || len(task.Members) != 9 {
		t.Fatalf("struct task: size %d, %d members", task.Size, len(task.Members))
	}
	_, flags, err := Find[*Struct](s, "flags")
	if err != nil {
		t.Fatal(err)
	}
	wantFlags := []Member{
		{Name: "a", Type: 6, BitOffset: 0, BitfieldSize: 3},
		{Name: "b", Type: 6, BitOffset: 3, BitfieldSize: 5},
		{Name: "c", Type: 3, BitOffset: 8, BitfieldSize: 7},
		{Name: "d", Type: 7, BitOffset: 16},
		{Name: "e", Type: 8, BitOffset: 24, BitfieldSize: 40},
	}
	if !reflect.DeepEqual(flags.Members, wantFlags) {
		t.Fatalf("struct flags members:\ngot  %+v\nwant %+v", flags.Members, wantFlags)
	}
	_, color, err := Find[*Enum](s, "color")
	if err != nil {
		t.Fatal(err)
	}
	if !color.Signed || color.Is64 || int64(color.Values[2].Value) != -3 {
		t.Fatalf("enum color: %+v", color)
	}
	_, big, err := Find[*Enum](s, "big")
	if err != nil {
		t.Fatal(err)
	}
	if big.Kind() != KindEnum64 || big.Values[0].Value != 1<<32 || big.Values[1].Value != ^uint64(0) {
		t.Fatalf("enum big: %+v", big)
	}

	tests := []struct {
		path        []string
		offset      uint32
		size, align int
	}{
		{[]string{"pid"}, 0, 4, 4},
		{[]string{"tgid"}, 32, 4, 4},
		{[]string{"fl"}, 64, 8, 8},
		{[]string{"v"}, 128, 4, 4},
		{[]string{"comm"}, 320, 16, 1},
		{[]string{"cb"}, 256, 8, 8},
		{[]string{"y"}, 448 + 64, 8, 8}, // in the anonymous struct
		{[]string{"fl", "d"}, 64 + 16, 1, 1},
		{[]string{"v", "bytes"}, 128, 4, 1},
	}
	for _, tt := range tests {
		name := strings.Join(tt.path, ".")
		f, err := s.Field(id, tt.path...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Offset != tt.offset {
			t.Errorf("%s: offset %d, want %d", name, f.Offset, tt.offset)
		}
		if sz, err := s.Sizeof(f.Type); err != nil || sz != tt.size {
			t.Errorf("%s: size %d (%v), want %d", name, sz, err, tt.size)
		}
		if a, err := s.Alignof(f.Type); err != nil || a != tt.align {
			t.Errorf("%s: align %d (%v), want %d", name, a, err, tt.align)
		}
	}
	if _, err := s.Field(id, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("task.nope: %v, want ErrNotFound", err)
	}

	// comm is const volatile char[16]: resolving the element type skips
	// both qualifiers.
	f, _ := s.Field(id, "comm")
	arr := mustType(t, s, f.Type).(*Array)
	if _, elem, err := s.Underlying(arr.Type); err != nil || elem.TypeName() != "char" {
		t.Fatalf("underlying of comm's element: %v, %v", elem, err)
	}
	// u64 is a typedef: Underlying resolves it, SkipQualifiers does not.
	e, _ := s.Field(id, "fl", "e")
	if _, u, _ := s.Underlying(e.Type); u.TypeName() != "unsigned long long" {
		t.Fatalf("underlying of u64: %v", u)
	}
	if _, u, _ := s.SkipQualifiers(e.Type); u.TypeName() != "u64" {
		t.Fatalf("SkipQualifiers of u64: %v", u)
	}
	if _, err := s.Sizeof(0); err == nil {
		t.Fatal("sizeof(void) succeeded")
	}

	// Functions and their signatures.
	fid, fn, err := Find[*Func](s, "helper")
	if err != nil {
		t.Fatal(err)
	}
	if fn.Linkage != StaticFunc {
		t.Fatalf("helper linkage %v", fn.Linkage)
	}
	proto := mustType(t, s, fn.Type).(*FuncProto)
	if len(proto.Params) != 2 || proto.Params[1].Name != "n" || proto.Variadic() {
		t.Fatalf("helper proto %+v", proto)
	}
	if sig, _ := s.FormatC(fid, nil); sig != "static int helper(struct task *t, u32 n);" {
		t.Fatalf("helper signature %q", sig)
	}

	// Data sections and variables.
	_, bss, err := Find[*Datasec](s, ".bss")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range bss.Vars {
		names = append(names, mustType(t, s, v.Type).TypeName())
	}
	if strings.Join(names, ",") != "global_task,big_value" {
		t.Fatalf(".bss vars %v", names)
	}
	_, cfg, err := Find[*Var](s, "config")
	if err != nil {
		t.Fatal(err)
	}
	if str, _ := s.TypeString(cfg.Type); str != "const volatile u32" {
		t.Fatalf("config type %q", str)
	}

	// Flavours: task___old has the essential name task.
	ids := s.TypeIDsByEssentialName("task___new")
	if len(ids) != 2 || ids[0] != id {
		t.Fatalf("candidates for task___new: %v", ids)
	}
	_, tag, err := Find[*DeclTag](s, "flags_tag")
	if err != nil || tag.ComponentIdx != -1 {
		t.Fatalf("decl tag: %+v, %v", tag, err)
	}
}

func TestEssentialName(t *testing.T) {
	for in, want := range map[string]string{
		"task_struct":         "task_struct",
		"task_struct___old":   "task_struct",
		"task_struct___a___b": "task_struct___a",
		"a____b":              "a____b",
		"___x":                "___x",
		"x___":                "x___",
		"":                    "",
	} {
		if got := EssentialName(in); got != want {
			t.Errorf("EssentialName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatC(t *testing.T) {
	s := mustLoad(t, "testdata/core.o")
	tests := []struct{ name, want string }{
		{"task", `struct task {
	int pid;
	int tgid;
	struct flags fl;
	union value v;
	enum color col;
	struct task *parent;
	int (*cb)(struct task *, u32);
	volatile const char comm[16];
	struct {
		int x;
		long y;
	};
};`},
		{"flags", `struct flags {
	unsigned int a: 3;
	unsigned int b: 5;
	int c: 7;
	unsigned char d;
	u64 e: 40;
};`},
		{"color", `enum color {
	RED = 0,
	GREEN = 1,
	BLUE = -3,
};`},
		{"u32", "typedef unsigned int u32;"},
		{"prog", "int prog(struct task *t);"},
		{"global_task", "struct task global_task;"},
		{"_license", "char _license[4];"},
	}
	for _, tt := range tests {
		id, _, err := s.AnyTypeByName(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.FormatC(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("FormatC(%s):\ngot\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
	types := []struct {
		id   TypeID
		want string
	}{{1, "struct task *"}, {16, "int (*)(struct task *, u32)"}, {20, "const volatile char [16]"}, {0, "void"}}
	for _, tt := range types {
		if got, err := s.TypeString(tt.id); err != nil || got != tt.want {
			t.Errorf("TypeString(%d) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
	id, _, _ := s.AnyTypeByName("task")
	full, err := s.FormatC(id, &FormatOptions{Dependencies: true})
	if err != nil {
		t.Fatal(err)
	}
	// Dependencies come first: flags before task, u64 before flags.
	iu, ifl, it := strings.Index(full, "typedef unsigned long long u64;"), strings.Index(full, "struct flags {"), strings.Index(full, "struct task {")
	if iu < 0 || ifl < iu || it < ifl {
		t.Fatalf("dependency order wrong:\n%s", full)
	}
}

func TestFormatCCompiles(t *testing.T) {
	clang := testutil.RequireTool(t, "clang-19")
	s := mustLoad(t, "testdata/core.o")
	var src strings.Builder
	for _, name := range []string{"task", "task___old"} {
		id, _, _ := s.AnyTypeByName(name)
		out, err := s.FormatC(id, &FormatOptions{Dependencies: true})
		if err != nil {
			t.Fatal(err)
		}
		src.WriteString(out)
	}
	src.WriteString("_Static_assert(sizeof(struct task) == 72, \"task\");\n")
	path := t.TempDir() + "/x.c"
	if err := os.WriteFile(path, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, clang, "-target", "bpf", "-fsyntax-only", path)
}

func TestExt(t *testing.T) {
	f, err := os.Open("testdata/core.o")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, ext, err := LoadSpecAndExtFromELF(f)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/core.c")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")

	funcs := map[string]string{"xdp": "prog", ".text": "helper"}
	for sec, fn := range funcs {
		es := ext.Section(sec)
		if es == nil || len(es.FuncInfos) != 1 {
			t.Fatalf("section %s: func infos %+v", sec, es)
		}
		if name, _ := s.NameOf(es.FuncInfos[0].TypeID); name != fn || es.FuncInfos[0].InsnOff != 0 {
			t.Fatalf("section %s: func info %+v names %q", sec, es.FuncInfos[0], name)
		}
		if len(es.LineInfos) == 0 {
			t.Fatalf("section %s: no line info", sec)
		}
		// Each line_info carries the text of the source line it names.
		for _, li := range es.LineInfos {
			if !strings.HasSuffix(li.FileName, "core.c") || li.LineNum == 0 || int(li.LineNum) > len(lines) {
				t.Fatalf("line info %+v", li)
			}
			if got := strings.TrimSpace(li.Line); got != strings.TrimSpace(lines[li.LineNum-1]) {
				t.Fatalf("line %d: %q, source has %q", li.LineNum, got, lines[li.LineNum-1])
			}
		}
	}

	// The relocations llvm-objdump -r shows for the object.
	type relo struct {
		off    uint32
		typ    string
		access string
		kind   COREReloKind
	}
	want := map[string][]relo{
		".text": {{0, "task", "0:0", COREFieldByteOffset}},
		"xdp": {
			{0x00, "task", "0:1", COREFieldByteOffset},
			{0x08, "task", "0:2", COREFieldByteSize},
			{0x18, "task", "0:7", COREFieldExists},
			{0x28, "task", "0:8:1", COREFieldByteOffset},
			{0x38, "task", "0", CORETypeExists},
			{0x48, "task___old", "0", CORETypeSize},
			{0x58, "color", "2", COREEnumvalValue},
			{0x70, "color", "1", COREEnumvalExists},
		},
	}
	for sec, rs := range want {
		es := ext.Section(sec)
		if es == nil || len(es.CORERelos) != len(rs) {
			t.Fatalf("section %s: relocations %+v, want %d", sec, es, len(rs))
		}
		for i, r := range rs {
			got := es.CORERelos[i]
			name, _ := s.NameOf(got.TypeID)
			if got.InsnOff != r.off || name != r.typ || got.Access != r.access || got.Kind != r.kind {
				t.Errorf("section %s relo %d: got %+v (%s), want %+v", sec, i, got, name, r)
			}
		}
	}
	if COREFieldByteOffset.String() != "byte_off" || CORETypeMatches.String() != "type_matches" {
		t.Error("relocation kind names")
	}

	// The big-endian object carries the same records.
	fb, err := os.Open("testdata/core_eb.o")
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	_, extBE, err := LoadSpecAndExtFromELF(fb)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ext, extBE) {
		t.Fatal("big-endian .BTF.ext differs")
	}
}

// TestSplitSpec builds split BTF on top of the test object's BTF, as module
// BTF sits on vmlinux, including a record named with a base string.
func TestSplitSpec(t *testing.T) {
	base := mustLoad(t, "testdata/core.o")
	taskID, _, err := base.TypeByName("task", KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	b := NewSplitBuilder(base)
	ptr, _ := b.Add(&Pointer{Target: taskID})
	sid, _ := b.Add(&Struct{Name: "split_s", Size: 16, Members: []Member{
		{Name: "task", Type: ptr},
		{Name: "pid", Type: 3, BitOffset: 64},
	}})
	// A typedef whose name is a string of the base ("task"): split BTF
	// from pahole shares the base's strings.
	tdName := strings.Index(string(base.strings), "\x00task\x00") + 1
	tdID, _ := b.Add(&Typedef{Name: "placeholder", Type: sid})
	data, err := b.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Point the typedef's name_off at the base's "task".
	hdrLen := binary.NativeEndian.Uint32(data[4:])
	typeLen := binary.NativeEndian.Uint32(data[12:])
	rec := data[hdrLen+typeLen-12:]
	binary.NativeEndian.PutUint32(rec, uint32(tdName))

	s, err := LoadSplitSpecFromBytes(data, base)
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstID() != base.LastID()+1 || ptr != s.FirstID() || s.LastID() != tdID {
		t.Fatalf("ids: first %d last %d, ptr %d typedef %d", s.FirstID(), s.LastID(), ptr, tdID)
	}
	if s.Base() != base {
		t.Fatal("base not kept")
	}
	if name, _ := s.NameOf(tdID); name != "task" {
		t.Fatalf("typedef named with a base string: %q", name)
	}
	// Lookups span base and split types.
	if ids := s.TypeIDsByName("task"); len(ids) != 2 || ids[0] != taskID || ids[1] != tdID {
		t.Fatalf("ids named task: %v", ids)
	}
	if id, _, err := s.TypeByName("split_s", KindStruct); err != nil || id != sid {
		t.Fatalf("split_s: %d, %v", id, err)
	}
	if got, err := s.FormatC(sid, nil); err != nil || !strings.Contains(got, "struct task *task;") {
		t.Fatalf("FormatC: %q, %v", got, err)
	}
	n := 0
	for id := range s.All() {
		n++
		if id != TypeID(n) {
			t.Fatalf("All yields %d at position %d", id, n)
		}
	}
	if TypeID(n) != s.LastID() {
		t.Fatalf("All yielded %d types", n)
	}
	// Round trip on the same base.
	again, err := s.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LoadSplitSpecFromBytes(again, base)
	if err != nil {
		t.Fatal(err)
	}
	assertSameTypes(t, s, s2)
	// bpftool reads our split BTF on the same base the same way.
	if bpftool, err := exec.LookPath("bpftool"); err == nil {
		path := t.TempDir() + "/split.btf"
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		compareRaw(t, s, runTool(t, bpftool, "btf", "dump", "file", path, "--base-btf", "testdata/core.o", "format", "raw"))
	}
	// Split BTF needs its base.
	if _, err := LoadSpecFromBytes(data); err == nil {
		t.Fatal("split BTF parsed without its base")
	}
}

func TestMalformed(t *testing.T) {
	good, err := NewBuilder().Marshal(&MarshalOptions{Order: binary.LittleEndian})
	if err != nil {
		t.Fatal(err)
	}
	// record builds BTF from one raw type record and a string section.
	record := func(words []uint32, strs string) []byte {
		var typ []byte
		for _, w := range words {
			typ = binary.LittleEndian.AppendUint32(typ, w)
		}
		h := make([]byte, 24)
		binary.LittleEndian.PutUint16(h, btfMagic)
		h[2] = 1
		binary.LittleEndian.PutUint32(h[4:], 24)
		binary.LittleEndian.PutUint32(h[12:], uint32(len(typ)))
		binary.LittleEndian.PutUint32(h[16:], uint32(len(typ)))
		binary.LittleEndian.PutUint32(h[20:], uint32(len(strs)))
		return append(append(h, typ...), strs...)
	}
	info := func(k Kind, vlen uint32) uint32 { return uint32(k)<<24 | vlen }
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "shorter than the header"},
		{"bad magic", bytes.Repeat([]byte{1}, 24), "bad magic"},
		{"version", append([]byte{0x9f, 0xeb, 2}, good[3:]...), "unsupported version"},
		{"type section beyond", record([]uint32{0, info(KindInt, 0), 4, 32}, "\x00")[:30], "beyond"},
		{"unknown kind", record([]uint32{0, info(20, 0), 0}, "\x00"), "unknown kind 20"},
		{"truncated struct", record([]uint32{0, info(KindStruct, 2), 4, 0, 0, 0}, "\x00"), "truncated"},
		{"name out of range", record([]uint32{7, info(KindInt, 0), 4, 32}, "\x00"), "name offset 7 out of range"},
		{"member name out of range", record([]uint32{0, info(KindStruct, 1), 4, 9, 0, 0}, "\x00"), "item name offset 9 out of range"},
		{"bad reference", record([]uint32{0, info(KindPointer, 0), 5}, "\x00"), "reference to type 5"},
		{"strings without NUL", record([]uint32{0, info(KindPointer, 0), 0}, "\x00a"), "does not end with NUL"},
		{"strings not starting empty", record([]uint32{0, info(KindPointer, 0), 0}, "a\x00"), "empty string"},
		{"ragged type section", record([]uint32{0, info(KindPointer, 0), 0}, "\x00")[:24+11], "beyond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSpecFromBytes(tt.data)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want ErrInvalid with %q", err, tt.msg)
			}
		})
	}
	if _, err := LoadSpecFromReader(bytes.NewReader([]byte("\x7fELF garbage"))); err == nil {
		t.Fatal("garbage ELF parsed")
	}
	if _, err := ParseExt([]byte{0x9f, 0xeb, 1, 0, 32, 0, 0, 0}, mustLoad(t, "testdata/core.o")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("truncated .BTF.ext: %v", err)
	}
}

func TestLoadSpecFromReader(t *testing.T) {
	s := mustLoad(t, "testdata/core.o")
	raw, err := s.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	assertSameTypes(t, s, s2)
	path := t.TempDir() + "/raw.btf"
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	assertSameTypes(t, s, mustLoad(t, path))
	// Trailing data after the sections is ignored; missing data is not.
	if _, err := LoadSpecFromReader(bytes.NewReader(raw[:len(raw)-1])); err == nil {
		t.Fatal("truncated raw BTF parsed")
	}
}

func TestStringAt(t *testing.T) {
	s := mustLoad(t, "testdata/core.o")
	_, fn, err := Find[*Func](s, "prog")
	if err != nil {
		t.Fatal(err)
	}
	off := uint32(strings.Index(string(s.strings), "\x00prog\x00") + 1)
	if got, err := s.StringAt(off); err != nil || got != fn.Name {
		t.Fatalf("StringAt(%d) = %q, %v", off, got, err)
	}
	if got, err := s.StringAt(0); err != nil || got != "" {
		t.Fatalf("StringAt(0) = %q, %v", got, err)
	}
	if _, err := s.StringAt(1 << 30); !errors.Is(err, ErrNotFound) {
		t.Fatalf("StringAt out of range: %v", err)
	}
}
