package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestLPMKeyEncoding(t *testing.T) {
	tests := []struct {
		prefix string
		want   []byte
	}{
		{"10.1.0.0/16", append(binary.NativeEndian.AppendUint32(nil, 16), 10, 1, 0, 0)},
		{"10.1.2.3/16", append(binary.NativeEndian.AppendUint32(nil, 16), 10, 1, 0, 0)}, // host bits cleared
		{"0.0.0.0/0", append(binary.NativeEndian.AppendUint32(nil, 0), 0, 0, 0, 0)},
		{"2001:db8::/32", append(binary.NativeEndian.AppendUint32(nil, 32), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		p := mustPrefix(tt.prefix)
		got := LPMKey(p)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("LPMKey(%s) = %x, want %x", tt.prefix, got, tt.want)
		}
		back, err := ParseLPMKey(got)
		if err != nil || back != p.Masked() {
			t.Errorf("ParseLPMKey(LPMKey(%s)) = %v, %v", tt.prefix, back, err)
		}
	}
	if LPMKey(netip.Prefix{}) != nil {
		t.Error("LPMKey of an invalid prefix is not nil")
	}
	if _, err := ParseLPMKey(make([]byte, 7)); err == nil {
		t.Error("ParseLPMKey accepted 7 bytes")
	}
	if _, err := ParseLPMKey(append(binary.NativeEndian.AppendUint32(nil, 33), 1, 2, 3, 4)); err == nil {
		t.Error("ParseLPMKey accepted /33 for IPv4")
	}
	k4, err := NewLPMKeyIPv4(mustPrefix("192.168.1.7/24"))
	if err != nil || k4.PrefixLen != 24 || k4.Addr != [4]byte{192, 168, 1, 0} || k4.Prefix() != mustPrefix("192.168.1.0/24") {
		t.Errorf("NewLPMKeyIPv4: %+v %v", k4, err)
	}
	if _, err := NewLPMKeyIPv4(mustPrefix("::/0")); err == nil {
		t.Error("NewLPMKeyIPv4 accepted IPv6")
	}
	if _, err := NewLPMKeyIPv6(mustPrefix("1.2.3.4/8")); err == nil {
		t.Error("NewLPMKeyIPv6 accepted IPv4")
	}
}

func FuzzParseLPMKey(f *testing.F) {
	f.Add(LPMKey(mustPrefix("10.0.0.0/8")))
	f.Add(LPMKey(mustPrefix("2001:db8::/48")))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseLPMKey(b)
		if err != nil {
			return
		}
		if !p.IsValid() {
			t.Fatalf("valid parse gave invalid prefix from %x", b)
		}
		if got := LPMKey(p); len(got) != len(b) {
			t.Fatalf("re-encoding %v: %d bytes, want %d", p, len(got), len(b))
		}
	})
}

func TestMapLPMTrie(t *testing.T) {
	for _, tt := range []struct {
		name    string
		keySize uint32
		routes  map[string]uint32
		lookups map[string]uint32 // 0: no match
	}{
		{"v4", 8,
			map[string]uint32{"10.0.0.0/8": 1, "10.1.0.0/16": 2, "10.1.2.0/24": 3},
			map[string]uint32{"10.1.2.3": 3, "10.1.3.1": 2, "10.200.0.1": 1, "11.0.0.1": 0}},
		{"v6", 20,
			map[string]uint32{"2001:db8::/32": 1, "2001:db8:1::/48": 2},
			map[string]uint32{"2001:db8:1::5": 2, "2001:db8:2::5": 1, "2001:db9::1": 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := mustNewMap(t, &MapSpec{Name: "lpm_" + tt.name, Type: LPMTrie, KeySize: tt.keySize, ValueSize: 4, MaxEntries: 16})
			for p, v := range tt.routes {
				if err := m.Update(LPMKey(mustPrefix(p)), u32(v), UpdateNoExist); err != nil {
					t.Fatal(err)
				}
			}
			v := make([]byte, 4)
			for a, want := range tt.lookups {
				err := m.Lookup(LPMKeyFromAddr(netip.MustParseAddr(a)), v)
				if want == 0 {
					if !errors.Is(err, ErrKeyNotExist) {
						t.Errorf("lookup %s: %v, want no match", a, err)
					}
					continue
				}
				if err != nil || binary.NativeEndian.Uint32(v) != want {
					t.Errorf("lookup %s: %v %d, want %d", a, err, binary.NativeEndian.Uint32(v), want)
				}
			}
			seen := map[netip.Prefix]bool{}
			it := m.Iterate()
			for k := range it.Keys() {
				p, err := ParseLPMKey(k)
				if err != nil {
					t.Fatal(err)
				}
				seen[p] = true
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if len(seen) != len(tt.routes) {
				t.Fatalf("walk saw %v", seen)
			}
			if err := m.Clear(); err != nil {
				t.Fatal(err)
			}
			if n, err := m.Count(); err != nil || n != 0 {
				t.Fatalf("count after clear: %d %v", n, err)
			}
		})
	}
	t.Run("typed", func(t *testing.T) {
		m := mustNewMap(t, &MapSpec{Name: "lpm_typed", Type: LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 4})
		tm, err := NewTypedMap[LPMKeyIPv4, uint32](m)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := NewLPMKeyIPv4(mustPrefix("192.168.0.0/16"))
		if err := tm.Update(k, 7, UpdateAny); err != nil {
			t.Fatal(err)
		}
		q, _ := NewLPMKeyIPv4(mustPrefix("192.168.5.5/32"))
		if v, err := tm.Lookup(q); err != nil || v != 7 {
			t.Fatalf("typed LPM lookup: %d %v", v, err)
		}
	})
}

// TestMapLPMBatchFallsBack: the kernel has batch lookup for LPM tries but no
// batch lookup-and-delete (ENOTSUPP), so BatchLookupAndDelete falls back to
// next-key walks and single operations on its own.
func TestMapLPMBatchFallsBack(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "lpm_batch", Type: LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 16})
	for i, p := range []string{"10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16"} {
		if err := m.Update(LPMKey(mustPrefix(p)), u32(uint32(i)), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	var c BatchCursor
	keys, vals := make([]byte, 8*2), make([]byte, 4*2)
	if _, err := m.BatchLookup(&c, keys, vals); err != nil || c.fallback {
		t.Fatalf("batch lookup: %v, fallback %v", err, c.fallback)
	}
	c.Reset()
	total := 0
	for !c.Done() {
		n, err := m.BatchLookupAndDelete(&c, keys, vals)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if !c.fallback {
		t.Error("LPM trie batch lookup-and-delete did not fall back (the kernel gained it?)")
	}
	if total != 3 {
		t.Fatalf("batch walk returned %d entries, want 3", total)
	}
	if n, err := m.Count(); err != nil || n != 0 {
		t.Fatalf("count after lookup-and-delete: %d %v", n, err)
	}
}
