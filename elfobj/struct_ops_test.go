package elfobj

import (
	"maps"
	"slices"
	"strings"
	"testing"

	bpf "github.com/bpfgo/bpf"
)

// TestStructOpsSpec reads the .struct_ops.link table of testdata/struct_ops.o:
// its kernel type, the programs of its function-pointer members (each given
// AttachTo "tcp_congestion_ops:<member>"), and its name bytes; members left
// zero (release) appear nowhere.
func TestStructOpsSpec(t *testing.T) {
	spec := mustLoad(t, "testdata/struct_ops.o")
	if got := slices.Sorted(maps.Keys(spec.StructOps)); !slices.Equal(got, []string{"bpfgo_elf_cc"}) {
		t.Fatalf("tables %v", got)
	}
	cc := spec.StructOps["bpfgo_elf_cc"]
	if cc.Type != "tcp_congestion_ops" || !cc.Link {
		t.Errorf("type %q, link %v", cc.Type, cc.Link)
	}
	want := map[string]string{"init": "cc_init", "cong_avoid": "cc_cong_avoid", "ssthresh": "cc_ssthresh", "undo_cwnd": "cc_undo_cwnd"}
	if !maps.Equal(cc.Programs, want) {
		t.Errorf("programs %v, want %v", cc.Programs, want)
	}
	if got := slices.Sorted(maps.Keys(cc.Data)); !slices.Equal(got, []string{"name"}) {
		t.Errorf("data members %v, want [name]", got)
	}
	if name := strings.TrimRight(string(cc.Data["name"]), "\x00"); name != "bpfgo_elf_cc" || len(cc.Data["name"]) != 16 {
		t.Errorf("name %q (%d bytes)", name, len(cc.Data["name"]))
	}
	for member, prog := range want {
		ps := spec.Programs[prog]
		if ps.Type != bpf.StructOps || ps.AttachTo != "tcp_congestion_ops:"+member {
			t.Errorf("program %s: %v %q", prog, ps.Type, ps.AttachTo)
		}
	}
	// The spec's copy is deep.
	c := spec.Copy()
	c.StructOps["bpfgo_elf_cc"].Data["name"][0] = 'X'
	c.StructOps["bpfgo_elf_cc"].Programs["init"] = "other"
	if cc.Data["name"][0] != 'b' || cc.Programs["init"] != "cc_init" {
		t.Error("Copy shares the struct_ops tables")
	}
}
