package testutil

import (
	"fmt"
	"testing"
)

func FuzzParseRelease(f *testing.F) {
	for _, s := range []string{"6.18.44-fc-v669", "6.1.0-28-amd64", "5.15", "", "6..1", "999999999999999999999.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		ma, mi, pa := parseRelease(rel) // must not panic
		if ma < 0 || mi < 0 || pa < 0 {
			t.Fatalf("negative version %d.%d.%d from %q", ma, mi, pa, rel)
		}
		// A canonical release parses back to itself.
		canon := fmt.Sprintf("%d.%d.%d", ma, mi, pa)
		if a, b, c := parseRelease(canon); a != ma || b != mi || c != pa {
			t.Fatalf("%q -> %s -> %d.%d.%d", rel, canon, a, b, c)
		}
	})
}
