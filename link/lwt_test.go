//go:build linux

package link_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

func ipAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}

// attachLWTIn adds the LWT route of opts in ns, skipping t when the kernel
// lacks BPF lightweight tunnels.
func attachLWTIn(t *testing.T, ns *testutil.NetNS, opts link.LWTOptions) *link.LWTRoute {
	t.Helper()
	var r *link.LWTRoute
	err := ns.Do(func() (err error) {
		r, err = link.AttachLWT(opts)
		return err
	})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("attach LWT: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// lwtEncap returns the BPF encap of the route to dst in h's namespace, or
// nil if there is no such route.
func lwtEncap(t *testing.T, h *netlink.Handle, dst netip.Prefix) *netlink.BpfEncap {
	t.Helper()
	routes, err := h.RouteListFiltered(unix.AF_INET, &netlink.Route{
		Dst: &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), 32)},
	}, netlink.RT_FILTER_DST)
	if err != nil {
		t.Fatalf("list routes: %v", err)
	}
	for _, rt := range routes {
		if e, ok := rt.Encap.(*netlink.BpfEncap); ok {
			return e
		}
		t.Fatalf("route to %v has encap %v, want BPF", dst, rt.Encap)
	}
	return nil
}

// sendLoose sends n datagrams and returns the errors the sends answered
// (a dropped packet may be reported to the sender).
func sendLoose(tx net.Conn, n int) []error {
	var errs []error
	for i := range n {
		if _, err := fmt.Fprintf(tx, "lwt-%d", i); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// drain reads rx until it stays silent for netSilence and returns how many
// datagrams arrived.
func drain(t *testing.T, rx *net.UDPConn) int {
	t.Helper()
	buf := make([]byte, 256)
	got := 0
	for {
		rx.SetReadDeadline(time.Now().Add(netSilence))
		if _, err := rx.Read(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("receive: %v", err)
			}
			return got
		}
		got++
	}
}

// TestLWTOutXmit puts a counting out or xmit program on a host route to the
// far end of a veth pair: with BPF_OK every datagram arrives and is counted
// once; with BPF_DROP none arrives though every one is counted. After Close
// the route is gone and traffic flows uncounted over the connected route.
func TestLWTOutXmit(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  bpf.ProgramType
		ret  int32
	}{
		{"out/ok", bpf.LWTOut, asm.BPFOk},
		{"out/drop", bpf.LWTOut, asm.BPFDrop},
		{"xmit/ok", bpf.LWTXmit, asm.BPFOk},
		{"xmit/drop", bpf.LWTXmit, asm.BPFDrop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := testutil.NewVeth(t)
			prog, counts := newCounter(t, counterSpec{typ: tc.typ, ret: tc.ret})
			closeAll(t, prog, counts)
			u := newNetUDP(t, v)
			dst := netip.PrefixFrom(ipAddr(v.AddrB), 32)
			opts := link.LWTOptions{Destination: dst, Interface: v.IndexA}
			if tc.typ == bpf.LWTOut {
				opts.Out = prog
			} else {
				opts.Xmit = prog
			}
			r := attachLWTIn(t, v.A, opts)
			ha := v.A.Handle(t)
			if lwtEncap(t, ha, dst) == nil {
				t.Fatalf("no route to %v after AttachLWT", dst)
			}

			const n = 10
			if tc.ret == asm.BPFOk {
				u.roundTrip(t, n)
			} else {
				errs := sendLoose(u.tx, n)
				if got := drain(t, u.rx); got != 0 {
					t.Errorf("BPF_DROP: %d of %d datagrams arrived", got, n)
				}
				// The kernel reports BPF_DROP of a locally sent packet to
				// the sender as EPERM.
				if len(errs) != n {
					t.Errorf("%d of %d sends through a dropping route failed, want all", len(errs), n)
				}
				for _, err := range errs {
					if !errors.Is(err, unix.EPERM) {
						t.Errorf("send through a dropping route: %v, want EPERM", err)
					}
				}
			}
			if c := count(t, counts); c != n {
				t.Errorf("%v program ran %d times for %d datagrams", tc.typ, c, n)
			}

			if _, err := r.Info(); !errors.Is(err, link.ErrNotSupported) {
				t.Errorf("Info: %v, want ErrNotSupported", err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if lwtEncap(t, ha, dst) != nil {
				t.Fatalf("route to %v still there after Close", dst)
			}
			u.roundTrip(t, n)
			if c := count(t, counts); c != n {
				t.Errorf("program ran %d times after Close", c-n)
			}
		})
	}
}

// TestLWTIn routes A → B → C over two veth pairs; B forwards to C through a
// route whose in program counts: with BPF_OK the datagrams reach C, with
// BPF_DROP they do not, and in both cases the program ran once for each.
func TestLWTIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		ret  int32
	}{{"ok", asm.BPFOk}, {"drop", asm.BPFDrop}} {
		t.Run(tc.name, func(t *testing.T) {
			v := testutil.NewVeth(t)
			c := testutil.NewNetNS(t)
			hb, hc, ha := v.B.Handle(t), c.Handle(t), v.A.Handle(t)
			bIP, cIP := net.IPv4(10, 198, 0, 1).To4(), net.IPv4(10, 198, 0, 2).To4()
			if err := hb.LinkAdd(&netlink.Veth{
				LinkAttrs:     netlink.LinkAttrs{Name: "vethc0"},
				PeerName:      "vethc1",
				PeerNamespace: netlink.NsFd(c.FD()),
			}); err != nil {
				t.Fatalf("veth B-C: %v", err)
			}
			bIndex := lwtLinkUp(t, hb, "vethc0", bIP)
			lwtLinkUp(t, hc, "vethc1", cIP)
			// A reaches 10.198.0.0/24 through B, C answers 10.199.0.0/24 through B.
			if err := ha.RouteAdd(&netlink.Route{Dst: &net.IPNet{IP: net.IPv4(10, 198, 0, 0).To4(), Mask: net.CIDRMask(24, 32)}, Gw: v.AddrB}); err != nil {
				t.Fatalf("route in A: %v", err)
			}
			if err := hc.RouteAdd(&netlink.Route{Dst: &net.IPNet{IP: net.IPv4(10, 199, 0, 0).To4(), Mask: net.CIDRMask(24, 32)}, Gw: bIP}); err != nil {
				t.Fatalf("route in C: %v", err)
			}
			if err := v.B.Do(func() error {
				return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0)
			}); err != nil {
				t.Fatalf("enable forwarding in B: %v", err)
			}

			prog, counts := newCounter(t, counterSpec{typ: bpf.LWTIn, ret: tc.ret})
			closeAll(t, prog, counts)
			dst := netip.PrefixFrom(ipAddr(cIP), 32)
			r := attachLWTIn(t, v.B, link.LWTOptions{Destination: dst, Interface: bIndex, In: prog})

			var rx, tx *net.UDPConn
			if err := c.Do(func() (err error) {
				rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: cIP})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			if err := v.A.Do(func() (err error) {
				tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer tx.Close()

			const n = 10
			if tc.ret == asm.BPFOk {
				if got := netExchange(t, tx, rx, n, netRecvTimeout); got != n {
					t.Errorf("BPF_OK: %d of %d datagrams reached C", got, n)
				}
			} else {
				if errs := sendLoose(tx, n); len(errs) > 0 {
					t.Fatalf("send: %v", errs)
				}
				if got := drain(t, rx); got != 0 {
					t.Errorf("BPF_DROP: %d of %d datagrams reached C", got, n)
				}
			}
			if got := count(t, counts); got != n {
				t.Errorf("in program ran %d times for %d forwarded datagrams", got, n)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := netExchange(t, tx, rx, n, netRecvTimeout); got != n {
				t.Errorf("after Close: %d of %d datagrams reached C", got, n)
			}
			if got := count(t, counts); got != n {
				t.Errorf("in program ran %d times after Close", got-n)
			}
		})
	}
}

// lwtLinkUp gives the interface name an address in a /24 and brings it up.
func lwtLinkUp(t *testing.T, h *netlink.Handle, name string, ip net.IP) int {
	t.Helper()
	l, err := h.LinkByName(name)
	if err == nil {
		err = h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}})
	}
	if err == nil {
		err = h.LinkSetUp(l)
	}
	if err != nil {
		t.Fatalf("set up %s: %v", name, err)
	}
	return l.Attrs().Index
}

// TestLWTReplace replaces a plain route with an LWT one (Replace) and checks
// the bad-input errors.
func TestLWTReplace(t *testing.T) {
	v := testutil.NewVeth(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.LWTXmit, ret: asm.BPFOk})
	closeAll(t, prog, counts)
	dst := netip.PrefixFrom(ipAddr(v.AddrB), 32)
	ha := v.A.Handle(t)
	if err := ha.RouteAdd(&netlink.Route{Dst: &net.IPNet{IP: v.AddrB, Mask: net.CIDRMask(32, 32)}, LinkIndex: v.IndexA}); err != nil {
		t.Fatal(err)
	}
	err := v.A.Do(func() error {
		_, err := link.AttachLWT(link.LWTOptions{Destination: dst, Interface: v.IndexA, Xmit: prog})
		return err
	})
	testutil.SkipIfNotSupported(t, err)
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("add over an existing route: %v, want EEXIST", err)
	}
	r := attachLWTIn(t, v.A, link.LWTOptions{Destination: dst, Interface: v.IndexA, Xmit: prog, XmitHeadroom: 64, Replace: true})
	if lwtEncap(t, ha, dst) == nil {
		t.Fatal("route was not replaced by the LWT route")
	}
	u := newNetUDP(t, v)
	const n = 5
	u.roundTrip(t, n)
	if c := count(t, counts); c != n {
		t.Errorf("xmit program ran %d times for %d datagrams", c, n)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	out, outCounts := newCounter(t, counterSpec{typ: bpf.LWTOut, ret: asm.BPFOk})
	closeAll(t, out, outCounts)
	for _, tc := range []struct {
		name string
		opts link.LWTOptions
	}{
		{"no destination", link.LWTOptions{Interface: v.IndexA, Xmit: prog}},
		{"no interface", link.LWTOptions{Destination: dst, Xmit: prog}},
		{"no program", link.LWTOptions{Destination: dst, Interface: v.IndexA}},
		{"wrong hook", link.LWTOptions{Destination: dst, Interface: v.IndexA, Xmit: out}},
		{"headroom without xmit", link.LWTOptions{Destination: dst, Interface: v.IndexA, Out: out, XmitHeadroom: 16}},
		{"mixed families", link.LWTOptions{Destination: dst, Interface: v.IndexA, Out: out, Gateway: netip.MustParseAddr("fe80::1")}},
		{"mapped destination", link.LWTOptions{Destination: netip.MustParsePrefix("::ffff:10.0.0.0/104"), Interface: v.IndexA, Out: out}},
	} {
		if r, err := link.AttachLWT(tc.opts); err == nil {
			r.Close()
			t.Errorf("%s: AttachLWT succeeded", tc.name)
		}
	}
}

// ExampleAttachLWT counts, with an LWTXmit program, the packets this host
// sends to 192.0.2.0/24 through interface 2, as `ip route add 192.0.2.0/24
// encap bpf xmit ... dev eth0` would.
func ExampleAttachLWT() {
	var prog *bpf.Program // Type: bpf.LWTXmit, returns asm.BPFOk
	r, err := link.AttachLWT(link.LWTOptions{
		Destination: netip.MustParsePrefix("192.0.2.0/24"),
		Interface:   2,
		Xmit:        prog,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close() // deletes the route
}
