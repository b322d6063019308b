package btf

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"testing"

	"github.com/bpfgo/bpf/internal/elfsec"
)

// sections returns the .BTF and .BTF.ext sections of a test object.
func sections(tb testing.TB, path string) (btf, ext []byte) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := elfsec.OpenBytes(data)
	if err != nil {
		tb.Fatal(err)
	}
	if btf, err = f.Section(".BTF"); err != nil {
		tb.Fatal(err)
	}
	if ext, err = f.Section(".BTF.ext"); err != nil {
		tb.Fatal(err)
	}
	return btf, ext
}

// FuzzLoadSpec feeds arbitrary bytes to the raw BTF parser. It must never
// panic, and whatever it accepts must decode, format, size and re-encode to
// the same types.
func FuzzLoadSpec(f *testing.F) {
	for _, path := range []string{"testdata/core.o", "testdata/core_eb.o"} {
		btf, _ := sections(f, path)
		f.Add(btf)
	}
	b := NewBuilder()
	b.AddGoType(reflect.TypeFor[flowStats]())
	data, _ := b.Marshal(&MarshalOptions{Order: binary.BigEndian})
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := LoadSpecFromBytes(data); err == nil {
			exercise(t, s, true)
		}
		// The kernel's BTF is parsed trusting its items: that path must
		// not panic either, though it may keep dangling references.
		if s, err := newSpec(data, nil, true); err == nil {
			exercise(t, s, false)
		}
	})
}

// exercise runs every reader over s. With strict set (fully validated
// input) it also requires the types to survive a marshal round trip.
func exercise(t *testing.T, s *Spec, strict bool) {
	for id, typ := range s.All() {
		if _, err := s.FormatRaw(id); err != nil {
			t.Fatalf("FormatRaw(%d): %v", id, err)
		}
		s.FormatC(id, nil)
		s.Sizeof(id)
		s.Alignof(id)
		s.Underlying(id)
		if ms := Members(typ); len(ms) > 0 && ms[0].Name != "" {
			s.Field(id, ms[0].Name)
		}
		if name := typ.TypeName(); name != "" {
			s.TypeIDsByName(name)
			s.TypeIDsByEssentialName(name)
		}
	}
	if s.LastID() > 0 {
		s.FormatC(s.LastID(), &FormatOptions{Dependencies: true})
	}
	out, err := s.Marshal(nil)
	if !strict {
		return
	}
	if err != nil {
		t.Fatalf("marshal of parsed BTF: %v", err)
	}
	s2, err := LoadSpecFromBytes(out)
	if err != nil {
		t.Fatalf("parse of marshalled BTF: %v", err)
	}
	assertSameTypes(t, s, s2)
}

// FuzzParseExt feeds arbitrary bytes to the .BTF.ext parser.
func FuzzParseExt(f *testing.F) {
	btf, ext := sections(f, "testdata/core.o")
	spec, err := LoadSpecFromBytes(btf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ext)
	_, extBE := sections(f, "testdata/core_eb.o")
	f.Add(extBE)
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseExt(data, spec)
	})
}

// FuzzLoadELF feeds arbitrary bytes to the ELF path of LoadSpecFromReader.
func FuzzLoadELF(f *testing.F) {
	for _, path := range []string{"testdata/core.o", "testdata/core_eb.o"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := LoadSpecFromReader(bytes.NewReader(data)); err == nil {
			exercise(t, s, true)
		}
		LoadSpecAndExtFromELF(bytes.NewReader(data))
	})
}
