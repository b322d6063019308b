//go:build linux

package link_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/link"
)

// TestRawLink creates a cgroup link with the generic NewRawLink, adopts a
// duplicate of its fd and reopens it by id, and checks the closed-link errors.
func TestRawLink(t *testing.T) {
	dir := netCgroup(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 1})
	closeAll(t, prog, counts)
	cg, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := link.NewRawLink(link.RawLinkOptions{Target: cg, Program: prog, Attach: bpf.AttachCgroupInetEgress})
	unix.Close(cg)
	if err != nil {
		t.Fatal(err)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != link.CgroupType || info.Cgroup() == nil || info.XDP() != nil || info.TCX() != nil || info.NetNs() != nil || info.Netfilter() != nil {
		t.Errorf("info %+v: want a cgroup link with only the cgroup part", info)
	}
	dup, err := unix.FcntlInt(uintptr(l.FD()), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	adopted, err := link.NewRawLinkFromFD(dup)
	if err != nil {
		t.Fatal(err)
	}
	byID, err := link.NewRawLinkFromID(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []*link.RawLink{adopted, byID} {
		if id, err := other.ID(); err != nil || id != info.ID {
			t.Errorf("id %d, %v; want %d", id, err, info.ID)
		}
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if l.FD() != -1 {
		t.Errorf("FD after Close = %d", l.FD())
	}
	for name, err := range map[string]error{
		"Info":   func() error { _, err := l.Info(); return err }(),
		"Update": l.Update(prog),
		"Pin":    l.Pin("/sys/fs/bpf/never"),
		"Detach": l.Detach(),
	} {
		if !errors.Is(err, link.ErrClosed) {
			t.Errorf("%s on a closed link: %v, want ErrClosed", name, err)
		}
	}
	var nilLink *link.RawLink
	if err := nilLink.Close(); err != nil {
		t.Errorf("Close of nil: %v", err)
	}
	if _, err := link.NewRawLink(link.RawLinkOptions{Target: 0}); err == nil {
		t.Error("NewRawLink without program succeeded")
	}
	if _, err := link.NewRawLinkFromID(0); err == nil {
		t.Error("NewRawLinkFromID(0) succeeded")
	}
	if _, err := link.LoadPinnedLink("/sys/fs/bpf/bpfgo-does-not-exist"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("LoadPinnedLink of a missing path: %v, want ENOENT", err)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{link.XDPGeneric, "xdpgeneric"},
		{link.XDPDriver, "xdpdrv"},
		{link.XDPOffload, "xdpoffload"},
		{link.XDPModeDefault, "xdp"},
		{link.XDPMode(64), "XDPMode(0x40)"},
		{link.Ingress, "ingress"},
		{link.Egress, "egress"},
		{link.TCDirection(7), "TCDirection(7)"},
		{link.XDPType, "BPF_LINK_TYPE_XDP"},
		{link.TCXType, "BPF_LINK_TYPE_TCX"},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// BenchmarkRawLinkInfo measures BPF_OBJ_GET_INFO_BY_FD on a link.
func BenchmarkRawLinkInfo(b *testing.B) {
	dir, err := benchCgroup(b)
	if err != nil {
		b.Skip(err)
	}
	prog, counts, err := loadCounter(counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer counts.Close()
	defer prog.Close()
	l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress, Program: prog})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Info(); err != nil {
			b.Fatal(err)
		}
	}
}
