package lb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/packet"
)

// TestDNATByListen: a frame to a service port is rewritten to the service's default backend,
// with checksums that match a frame built from scratch (TCP, UDP with and without checksum,
// IPv4 options), and the conntrack entries and stats say so.
func TestDNATByListen(t *testing.T) {
	l := newTestLB(t, nil)
	tcpSvc := Service{Port: 80, Proto: TCP}
	udpSvc := Service{Port: 53, Proto: UDP}
	mustAddService(t, l, tcpSvc, backend0)
	mustAddService(t, l, udpSvc, backend1)

	opts := []byte{0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00} // router alert + NOPs: IHL 7
	for _, tc := range []struct {
		name string
		in   fr
		to   netip.AddrPort
	}{
		{"tcp syn", fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 80)}, backend0},
		{"tcp data", fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 80), payload: []byte("GET / HTTP/1.1\r\n\r\n"), tcpFlags: packet.TCPPsh | packet.TCPAck}, backend0},
		{"tcp ip options", fr{proto: TCP, src: netip.MustParseAddrPort("192.0.2.9:1234"), dst: netip.AddrPortFrom(vip, 80), ipOptions: opts, payload: []byte("x")}, backend0},
		{"udp", fr{proto: UDP, src: client, dst: netip.AddrPortFrom(vip, 53), payload: []byte("query")}, backend1},
		{"udp odd length", fr{proto: UDP, src: netip.MustParseAddrPort("192.0.2.77:65535"), dst: netip.AddrPortFrom(vip, 53), payload: []byte("abc")}, backend1},
		{"udp no checksum", fr{proto: UDP, src: netip.MustParseAddrPort("192.0.2.2:5353"), dst: netip.AddrPortFrom(vip, 53), payload: []byte("query"), noUDPCsum: true}, backend1},
		{"udp ip options", fr{proto: UDP, src: netip.MustParseAddrPort("192.0.2.3:5353"), dst: netip.AddrPortFrom(vip, 53), payload: []byte("q"), ipOptions: opts}, backend1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ret, out := runProg(t, l.Ingress(), tc.in.build(t))
			if ret != asm.XDPPass {
				t.Fatalf("verdict %d, want XDP_PASS", ret)
			}
			checkFrame(t, tc.name, out, tc.in.with(tc.in.src, tc.to))
			if tc.in.noUDPCsum {
				if c := binary.BigEndian.Uint16(out[14+20+6:]); c != 0 {
					t.Errorf("UDP checksum 0 became %#04x", c)
				}
			}
			// Conntrack: the reply entry restores the VIP, the forward entry names the backend.
			found := false
			it := l.Conns()
			for f, c := range it.All() {
				if f.Client == tc.in.src && f.Backend == tc.to && f.Proto == tc.in.proto {
					found = true
					if c.VIP != tc.in.dst {
						t.Errorf("conntrack VIP %v, want %v", c.VIP, tc.in.dst)
					}
					if c.LastSeen == 0 {
						t.Errorf("conntrack last seen not set")
					}
				}
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if !found {
				t.Errorf("no conntrack entry for %v -> %v", tc.to, tc.in.src)
			}
			b, err := l.Backend(tc.in.proto, tc.in.src, tc.in.dst)
			if err != nil || b != tc.to {
				t.Errorf("forward entry: %v, %v; want %v", b, err, tc.to)
			}
		})
	}
	st, err := l.Stats(tcpSvc)
	if err != nil {
		t.Fatal(err)
	}
	// "tcp syn" and "tcp data" are one flow: its second packet follows the conntrack entry.
	if st.Packets != 3 || st.ByDefault != 2 || st.ByFlow != 1 || st.BySource+st.BySNI != 0 {
		t.Errorf("tcp stats %+v, want 3 packets: 2 by default, 1 by flow", st)
	}
	if want := uint64(len(fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 80)}.build(t))); st.Bytes < 3*want {
		t.Errorf("tcp stats: %d bytes for 3 frames of at least %d", st.Bytes, want)
	}
	st, err = l.Stats(udpSvc)
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 4 || st.ByDefault != 4 {
		t.Errorf("udp stats %+v, want 4 packets by default", st)
	}
}

// TestSourceRoutePrecedence: a source-prefix route beats the default (longest prefix wins),
// applies only to its service, beats an SNI route and a flow's conntrack entry, and removing
// it restores the previous choice.
func TestSourceRoutePrecedence(t *testing.T) {
	l := newTestLB(t, nil)
	web := Service{Port: 80, Proto: TCP}
	tls := Service{Port: 443, Proto: TCP}
	mustAddService(t, l, web, backend0)
	mustAddService(t, l, tls, backend0)
	for _, r := range []struct {
		svc Service
		p   string
		b   netip.AddrPort
	}{
		{web, "192.0.2.0/24", backend1},
		{web, "192.0.2.0/28", backend2},
		{tls, "192.0.2.0/24", backend3},
	} {
		if err := l.AddSourceRoute(r.svc, netip.MustParsePrefix(r.p), r.b); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AddSNIRoute(tls, "api.example.com", backend1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   fr
		want netip.AddrPort
	}{
		{"/28 beats /24", fr{src: netip.MustParseAddrPort("192.0.2.5:1000"), dst: netip.AddrPortFrom(vip, 80)}, backend2},
		{"/24", fr{src: netip.MustParseAddrPort("192.0.2.100:1000"), dst: netip.AddrPortFrom(vip, 80)}, backend1},
		{"no route: default", fr{src: netip.MustParseAddrPort("198.51.100.1:1000"), dst: netip.AddrPortFrom(vip, 80)}, backend0},
		{"route of the other service", fr{src: netip.MustParseAddrPort("192.0.2.200:1000"), dst: netip.AddrPortFrom(vip, 443)}, backend3},
		{"source beats SNI", fr{src: netip.MustParseAddrPort("192.0.2.201:1000"), dst: netip.AddrPortFrom(vip, 443),
			payload: clientHello(t, "api.example.com"), tcpFlags: packet.TCPPsh | packet.TCPAck}, backend3},
		{"SNI without source route", fr{src: netip.MustParseAddrPort("198.51.100.2:1000"), dst: netip.AddrPortFrom(vip, 443),
			payload: clientHello(t, "api.example.com"), tcpFlags: packet.TCPPsh | packet.TCPAck}, backend1},
	} {
		ret, out := runProg(t, l.Ingress(), tc.in.build(t))
		if ret != asm.XDPPass {
			t.Fatalf("%s: verdict %d", tc.name, ret)
		}
		if got := dstOf(t, out); got != tc.want {
			t.Errorf("%s: DNAT to %v, want %v", tc.name, got, tc.want)
		}
		checkFrame(t, tc.name, out, tc.in.with(tc.in.src, tc.want))
	}
	st, _ := l.Stats(web)
	if st.BySource != 2 || st.ByDefault != 1 {
		t.Errorf("web stats %+v: want 2 by source, 1 by default", st)
	}
	st, _ = l.Stats(tls)
	if st.BySource != 2 || st.BySNI != 1 {
		t.Errorf("tls stats %+v: want 2 by source, 1 by SNI", st)
	}

	// Source routes beat the flow's conntrack entry; without them the flow keeps its backend.
	in := fr{src: netip.MustParseAddrPort("192.0.2.5:1000"), dst: netip.AddrPortFrom(vip, 80)}
	if err := l.RemoveSourceRoute(web, netip.MustParsePrefix("192.0.2.0/28")); err != nil {
		t.Fatal(err)
	}
	_, out := runProg(t, l.Ingress(), in.build(t))
	if got := dstOf(t, out); got != backend1 {
		t.Errorf("after removing the /28: DNAT to %v, want the /24's %v (source routes come before the flow's entry)", got, backend1)
	}
	if err := l.RemoveSourceRoute(web, netip.MustParsePrefix("192.0.2.0/24")); err != nil {
		t.Fatal(err)
	}
	_, out = runProg(t, l.Ingress(), in.build(t))
	if got := dstOf(t, out); got != backend1 {
		t.Errorf("without routes: DNAT to %v, want the flow's conntrack backend %v", got, backend1)
	}
	// A new flow from the same client gets the default.
	_, out = runProg(t, l.Ingress(), in.with(netip.MustParseAddrPort("192.0.2.5:1001"), in.dst).build(t))
	if got := dstOf(t, out); got != backend0 {
		t.Errorf("new flow: DNAT to %v, want the default %v", got, backend0)
	}
	st, _ = l.Stats(web)
	if st.ByFlow != 1 || st.BySource != 3 || st.ByDefault != 2 {
		t.Errorf("web stats %+v: want 1 by flow, 3 by source, 2 by default", st)
	}
	if err := l.RemoveSourceRoute(web, netip.MustParsePrefix("192.0.2.0/24")); !errors.Is(err, bpf.ErrKeyNotExist) {
		t.Errorf("removing a removed route: %v, want ErrKeyNotExist", err)
	}
}

// clientHello returns a TLS ClientHello record with the given server name.
func clientHello(t testing.TB, name string) []byte {
	t.Helper()
	b, err := packet.Build(packet.ClientHello{ServerName: name, ALPN: []string{"h2", "http/1.1"}, SessionID: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
