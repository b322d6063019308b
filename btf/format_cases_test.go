package btf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// formatCasesSpec builds BTF with the declarations that are hard to print
// the way bpftool does: padding, packing, bitfields, declarator chains,
// typedefs of prototypes and enums of every flavour.
func formatCasesSpec(tb testing.TB) (*Spec, []byte) {
	tb.Helper()
	b := NewBuilder()
	add := func(t Type) TypeID {
		id, err := b.Add(t)
		if err != nil {
			tb.Fatal(err)
		}
		return id
	}
	intT := add(&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32})
	charT := add(&Int{Name: "char", Size: 1, Encoding: Signed | Char, Bits: 8})
	uintT := add(&Int{Name: "unsigned int", Size: 4, Bits: 32})
	ulongT := add(&Int{Name: "long unsigned int", Size: 8, Bits: 64})
	shortT := add(&Int{Name: "short int", Size: 2, Encoding: Signed, Bits: 16})
	constChar := add(&Const{Type: charT})
	constCharPtr := add(&Pointer{Target: constChar})
	charPtr := add(&Pointer{Target: charT})
	intPtr := add(&Pointer{Target: intT})
	voidPtr := add(&Pointer{Target: 0})
	arr4 := func(elem TypeID, n uint32) TypeID { return add(&Array{Type: elem, Index: intT, Nelems: n}) }

	// Natural gaps need no padding; others take markers.
	add(&Struct{Name: "natural", Size: 24, Members: []Member{
		{Name: "a", Type: charT}, {Name: "b", Type: ulongT, BitOffset: 64}, {Name: "c", Type: charT, BitOffset: 128},
	}})
	add(&Struct{Name: "big_gap", Size: 64, Members: []Member{
		{Name: "a", Type: intT}, {Name: "b", Type: intT, BitOffset: 256},
	}})
	add(&Struct{Name: "long_zero", Size: 12, Members: []Member{
		{Name: "a", Type: charT}, {Name: "b", Type: intT, BitOffset: 64},
	}})
	add(&Struct{Name: "odd_gap", Size: 16, Members: []Member{
		{Name: "a", Type: charT}, {Name: "b", Type: charT, BitOffset: 8 * 11},
	}})
	add(&Struct{Name: "tail", Size: 32, Members: []Member{
		{Name: "a", Type: ulongT}, {Name: "b", Type: charT, BitOffset: 64},
	}})
	add(&Struct{Name: "bits", Size: 16, Members: []Member{
		{Name: "a", Type: uintT, BitfieldSize: 4},
		{Name: "b", Type: uintT, BitOffset: 4, BitfieldSize: 3},
		{Name: "c", Type: uintT, BitOffset: 32, BitfieldSize: 1},
		{Name: "d", Type: uintT, BitOffset: 64 + 3, BitfieldSize: 5},
		{Name: "e", Type: shortT, BitOffset: 96},
	}})
	add(&Struct{Name: "packed", Size: 5, Members: []Member{
		{Name: "a", Type: charT}, {Name: "b", Type: intT, BitOffset: 8},
	}})
	add(&Struct{Name: "packed_size", Size: 6, Members: []Member{
		{Name: "a", Type: intT}, {Name: "b", Type: shortT, BitOffset: 32},
	}})
	empty := add(&Struct{Size: 0})
	add(&Struct{Name: "empty", Size: 0})
	inner := add(&Struct{Size: 16, Members: []Member{{Name: "x", Type: intT}, {Name: "y", Type: ulongT, BitOffset: 64}}})
	innerPacked := add(&Struct{Size: 3, Members: []Member{{Name: "p", Type: charT}, {Name: "q", Type: shortT, BitOffset: 8}}})
	anonEnum := add(&Enum{Size: 4, Values: []EnumValue{{Name: "ANON_A", Value: 0}, {Name: "ANON_B", Value: 7}}})
	u := add(&Union{Size: 16, Members: []Member{{Name: "whole", Type: ulongT}, {Type: inner}, {Name: "e", Type: empty}}})
	add(&Struct{Name: "nested", Size: 48, Members: []Member{
		{Type: u}, {Name: "named", Type: inner, BitOffset: 128}, {Name: "pk", Type: innerPacked, BitOffset: 256},
		{Name: "kind", Type: anonEnum, BitOffset: 288},
	}})

	// Declarator chains.
	fnVariadic := add(&FuncProto{Return: 0, Params: []FuncParam{{Type: intT}, {Type: 0}}})
	fnNoArgs := add(&FuncProto{Return: constCharPtr})
	fnNamed := add(&FuncProto{Return: intT, Params: []FuncParam{{Name: "argc", Type: intT}, {Name: "argv", Type: add(&Pointer{Target: charPtr})}}})
	fnReturningFn := add(&FuncProto{Return: add(&Pointer{Target: fnNamed})})
	constPtr := add(&Const{Type: constCharPtr})
	volatileInt := add(&Volatile{Type: intT})
	restrictPtr := add(&Restrict{Type: intPtr})
	add(&Struct{Name: "chains", Size: 136, Members: []Member{
		{Name: "name", Type: constPtr},
		{Name: "argv", Type: add(&Pointer{Target: charPtr}), BitOffset: 64},
		{Name: "row", Type: add(&Pointer{Target: arr4(intT, 4)}), BitOffset: 128},
		{Name: "ptrs", Type: arr4(intPtr, 3), BitOffset: 192},
		{Name: "grid", Type: arr4(arr4(intT, 3), 2), BitOffset: 384},
		{Name: "log", Type: add(&Pointer{Target: fnVariadic}), BitOffset: 576},
		{Name: "str", Type: add(&Pointer{Target: fnNoArgs}), BitOffset: 640},
		{Name: "getfn", Type: add(&Pointer{Target: fnReturningFn}), BitOffset: 704},
		{Name: "handlers", Type: arr4(add(&Pointer{Target: fnNamed}), 2), BitOffset: 768},
		{Name: "counter", Type: volatileInt, BitOffset: 896},
		{Name: "rp", Type: restrictPtr, BitOffset: 960},
		{Name: "cv", Type: arr4(add(&Const{Type: volatileInt}), 4), BitOffset: 1024},
	}})

	// Typedefs.
	add(&Typedef{Name: "handler_t", Type: fnNamed})
	add(&Typedef{Name: "handler_fn", Type: add(&Pointer{Target: fnNamed})})
	add(&Typedef{Name: "pair_t", Type: add(&Struct{Size: 8, Members: []Member{{Name: "lo", Type: intT}, {Name: "hi", Type: intT, BitOffset: 32}}})})
	add(&Typedef{Name: "buf_t", Type: arr4(charT, 16)})
	add(&Typedef{Name: "cookie_t", Type: voidPtr})
	add(&Typedef{Name: "va_t", Type: add(&Pointer{Target: add(&FuncProto{Return: intT, Params: []FuncParam{{Name: "fmt", Type: constCharPtr}, {Type: 0}}})})})

	// Enums.
	add(&Enum{Name: "sign", Size: 4, Signed: true, Values: []EnumValue{{Name: "NEG", Value: uint64(0xffffffffffffffff)}, {Name: "MIN", Value: uint64(0xffffffff80000000)}}})
	add(&Enum{Name: "big", Size: 4, Values: []EnumValue{{Name: "BIG_MAX", Value: 0xffffffff}, {Name: "BIG_ONE", Value: 1}}})
	add(&Enum{Name: "wide", Size: 8, Is64: true, Values: []EnumValue{{Name: "WIDE_LOW", Value: 1}, {Name: "WIDE_HIGH", Value: 1 << 40}}})
	add(&Enum{Name: "small", Size: 1, Values: []EnumValue{{Name: "SMALL_A", Value: 1}}})
	add(&Enum{Name: "half", Size: 2, Values: []EnumValue{{Name: "HALF_A", Value: 1}}})
	add(&Enum{Name: "word", Size: 8, Values: []EnumValue{{Name: "WORD_A", Value: 1}}})
	add(&Enum{Name: "word64", Size: 8, Is64: true, Values: []EnumValue{{Name: "WORD64_A", Value: 1}}})
	add(&Enum{Name: "wide_signed", Size: 8, Is64: true, Signed: true, Values: []EnumValue{{Name: "WS_NEG", Value: uint64(0xfffffffffffffffe)}}})

	raw, err := b.Marshal(nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := LoadSpecFromBytes(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return s, raw
}

// formatCasesWant is what `bpftool btf dump file ... format c` (bpftool
// 7.1, libbpf 1.1) prints for formatCasesSpec, without the header lines.
const formatCasesWant = `struct natural {
	char a;
	long unsigned int b;
	char c;
};

struct big_gap {
	int a;
	long: 64;
	long: 64;
	long: 64;
	int b;
	long: 64;
	long: 64;
	long: 64;
};

struct long_zero {
	char a;
	long: 0;
	int b;
};

struct odd_gap {
	char a;
	long: 0;
	int: 24;
	char b;
	long: 0;
};

struct tail {
	long unsigned int a;
	char b;
	long: 64;
	long: 64;
};

struct bits {
	unsigned int a: 4;
	unsigned int b: 3;
	int: 25;
	unsigned int c: 1;
	long: 31;
	char: 3;
	unsigned int d: 5;
	int: 0;
	short int e;
};

struct packed {
	char a;
	int b;
} __attribute__((packed));

struct packed_size {
	int a;
	short int b;
} __attribute__((packed));

struct empty {};

struct nested {
	union {
		long unsigned int whole;
		struct {
			int x;
			long unsigned int y;
		};
		struct {} e;
	};
	struct {
		int x;
		long unsigned int y;
	} named;
	struct {
		char p;
		short int q;
	} __attribute__((packed)) pk;
	enum {
		ANON_A = 0,
		ANON_B = 7,
	} kind;
	long: 64;
};

struct chains {
	const char * const name;
	char **argv;
	int (*row)[4];
	int *ptrs[3];
	int grid[2][3];
	void (*log)(int, ...);
	const char * (*str)(void);
	int (* (*getfn)(void))(int argc, char **argv);
	int (*handlers[2])(int argc, char **argv);
	volatile int counter;
	int * restrict rp;
	volatile const int cv[4];
};

typedef int handler_t(int argc, char **argv);

typedef int (*handler_fn)(int argc, char **argv);

typedef struct {
	int lo;
	int hi;
} pair_t;

typedef char buf_t[16];

typedef void *cookie_t;

typedef int (*va_t)(const char *fmt, ...);

enum sign {
	NEG = -1,
	MIN = -2147483648,
};

enum big {
	BIG_MAX = 4294967295,
	BIG_ONE = 1,
};

enum wide {
	WIDE_LOW = 1ULL,
	WIDE_HIGH = 1099511627776ULL,
};

enum small {
	SMALL_A = 1,
};

enum half {
	HALF_A = 1,
};

enum word {
	WORD_A = 1,
};

enum word64 {
	WORD64_A = 1ULL,
};

enum wide_signed {
	WS_NEG = -2LL,
};`

// TestFormatCCases compares FormatC with bpftool's output for the
// declarations of formatCasesSpec, kept in formatCasesWant; with bpftool
// installed it also checks formatCasesWant against bpftool itself.
func TestFormatCCases(t *testing.T) {
	s, raw := formatCasesSpec(t)
	want := splitCDump(formatCasesWant + "\n\n")
	if len(want) < 20 {
		t.Fatalf("only %d definitions in formatCasesWant", len(want))
	}
	for _, d := range want {
		if d.name == "" {
			continue
		}
		id, _, err := s.TypeByName(d.name, d.kind)
		if err != nil {
			t.Fatalf("%s %s: %v", d.kind, d.name, err)
		}
		got, err := s.FormatC(id, nil)
		if err != nil {
			t.Fatalf("FormatC(%s): %v", d.name, err)
		}
		if got != d.text {
			t.Errorf("FormatC(%s):\n%s\nwant\n%s", d.name, got, d.text)
		}
	}

	bpftool := testutil.RequireTool(t, "bpftool")
	path := filepath.Join(t.TempDir(), "cases.btf")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	dump := string(runTool(t, bpftool, "btf", "dump", "file", path, "format", "c"))
	if !strings.Contains(dump, formatCasesWant) {
		t.Errorf("bpftool prints something else than formatCasesWant:\n%s", dump)
	}
}
