package elfsec

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

// TestRelocations reads the relocations of ../../elfobj/testdata/collection.o,
// whose xdp program calls bump in .text and reads .rodata and .bss.
func TestRelocations(t *testing.T) {
	f, syms := openCollection(t)
	want := map[string][]struct {
		name string
		typ  RelocType
	}{
		// clang calls static functions through the section symbol of .text.
		"xdp":   {{".text", Reloc64_32}, {"magic", Reloc64_64}, {"hits", Reloc64_64}},
		".text": {{"counts", Reloc64_64}, {"legacy", Reloc64_64}, {"seed", Reloc64_64}},
	}
	for sec, rels := range want {
		idx := sectionIndex(t, f, sec)
		got, err := f.Relocations(idx, syms)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rels) {
			t.Fatalf("%s: %d relocations, want %d", sec, len(got), len(rels))
		}
		for i, r := range got {
			if name := f.SymbolName(r.Symbol); name != rels[i].name || r.Type != rels[i].typ {
				t.Errorf("%s: relocation %d: %s type %d, want %s type %d", sec, i, name, r.Type, rels[i].name, rels[i].typ)
			}
			if r.Offset%8 != 0 {
				t.Errorf("%s: relocation %d at byte %d, not an instruction", sec, i, r.Offset)
			}
		}
	}
	// A section without relocations has none.
	if got, err := f.Relocations(sectionIndex(t, f, "license"), syms); err != nil || len(got) != 0 {
		t.Errorf("license: %v, %v", got, err)
	}
}

func TestRelocationsBad(t *testing.T) {
	data, err := os.ReadFile("../../elfobj/testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	rel := f.File.Section(".relxdp")
	// Point the first entry's symbol index past the symbol table.
	binary.LittleEndian.PutUint32(data[rel.Offset+12:], 0xffff)
	f, err = OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Relocations(sectionIndex(t, f, "xdp"), syms)
	if err == nil || !strings.Contains(err.Error(), "symbol index 65535 out of range") {
		t.Errorf("error %v, want symbol index out of range", err)
	}
}

func openCollection(t *testing.T) (*File, []elf.Symbol) {
	t.Helper()
	data, err := os.ReadFile("../../elfobj/testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	return f, syms
}

func sectionIndex(t *testing.T, f *File, name string) int {
	t.Helper()
	for i, s := range f.Sections {
		if s.Name == name {
			return i
		}
	}
	t.Fatalf("no section %s", name)
	return 0
}

func FuzzRelocations(f *testing.F) {
	data, err := os.ReadFile("../../elfobj/testdata/collection.o")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := OpenBytes(data)
		if err != nil {
			return
		}
		syms, _ := file.Symbols()
		for i := range file.Sections {
			rels, err := file.Relocations(i, syms)
			if err != nil {
				continue
			}
			for _, r := range rels {
				file.SymbolName(r.Symbol)
			}
		}
	})
}
