//go:build linux

package link_test

import (
	"slices"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/link"
)

// TestProgramAttachedExists checks ProgramAttached, ProgramLinks and
// ProgramExists around a real cgroup link.
func TestProgramAttachedExists(t *testing.T) {
	dir := netCgroup(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 1})
	closeAll(t, counts)
	if !link.ProgramExists(prog) {
		t.Fatal("ProgramExists of a loaded program is false")
	}
	if ok, err := link.ProgramAttached(prog); err != nil || ok {
		t.Fatalf("before attach: ProgramAttached = %v, %v", ok, err)
	}
	l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress, Program: prog, Mode: link.CgroupLinkOnly})
	if err != nil {
		t.Fatal(err)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := link.ProgramLinks(prog)
	if err != nil || !slices.Equal(ids, []link.ID{info.ID}) {
		t.Errorf("ProgramLinks = %v, %v; want [%d]", ids, err, info.ID)
	}
	if ok, err := link.ProgramAttached(prog); err != nil || !ok {
		t.Errorf("attached: ProgramAttached = %v, %v", ok, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, err := link.ProgramAttached(prog); err != nil || ok {
		t.Errorf("after Close of the link: ProgramAttached = %v, %v", ok, err)
	}
	if err := prog.Close(); err != nil {
		t.Fatal(err)
	}
	if link.ProgramExists(prog) || link.ProgramExists(nil) {
		t.Error("ProgramExists of a closed or nil program is true")
	}
	if _, err := link.ProgramLinks(nil); err == nil {
		t.Error("ProgramLinks(nil) succeeded")
	}
}
