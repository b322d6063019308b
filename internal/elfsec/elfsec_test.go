package elfsec

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
)

func TestSections(t *testing.T) {
	data, err := os.ReadFile("../../btf/testdata/core.o")
	if err != nil {
		t.Fatal(err)
	}
	if !IsELF(bytes.NewReader(data)) || IsELF(bytes.NewReader([]byte("BTF"))) {
		t.Fatal("IsELF")
	}
	f, err := OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	names := f.Names()
	for _, want := range []string{".text", "xdp", ".BTF", ".BTF.ext", ".bss", "license"} {
		if !slices.Contains(names, want) {
			t.Errorf("section %s missing from %v", want, names)
		}
	}
	tests := []struct {
		name string
		size int
	}{
		{"license", 4},
		{".bss", 0}, // SHT_NOBITS
		{"xdp", 28 * 8},
	}
	for _, tt := range tests {
		b, err := f.Section(tt.name)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(b) != tt.size || b == nil {
			t.Errorf("%s: %d bytes, want %d", tt.name, len(b), tt.size)
		}
	}
	if lic, _ := f.Section("license"); string(lic) != "GPL\x00" {
		t.Errorf("license %q", lic)
	}
	if _, err := f.Section(".nope"); !errors.Is(err, ErrNoSection) {
		t.Errorf(".nope: %v", err)
	}
	if _, err := OpenBytes([]byte("\x7fELF\x02\x01")); err == nil {
		t.Error("truncated ELF opened")
	}
}

func FuzzOpen(f *testing.F) {
	data, err := os.ReadFile("../../btf/testdata/core.o")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := OpenBytes(data)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			file.Section(name)
		}
	})
}
