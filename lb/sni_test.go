package lb

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/packet"
)

// sniExt builds server_name extension data (RFC 6066 §3) for one host_name.
func sniExt(name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(3+len(name)))
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	return append(b, name...)
}

// TestSNIRouting: TLS ClientHellos to port 443 go to the backend of their server name
// (compared without case, wherever the extension sits among others); everything the walk
// cannot use — no SNI, an unknown name, a truncated or non-TLS payload, a name too long —
// falls back to the default backend, and every output frame has correct checksums.
func TestSNIRouting(t *testing.T) {
	l := newTestLB(t, nil)
	svc := Service{Port: 443, Proto: TCP}
	mustAddService(t, l, svc, backend0)
	long := strings.Repeat("a", MaxHostnameLen-len(".example")) + ".example"
	for host, b := range map[string]netip.AddrPort{
		"api.example.com":  backend1,
		"WWW.Example.Org.": backend2, // stored as www.example.org
		long:               backend3,
	} {
		if err := l.AddSNIRoute(svc, host, b); err != nil {
			t.Fatal(err)
		}
	}

	hello := func(h packet.ClientHello) []byte {
		b, err := packet.Build(h)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	manyExts := hello(packet.ClientHello{Version: packet.VersionTLS12, CipherSuites: make([]uint16, 60), Extensions: []packet.TLSExtension{
		{Type: 10, Data: []byte{0, 4, 0, 29, 0, 23}},
		{Type: 11, Data: []byte{1, 0}},
		{Type: 13, Data: bytes.Repeat([]byte{4}, 30)},
		{Type: 0xfe0d, Data: nil},
		{Type: 0, Data: sniExt("API.EXAMPLE.COM")},
	}})
	tooManyExts := func() []byte {
		var exts []packet.TLSExtension
		for i := range maxTLSExts {
			exts = append(exts, packet.TLSExtension{Type: uint16(100 + i)})
		}
		exts = append(exts, packet.TLSExtension{Type: 0, Data: sniExt("api.example.com")})
		return hello(packet.ClientHello{Version: packet.VersionTLS12, Extensions: exts})
	}()
	atLimit := func() []byte {
		var exts []packet.TLSExtension
		for i := range maxTLSExts - 1 {
			exts = append(exts, packet.TLSExtension{Type: uint16(100 + i), Data: []byte{byte(i)}})
		}
		exts = append(exts, packet.TLSExtension{Type: 0, Data: sniExt("api.example.com")})
		return hello(packet.ClientHello{Version: packet.VersionTLS12, Extensions: exts})
	}()
	full := clientHello(t, "api.example.com")
	for i, tc := range []struct {
		name    string
		payload []byte
		port    uint16
		want    netip.AddrPort
	}{
		{"exact name", full, 443, backend1},
		{"upper case", clientHello(t, "Api.EXAMPLE.com"), 443, backend1},
		{"stored with trailing dot", clientHello(t, "www.example.org"), 443, backend2},
		{"sni after other extensions", manyExts, 443, backend1},
		{"name of MaxHostnameLen bytes", clientHello(t, strings.ToUpper(long)), 443, backend3},
		{"name longer than MaxHostnameLen", clientHello(t, long+"x"), 443, backend0},
		{"unknown name", clientHello(t, "other.example.com"), 443, backend0},
		{"prefix of a known name", clientHello(t, "api.example.co"), 443, backend0},
		{"no server_name", hello(packet.ClientHello{ALPN: []string{"h2"}}), 443, backend0},
		{"sni as the last extension walked", atLimit, 443, backend1},
		{"sni beyond the extension limit", tooManyExts, 443, backend0},
		{"truncated in the name", full[:len(full)-60], 443, backend0},
		{"truncated in the header", full[:20], 443, backend0},
		{"record header only", full[:5], 443, backend0},
		{"not TLS", []byte("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"), 443, backend0},
		{"not a ClientHello", append([]byte{22, 3, 1, 0, 60, 2}, make([]byte, 60)...), 443, backend0},
		{"lengths pointing past the end", append(append([]byte(nil), full[:43]...), 0xff, 0xff, 0xff), 443, backend0},
	} {
		in := fr{proto: TCP, src: netip.AddrPortFrom(client.Addr(), uint16(20000+i)), dst: netip.AddrPortFrom(vip, tc.port),
			payload: tc.payload, tcpFlags: packet.TCPPsh | packet.TCPAck}
		ret, out := runProg(t, l.Ingress(), in.build(t))
		if ret != asm.XDPPass {
			t.Fatalf("%s: verdict %d", tc.name, ret)
		}
		if got := dstOf(t, out); got != tc.want {
			t.Errorf("%s: DNAT to %v, want %v", tc.name, got, tc.want)
		}
		checkFrame(t, tc.name, out, in.with(in.src, tc.want))
	}
	st, err := l.Stats(svc)
	if err != nil {
		t.Fatal(err)
	}
	if st.BySNI != 6 || st.ByDefault != 11 {
		t.Errorf("stats %+v: want 6 by SNI, 11 by default", st)
	}

	// The ClientHello moves the flow: later segments of the flow follow the SNI backend.
	in := fr{proto: TCP, src: netip.MustParseAddrPort("198.51.100.9:5555"), dst: netip.AddrPortFrom(vip, 443)}
	for i, step := range []struct {
		payload []byte
		want    netip.AddrPort
	}{
		{nil, backend0},                        // SYN: default
		{full, backend1},                       // ClientHello: SNI route
		{[]byte("application data"), backend1}, // the flow's entry
	} {
		in.payload = step.payload
		_, out := runProg(t, l.Ingress(), in.build(t))
		if got := dstOf(t, out); got != step.want {
			t.Errorf("flow step %d: DNAT to %v, want %v", i, got, step.want)
		}
	}

	// Removing the route: the name falls back to the default.
	if err := l.RemoveSNIRoute(svc, "API.example.com"); err != nil {
		t.Fatal(err)
	}
	in = fr{proto: TCP, src: netip.MustParseAddrPort("198.51.100.10:5555"), dst: netip.AddrPortFrom(vip, 443), payload: full}
	_, out := runProg(t, l.Ingress(), in.build(t))
	if got := dstOf(t, out); got != backend0 {
		t.Errorf("after RemoveSNIRoute: DNAT to %v, want %v", got, backend0)
	}
}

// TestSNIOtherPort: SNIPort moves SNI routing to another port; 443 then gets no SNI parsing.
func TestSNIOtherPort(t *testing.T) {
	l := newTestLB(t, &Spec{SNIPort: 8443})
	alt := Service{Port: 8443, Proto: TCP}
	std := Service{Port: 443, Proto: TCP}
	mustAddService(t, l, alt, backend0)
	mustAddService(t, l, std, backend0)
	if err := l.AddSNIRoute(alt, "api.example.com", backend1); err != nil {
		t.Fatal(err)
	}
	if err := l.AddSNIRoute(std, "api.example.com", backend1); err == nil {
		t.Error("SNI route on a service that is not on SNIPort: no error")
	}
	for _, tc := range []struct {
		port uint16
		want netip.AddrPort
	}{{8443, backend1}, {443, backend0}} {
		in := fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, tc.port), payload: clientHello(t, "api.example.com"), tcpFlags: packet.TCPAck}
		_, out := runProg(t, l.Ingress(), in.build(t))
		if got := dstOf(t, out); got != tc.want {
			t.Errorf("port %d: DNAT to %v, want %v", tc.port, got, tc.want)
		}
	}
}

// TestLowerASCII checks the branch-free lower-casing against the byte-wise definition for
// every byte value in every lane.
func TestLowerASCII(t *testing.T) {
	for lane := range 8 {
		for b := range 256 {
			w := uint64(0x4161_7a5a_405b_607b) // neighbours in the other lanes
			w = w&^(0xff<<(8*lane)) | uint64(b)<<(8*lane)
			got := lowerASCIIGo(w)
			var want uint64
			for i := range 8 {
				c := byte(w >> (8 * i))
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				want |= uint64(c) << (8 * i)
			}
			if got != want {
				t.Fatalf("lane %d byte %#x: %#016x, want %#016x", lane, b, got, want)
			}
		}
	}
}
