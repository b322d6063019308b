package event

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseLayout: any spec either fails or gives a layout whose String
// parses back to the same fields, and whose records round-trip.
func FuzzParseLayout(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/layouts/*.txt")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line, []byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789"))
		}
	}
	f.Fuzz(func(t *testing.T, spec string, rec []byte) {
		l, err := ParseLayout(spec)
		if err != nil {
			return
		}
		l2, err := ParseLayout(l.String())
		if err != nil {
			t.Fatalf("String %q of %q does not parse: %v", l.String(), spec, err)
		}
		if l2.Size() != l.Size() || len(l2.Fields()) != len(l.Fields()) {
			t.Fatalf("%q and %q differ", spec, l.String())
		}
		vals, err := l.Parse(rec)
		if len(rec) < l.Size() {
			if err == nil {
				t.Fatal("short record parsed")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.Serialize(vals...)
		if err != nil {
			t.Fatalf("serialize parsed values: %v", err)
		}
		// Padding comes back as zeros; every field's bytes are equal.
		for i, f := range l.Fields() {
			n := f.Kind.Size()
			if f.Kind == Bytes {
				n = f.Len
			}
			if !bytes.Equal(out[f.Offset:f.Offset+n], rec[f.Offset:f.Offset+n]) {
				t.Fatalf("field %d changed in the round trip", i)
			}
			if _, err := l.Uint(rec, i); (err == nil) == (f.Kind == Bytes) {
				t.Fatalf("Uint of field %d (%v): %v", i, f.Kind, err)
			}
		}
	})
}
