package btf

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// oracleDef is one top-level definition of bpftool's `format c` dump.
type oracleDef struct {
	kind Kind // KindStruct, KindUnion, KindEnum or KindTypedef
	name string
	text string // from the keyword to the closing ";"
}

// splitCDump splits the output of `bpftool btf dump ... format c` into its
// struct, union, enum and typedef definitions: named ones, and enums
// without a name (name ""), which bpftool prints for their enumerators.
// bpftool ends every definition with an empty line; forward declarations
// and the header's preprocessor lines are left out.
func splitCDump(dump string) []oracleDef {
	var defs []oracleDef
	for chunk := range strings.SplitSeq(dump, "\n\n") {
		chunk = strings.Trim(chunk, "\n")
		if !strings.HasSuffix(chunk, ";") {
			continue
		}
		first, _, _ := strings.Cut(chunk, "\n")
		var d oracleDef
		switch {
		case strings.HasPrefix(first, "typedef "):
			d = oracleDef{kind: KindTypedef, name: typedefName(chunk)}
		case strings.HasSuffix(first, " {") || strings.HasSuffix(first, "{};"):
			kw, rest, _ := strings.Cut(first, " ")
			name, _, _ := strings.Cut(rest, " ")
			switch kw {
			case "struct":
				d.kind = KindStruct
			case "union":
				d.kind = KindUnion
			case "enum":
				d.kind = KindEnum
			default:
				continue
			}
			if name == "{" || name == "{};" {
				if d.kind != KindEnum {
					continue
				}
				name = ""
			}
			d.name = name
		default:
			continue // forward declaration
		}
		d.text = chunk
		defs = append(defs, d)
	}
	return defs
}

var (
	cIdentRE     = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
	typedefOfPtr = regexp.MustCompile(`\(\*+(?:const |volatile )*([A-Za-z_][A-Za-z0-9_]*)`)
	typedefOfFn  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\(`)
)

// typedefName finds the identifier a typedef declares.
func typedefName(def string) string {
	last := def[strings.LastIndex(def, "\n")+1:]
	if strings.HasPrefix(last, "}") {
		// typedef struct {...} name;
		ids := cIdentRE.FindAllString(last, -1)
		return ids[len(ids)-1]
	}
	if m := typedefOfPtr.FindStringSubmatch(def); m != nil {
		return m[1]
	}
	if m := typedefOfFn.FindStringSubmatch(def); m != nil {
		return m[1]
	}
	decl := strings.TrimSuffix(def, ";")
	if i := strings.Index(decl, "["); i >= 0 {
		decl = decl[:i]
	}
	ids := cIdentRE.FindAllString(decl, -1)
	return ids[len(ids)-1]
}

// renamed matches the names bpftool gives to the second and later types
// or enumerators sharing a name ("foo___2"); renamedSuffix is the part it
// appends.
var (
	renamed       = regexp.MustCompile(`\b[A-Za-z_][A-Za-z0-9_]*___[0-9]+\b`)
	renamedSuffix = regexp.MustCompile(`___[0-9]+\b`)
)

// TestFormatCMatchesBpftool compares FormatC with bpftool's `format c` for
// every named struct, union, enum and typedef of the running kernel.
func TestFormatCMatchesBpftool(t *testing.T) {
	s := mustLoadKernel(t)
	bpftool := testutil.RequireTool(t, "bpftool")
	dump, err := exec.Command(bpftool, "btf", "dump", "file", KernelBTFPath, "format", "c").Output()
	if err != nil {
		testutil.SetupProblem(t, "bpftool: %v", err)
	}
	compareWithDump(t, s, string(dump), 1000)
}

// TestFormatCMatchesBpftoolObjects does the same for the BTF of the test
// objects, which clang rather than pahole produced.
func TestFormatCMatchesBpftoolObjects(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	for _, path := range []string{"testdata/core.o", "testdata/core_eb.o", "testdata/core_kernel.o"} {
		t.Run(path, func(t *testing.T) {
			s := mustLoad(t, path)
			dump := runTool(t, bpftool, "btf", "dump", "file", path, "format", "c")
			compareWithDump(t, s, string(dump), 5)
		})
	}
}

// compareWithDump requires FormatC to print every definition of bpftool's
// dump of s identically; the dump must hold at least minDefs of them.
func compareWithDump(t *testing.T, s *Spec, dump string, minDefs int) {
	t.Helper()
	defs := splitCDump(dump)
	if len(defs) < minDefs {
		t.Fatalf("only %d definitions in bpftool's dump", len(defs))
	}
	var compared, matched, renamedDefs, ambiguous, failures, anonymous int
	var anonEnums map[string][]TypeID
	for _, d := range defs {
		if renamed.MatchString(d.text) {
			// bpftool renames types and enumerators that share a
			// name within a whole dump ("foo___2"); a type printed
			// alone keeps its names. Compare without the suffixes.
			renamedDefs++
			d.name = renamedSuffix.ReplaceAllString(d.name, "")
			d.text = renamedSuffix.ReplaceAllString(d.text, "")
		}
		var ids []TypeID
		if d.name == "" {
			// An anonymous enum: find it by its first enumerator.
			if anonEnums == nil {
				anonEnums = anonEnumsByValue(s)
			}
			first, _, _ := strings.Cut(strings.TrimSpace(d.text[strings.Index(d.text, "\n"):]), " ")
			ids = anonEnums[first]
		}
		for _, id := range s.TypeIDsByName(d.name) {
			k, err := s.KindOf(id)
			if err != nil {
				t.Fatal(err)
			}
			if k == d.kind || (d.kind == KindEnum && k == KindEnum64) {
				ids = append(ids, id)
			}
		}
		if d.name == "" {
			anonymous++
		}
		if len(ids) == 0 {
			t.Errorf("%s %q: not found in the spec", d.kind, d.name)
			continue
		}
		if len(ids) > 1 {
			// bpftool prints the first one it meets under the name.
			ambiguous++
		}
		compared++
		var got string
		for _, id := range ids {
			var err error
			if got, err = s.FormatC(id, nil); err != nil {
				t.Fatalf("FormatC(%d): %v", id, err)
			}
			if got == d.text {
				break
			}
		}
		if got == d.text {
			matched++
			continue
		}
		if failures++; failures <= 20 {
			t.Errorf("%s %s differs:\n--- bpfgo\n%s\n--- bpftool\n%s", d.kind, d.name, got, d.text)
		}
	}
	t.Logf("%d definitions: compared %d, matched %d; %d anonymous enums; %d with names bpftool renamed; %d names shared by several types of the kind",
		len(defs), compared, matched, anonymous, renamedDefs, ambiguous)
	if matched != compared {
		t.Errorf("%d of %d definitions differ", compared-matched, compared)
	}
}

// anonEnumsByValue indexes the enums without a name by their first
// enumerator.
func anonEnumsByValue(s *Spec) map[string][]TypeID {
	m := make(map[string][]TypeID)
	for id, typ := range s.All() {
		if e, ok := typ.(*Enum); ok && e.Name == "" && len(e.Values) > 0 {
			m[e.Values[0].Name] = append(m[e.Values[0].Name], id)
		}
	}
	return m
}

func TestTypedefName(t *testing.T) {
	for _, tt := range []struct{ def, want string }{
		{"typedef unsigned int u32;", "u32"},
		{"typedef void (*fn_t)(int, char *);", "fn_t"},
		{"typedef int (*const cfn)(void);", "cfn"},
		{"typedef int proto_t(struct sk_buff *, int);", "proto_t"},
		{"typedef char buf_t[16];", "buf_t"},
		{"typedef struct {\n\tint x;\n} pair_t;", "pair_t"},
		{"typedef struct {\n\tint x;\n} __attribute__((packed)) p_t;", "p_t"},
		{"typedef long unsigned int (*arr_fn[4])(void);", "arr_fn"},
	} {
		if got := typedefName(tt.def); got != tt.want {
			t.Errorf("typedefName(%q) = %q, want %q", tt.def, got, tt.want)
		}
	}
}
