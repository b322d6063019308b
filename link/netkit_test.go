//go:build linux

package link_test

import (
	"errors"
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// netkitPair is a netkit device pair (L3 mode): the primary "nk0" with
// 10.198.0.1/24 in A, the peer "nk1" with 10.198.0.2/24 in B.
type netkitPair struct {
	A, B         *testutil.NetNS
	Primary      int // ifindex of the primary in A
	AddrA, AddrB net.IP
}

// newNetkit creates the pair, or skips t when the kernel has no netkit
// devices (CONFIG_NETKIT, Linux 6.7): creating one answers EOPNOTSUPP.
func newNetkit(t *testing.T) *netkitPair {
	t.Helper()
	p := &netkitPair{A: testutil.NewNetNS(t), B: testutil.NewNetNS(t), AddrA: net.IPv4(10, 198, 0, 1), AddrB: net.IPv4(10, 198, 0, 2)}
	ha, hb := p.A.Handle(t), p.B.Handle(t)
	nk := &netlink.Netkit{
		LinkAttrs:  netlink.LinkAttrs{Name: "nk0"},
		Mode:       netlink.NETKIT_MODE_L3,
		Policy:     netlink.NETKIT_POLICY_FORWARD,
		PeerPolicy: netlink.NETKIT_POLICY_FORWARD,
	}
	nk.SetPeerAttrs(&netlink.LinkAttrs{Name: "nk1"})
	if err := ha.LinkAdd(nk); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			t.Skipf("kernel lacks netkit devices (CONFIG_NETKIT, Linux 6.7): creating one answers %v", err)
		}
		t.Fatalf("create netkit pair: %v", err)
	}
	primary, err := ha.LinkByName("nk0")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ha.LinkByName("nk1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ha.LinkSetNsFd(peer, p.B.FD()); err != nil {
		t.Fatalf("move peer: %v", err)
	}
	if peer, err = hb.LinkByName("nk1"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		h    *netlink.Handle
		l    netlink.Link
		addr net.IP
	}{{ha, primary, p.AddrA}, {hb, peer, p.AddrB}} {
		if err := x.h.AddrAdd(x.l, &netlink.Addr{IPNet: &net.IPNet{IP: x.addr, Mask: net.CIDRMask(24, 32)}}); err != nil {
			t.Fatalf("address: %v", err)
		}
		if err := x.h.LinkSetUp(x.l); err != nil {
			t.Fatalf("up: %v", err)
		}
	}
	p.Primary = primary.Attrs().Index
	return p
}

// udp opens a receiver in rxNS on rxAddr and a sender connected to it in txNS.
func (p *netkitPair) udp(t *testing.T, txNS, rxNS *testutil.NetNS, rxAddr net.IP) *netUDP {
	t.Helper()
	u := &netUDP{}
	if err := rxNS.Do(func() (err error) {
		u.rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: rxAddr})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.rx.Close() })
	if err := txNS.Do(func() (err error) {
		u.tx, err = net.DialUDP("udp4", nil, u.rx.LocalAddr().(*net.UDPAddr))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.tx.Close() })
	return u
}

// TestNetkit attaches counting programs to the primary and peer hooks of a
// netkit pair, sends UDP both ways, checks each hook saw its direction, then
// a dropping program before the primary's counter stops A's traffic.
func TestNetkit(t *testing.T) {
	nk := newNetkit(t)
	attach := func(prog *bpf.Program, a bpf.AttachType, anchor link.Anchor) *link.NetkitLink {
		t.Helper()
		var l *link.NetkitLink
		if err := nk.A.Do(func() (err error) {
			l, err = link.AttachNetkit(link.NetkitOptions{Program: prog, Interface: nk.Primary, Attach: a, Anchor: anchor})
			return err
		}); err != nil {
			t.Fatalf("attach %v: %v", a, err)
		}
		closeAll(t, l)
		return l
	}
	progP, countP := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActUnspec})
	progQ, countQ := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActUnspec})
	closeAll(t, progP, countP, progQ, countQ)
	lp := attach(progP, bpf.AttachNetkitPrimary, link.Anchor{})
	attach(progQ, bpf.AttachNetkitPeer, link.Anchor{})
	info, err := lp.Info()
	if err != nil {
		t.Fatal(err)
	}
	if n := info.Netkit(); info.Type != link.NetkitType || n == nil || n.Interface != nk.Primary || n.Attach != bpf.AttachNetkitPrimary {
		t.Errorf("info %+v, netkit %+v", info, n)
	}

	aToB := nk.udp(t, nk.A, nk.B, nk.AddrB)
	bToA := nk.udp(t, nk.B, nk.A, nk.AddrA)
	p0, q0 := count(t, countP), count(t, countQ)
	aToB.roundTrip(t, 4)
	if p, q := count(t, countP)-p0, count(t, countQ)-q0; p < 4 {
		t.Errorf("A to B: primary program ran %d times (peer %d), want >= 4", p, q)
	}
	p0, q0 = count(t, countP), count(t, countQ)
	bToA.roundTrip(t, 4)
	if p, q := count(t, countP)-p0, count(t, countQ)-q0; q < 4 {
		t.Errorf("B to A: peer program ran %d times (primary %d), want >= 4", q, p)
	}

	drop, dropped := newCounter(t, counterSpec{typ: bpf.SchedCLS, ret: asm.TCActShot})
	closeAll(t, drop, dropped)
	attach(drop, bpf.AttachNetkitPrimary, link.BeforeLink(lp.RawLink))
	var res *link.QueryResult
	if err := nk.A.Do(func() (err error) { res, err = link.QueryNetkit(nk.Primary, bpf.AttachNetkitPrimary); return err }); err != nil {
		t.Fatal(err)
	}
	dropID, _ := drop.ID()
	countID, _ := progP.ID()
	if len(res.Programs) != 2 || res.Programs[0].Program != dropID || res.Programs[1].Program != countID {
		t.Errorf("query primary: %+v, want [%d %d]", res.Programs, dropID, countID)
	}
	p0 = count(t, countP)
	if got := netExchange(t, aToB.tx, aToB.rx, 3, netSilence); got != 0 {
		t.Errorf("%d datagrams passed the dropping program", got)
	}
	if d, p := count(t, dropped), count(t, countP)-p0; d < 3 || p != 0 {
		t.Errorf("drop program ran %d times, the one after it %d; want >= 3 and 0", d, p)
	}
}

// TestNetkitVerdicts checks what the netkit programs rely on: the values of the kernel's enum
// netkit_action (read from its BTF where the kernel has netkit) equal the TC verdicts.
func TestNetkitVerdicts(t *testing.T) {
	newNetkit(t) // skips where the kernel has no netkit devices
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	_, enum, err := btf.Find[*btf.Enum](spec, "netkit_action")
	if err != nil {
		t.Fatalf("kernel with netkit devices but no enum netkit_action in its BTF: %v", err)
	}
	want := map[string]int32{"NETKIT_NEXT": asm.TCActUnspec, "NETKIT_PASS": asm.TCActOK, "NETKIT_DROP": asm.TCActShot, "NETKIT_REDIRECT": asm.TCActRedirect}
	for _, v := range enum.Values {
		if w, ok := want[v.Name]; ok {
			if int32(v.Value) != w {
				t.Errorf("%s = %d in the kernel's BTF, the TC verdict used for it is %d", v.Name, int32(v.Value), w)
			}
			delete(want, v.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("enum netkit_action lacks %v", want)
	}
}
