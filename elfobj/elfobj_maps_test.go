package elfobj

import (
	"testing"

	bpf "github.com/bpfgo/bpf"
)

// TestMapAttributes parses testdata/maps.o: explicit key/value sizes,
// pinning, NUMA node, map_extra, a ring buffer without key and value, a hash
// of maps, and a name longer than the kernel keeps.
func TestMapAttributes(t *testing.T) {
	spec := mustLoad(t, "testdata/maps.o")
	for _, tc := range []struct {
		key  string
		want bpf.MapSpec
	}{
		{"pinned", bpf.MapSpec{Name: "pinned", Type: bpf.Hash, KeySize: 8, ValueSize: 16, MaxEntries: 128,
			Flags: bpf.MapFlagNumaNode, Pinning: bpf.PinByName, NumaNode: 1}},
		{"events", bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 4096}},
		{"bloom", bpf.MapSpec{Name: "bloom", Type: bpf.BloomFilter, ValueSize: 4, MaxEntries: 64, MapExtra: 3}},
		{"hom", bpf.MapSpec{Name: "hom", Type: bpf.HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4}},
		{"a_very_long_map_name_here", bpf.MapSpec{Name: "a_very_long_map", Type: bpf.PerCPUArray, KeySize: 4, ValueSize: 16, MaxEntries: 2}},
		{".rodata", bpf.MapSpec{Name: ".rodata", Type: bpf.Array, KeySize: 4, ValueSize: 6, MaxEntries: 1, Flags: bpf.MapFlagRdOnlyProg, Freeze: true}},
	} {
		got := spec.Maps[tc.key]
		if got == nil {
			t.Errorf("map %q missing", tc.key)
			continue
		}
		w := tc.want
		if got.Name != w.Name || got.Type != w.Type || got.KeySize != w.KeySize || got.ValueSize != w.ValueSize ||
			got.MaxEntries != w.MaxEntries || got.Flags != w.Flags || got.Pinning != w.Pinning ||
			got.NumaNode != w.NumaNode || got.MapExtra != w.MapExtra || got.Freeze != w.Freeze {
			t.Errorf("map %q = %+v\nwant %+v", tc.key, *got, w)
		}
	}
	inner := spec.Maps["hom"].InnerMap
	if inner == nil || inner.Type != bpf.Hash || inner.KeySize != 4 || inner.ValueSize != 8 || inner.MaxEntries != 8 {
		t.Errorf("hom's inner map = %v", inner)
	}
	if got := string(spec.Maps[".rodata"].Contents[0].Value); got != "hello\x00" {
		t.Errorf(".rodata = %q, want greeting", got)
	}
	// The program refers to the long-named map by its full name.
	var refs []string
	for _, ins := range spec.Programs["use"].Instructions {
		if ins.IsMapLoad() {
			refs = append(refs, ins.Reference)
		}
	}
	want := []string{"pinned", "a_very_long_map_name_here", "hom", "events", "bloom", ".rodata"}
	if len(refs) != len(want) {
		t.Fatalf("map references %q, want %q", refs, want)
	}
	for i := range refs {
		if refs[i] != want[i] {
			t.Errorf("map references %q, want %q", refs, want)
			break
		}
	}
}

// TestKconfig checks the layout of the extern .kconfig variables: each
// aligned to its size in the value of the ".kconfig" map.
func TestKconfig(t *testing.T) {
	spec := mustLoad(t, "testdata/kconfig.o")
	want := []bpf.KconfigVar{
		{Name: "LINUX_KERNEL_VERSION", Offset: 0, Size: 4},
		{Name: "CONFIG_BPF_SYSCALL", Offset: 4, Size: 1, Weak: true},
		{Name: "CONFIG_BPFGO_NO_SUCH_OPTION", Offset: 8, Size: 4, Weak: true},
	}
	got := map[string]bpf.KconfigVar{}
	for _, v := range spec.Kconfig {
		got[v.Name] = v
	}
	if len(spec.Kconfig) != len(want) {
		t.Fatalf("kconfig %+v, want %+v", spec.Kconfig, want)
	}
	var end uint32
	for _, w := range want {
		g, ok := got[w.Name]
		if !ok || g.Size != w.Size || g.Weak != w.Weak || g.Offset%g.Size != 0 {
			t.Errorf("%s: %+v, want size %d weak %v, aligned", w.Name, g, w.Size, w.Weak)
		}
		end = max(end, g.Offset+g.Size)
	}
	ms := spec.Maps[".kconfig"]
	if ms == nil || ms.ValueSize < end || !ms.Freeze || ms.Type != bpf.Array {
		t.Errorf(".kconfig map = %v, want a frozen array of at least %d bytes", ms, end)
	}
	var refs int
	for _, ins := range spec.Programs["kconf"].Instructions {
		if ins.IsMapLoad() && ins.Reference == ".kconfig" {
			refs++
		}
	}
	if refs != 3 {
		t.Errorf("%d .kconfig references, want 3", refs)
	}
}
