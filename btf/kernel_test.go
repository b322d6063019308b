package btf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

type bpftoolMember struct {
	Name         string  `json:"name"`
	TypeID       TypeID  `json:"type_id"`
	BitsOffset   uint32  `json:"bits_offset"`
	BitfieldSize *uint32 `json:"bitfield_size"`
}

type bpftoolType struct {
	ID      TypeID          `json:"id"`
	Kind    string          `json:"kind"`
	Name    string          `json:"name"`
	Size    uint32          `json:"size"`
	Members []bpftoolMember `json:"members"`
}

// TestKernelOracle checks the parser against bpftool over the running
// kernel's BTF: the number of types (bpftool does not count void), and for
// every struct and union the size, member names, type IDs, bit offsets and
// bitfield sizes.
func TestKernelOracle(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	s := mustLoadKernel(t)
	out := runTool(t, bpftool, "-j", "btf", "dump", "file", KernelBTFPath, "format", "raw")
	var dump struct {
		Types []bpftoolType `json:"types"`
	}
	if err := json.Unmarshal(out, &dump); err != nil {
		t.Fatalf("bpftool json: %v", err)
	}
	if got, want := int(s.LastID()), len(dump.Types); got != want {
		t.Fatalf("types: got %d, bpftool reports %d", got, want)
	}
	composites, members := 0, 0
	for _, bt := range dump.Types {
		if bt.Kind != "STRUCT" && bt.Kind != "UNION" {
			continue
		}
		composites++
		typ, err := s.TypeByID(bt.ID)
		if err != nil {
			t.Fatalf("type %d: %v", bt.ID, err)
		}
		if typ.Kind().String() != bt.Kind {
			t.Fatalf("type %d: kind %s, bpftool says %s", bt.ID, typ.Kind(), bt.Kind)
		}
		name := bt.Name
		if name == "(anon)" {
			name = ""
		}
		if typ.TypeName() != name {
			t.Fatalf("type %d: name %q, bpftool says %q", bt.ID, typ.TypeName(), name)
		}
		size, err := s.Sizeof(bt.ID)
		if err != nil || uint32(size) != bt.Size {
			t.Fatalf("type %d (%s): size %d (%v), bpftool says %d", bt.ID, name, size, err, bt.Size)
		}
		ms := Members(typ)
		if len(ms) != len(bt.Members) {
			t.Fatalf("type %d (%s): %d members, bpftool says %d", bt.ID, name, len(ms), len(bt.Members))
		}
		for i, bm := range bt.Members {
			m := ms[i]
			mname := bm.Name
			if mname == "(anon)" {
				mname = ""
			}
			var bf uint32
			if bm.BitfieldSize != nil {
				bf = *bm.BitfieldSize
			}
			if m.Name != mname || m.Type != bm.TypeID || m.BitOffset != bm.BitsOffset || uint32(m.BitfieldSize) != bf {
				t.Fatalf("type %d (%s) member %d: got %+v, bpftool says %+v (bitfield_size %d)", bt.ID, name, i, m, bm, bf)
			}
			members++
		}
	}
	t.Logf("%d types; %d structs and unions with %d members equal bpftool's", len(dump.Types), composites, members)
}

// TestKernelRawFormat compares FormatRaw of every type of the running
// kernel with bpftool's text raw dump, line for line.
func TestKernelRawFormat(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	s := mustLoadKernel(t)
	want := runTool(t, bpftool, "btf", "dump", "file", KernelBTFPath, "format", "raw")
	compareRaw(t, s, want)
}

func compareRaw(t *testing.T, s *Spec, want []byte) {
	t.Helper()
	var got bytes.Buffer
	for id := s.FirstID(); id <= s.LastID(); id++ {
		line, err := s.FormatRaw(id)
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(line)
		got.WriteByte('\n')
	}
	gl := strings.Split(got.String(), "\n")
	wl := strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("raw dump line %d:\ngot  %q\nwant %q", i+1, gl[i], wl[i])
		}
	}
	if len(gl) != len(wl) {
		t.Fatalf("raw dump: %d lines, bpftool prints %d", len(gl), len(wl))
	}
}

// TestKernelRoundTrip re-encodes vmlinux in both byte orders and checks that
// parsing the result gives the same types.
func TestKernelRoundTrip(t *testing.T) {
	s := mustLoadKernel(t)
	for _, order := range []string{"little", "big"} {
		t.Run(order, func(t *testing.T) {
			opts := &MarshalOptions{Order: binary.LittleEndian}
			if order == "big" {
				opts.Order = binary.BigEndian
			}
			data, err := s.Marshal(opts)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := LoadSpecFromBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			assertSameTypes(t, s, s2)
		})
	}
}

func assertSameTypes(t *testing.T, want, got *Spec) {
	t.Helper()
	if got.LastID() != want.LastID() {
		t.Fatalf("round trip: %d types, want %d", got.LastID(), want.LastID())
	}
	for id, wt := range want.All() {
		gt, err := got.TypeByID(id)
		if err != nil {
			t.Fatalf("round trip: type %d: %v", id, err)
		}
		if !reflect.DeepEqual(wt, gt) {
			t.Fatalf("round trip: type %d:\ngot  %#v\nwant %#v", id, gt, wt)
		}
	}
}

// TestKernelModules parses the split BTF of every loaded module on top of
// vmlinux.
func TestKernelModules(t *testing.T) {
	base := mustLoadKernel(t)
	entries, err := os.ReadDir(filepath.Dir(KernelBTFPath))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Name() == "vmlinux" {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			s, err := LoadKernelModuleSpec(e.Name(), base)
			if err != nil {
				t.Fatal(err)
			}
			if s.FirstID() != base.LastID()+1 {
				t.Fatalf("first id %d, want %d", s.FirstID(), base.LastID()+1)
			}
			for range s.All() {
			}
			if bpftool, err := exec.LookPath("bpftool"); err == nil {
				want := runTool(t, bpftool, "btf", "dump", "file", filepath.Join(filepath.Dir(KernelBTFPath), e.Name()), "--base-btf", KernelBTFPath, "format", "raw")
				compareRaw(t, s, want)
			}
			data, err := s.Marshal(nil)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := LoadSplitSpecFromBytes(data, base)
			if err != nil {
				t.Fatal(err)
			}
			assertSameTypes(t, s, s2)
		})
	}
	if n == 0 {
		reason := "kernel without module BTF (CONFIG_DEBUG_INFO_BTF_MODULES), or no module loaded"
		if _, err := os.Stat("/proc/modules"); err != nil {
			reason = "kernel built without loadable modules (CONFIG_MODULES; no /proc/modules)"
		}
		t.Skipf("no split BTF in /sys/kernel/btf: %s; TestSplitSpec covers split BTF", reason)
	}
}

// TestKernelLookups checks name and ID lookups and layout helpers against
// values bpftool shows for this kernel.
func TestKernelLookups(t *testing.T) {
	s := mustLoadKernel(t)
	id, task, err := Find[*Struct](s, "task_struct")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Field(id, "pid")
	if err != nil {
		t.Fatal(err)
	}
	if f.Offset%8 != 0 || f.Offset == 0 {
		t.Fatalf("task_struct.pid at bit %d", f.Offset)
	}
	if sz, err := s.Sizeof(f.Type); err != nil || sz != 4 {
		t.Fatalf("sizeof(pid_t) = %d, %v", sz, err)
	}
	if sz, err := s.Sizeof(id); err != nil || uint32(sz) != task.Size {
		t.Fatalf("sizeof(task_struct) = %d, %v; want %d", sz, err, task.Size)
	}
	if _, _, err := s.TypeByName("task_struct", KindUnion); !errors.Is(err, ErrNotFound) {
		t.Fatalf("union task_struct: %v, want ErrNotFound", err)
	}
	if _, _, err := s.AnyTypeByName("no_such_type_bpfgo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no_such_type_bpfgo: %v, want ErrNotFound", err)
	}
	if _, err := s.TypeByID(s.LastID() + 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("id past the end: %v", err)
	}
	// The same lookups once the name index is built.
	for range indexAfter + 1 {
		s.TypeIDsByName("x")
	}
	id2, _, err := s.TypeByName("task_struct", KindStruct)
	if err != nil || id2 != id {
		t.Fatalf("indexed lookup: %d, %v; want %d", id2, err, id)
	}
	if ids := s.TypeIDsByEssentialName("task_struct___bpfgo"); !containsID(ids, id) {
		t.Fatalf("essential name lookup: %v does not hold %d", ids, id)
	}
	// Every named type is found by its name, by scan and by index.
	fresh := mustLoadKernel(t)
	checked := 0
	for id, typ := range s.All() {
		name := typ.TypeName()
		if name == "" || id%97 != 0 {
			continue
		}
		if !containsID(s.TypeIDsByName(name), id) || !containsID(fresh.appendByNameScan(nil, name), id) {
			t.Fatalf("type %d %q not found by name", id, name)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no named types checked")
	}
	// Function signatures.
	fid, fn, err := Find[*Func](s, "bpf_map_lookup_elem")
	if err == nil {
		sig, err := s.FormatC(fid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sig, "bpf_map_lookup_elem(") {
			t.Fatalf("signature %q", sig)
		}
		if _, ok := mustType(t, s, fn.Type).(*FuncProto); !ok {
			t.Fatalf("func %s has no prototype", fn.Name)
		}
	}
	// Enum values: BPF_MAP_TYPE_HASH is 1 in the UAPI.
	_, e, err := Find[*Enum](s, "bpf_map_type")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range e.Values {
		if v.Name == "BPF_MAP_TYPE_HASH" && v.Value == 1 {
			found = true
		}
	}
	if !found {
		t.Fatal("BPF_MAP_TYPE_HASH = 1 not found")
	}
}

func containsID(ids []TypeID, id TypeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func mustType(t testing.TB, s *Spec, id TypeID) Type {
	t.Helper()
	typ, err := s.TypeByID(id)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// TestKernelFormatCCompiles prints task_struct with all its dependencies
// and checks that clang accepts the result and lays out task_struct.pid
// where BTF says.
func TestKernelFormatCCompiles(t *testing.T) {
	clang := testutil.RequireTool(t, "clang-19")
	s := mustLoadKernel(t)
	id, _, err := s.TypeByName("task_struct", KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.FormatC(id, &FormatOptions{Dependencies: true})
	if err != nil {
		t.Fatal(err)
	}
	// Every named, non-bitfield member must be where BTF says, and the
	// struct as large.
	task := mustType(t, s, id).(*Struct)
	src += fmt.Sprintf("\n_Static_assert(sizeof(struct task_struct) == %d, \"size\");\n", task.Size)
	for _, m := range task.Members {
		if m.Name == "" || m.BitfieldSize != 0 {
			continue
		}
		src += fmt.Sprintf("_Static_assert(__builtin_offsetof(struct task_struct, %s) == %d, %q);\n", m.Name, m.BitOffset/8, m.Name)
	}
	path := filepath.Join(t.TempDir(), "task.c")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, clang, "-target", "bpf", "-fsyntax-only", "-w", path)
}

// TestKernelConcurrent looks up types from many goroutines while the name
// index is built (run with -race).
func TestKernelConcurrent(t *testing.T) {
	s := mustLoadKernel(t)
	names := []string{"task_struct", "sk_buff", "bpf_map", "file", "inode", "mm_struct", "xdp_md", "sock"}
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 4 * indexAfter {
				name := names[(g+i)%len(names)]
				if _, _, e := s.TypeByName(name, KindStruct); e != nil && err == nil {
					err = fmt.Errorf("%s: %w", name, e)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestKernelReadFallback parses vmlinux without mmap, as on kernels before
// 6.16, and checks it matches the mapped parse.
func TestKernelReadFallback(t *testing.T) {
	mapped := mustLoadKernel(t)
	noMmap = true
	defer func() { noMmap = false }()
	read := mustLoadKernel(t)
	if read.LastID() != mapped.LastID() {
		t.Fatalf("read %d types, mapped %d", read.LastID(), mapped.LastID())
	}
	for _, id := range []TypeID{1, read.LastID() / 2, read.LastID()} {
		if !reflect.DeepEqual(mustType(t, read, id), mustType(t, mapped, id)) {
			t.Fatalf("type %d differs", id)
		}
	}
}

// TestKernelSplitSynthetic builds module-like split BTF on top of vmlinux
// (types that point into the base) and checks that bpftool, given vmlinux
// as base, reads it as we do.
func TestKernelSplitSynthetic(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	base := mustLoadKernel(t)
	taskID, _, err := base.TypeByName("task_struct", KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	intID, _, err := base.TypeByName("int", KindInt)
	if err != nil {
		t.Fatal(err)
	}
	b := NewSplitBuilder(base)
	ptr, _ := b.Add(&Pointer{Target: taskID})
	st, _ := b.Add(&Struct{Name: "bpfgo_mod_state", Size: 16, Members: []Member{
		{Name: "owner", Type: ptr},
		{Name: "count", Type: intID, BitOffset: 64},
		{Name: "flag", Type: intID, BitOffset: 96, BitfieldSize: 1},
	}})
	proto, _ := b.Add(&FuncProto{Return: intID, Params: []FuncParam{{Name: "st", Type: ptr}}})
	b.Add(&Func{Name: "bpfgo_mod_fn", Type: proto, Linkage: GlobalFunc})
	data, err := b.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSplitSpecFromBytes(data, base)
	if err != nil {
		t.Fatal(err)
	}
	if id, _, err := s.TypeByName("bpfgo_mod_state", KindStruct); err != nil || id != st {
		t.Fatalf("split struct: %d, %v", id, err)
	}
	path := filepath.Join(t.TempDir(), "mod.btf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	compareRaw(t, s, runTool(t, bpftool, "btf", "dump", "file", path, "--base-btf", KernelBTFPath, "format", "raw"))
}
