package lb

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
)

// runOnIf runs the ingress program with an xdp_md context whose ingress_ifindex is ifindex
// (the kernel resolves it to a device of the test's network namespace).
func runOnIf(t *testing.T, p *bpf.Program, frame []byte, ifindex uint32) []byte {
	t.Helper()
	ctx := make([]byte, asm.XDPMdSize)
	binary.NativeEndian.PutUint32(ctx[asm.XDPMdDataEnd:], uint32(len(frame)))
	binary.NativeEndian.PutUint32(ctx[asm.XDPMdIngressIfindex:], ifindex)
	res, err := p.Run(&bpf.RunOptions{Data: frame, Context: ctx})
	if err != nil {
		t.Fatalf("test run on ifindex %d: %v", ifindex, err)
	}
	if res.ReturnValue != asm.XDPPass {
		t.Fatalf("verdict %d", res.ReturnValue)
	}
	return res.Data
}

// TestServiceInterface: a service bound to the frame's ingress interface beats the
// any-interface service on the same port, a service bound to another interface does not
// apply, and without the bound service the any-interface one does. (A test run without a
// context reports the loopback device, ifindex 1, as the ingress interface.)
func TestServiceInterface(t *testing.T) {
	l := newTestLB(t, nil)
	bound := Service{Interface: 1, Port: 80, Proto: TCP} // lo
	mustAddService(t, l, Service{Port: 80, Proto: TCP}, backend0)
	mustAddService(t, l, bound, backend1)
	mustAddService(t, l, Service{Interface: 4242, Port: 81, Proto: TCP}, backend2)
	check := func(what string, port uint16, want netip.AddrPort) {
		t.Helper()
		in := fr{proto: TCP, src: netip.AddrPortFrom(client.Addr(), 1000+port), dst: netip.AddrPortFrom(vip, port)}
		for _, ctx := range []bool{false, true} {
			var out []byte
			if ctx {
				out = runOnIf(t, l.Ingress(), in.build(t), 1)
			} else {
				_, out = runProg(t, l.Ingress(), in.build(t))
			}
			if got := dstOf(t, out); got != want {
				t.Errorf("%s (context %v): DNAT to %v, want %v", what, ctx, got, want)
			}
		}
	}
	check("bound to lo", 80, backend1)
	check("bound to another interface", 81, netip.AddrPortFrom(vip, 81))
	if err := l.RemoveService(bound); err != nil {
		t.Fatal(err)
	}
	check("any interface", 80, backend1) // the flow keeps its backend
	l.ct.Delete(connKey{Proto: uint8(TCP), Dir: dirForward, Src: client.Addr().As4(), Dst: vip.As4(), SrcPort: be16(1080), DstPort: be16(80)})
	check("any interface, new flow", 80, backend0)
}

// TestServiceVIP: services bound to a VIP match only frames to that address, and the most
// specific service wins: (interface, VIP), then (any interface, VIP), then (interface, any
// address), then (any, any). Each step removes the winner and uses a new flow, so the conntrack
// entry of the previous one does not decide.
func TestServiceVIP(t *testing.T) {
	l := newTestLB(t, nil)
	other := netip.MustParseAddr("10.0.0.200")
	services := []struct {
		svc     Service
		backend netip.AddrPort
	}{
		{Service{Interface: 1, Addr: vip, Port: 80, Proto: TCP}, backend0},
		{Service{Addr: vip, Port: 80, Proto: TCP}, backend1},
		{Service{Interface: 1, Port: 80, Proto: TCP}, backend2},
		{Service{Port: 80, Proto: TCP}, backend3},
	}
	for _, s := range services {
		mustAddService(t, l, s.svc, s.backend)
	}
	srcPort := uint16(2000)
	check := func(what string, dst netip.Addr, want netip.AddrPort) {
		t.Helper()
		srcPort++
		in := fr{proto: TCP, src: netip.AddrPortFrom(client.Addr(), srcPort), dst: netip.AddrPortFrom(dst, 80)}
		if got := dstOf(t, runOnIf(t, l.Ingress(), in.build(t), 1)); got != want {
			t.Errorf("%s: frame to %v DNAT to %v, want %v", what, dst, got, want)
		}
	}
	check("another address: an any-address service", other, backend2)
	for _, s := range services {
		check(s.svc.String(), vip, s.backend)
		if err := l.RemoveService(s.svc); err != nil {
			t.Fatal(err)
		}
	}
	check("no service left", vip, netip.AddrPortFrom(vip, 80))

	for _, bad := range []netip.Addr{netip.MustParseAddr("::1"), netip.IPv4Unspecified(), netip.MustParseAddr("::ffff:10.0.0.1")} {
		if err := l.AddService(Service{Addr: bad, Port: 80, Proto: TCP}, backend0); !errors.Is(err, ErrBadAddress) {
			t.Errorf("VIP %v: %v, want ErrBadAddress", bad, err)
		}
	}
	if s := (Service{Interface: 3, Addr: vip, Port: 80, Proto: TCP}).String(); s != "if3:"+vip.String()+":80/tcp" {
		t.Errorf("String() = %q", s)
	}
}
