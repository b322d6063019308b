package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
)

func requireKernelBTF(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(btf.KernelBTFPath); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
}

// shownType is the decoded output of `bpfgo btf show --json`.
type shownType struct {
	ID      uint32          `json:"id"`
	Name    string          `json:"name"`
	Kind    string          `json:"kind"`
	Size    uint64          `json:"size"`
	Members []btfMemberJSON `json:"members"`
	Values  []btfValueJSON  `json:"values"`
	raw     map[string]any
}

// showJSON runs `bpfgo btf show ... --json` and decodes the answer.
func showJSON(t *testing.T, args ...string) shownType {
	t.Helper()
	code, out, errOut := runCmd(append([]string{"btf", "show", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("btf show %v: exit %d: %s", args, code, errOut)
	}
	var j shownType
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("btf show %v: %v\n%s", args, err, out)
	}
	if err := json.Unmarshal([]byte(out), &j.raw); err != nil {
		t.Fatal(err)
	}
	return j
}

// bpftoolType is one type of `bpftool btf dump ... format raw`.
type bpftoolType struct {
	kind, name string
	size       uint64
	lines      []string // the indented member or enumerator lines
}

var (
	bpftoolRawOnce sync.Once
	bpftoolRaw     map[uint32]*bpftoolType
	bpftoolRawErr  error
)

var rawHeader = regexp.MustCompile(`^\[(\d+)\] (\w+) '([^']*)'(.*)$`)
var rawSize = regexp.MustCompile(` size=(\d+)`)

// bpftoolTypes parses bpftool's raw dump of the kernel's BTF (once).
func bpftoolTypes(t *testing.T) map[uint32]*bpftoolType {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	bpftoolRawOnce.Do(func() {
		out, err := exec.Command(tool, "btf", "dump", "file", btf.KernelBTFPath, "format", "raw").Output()
		if err != nil {
			bpftoolRawErr = err
			return
		}
		bpftoolRaw = map[uint32]*bpftoolType{}
		var cur *bpftoolType
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "\t") {
				if cur != nil {
					cur.lines = append(cur.lines, strings.TrimSpace(l))
				}
				continue
			}
			m := rawHeader.FindStringSubmatch(l)
			if m == nil {
				cur = nil
				continue
			}
			id, _ := strconv.ParseUint(m[1], 10, 32)
			cur = &bpftoolType{kind: strings.ToLower(m[2]), name: m[3]}
			if s := rawSize.FindStringSubmatch(m[4]); s != nil {
				cur.size, _ = strconv.ParseUint(s[1], 10, 64)
			}
			bpftoolRaw[uint32(id)] = cur
		}
	})
	if bpftoolRawErr != nil {
		testutil.SetupProblem(t, "bpftool btf dump: %v", bpftoolRawErr)
	}
	return bpftoolRaw
}

var rawMember = regexp.MustCompile(`^'([^']*)' type_id=\d+ bits_offset=(\d+)(?: bitfield_size=(\d+))?$`)
var rawEnumVal = regexp.MustCompile(`^'([^']*)' val=(-?\d+)$`)

// TestBTFShowMatchesBpftool compares `bpfgo btf show --json` for a struct with bitfields, an
// enum and a union with anonymous members with bpftool's raw dump: kind, size, member
// names, bit offsets and bitfield sizes, enumerator names and values.
func TestBTFShowMatchesBpftool(t *testing.T) {
	requireKernelBTF(t)
	raw := bpftoolTypes(t)
	for _, name := range []string{"task_struct", "bpf_map_type", "bpf_attr", "sk_buff", "bpf_prog_type"} {
		t.Run(name, func(t *testing.T) {
			j := showJSON(t, name)
			want, ok := raw[j.ID]
			if !ok {
				t.Fatalf("bpftool has no type %d", j.ID)
			}
			if j.Name != name || j.Kind != want.kind || j.Name != want.name || j.Size != want.size {
				t.Errorf("got %s %q size %d (id %d), bpftool says %s %q size %d", j.Kind, j.Name, j.Size, j.ID, want.kind, want.name, want.size)
			}
			var got []string
			for _, m := range j.Members {
				n := m.Name
				if n == "" {
					n = "(anon)"
				}
				got = append(got, n+" "+strconv.Itoa(int(m.BitOffset))+" "+strconv.Itoa(int(m.BitfieldSize)))
				if m.Type == "" {
					t.Errorf("member %q has no type", m.Name)
				}
			}
			for _, v := range j.Values {
				got = append(got, v.Name+"="+stringOf(v.Value))
			}
			var exp []string
			for _, l := range want.lines {
				if m := rawMember.FindStringSubmatch(l); m != nil {
					bits := m[3]
					if bits == "" {
						bits = "0"
					}
					exp = append(exp, m[1]+" "+m[2]+" "+bits)
				} else if m := rawEnumVal.FindStringSubmatch(l); m != nil {
					exp = append(exp, m[1]+"="+m[2])
				} else {
					t.Fatalf("unparsed bpftool line %q", l)
				}
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("members/values differ from bpftool:\ngot  %v\nwant %v", got, exp)
			}
			if len(exp) == 0 {
				t.Error("no members or values")
			}
		})
	}
}

func stringOf(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestBTFShowMemberTypes checks that member types are spelled as C spells them.
func TestBTFShowMemberTypes(t *testing.T) {
	requireKernelBTF(t)
	j := showJSON(t, "task_struct")
	types := map[string]string{}
	for _, m := range j.Members {
		types[m.Name] = m.Type
	}
	for member, want := range map[string]string{
		"pid": "pid_t", "comm": "char [16]", "stack": "void *", "last_wakee": "struct task_struct *",
		"__state": "unsigned int",
	} {
		if types[member] != want {
			t.Errorf("task_struct.%s has type %q, want %q", member, types[member], want)
		}
	}
}

// TestBTFShowC prints a struct in C like bpftool's format c does.
func TestBTFShowC(t *testing.T) {
	requireKernelBTF(t)
	code, out, errOut := runCmd("btf", "show", "task_struct")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "struct task_struct {\n") || !strings.Contains(out, "\tpid_t pid;\n") || !strings.HasSuffix(out, "};\n") {
		t.Errorf("unexpected C:\n%.400s", out)
	}
	// Flags after or before the name give the same answer.
	for _, args := range [][]string{{"btf", "show", "--json", "bpf_map_type"}, {"btf", "--json", "show", "bpf_map_type"}} {
		_, a, _ := runCmd(args...)
		_, b, _ := runCmd("btf", "show", "bpf_map_type", "--json")
		if a != b || a == "" {
			t.Errorf("%v printed something else than with the flag last", args)
		}
	}
	// bpftool's format c prints the same struct body.
	tool := testutil.RequireTool(t, "bpftool")
	all, err := exec.Command(tool, "btf", "dump", "file", btf.KernelBTFPath, "format", "c").Output()
	if err != nil {
		testutil.SetupProblem(t, "bpftool: %v", err)
	}
	start := strings.Index(string(all), "\nstruct task_struct {\n")
	if start < 0 {
		t.Fatal("bpftool's dump lacks struct task_struct")
	}
	body := string(all[start+1:])
	body = body[:strings.Index(body, "\n};\n")+4]
	// Including the explicit padding ("long: 64;").
	if out != body {
		t.Errorf("bpfgo and bpftool format task_struct differently:\nbpfgo:\n%s\nbpftool:\n%s", out, body)
	}
}

// TestBTFShowID picks among types sharing a name: the lowest id, or the one --id names.
func TestBTFShowID(t *testing.T) {
	requireKernelBTF(t)
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	// Find a name that several types share.
	var name string
	var ids []btf.TypeID
	for _, cand := range []string{"fs_context_purpose", "file", "u32", "cpumask", "irq_domain", "rq"} {
		if ids = spec.TypeIDsByName(cand); len(ids) > 1 {
			name = cand
			break
		}
	}
	if name == "" {
		seen := map[string]btf.TypeID{}
		for id, typ := range spec.All() {
			n := typ.TypeName()
			if n == "" {
				continue
			}
			if first, ok := seen[n]; ok {
				name, ids = n, []btf.TypeID{first, id}
				break
			}
			seen[n] = id
		}
	}
	if name == "" {
		t.Skip("no two kernel types share a name")
	}
	lowest, highest := ids[0], ids[0]
	for _, id := range ids {
		lowest, highest = min(lowest, id), max(highest, id)
	}
	if j := showJSON(t, name); j.ID != uint32(lowest) {
		t.Errorf("btf show %s: id %d, want the lowest %d of %v", name, j.ID, lowest, ids)
	}
	if j := showJSON(t, name, "--id", strconv.Itoa(int(highest))); j.ID != uint32(highest) {
		t.Errorf("btf show %s --id %d: id %d", name, highest, j.ID)
	}
	if j := showJSON(t, "--id", strconv.Itoa(int(highest))); j.ID != uint32(highest) || j.Name != name {
		t.Errorf("btf show --id %d: %d %q", highest, j.ID, j.Name)
	}
}

// TestBTFFiles reads raw BTF and an ELF object through --file, and dumps a file like bpftool.
func TestBTFFiles(t *testing.T) {
	type flowKey struct {
		Addr  [4]uint8
		Port  uint16
		Proto uint8
		_     uint8
	}
	mb, err := btf.NewMapBTF(reflect.TypeFor[flowKey](), reflect.TypeFor[uint64]())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "flow.btf")
	if err := os.WriteFile(file, mb.BTF, 0o644); err != nil {
		t.Fatal(err)
	}
	j := showJSON(t, "flowKey", "--file", file)
	want := []btfMemberJSON{
		{Name: "Addr", Type: "uint8 [4]"}, {Name: "Port", Type: "uint16", BitOffset: 32}, {Name: "Proto", Type: "uint8", BitOffset: 48},
	}
	if j.Kind != "struct" || j.Size != 8 || !reflect.DeepEqual(j.Members, want) {
		t.Errorf("flowKey from a raw file: %+v", j)
	}

	// The whole file, raw, as bpftool prints it.
	code, out, errOut := runCmd("btf", "dump", "--file", file)
	if code != 0 {
		t.Fatalf("dump: exit %d: %s", code, errOut)
	}
	if tool, err := exec.LookPath("bpftool"); err == nil {
		ref, err := exec.Command(tool, "btf", "dump", "file", file, "format", "raw").Output()
		if err != nil {
			t.Fatalf("bpftool: %v", err)
		}
		if strings.TrimSpace(out) != strings.TrimSpace(string(ref)) {
			t.Errorf("btf dump differs from bpftool:\n%s\nbpftool:\n%s", out, ref)
		}
	}
	code, out, _ = runCmd("btf", "dump", "--format", "c", "--file", file)
	if code != 0 || !strings.Contains(out, "struct flowKey {") {
		t.Errorf("dump --format c: exit %d:\n%s", code, out)
	}

	// An ELF object with a .BTF section.
	obj := filepath.Join("..", "..", "btf", "testdata", "core.o")
	spec, err := btf.LoadSpec(obj)
	if err != nil {
		t.Skipf("no ELF test object: %v", err)
	}
	for id, typ := range spec.All() {
		if st, ok := typ.(*btf.Struct); ok && st.Name != "" {
			j := showJSON(t, st.Name, "--file", obj)
			if j.ID != uint32(id) && len(spec.TypeIDsByName(st.Name)) == 1 || j.Kind != "struct" || len(j.Members) != len(st.Members) {
				t.Errorf("%s from %s: %+v", st.Name, obj, j)
			}
			break
		}
	}
}

// TestBTFUsage checks the answers to bad invocations.
func TestBTFUsage(t *testing.T) {
	requireKernelBTF(t)
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"btf"}, 2, "missing subcommand"},
		{[]string{"btf", "show"}, 2, "one type name"},
		{[]string{"btf", "frob"}, 2, "unknown subcommand"},
		{[]string{"btf", "dump", "--format", "yaml"}, 2, "raw or c"},
		{[]string{"btf", "show", "no_such_type_xyz"}, 1, `"no_such_type_xyz": not found`},
		{[]string{"btf", "show", "task_struct", "--id", "1"}, 1, "not \"task_struct\""},
		{[]string{"btf", "show", "x", "--file", "/nonexistent"}, 1, "/nonexistent"},
	} {
		code, _, errOut := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
}

// TestTourBTF runs the BTF chapter for real.
func TestTourBTF(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	requireKernelBTF(t)
	var b strings.Builder
	if err := tourBTF(t.Context(), &b); err != nil {
		t.Fatalf("chapter: %v\n%s", err, b.String())
	}
	// The verifier quotes the Go line above each instruction; since Linux 6.8 it appends
	// " @ file:line" (Debian's 6.1 prints the line's text alone).
	line := "; asm.CallLabel(\"double\"),\n"
	if major, minor, _ := testutil.KernelVersion(); major > 6 || major == 6 && minor >= 8 {
		line = "; asm.CallLabel(\"double\"), @ tour_btf.go:"
	}
	for _, want := range []string{
		"struct task_struct is type", "struct ethhdr {", "struct connStats {\n\tuint64 Packets;",
		line, "func#1 @3", "double(20) = 40", "(btf_trace_sys_enter)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// TestBTFShowJSONKeys checks which keys each kind prints: members for structs and unions
// (also when empty), values for enums, neither for other kinds.
func TestBTFShowJSONKeys(t *testing.T) {
	requireKernelBTF(t)
	for _, tt := range []struct {
		name, kind string
		keys       []string
	}{
		{"task_struct", "struct", []string{"id", "kind", "members", "name", "size"}},
		{"bpf_attr", "union", []string{"id", "kind", "members", "name", "size"}},
		{"bpf_map_type", "enum", []string{"id", "kind", "name", "size", "values"}},
		{"pid_t", "typedef", []string{"id", "kind", "name", "size"}},
	} {
		j := showJSON(t, tt.name)
		var keys []string
		for k := range j.raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if j.Kind != tt.kind || !slices.Equal(keys, tt.keys) {
			t.Errorf("%s: kind %q, keys %v; want %q, %v", tt.name, j.Kind, keys, tt.kind, tt.keys)
		}
	}
	// A struct without members still prints "members": [].
	file := filepath.Join(t.TempDir(), "empty.btf")
	b := btf.NewBuilder()
	if _, err := b.Add(&btf.Struct{Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	raw, err := b.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if j := showJSON(t, "empty", "--file", file); j.raw["members"] == nil || j.Size != 0 {
		t.Errorf("empty struct: %v", j.raw)
	}
}
