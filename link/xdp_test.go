//go:build linux

package link_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// xdpAttachers are the two ways to attach XDP, in the two modes veth has.
var xdpAttachers = []struct {
	name   string
	mode   link.XDPMode
	attach func(link.XDPOptions) (link.Link, error)
}{
	{"link/generic", link.XDPGeneric, func(o link.XDPOptions) (link.Link, error) { return link.AttachXDP(o) }},
	{"link/driver", link.XDPDriver, func(o link.XDPOptions) (link.Link, error) { return link.AttachXDP(o) }},
	{"netlink/xdpgeneric", link.XDPGeneric, func(o link.XDPOptions) (link.Link, error) { return link.AttachXDPNetlink(o) }},
	{"netlink/xdpdrv", link.XDPDriver, func(o link.XDPOptions) (link.Link, error) { return link.AttachXDPNetlink(o) }},
}

// TestXDP attaches a counting XDP program to the receiving end of a veth pair,
// sends UDP datagrams through it, and checks the program ran for each (at least:
// generic XDP may see merged packets, and ARP adds some), then that Close stops it.
func TestXDP(t *testing.T) {
	for _, tc := range xdpAttachers {
		t.Run(tc.name, func(t *testing.T) {
			v := testutil.NewVeth(t)
			prog, counts := newCounter(t, counterSpec{typ: bpf.XDP, ret: asm.XDPPass})
			closeAll(t, prog, counts)
			u := newNetUDP(t, v)

			var l link.Link
			err := v.B.Do(func() (err error) {
				l, err = tc.attach(link.XDPOptions{Program: prog, Interface: v.IndexB, Mode: tc.mode})
				return err
			})
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			const n = 8
			u.roundTrip(t, n)
			if c := count(t, counts); c < n {
				t.Errorf("program ran %d times for %d datagrams, want >= %d", c, n, n)
			}
			switch l := l.(type) {
			case *link.XDPLink:
				info, err := l.Info()
				if err != nil {
					t.Fatal(err)
				}
				id, _ := prog.ID()
				if info.Type != link.XDPType || info.Program != id || info.XDP() == nil || info.XDP().Interface != v.IndexB {
					t.Errorf("info = %+v (xdp %+v), want XDP link of program %d on ifindex %d", info, info.XDP(), id, v.IndexB)
				}
			case *link.XDPNetlink:
				got, err := l.ProgramID()
				if err != nil {
					t.Fatal(err)
				}
				if id, _ := prog.ID(); got != id {
					t.Errorf("netlink reports program %d, want %d", got, id)
				}
				if _, err := l.Info(); !errors.Is(err, link.ErrNotSupported) {
					t.Errorf("Info of netlink attachment: %v, want ErrNotSupported", err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			before := count(t, counts)
			u.roundTrip(t, n)
			if after := count(t, counts); after != before {
				t.Errorf("program ran %d times after Close", after-before)
			}
		})
	}
}

// TestXDPLinkPinUpdate pins an XDP link, closes the fd (the program keeps
// running), swaps the program with Update, reopens the pin, and detaches it by
// unpinning and closing.
func TestXDPLinkPinUpdate(t *testing.T) {
	v := testutil.NewVeth(t)
	prog1, counts1 := newCounter(t, counterSpec{typ: bpf.XDP, ret: asm.XDPPass})
	prog2, counts2 := newCounter(t, counterSpec{typ: bpf.XDP, ret: asm.XDPPass})
	closeAll(t, prog1, counts1, prog2, counts2)
	u := newNetUDP(t, v)
	var l *link.XDPLink
	if err := v.B.Do(func() (err error) {
		l, err = link.AttachXDP(link.XDPOptions{Program: prog1, Interface: v.IndexB, Mode: link.XDPGeneric})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	id, err := l.ID()
	if err != nil {
		t.Fatal(err)
	}
	pin := filepath.Join(testutil.TempBPFFSDir(t), "xdp_link")
	if err := l.Pin(pin); err != nil {
		t.Fatal(err)
	}
	if !l.IsPinned() {
		t.Error("IsPinned after Pin = false")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	u.roundTrip(t, 4)
	if c := count(t, counts1); c < 4 {
		t.Fatalf("pinned link: program ran %d times, want >= 4", c)
	}

	pinned, err := link.LoadPinnedLink(pin)
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	if got, err := pinned.ID(); err != nil || got != id {
		t.Fatalf("pinned link id = %d, %v; want %d", got, err, id)
	}
	if err := pinned.Update(prog2); err != nil {
		t.Fatalf("update: %v", err)
	}
	before1 := count(t, counts1)
	u.roundTrip(t, 4)
	if c := count(t, counts2); c < 4 {
		t.Errorf("after Update the new program ran %d times, want >= 4", c)
	}
	if c := count(t, counts1); c != before1 {
		t.Errorf("after Update the old program ran %d more times", c-before1)
	}
	if err := pinned.UpdateReplacing(prog1, prog1); err == nil {
		t.Error("UpdateReplacing with a stale old program succeeded")
	}
	info, err := pinned.Info()
	if err != nil {
		t.Fatal(err)
	}
	if id2, _ := prog2.ID(); info.Program != id2 {
		t.Errorf("info program = %d, want %d", info.Program, id2)
	}

	if err := pinned.Unpin(); err != nil {
		t.Fatal(err)
	}
	if err := pinned.Close(); err != nil {
		t.Fatal(err)
	}
	before2 := count(t, counts2)
	u.roundTrip(t, 4)
	if c := count(t, counts2); c != before2 {
		t.Errorf("after Unpin and Close the program ran %d more times", c-before2)
	}
	if _, err := link.NewRawLinkFromID(id); err == nil {
		t.Error("link still exists after Unpin and Close")
	}
}

// TestXDPLinkDetach checks BPF_LINK_DETACH: the link stays open but the
// program stops running and the kernel reports no interface.
func TestXDPLinkDetach(t *testing.T) {
	v := testutil.NewVeth(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.XDP, ret: asm.XDPPass})
	closeAll(t, prog, counts)
	u := newNetUDP(t, v)
	var l *link.XDPLink
	if err := v.B.Do(func() (err error) {
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: v.IndexB, Mode: link.XDPGeneric})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	closeAll(t, l)
	u.roundTrip(t, 4)
	if c := count(t, counts); c < 4 {
		t.Fatalf("program ran %d times before Detach, want >= 4", c)
	}
	if err := l.Detach(); err != nil {
		t.Fatal(err)
	}
	c0 := count(t, counts)
	u.roundTrip(t, 4)
	if c := count(t, counts); c != c0 {
		t.Errorf("program ran %d times after Detach", c-c0)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	if x := info.XDP(); x == nil || x.Interface != 0 {
		t.Errorf("detached link info %+v, want ifindex 0", x)
	}
}

func TestXDPErrors(t *testing.T) {
	tests := []struct {
		name string
		opts link.XDPOptions
	}{
		{"nil program", link.XDPOptions{Interface: 1}},
		{"bad ifindex", link.XDPOptions{Program: &bpf.Program{}, Interface: 0}},
		{"bad mode", link.XDPOptions{Program: &bpf.Program{}, Interface: 1, Mode: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := link.AttachXDP(tc.opts); err == nil {
				t.Error("AttachXDP succeeded")
			}
			if _, err := link.AttachXDPNetlink(tc.opts); err == nil {
				t.Error("AttachXDPNetlink succeeded")
			}
		})
	}
}
