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

// tcAttachers attach a SchedCLS program through cls_bpf (clsact) or TCX.
var tcAttachers = []struct {
	name   string
	tcx    bool
	attach func(prog *bpf.Program, ifindex int, dir link.TCDirection) (link.Link, error)
}{
	{"clsact", false, func(p *bpf.Program, i int, d link.TCDirection) (link.Link, error) {
		return link.AttachTC(link.TCOptions{Program: p, Interface: i, Direction: d})
	}},
	{"tcx", true, func(p *bpf.Program, i int, d link.TCDirection) (link.Link, error) {
		return link.AttachTCX(link.TCXOptions{Program: p, Interface: i, Direction: d})
	}},
}

func requireTCX(t *testing.T) {
	t.Helper()
	if err := link.HaveTCX(); errors.Is(err, link.ErrNotSupported) {
		t.Skipf("kernel lacks TCX links (Linux 6.6): %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
}

// TestTC attaches counting SchedCLS programs to the egress of the sending end
// and the ingress of the receiving end of a veth pair, sends UDP through it,
// checks both ran, and that Close stops them.
func TestTC(t *testing.T) {
	for _, tc := range tcAttachers {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tcx {
				requireTCX(t)
			}
			v := testutil.NewVeth(t)
			u := newNetUDP(t, v)
			progE, countsE := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActOK})
			progI, countsI := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActOK})
			closeAll(t, progE, countsE, progI, countsI)
			var egress, ingress link.Link
			if err := v.A.Do(func() (err error) {
				egress, err = tc.attach(progE, v.IndexA, link.Egress)
				return err
			}); err != nil {
				t.Fatalf("attach egress: %v", err)
			}
			if err := v.B.Do(func() (err error) {
				ingress, err = tc.attach(progI, v.IndexB, link.Ingress)
				return err
			}); err != nil {
				t.Fatalf("attach ingress: %v", err)
			}
			const n = 8
			u.roundTrip(t, n)
			for _, c := range []struct {
				dir    string
				counts *bpf.Map
			}{{"egress", countsE}, {"ingress", countsI}} {
				if got := count(t, c.counts); got < n {
					t.Errorf("%s program ran %d times for %d datagrams, want >= %d", c.dir, got, n, n)
				}
			}
			if tc.tcx {
				info, err := ingress.Info()
				if err != nil {
					t.Fatal(err)
				}
				x := info.TCX()
				if info.Type != link.TCXType || x == nil || x.Interface != v.IndexB || x.Direction != link.Ingress {
					t.Errorf("info %+v, tcx %+v; want TCX ingress on ifindex %d", info, x, v.IndexB)
				}
			} else if f := ingress.(*link.TCFilter); f.Priority() == 0 || f.Handle() == 0 {
				t.Errorf("filter priority %d handle %d, want the kernel's choice", f.Priority(), f.Handle())
			}
			for _, l := range []link.Link{egress, ingress} {
				if err := l.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
			}
			e0, i0 := count(t, countsE), count(t, countsI)
			u.roundTrip(t, n)
			if e, i := count(t, countsE), count(t, countsI); e != e0 || i != i0 {
				t.Errorf("programs ran after Close: egress +%d, ingress +%d", e-e0, i-i0)
			}
		})
	}
}

// TestTCDrop checks the program's verdict is obeyed: TC_ACT_SHOT on ingress
// drops the datagrams, and they flow again once the program is detached.
func TestTCDrop(t *testing.T) {
	for _, tc := range tcAttachers {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tcx {
				requireTCX(t)
			}
			v := testutil.NewVeth(t)
			u := newNetUDP(t, v)
			u.roundTrip(t, 1) // resolve ARP before dropping
			prog, counts := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActShot})
			closeAll(t, prog, counts)
			var l link.Link
			if err := v.B.Do(func() (err error) {
				l, err = tc.attach(prog, v.IndexB, link.Ingress)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got := netExchange(t, u.tx, u.rx, 4, netSilence); got != 0 {
				t.Errorf("%d datagrams arrived through a dropping program", got)
			}
			if c := count(t, counts); c < 4 {
				t.Errorf("dropping program ran %d times, want >= 4", c)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			u.roundTrip(t, 4)
		})
	}
}

// TestTCFilterExplicit attaches with a chosen priority and handle, and checks
// that a second filter with the same ones is refused.
func TestTCFilterExplicit(t *testing.T) {
	v := testutil.NewVeth(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActOK})
	closeAll(t, prog, counts)
	err := v.B.Do(func() error {
		opts := link.TCOptions{Program: prog, Interface: v.IndexB, Direction: link.Egress, Priority: 7, Handle: 3, Name: "explicit"}
		f, err := link.AttachTC(opts)
		if err != nil {
			return err
		}
		defer f.Close()
		if f.Priority() != 7 || f.Handle() != 3 {
			t.Errorf("priority %d handle %d, want 7 and 3", f.Priority(), f.Handle())
		}
		if f2, err := link.AttachTC(opts); err == nil {
			f2.Close()
			t.Error("second filter with the same priority and handle attached")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTCErrors(t *testing.T) {
	if _, err := link.AttachTC(link.TCOptions{Interface: 1}); err == nil {
		t.Error("AttachTC without program succeeded")
	}
	if _, err := link.AttachTC(link.TCOptions{Program: &bpf.Program{}, Interface: 1, Direction: 5}); err == nil {
		t.Error("AttachTC with a bad direction succeeded")
	}
	if _, err := link.AttachTCX(link.TCXOptions{Program: &bpf.Program{}}); err == nil {
		t.Error("AttachTCX without interface succeeded")
	}
	var f *link.TCFilter
	if err := f.Close(); err != nil {
		t.Errorf("Close of nil filter: %v", err)
	}
}

// TestTCXUpdatePin replaces the program of a TCX link and pins it.
func TestTCXUpdatePin(t *testing.T) {
	requireTCX(t)
	v := testutil.NewVeth(t)
	u := newNetUDP(t, v)
	prog1, counts1 := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActOK})
	prog2, counts2 := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActOK})
	closeAll(t, prog1, counts1, prog2, counts2)
	var l *link.TCXLink
	if err := v.B.Do(func() (err error) {
		l, err = link.AttachTCX(link.TCXOptions{Program: prog1, Interface: v.IndexB, Direction: link.Ingress})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pin := filepath.Join(testutil.TempBPFFSDir(t), "tcx")
	if err := l.Pin(pin); err != nil {
		t.Fatal(err)
	}
	if err := l.Update(prog2); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	old := count(t, counts1) // stray IPv6 packets of the new link may have run prog1
	u.roundTrip(t, 4)
	if c1, c2 := count(t, counts1), count(t, counts2); c1 != old || c2 < 4 {
		t.Errorf("old program ran %d more times, new one %d; want 0 and >= 4", c1-old, c2)
	}
	pinned, err := link.LoadPinnedLink(pin)
	if err != nil {
		t.Fatal(err)
	}
	if err := pinned.Unpin(); err != nil {
		t.Fatal(err)
	}
	if err := pinned.Close(); err != nil {
		t.Fatal(err)
	}
	c0 := count(t, counts2)
	u.roundTrip(t, 4)
	if c := count(t, counts2); c != c0 {
		t.Errorf("program ran %d times after Unpin and Close", c-c0)
	}
}
