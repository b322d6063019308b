package link

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"runtime"
	"testing"
)

func TestParseConfigBit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint
		ok   bool
	}{
		{"config:0\n", 0, true},
		{"config:63", 63, true},
		{"config:64", 0, false},
		{"config1:0", 0, false},
		{"config:0-7", 0, false},
		{"", 0, false},
		{"config:", 0, false},
	} {
		got, err := parseConfigBit(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseConfigBit(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestValidTraceName(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"syscalls", true},
		{"sys_enter_getpid", true},
		{"net.core", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{"x\x00", false},
	} {
		if got := validTraceName(tc.in); got != tc.ok {
			t.Errorf("validTraceName(%q) = %v, want %v", tc.in, got, tc.ok)
		}
	}
}

// TestSymbolOffsets checks file offsets against readelf's view of
// testdata/tiny.elf: .text is loaded at 0x401000 from file offset 0x1000.
func TestSymbolOffsets(t *testing.T) {
	b, err := os.ReadFile("testdata/tiny.elf")
	if err != nil {
		t.Fatal(err)
	}
	offs, err := symbolOffsets(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for sym, want := range map[string]uint64{"tiny_add": 0x1000, "tiny_mul": 0x1010, "_start": 0x1020} {
		if got, ok := offs[sym]; !ok || got != want {
			t.Errorf("%s: offset %#x (found %v), want %#x", sym, got, ok, want)
		}
	}
	if _, err := symbolOffsets(bytes.NewReader(b[:64])); err == nil {
		t.Error("truncated ELF: no error")
	}
	if _, err := symbolOffsets(bytes.NewReader([]byte("not an ELF file"))); err == nil {
		t.Error("non-ELF: no error")
	}
}

func TestExecutableOffset(t *testing.T) {
	ex, err := OpenExecutable("testdata/tiny.elf")
	if err != nil {
		t.Fatal(err)
	}
	if off, err := ex.Offset("tiny_mul"); err != nil || off != 0x1010 {
		t.Errorf("Offset(tiny_mul) = %#x, %v", off, err)
	}
	if _, err := ex.Offset("nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Offset(nope): %v", err)
	}
}

func FuzzSymbolOffsets(f *testing.F) {
	b, err := os.ReadFile("testdata/tiny.elf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:512])
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		offs, err := symbolOffsets(bytes.NewReader(data))
		if err == nil && len(offs) == 0 {
			t.Error("no error and no symbols")
		}
	})
}

func FuzzParseConfigBit(f *testing.F) {
	for _, s := range []string{"config:0\n", "config:63", "config1:0", "config:0-7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseConfigBit(s); err == nil && n > 63 {
			t.Errorf("parseConfigBit(%q) = %d > 63", s, n)
		}
	})
}

func BenchmarkSymbolOffsets(b *testing.B) {
	data, err := os.ReadFile("testdata/tiny.elf")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := symbolOffsets(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSymbolOffsetsGo resolves functions of this (Go) test binary, through
// its symbol table or, when go test linked it with -s, its .gopclntab, and
// checks them against the run-time addresses: the distance between two
// functions is the same in the file and in memory.
func TestSymbolOffsetsGo(t *testing.T) {
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := OpenExecutable(path)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := reflect.ValueOf(symbolOffsets).Pointer(), reflect.ValueOf(parseConfigBit).Pointer()
	na, nb := runtime.FuncForPC(fa).Name(), runtime.FuncForPC(fb).Name()
	oa, err := ex.Offset(na)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := ex.Offset(nb)
	if err != nil {
		t.Fatal(err)
	}
	if int64(oa)-int64(ob) != int64(fa)-int64(fb) {
		t.Errorf("%s - %s: file offsets %#x - %#x, memory %#x - %#x", na, nb, oa, ob, fa, fb)
	}
}
