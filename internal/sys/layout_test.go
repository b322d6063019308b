package sys

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// btfDump is the part of `bpftool -j btf dump ... format raw` the test reads.
type btfDump struct {
	Types []struct {
		ID      int    `json:"id"`
		Kind    string `json:"kind"`
		Name    string `json:"name"`
		Size    int    `json:"size"`
		TypeID  int    `json:"type_id"`
		NrElems int    `json:"nr_elems"`
		Members []struct {
			Name         string `json:"name"`
			TypeID       int    `json:"type_id"`
			BitsOffset   int    `json:"bits_offset"`
			BitfieldSize int    `json:"bitfield_size"`
		} `json:"members"`
	} `json:"types"`
}

type btfIndex struct {
	dump btfDump
	byID map[int]int
}

func readKernelBTF(t *testing.T) *btfIndex {
	t.Helper()
	if _, err := exec.LookPath("bpftool"); err != nil {
		if os.Getenv("BPFGO_REQUIRE_KERNEL") == "1" {
			t.Fatal("bpftool not installed (BPFGO_REQUIRE_KERNEL=1)")
		}
		t.Skip("bpftool not installed")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("kernel has no BTF (/sys/kernel/btf/vmlinux)")
	}
	out, err := exec.Command("bpftool", "-j", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw").Output()
	if err != nil {
		t.Fatalf("bpftool btf dump: %v", err)
	}
	idx := &btfIndex{byID: map[int]int{}}
	if err := json.Unmarshal(out, &idx.dump); err != nil {
		t.Fatalf("decode bpftool JSON: %v", err)
	}
	for i, ty := range idx.dump.Types {
		idx.byID[ty.ID] = i
	}
	return idx
}

func (x *btfIndex) resolve(id int) int {
	for {
		ty := x.dump.Types[x.byID[id]]
		switch ty.Kind {
		case "TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG":
			id = ty.TypeID
		default:
			return id
		}
	}
}

func (x *btfIndex) sizeof(id int) int {
	ty := x.dump.Types[x.byID[x.resolve(id)]]
	if ty.Kind == "ARRAY" {
		return ty.NrElems * x.sizeof(ty.TypeID)
	}
	return ty.Size
}

func (x *btfIndex) named(kind, name string) int {
	for _, ty := range x.dump.Types {
		if ty.Kind == kind && ty.Name == name {
			return ty.ID
		}
	}
	return 0
}

// find looks for member name in type id, descending into anonymous members.
// It returns the member's type, bit offset and bitfield size.
func (x *btfIndex) find(id int, name string) (typ, bitOff, bitfield int, ok bool) {
	ty := x.dump.Types[x.byID[x.resolve(id)]]
	for _, m := range ty.Members {
		if m.Name == name {
			return m.TypeID, m.BitsOffset, m.BitfieldSize, true
		}
	}
	for _, m := range ty.Members {
		if m.Name == "(anon)" || m.Name == "" {
			if typ, off, bf, ok := x.find(m.TypeID, name); ok {
				return typ, m.BitsOffset + off, bf, true
			}
		}
	}
	return 0, 0, 0, false
}

// contains reports whether type id has a member name, directly or through anonymous members.
func (x *btfIndex) contains(id int, name string) bool {
	_, _, _, ok := x.find(id, name)
	return ok
}

func (x *btfIndex) root(t *testing.T, root string) int {
	t.Helper()
	union, key, isAttr := strings.Cut(root, "/")
	if !isAttr {
		id := x.named("STRUCT", root)
		return id
	}
	uid := x.named("UNION", union)
	for _, m := range x.dump.Types[x.byID[uid]].Members {
		if m.Name == key {
			return m.TypeID
		}
		if m.Name == "(anon)" && x.contains(m.TypeID, key) {
			return m.TypeID
		}
	}
	return 0
}

// TestLayout checks every generated struct's size and every field's offset and
// size against the running kernel's BTF, resolved independently of the generator.
func TestLayout(t *testing.T) {
	x := readKernelBTF(t)
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	// On another kernel (e.g. an older one under qemu) the UAPI is a prefix
	// of ours: fields it has must sit at the same offsets, the rest is absent.
	same := strings.TrimSpace(string(rel)) == generatedKernel
	if !same {
		t.Logf("layouts were generated on %s, running %s: checking common fields only", generatedKernel, strings.TrimSpace(string(rel)))
	}
	attrRoots := map[string]bool{}
	for _, l := range generatedLayouts {
		t.Run(l.typ.Name(), func(t *testing.T) {
			if strings.HasPrefix(l.root, "bpf_attr/") {
				attrRoots[l.root] = true
			}
			rid := x.root(t, l.root)
			if rid == 0 {
				if same {
					t.Fatalf("BTF has no %s", l.root)
				}
				t.Skipf("this kernel's BTF has no %s", l.root)
			}
			if got, want := l.typ.Size(), uintptr(x.sizeof(rid)); got != want && same {
				t.Errorf("size %d, BTF says %d", got, want)
			}
			if l.typ.Size() != l.size {
				t.Errorf("size %d, generator recorded %d", l.typ.Size(), l.size)
			}
			for i := range l.typ.NumField() {
				f := l.typ.Field(i)
				path, ok := f.Tag.Lookup("btf")
				if !ok {
					continue
				}
				id, bitOff := rid, 0
				var typ, bitfield int
				for _, part := range strings.Split(path, ".") {
					var off int
					typ, off, bitfield, ok = x.find(id, part)
					if !ok {
						break
					}
					id, bitOff = typ, bitOff+off
				}
				if !ok {
					if same {
						t.Errorf("field %s: BTF path %q not found", f.Name, path)
					}
					continue
				}
				if _, bits := f.Tag.Lookup("bits"); bits || bitfield > 0 {
					if bitOff < int(f.Offset)*8 || bitOff >= int(f.Offset+f.Type.Size())*8 {
						t.Errorf("field %s: bitfield %s at bit %d outside storage [%d, %d)",
							f.Name, path, bitOff, f.Offset*8, (f.Offset+f.Type.Size())*8)
					}
					continue
				}
				if bitOff != int(f.Offset)*8 {
					t.Errorf("field %s (%s): offset %d, BTF says %d", f.Name, path, f.Offset, bitOff/8)
				}
				if got, want := f.Type.Size(), uintptr(x.sizeof(typ)); got != want {
					t.Errorf("field %s (%s): size %d, BTF says %d", f.Name, path, got, want)
				}
			}
		})
	}
	// Every member of union bpf_attr has a generated struct.
	uid := x.named("UNION", "bpf_attr")
	if n := len(x.dump.Types[x.byID[uid]].Members); len(attrRoots) != n && same {
		t.Errorf("generated %d bpf_attr layouts, BTF union bpf_attr has %d members: re-run go generate", len(attrRoots), n)
	}
}

// TestPointerSize checks that Pointer matches the kernel's __u64.
func TestPointerSize(t *testing.T) {
	if s := reflect.TypeFor[Pointer]().Size(); s != 8 {
		t.Fatalf("Pointer is %d bytes, want 8", s)
	}
}

// TestGeneratedUpToDate regenerates the files from the running kernel's BTF
// and compares them with the checked-in ones: generation must be
// deterministic, and the files must match the kernel they claim to describe.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator (-short)")
	}
	readKernelBTF(t) // skips without bpftool
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	if strings.TrimSpace(string(rel)) != generatedKernel {
		t.Skipf("files were generated on %s, not this kernel", generatedKernel)
	}
	dir := t.TempDir()
	files := map[string]string{ // generated name -> checked-in path
		"types_gen.go":       "types_gen.go",
		"layout_gen_test.go": "layout_gen_test.go",
		"helpers_gen.go":     "../../asm/helpers_gen.go",
	}
	cmd := exec.Command("go", "run", "./gen",
		"-out", filepath.Join(dir, "types_gen.go"),
		"-test", filepath.Join(dir, "layout_gen_test.go"),
		"-asm", filepath.Join(dir, "helpers_gen.go"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, out)
	}
	for gen, have := range files {
		want, err := os.ReadFile(filepath.Join(dir, gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(have)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh generation: run go generate ./internal/sys", have)
		}
	}
}
