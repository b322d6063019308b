package bpf

import (
	"reflect"
	"testing"
)

func TestMapTypeNames(t *testing.T) {
	for typ := UnspecifiedMap; typ <= Arena; typ++ {
		if s := typ.String(); s == "" || s[0] == 'M' && typ != UnspecifiedMap {
			t.Errorf("MapType(%d).String() = %q", typ, s)
		}
		for _, name := range []string{typ.String(), typ.KernelName()} {
			if got, ok := ParseMapType(name); !ok || got != typ {
				t.Errorf("ParseMapType(%q) = %v, %v", name, got, ok)
			}
		}
	}
	if got := MapType(999).String(); got != "MapType(999)" {
		t.Error(got)
	}
	if got := (MapFlagNoPrealloc | MapFlagMmapable | 1<<30).String(); got != "NoPrealloc|Mmapable|0x40000000" {
		t.Error(got)
	}
	if got := (UpdateNoExist | UpdateLock).String(); got != "UpdateNoExist|UpdateLock" {
		t.Error(got)
	}
}

func TestMapSpecCopy(t *testing.T) {
	s := &MapSpec{Name: "outer", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
		InnerMap: &MapSpec{Name: "inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1},
		BTF:      []byte{1, 2, 3}, Contents: []MapEntry{{Key: []byte{0, 0, 0, 0}, Value: []byte{1, 2, 3, 4}}}}
	c := s.Copy()
	if !reflect.DeepEqual(s, c) {
		t.Fatalf("copy differs: %v", c)
	}
	c.InnerMap.MaxEntries = 9
	c.BTF[0] = 9
	c.Contents[0].Value[0] = 9
	if s.InnerMap.MaxEntries != 1 || s.BTF[0] != 1 || s.Contents[0].Value[0] != 1 {
		t.Fatal("Copy is shallow")
	}
	cyclic := &MapSpec{Name: "loop", Type: HashOfMaps}
	cyclic.InnerMap = cyclic
	if c := cyclic.Copy(); c == nil || c.InnerMap == nil {
		t.Fatal("copy of a cyclic spec")
	}
	if got := cyclic.String(); got == "" {
		t.Fatal("String of a cyclic spec")
	}
	if (*MapSpec)(nil).Copy() != nil {
		t.Fatal("nil copy")
	}
	if got := s.String(); got != `ArrayOfMaps "outer" key=4 value=4 max=2 inner=(Array "inner" key=4 value=4 max=1)` {
		t.Error(got)
	}
}
