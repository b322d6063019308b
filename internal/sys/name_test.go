package sys

import "testing"

func TestObjName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"conn_count", "conn_count"},
		{"exactly15bytes_", "exactly15bytes_"},
		{"sixteen_bytes_xx", "sixteen_bytes_x"},
		{"a-b c/d", "a_b_c_d"},
		{"ünï", "__n__"}, // each byte of a multi-byte rune
		{"map.v4", "map.v4"},
	} {
		got := ObjName(tc.in)
		n := 0
		for n < len(got) && got[n] != 0 {
			n++
		}
		if string(got[:n]) != tc.want || got[BPF_OBJ_NAME_LEN-1] != 0 {
			t.Errorf("ObjName(%q) = %q, want %q", tc.in, got[:n], tc.want)
		}
	}
}

func FuzzObjName(f *testing.F) {
	for _, s := range []string{"", "conn_count", "a-b c/d", "ünïcode_is_long_here"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ObjName(s)
		if got[BPF_OBJ_NAME_LEN-1] != 0 {
			t.Fatalf("%q: not NUL-terminated", s)
		}
		end := false
		for _, c := range got {
			valid := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
			switch {
			case c == 0:
				end = true
			case end || !valid:
				t.Fatalf("%q -> %q: bad byte %q", s, got, c)
			}
		}
	})
}
