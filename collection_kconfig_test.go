package bpf

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestParseVersionCode(t *testing.T) {
	for _, tc := range []struct {
		release string
		want    uint32
		err     bool
	}{
		{"6.1.0-56-cloud-amd64", 0x060100, false},
		{"6.12.117+deb12-cloud-amd64", 0x060c75, false},
		{"6.18.44-fc-v669", 0x06122c, false},
		{"5.4.300", 0x0504ff, false}, // patch capped at 255
		{"6.8", 0x060800, false},
		{"garbage", 0, true},
		{"6", 0, true},
	} {
		got, err := parseVersionCode(tc.release)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseVersionCode(%q) = %#x, %v; want %#x, error %v", tc.release, got, err, tc.want, tc.err)
		}
	}
}

func TestFillKconfig(t *testing.T) {
	config, err := parseKernelConfig(strings.NewReader("# comment\nCONFIG_A=y\nCONFIG_B=m\nCONFIG_N=n\nCONFIG_HZ=250\nCONFIG_S=\"abc\"\n# CONFIG_X is not set\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		size int
		want uint64
		str  string
		err  bool
	}{
		{"CONFIG_A", 1, 1, "", false},
		{"CONFIG_B", 4, 2, "", false},
		{"CONFIG_N", 8, 0, "", false},
		{"CONFIG_HZ", 4, 250, "", false},
		{"CONFIG_HZ", 3, 0, "", true},
		{"CONFIG_S", 8, 0, "abc", false},
		{"CONFIG_S", 3, 0, "", true}, // no room for the NUL
	} {
		dst := make([]byte, tc.size)
		err := putKconfig(dst, config[tc.key])
		if (err != nil) != tc.err {
			t.Errorf("%s into %d bytes: error %v, want error %v", tc.key, tc.size, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if tc.str != "" {
			if got := strings.TrimRight(string(dst), "\x00"); got != tc.str {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.str)
			}
			continue
		}
		var got uint64
		switch tc.size {
		case 1:
			got = uint64(dst[0])
		case 4:
			got = uint64(binary.NativeEndian.Uint32(dst))
		case 8:
			got = binary.NativeEndian.Uint64(dst)
		}
		if got != tc.want {
			t.Errorf("%s = %d, want %d", tc.key, got, tc.want)
		}
	}
	// A non-weak unknown extern and a missing non-weak option are errors.
	ms := &MapSpec{Name: ".kconfig", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
		Contents: []MapEntry{{Key: make([]byte, 4), Value: make([]byte, 8)}}}
	if _, err := fillKconfig(ms, []KconfigVar{{Name: "FOO", Size: 4}}); err == nil {
		t.Error("unknown extern: no error")
	}
	if _, err := fillKconfig(ms, []KconfigVar{{Name: "LINUX_KERNEL_VERSION", Offset: 6, Size: 4}}); err == nil {
		t.Error("variable outside the value: no error")
	}
	filled, err := fillKconfig(ms, []KconfigVar{{Name: "LINUX_KERNEL_VERSION", Size: 4}, {Name: "BAR", Offset: 4, Size: 4, Weak: true}})
	if err != nil {
		t.Fatal(err)
	}
	if binary.NativeEndian.Uint32(filled.Contents[0].Value) == 0 || binary.NativeEndian.Uint32(ms.Contents[0].Value) != 0 {
		t.Error("LINUX_KERNEL_VERSION not filled in a copy")
	}
}
