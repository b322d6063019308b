package lb

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func loadXDP(t *testing.T, name string, insns asm.Instructions) *bpf.Program {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_BPF")
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestSmallPrograms: the pass program passes everything; the IPv4 filter passes IPv4 and
// drops IPv6, ARP and VLAN-tagged frames.
func TestSmallPrograms(t *testing.T) {
	pass := loadXDP(t, "lb_pass", XDPPass())
	filter := loadXDP(t, "lb_ipv4_only", IPv4Filter())
	for _, tc := range []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"ipv4 tcp", packet.Spec{}.MustBuild(), asm.XDPPass},
		{"ipv4 udp", packet.Spec{Protocol: packet.IPProtoUDP}.MustBuild(), asm.XDPPass},
		{"ipv6", packet.Spec{IPv6: true}.MustBuild(), asm.XDPDrop},
		{"arp", append(packet.MustBuild(&packet.Ethernet{EtherType: 0x0806}), make([]byte, 28)...), asm.XDPDrop},
		{"vlan ipv4", packet.Spec{VLANs: []uint16{5}}.MustBuild(), asm.XDPDrop},
	} {
		if ret, _ := runProg(t, pass, tc.frame); ret != asm.XDPPass {
			t.Errorf("pass program, %s: %d", tc.name, ret)
		}
		if ret, _ := runProg(t, filter, tc.frame); ret != tc.want {
			t.Errorf("IPv4 filter, %s: %d, want %d", tc.name, ret, tc.want)
		}
	}
}

// TestVerify: the dry run accepts the programs of every Spec shape; a map the kernel refuses
// comes back as an error naming it.
func TestVerify(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	for _, s := range []*Spec{nil, {SNIPort: 8443, MaxServices: 1, MaxRoutes: 1, MaxConns: 2}} {
		if err := Verify(s); err != nil {
			t.Errorf("Verify(%v): %+v", s, err)
		}
	}
	err := Verify(&Spec{MaxConns: 1 << 31})
	if err == nil || !strings.Contains(err.Error(), MapConntrack) {
		t.Errorf("Verify with a 2^31-entry conntrack map: %v, want an error naming %s", err, MapConntrack)
	}
}

// TestBadInput: every bad argument gives an error that says what is wrong, no panic, and
// changes nothing.
func TestBadInput(t *testing.T) {
	l := newTestLB(t, &Spec{MaxServices: 2})
	svc := Service{Port: 443, Proto: TCP}
	mustAddService(t, l, svc, backend0)
	unknown := Service{Port: 444, Proto: TCP}
	long := strings.Repeat("a", MaxHostnameLen+1)
	for _, tc := range []struct {
		name string
		err  error
		is   error
		text string
	}{
		{"proto", l.AddService(Service{Port: 1, Proto: 1}, backend0), ErrBadAddress, "protocol 1"},
		{"port 0", l.AddService(Service{Proto: TCP}, backend0), ErrBadAddress, "port 0"},
		{"negative ifindex", l.AddService(Service{Interface: -1, Port: 1, Proto: TCP}, backend0), ErrBadAddress, "interface index"},
		{"ipv6 backend", l.AddService(svc, netip.MustParseAddrPort("[2001:db8::1]:80")), ErrBadAddress, "IPv4"},
		{"backend port 0", l.AddService(svc, netip.MustParseAddrPort("10.0.0.1:0")), ErrBadAddress, "port 0"},
		{"zero backend", l.AddService(svc, netip.AddrPort{}), ErrBadAddress, "IPv4"},
		{"unknown service route", l.AddSourceRoute(unknown, netip.MustParsePrefix("10.0.0.0/8"), backend1), ErrUnknownService, "444"},
		{"ipv6 prefix", l.AddSourceRoute(svc, netip.MustParsePrefix("2001:db8::/32"), backend1), ErrBadAddress, "2001:db8::/32"},
		{"invalid prefix", l.AddSourceRoute(svc, netip.Prefix{}, backend1), ErrBadAddress, "IPv4 prefix"},
		{"hostname too long", l.AddSNIRoute(svc, long, backend1), ErrBadHostname, "longer than 128"},
		{"empty hostname", l.AddSNIRoute(svc, "", backend1), ErrBadHostname, "empty"},
		{"hostname character", l.AddSNIRoute(svc, "a b.example", backend1), ErrBadHostname, "' '"},
		{"sni on udp", l.AddSNIRoute(Service{Port: 443, Proto: UDP}, "a.example", backend1), ErrBadAddress, "TCP service on port 443"},
		{"sni unknown service", l.AddSNIRoute(Service{Port: 443, Proto: TCP, Interface: 9}, "a.example", backend1), ErrUnknownService, "if9"},
		{"remove unknown", l.RemoveService(unknown), ErrUnknownService, "444"},
		{"remove missing sni", l.RemoveSNIRoute(svc, "nope.example"), bpf.ErrKeyNotExist, "nope.example"},
		{"stats unknown", func() error { _, err := l.Stats(unknown); return err }(), ErrUnknownService, ""},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.is)
		}
		if !strings.Contains(tc.err.Error(), tc.text) {
			t.Errorf("%s: %q does not mention %q", tc.name, tc.err, tc.text)
		}
	}
	// The service table is full at MaxServices; removing frees the id.
	mustAddService(t, l, Service{Port: 1, Proto: UDP}, backend0)
	if err := l.AddService(Service{Port: 2, Proto: UDP}, backend0); !errors.Is(err, ErrTooManyServices) {
		t.Errorf("third service of 2: %v", err)
	}
	if err := l.RemoveService(Service{Port: 1, Proto: UDP}); err != nil {
		t.Fatal(err)
	}
	mustAddService(t, l, Service{Port: 2, Proto: UDP}, backend0)
	if got := l.Services(); len(got) != 2 || got[svc] != backend0 {
		t.Errorf("services %v", got)
	}
	if err := l.Detach(12345); err == nil {
		t.Error("Detach of an interface with nothing attached: no error")
	}
	if _, err := l.AttachTC(1, TCMode(7)); err == nil || !strings.Contains(err.Error(), "unknown mode") {
		t.Errorf("AttachTC with mode 7: %v", err)
	}

	// Closed.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.AddService(svc, backend0); !errors.Is(err, ErrClosed) {
		t.Errorf("AddService after Close: %v", err)
	}
	var nilLB *LB
	if err := nilLB.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
}

// TestRemoveService: removing a service removes its routes; its flows' reply entries stay,
// so replies are still rewritten until the LRU evicts them.
func TestRemoveService(t *testing.T) {
	l := newTestLB(t, nil)
	svc := Service{Port: 443, Proto: TCP}
	mustAddService(t, l, svc, backend0)
	if err := l.AddSourceRoute(svc, netip.MustParsePrefix("192.0.2.0/24"), backend1); err != nil {
		t.Fatal(err)
	}
	if err := l.AddSNIRoute(svc, "a.example", backend2); err != nil {
		t.Fatal(err)
	}
	req := fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 443)}
	runProg(t, l.Ingress(), req.build(t))
	if err := l.RemoveService(svc); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{MapListen, MapSource, MapSNI} {
		if n, err := l.Map(m).Count(); err != nil || n != 0 {
			t.Errorf("map %s: %d entries (%v) after RemoveService", m, n, err)
		}
	}
	frame := req.build(t)
	if _, out := runProg(t, l.Ingress(), frame); string(out) != string(frame) {
		t.Error("frame to a removed service rewritten")
	}
	reply := req.with(backend1, client)
	_, out := runProg(t, l.Egress(), reply.build(t))
	checkFrame(t, "reply after removal", out, reply.with(req.dst, client))
}
