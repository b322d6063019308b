package lb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
	"github.com/vishvananda/netlink"
)

// trafficSetup joins a client namespace (A, 10.199.0.1) and a server namespace (B,
// 10.199.0.2) with a veth pair, gives B a backend address on lo, makes the VIP reachable from
// A (a permanent neighbour entry with B's MAC: nobody owns the VIP), and attaches the load
// balancer to B's veth end: XDP ingress in xdpMode, TC egress in tcMode.
type trafficSetup struct {
	v       *testutil.Veth
	l       *LB
	vip     netip.Addr
	backend netip.Addr
	tcMode  TCMode
}

func newTrafficSetup(t *testing.T, xdpMode link.XDPMode, tcMode TCMode) *trafficSetup {
	t.Helper()
	l := newTestLB(t, nil)
	v := testutil.NewVeth(t)
	s := &trafficSetup{v: v, l: l, vip: netip.MustParseAddr("10.199.0.100"), backend: netip.MustParseAddr("10.200.0.10")}
	ha, hb := v.A.Handle(t), v.B.Handle(t)
	lo, err := hb.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := hb.AddrAdd(lo, &netlink.Addr{IPNet: &net.IPNet{IP: s.backend.AsSlice(), Mask: net.CIDRMask(32, 32)}}); err != nil {
		t.Fatalf("backend address: %v", err)
	}
	peer, err := hb.LinkByName(v.NameB)
	if err != nil {
		t.Fatal(err)
	}
	if err := ha.NeighAdd(&netlink.Neigh{LinkIndex: v.IndexA, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT,
		IP: s.vip.AsSlice(), HardwareAddr: peer.Attrs().HardwareAddr}); err != nil {
		t.Fatalf("VIP neighbour entry: %v", err)
	}
	err = v.B.Do(func() error {
		if err := l.AttachXDP(v.IndexB, xdpMode); err != nil {
			return err
		}
		s.tcMode, err = l.AttachTC(v.IndexB, tcMode)
		return err
	})
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Detach(v.IndexB); err != nil {
			t.Errorf("detach: %v", err)
		}
	})
	return s
}

// tcModes are the TC attachments this kernel offers: TCX where a probe finds it, clsact always.
func tcModes(t *testing.T) []TCMode {
	modes := []TCMode{TCClsact}
	if err := link.HaveTCX(); err == nil {
		modes = append(modes, TCLink)
	} else if !errors.Is(err, bpf.ErrNotSupported) {
		t.Fatalf("TCX probe: %v", err)
	} else {
		t.Logf("TCX not supported by this kernel (%v): clsact only", err)
	}
	return modes
}

// TestTrafficUDP: a UDP client in A sends to VIP:7000 (a service bound to that VIP; the TCP test
// uses an any-address service); the XDP program on B's interface DNATs
// it to the backend 10.200.0.10:9000, where a Go server sees the client's real address; the
// server's reply leaves through the TC SNAT and the client sees it come from VIP:7000.
func TestTrafficUDP(t *testing.T) {
	for _, xdpMode := range []link.XDPMode{link.XDPGeneric, link.XDPDriver} {
		for _, tcMode := range tcModes(t) {
			t.Run(fmt.Sprintf("%v/%v", xdpMode, tcMode), func(t *testing.T) {
				testTrafficUDP(t, xdpMode, tcMode)
			})
		}
	}
}

func testTrafficUDP(t *testing.T, xdpMode link.XDPMode, tcMode TCMode) {
	s := newTrafficSetup(t, xdpMode, tcMode)
	svc := Service{Interface: s.v.IndexB, Addr: s.vip, Port: 7000, Proto: UDP} // bound to the VIP
	backend := netip.AddrPortFrom(s.backend, 9000)
	mustAddService(t, s.l, svc, backend)

	var srv, cli *net.UDPConn
	if err := s.v.B.Do(func() (err error) {
		srv, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(backend))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := s.v.A.Do(func() (err error) {
		cli, err = net.ListenUDP("udp4", &net.UDPAddr{IP: s.v.AddrA})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	clientAddr := cli.LocalAddr().(*net.UDPAddr).AddrPort()

	// Echo server: reports whom it saw, answers "echo:" + data.
	seen := make(chan netip.AddrPort, 16)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			seen <- from
			srv.WriteToUDPAddrPort(append([]byte("echo:"), buf[:n]...), from)
		}
	}()

	vipAddr := netip.AddrPortFrom(s.vip, 7000)
	buf := make([]byte, 1500)
	var from netip.AddrPort
	var n int
	deadline := time.Now().Add(testutil.LatencyBound(5 * time.Second))
	for try := 0; ; try++ {
		if _, err := cli.WriteToUDPAddrPort([]byte(fmt.Sprintf("hello %d", try)), vipAddr); err != nil {
			t.Fatal(err)
		}
		cli.SetReadDeadline(time.Now().Add(testutil.LatencyBound(300 * time.Millisecond)))
		var err error
		n, from, err = cli.ReadFromUDPAddrPort(buf)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reply from %v after %d tries: %v", vipAddr, try+1, err)
		}
	}
	if from != vipAddr {
		t.Errorf("reply came from %v, want the VIP %v", from, vipAddr)
	}
	if got := string(buf[:n]); len(got) < 11 || got[:11] != "echo:hello " {
		t.Errorf("reply %q", got)
	}
	select {
	case got := <-seen:
		if got != clientAddr {
			t.Errorf("backend saw the client as %v, want %v", got, clientAddr)
		}
	default:
		t.Error("backend saw nothing")
	}

	// The conntrack entry and the counters.
	found := false
	it := s.l.Conns()
	for f, c := range it.All() {
		if f.Proto == UDP && f.Client == clientAddr && f.Backend == backend && c.VIP == vipAddr {
			found = true
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("no conntrack entry for the flow")
	}
	st, err := s.l.Stats(svc)
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets == 0 || st.Replies == 0 || st.ReplyBytes == 0 {
		t.Errorf("stats %+v: want packets and replies", st)
	}
}

// TestTrafficTCP: a TCP connection to VIP:80 from A reaches the backend 10.200.0.10:9001 (the
// server sees the client's address), the client's connection talks to VIP:80 all along (the
// SYN-ACK and data come back SNATed), and data flows both ways.
func TestTrafficTCP(t *testing.T) {
	for _, xdpMode := range []link.XDPMode{link.XDPGeneric, link.XDPDriver} {
		for _, tcMode := range tcModes(t) {
			t.Run(fmt.Sprintf("%v/%v", xdpMode, tcMode), func(t *testing.T) {
				testTrafficTCP(t, xdpMode, tcMode)
			})
		}
	}
}

// bulk is the payload of the TCP test: large enough for segmentation offload (GSO on the
// way out, GRO-merged or not on the way in) to be involved.
var bulk = func() []byte {
	b := make([]byte, 256<<10)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func testTrafficTCP(t *testing.T, xdpMode link.XDPMode, tcMode TCMode) {
	s := newTrafficSetup(t, xdpMode, tcMode)
	svc := Service{Interface: s.v.IndexB, Port: 80, Proto: TCP}
	backend := netip.AddrPortFrom(s.backend, 9001)
	mustAddService(t, s.l, svc, backend)

	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	var ln net.Listener
	if err := s.v.B.Do(func() (err error) {
		ln, err = lc.Listen(context.Background(), "tcp4", backend.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		remote netip.AddrPort
		err    error
	}
	acc := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			acc <- accepted{err: err}
			return
		}
		defer c.Close()
		acc <- accepted{remote: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
		c.SetDeadline(time.Now().Add(testutil.LatencyBound(10 * time.Second)))
		buf := make([]byte, len(bulk))
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write(buf) // the bulk back: large segments through the TC SNAT
		}
	}()

	vipAddr := netip.AddrPortFrom(s.vip, 80)
	var conn net.Conn
	if err := s.v.A.Do(func() (err error) {
		d := net.Dialer{Timeout: testutil.LatencyBound(5 * time.Second)}
		d.SetMultipathTCP(false)
		conn, err = d.Dial("tcp4", vipAddr.String())
		return err
	}); err != nil {
		t.Fatalf("dial %v: %v", vipAddr, err)
	}
	defer conn.Close()
	if got := conn.RemoteAddr().(*net.TCPAddr).AddrPort(); got != vipAddr {
		t.Errorf("client connected to %v, want %v", got, vipAddr)
	}
	conn.SetDeadline(time.Now().Add(testutil.LatencyBound(10 * time.Second)))
	go conn.Write(bulk)
	reply, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read reply after %d bytes: %v", len(reply), err)
	}
	if !bytes.Equal(reply, bulk) {
		t.Errorf("reply: %d bytes, want the %d sent back", len(reply), len(bulk))
	}
	a := <-acc
	if a.err != nil {
		t.Fatal(a.err)
	}
	clientAddr := conn.LocalAddr().(*net.TCPAddr).AddrPort()
	if a.remote != clientAddr {
		t.Errorf("backend saw the client as %v, want %v", a.remote, clientAddr)
	}
	st, err := s.l.Stats(svc)
	if err != nil {
		t.Fatal(err)
	}
	// SYN, ACK, data, FIN...: at least 3 in, SYN-ACK, data, FIN: at least 2 back (generic
	// XDP may see GRO-merged segments, so no exact counts).
	if st.Packets < 3 || st.Replies < 2 || st.ByFlow == 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestAttachInterfaces: Attach puts the ingress program on several interfaces at once (the
// kernel reports its id on each), refuses a second attachment, Detach removes one interface's
// programs and Close the rest.
func TestAttachInterfaces(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_NET_ADMIN")
	l, err := New(nil)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer l.Close()
	v := testutil.NewVeth(t)
	hb := v.B.Handle(t)
	id, err := l.Ingress().ID()
	if err != nil {
		t.Fatal(err)
	}
	xdpID := func(ifindex int) uint32 {
		t.Helper()
		lk, err := hb.LinkByIndex(ifindex)
		if err != nil {
			t.Fatal(err)
		}
		if x := lk.Attrs().Xdp; x != nil && x.Attached {
			return x.ProgId
		}
		return 0
	}
	const lo = 1
	if err := v.B.Do(func() error { return l.Attach(link.XDPGeneric, v.IndexB, lo) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{v.IndexB, lo} {
		if got := xdpID(i); got != uint32(id) {
			t.Errorf("interface %d: XDP program id %d, want %d", i, got, id)
		}
	}
	if err := v.B.Do(func() error { return l.AttachXDP(lo, link.XDPGeneric) }); err == nil {
		t.Error("second XDP attachment to lo: no error")
	}
	if err := l.Detach(v.IndexB); err != nil {
		t.Fatal(err)
	}
	if got := xdpID(v.IndexB); got != 0 {
		t.Errorf("after Detach: program %d still attached", got)
	}
	if got := xdpID(lo); got != uint32(id) {
		t.Errorf("Detach of one interface removed lo's program (%d)", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := xdpID(lo); got != 0 {
		t.Errorf("after Close: program %d still on lo", got)
	}
}
