package packet

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// TestRoundTrip parses every reference frame, verifies its checksums, and
// builds it again from the parsed layers.
func TestRoundTrip(t *testing.T) {
	for name, b := range readReference(t) {
		if strings.HasPrefix(name, "tls") {
			continue // bare TLS records, see TestParseClientHello
		}
		t.Run(name, func(t *testing.T) {
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.VerifyChecksums(); err != nil {
				t.Errorf("VerifyChecksums: %v", err)
			}
			got, err := Build(p.Layers...)
			if err != nil {
				t.Fatalf("Build(parsed layers): %v\n%v", err, p)
			}
			if !bytes.Equal(got, b) {
				t.Errorf("rebuilt bytes differ\n got %x\nwant %x", got, b)
			}
			if len(p.Trailer) != 0 {
				t.Errorf("unexpected trailer %x", p.Trailer)
			}
		})
	}
}

func TestParseLayers(t *testing.T) {
	ref := readReference(t)
	tests := []struct {
		frame   string
		layers  string // the layer types, in order
		offsets []int
		payload int // offset of the payload, -1 for none
	}{
		{"tcp4_syn", "Ethernet IPv4 TCP", []int{0, 14, 34}, -1},
		{"udp4_hello", "Ethernet IPv4 UDP Payload", []int{0, 14, 34, 42}, 42},
		{"icmp4_echo", "Ethernet IPv4 ICMP Payload", []int{0, 14, 34, 42}, 42},
		{"icmp6_echo", "Ethernet IPv6 ICMPv6", []int{0, 14, 54}, -1},
		{"qinq_ipv4opt_tcpopt", "Ethernet VLAN VLAN IPv4 TCP Payload", []int{0, 14, 18, 22, 46, 74}, 74},
		{"ipv6_ext_udp", "Ethernet IPv6 IPv6HopByHop IPv6Routing IPv6DestOptions UDP Payload",
			[]int{0, 14, 54, 62, 102, 110, 118}, 118},
		{"ipip_tcp", "Ethernet IPv4 IPv4 TCP", []int{0, 14, 34, 54}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.frame, func(t *testing.T) {
			p, err := Parse(ref[tt.frame])
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range p.Layers {
				names = append(names, strings.Fields(l.String())[0])
			}
			if got := strings.Join(names, " "); got != tt.layers {
				t.Errorf("layers %q, want %q", got, tt.layers)
			}
			for i, off := range tt.offsets {
				if i < len(p.Offsets) && p.Offsets[i] != off {
					t.Errorf("layer %d (%v) at offset %d, want %d", i, p.Layers[i], p.Offsets[i], off)
				}
				if i < len(p.Layers) && p.Offset(p.Layers[i]) != off {
					t.Errorf("Offset(layer %d) = %d, want %d", i, p.Offset(p.Layers[i]), off)
				}
			}
			if got := p.PayloadOffset(); got != tt.payload {
				t.Errorf("PayloadOffset = %d, want %d", got, tt.payload)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	ref := readReference(t)
	p, err := Parse(ref["qinq_ipv4opt_tcpopt"])
	if err != nil {
		t.Fatal(err)
	}
	eth, vl, ip, tcp := p.Ethernet(), p.VLANs(), p.IPv4(), p.TCP()
	if eth.Src.String() != "02:11:22:33:44:55" || eth.Dst.String() != "02:aa:bb:cc:dd:ee" || eth.EtherType != EtherTypeQinQ {
		t.Errorf("ethernet %v", eth)
	}
	if len(vl) != 2 || *vl[0] != (VLAN{TPID: EtherTypeQinQ, Priority: 3, ID: 100, EtherType: EtherTypeVLAN}) ||
		*vl[1] != (VLAN{TPID: EtherTypeVLAN, ID: 200, EtherType: EtherTypeIPv4}) {
		t.Errorf("vlans %v", vl)
	}
	if ip.Src != netip.MustParseAddr("192.168.1.10") || ip.Dst != netip.MustParseAddr("172.16.0.1") || ip.TTL != 1 ||
		ip.TOS != 0x10 || ip.ID != 0x1234 || ip.Flags != IPv4DontFragment || ip.Protocol != IPProtoTCP ||
		ip.TotalLength != 24+28+3 || !bytes.Equal(ip.Options, []byte{0x94, 4, 0, 0}) {
		t.Errorf("ipv4 %v", ip)
	}
	if tcp.SrcPort != 40000 || tcp.DstPort != 443 || tcp.Seq != 0x01020304 || tcp.Ack != 0x0a0b0c0d ||
		tcp.Flags != TCPSyn|TCPAck || tcp.Window != 29200 || len(tcp.Options) != 8 {
		t.Errorf("tcp %v", tcp)
	}
	if string(p.Payload()) != "xyz" {
		t.Errorf("payload %q", p.Payload())
	}
	if p.IPv6() != nil || p.UDP() != nil || p.ICMP() != nil || p.ICMPv6() != nil {
		t.Error("accessors return layers the packet does not have")
	}
	if p.Offset(&TCP{}) != -1 || p.Offset(nil) != -1 || p.Offset(Payload("xyz")) != -1 {
		t.Error("Offset finds a layer that is not in the packet")
	}
	want := "Ethernet 02:11:22:33:44:55 > 02:aa:bb:cc:dd:ee 802.1ad | VLAN 802.1ad id 100 pcp 3 802.1Q | " +
		"VLAN 802.1Q id 200 IPv4 | IPv4 192.168.1.10 > 172.16.0.1 TCP ttl 1 id 4660 tos 0x10 flags DF options 4 bytes len 55 | " +
		"TCP 40000 > 443 SYN|ACK seq 16909060 ack 168496141 win 29200 options 8 bytes | Payload 3 bytes"
	if p.String() != want {
		t.Errorf("String:\n got %s\nwant %s", p, want)
	}

	p, err = Parse(ref["ipv6_ext_udp"])
	if err != nil {
		t.Fatal(err)
	}
	v6 := p.IPv6()
	if v6.TrafficClass != 0xb8 || v6.FlowLabel != 0x12345 || v6.HopLimit != 255 || v6.NextHeader != IPProtoHopByHop || v6.PayloadLength != 72 {
		t.Errorf("ipv6 %v", v6)
	}
	hbh := p.Layers[2].(*IPv6HopByHop)
	if len(hbh.Options) != 2 || hbh.Options[0].Type != 5 || hbh.Options[1].Type != 1 || hbh.NextHeader != IPProtoRouting {
		t.Errorf("hop-by-hop %+v", hbh)
	}
	rt := p.Layers[3].(*IPv6Routing)
	if rt.Type != 4 || rt.SegmentsLeft != 1 || len(rt.Data) != 36 || rt.NextHeader != IPProtoDestOpts {
		t.Errorf("routing %+v", rt)
	}
	if u := p.UDP(); u.SrcPort != 5000 || u.DstPort != 4789 || u.Length != 16 {
		t.Errorf("udp %v", u)
	}
}

// TestVerifyChecksumsCatchesCorruption flips single bytes and checks that
// VerifyChecksums names the broken checksum with the right values.
func TestVerifyChecksumsCatchesCorruption(t *testing.T) {
	ref := readReference(t)
	tests := []struct {
		frame  string
		at     int      // byte to corrupt
		layers []string // the checksums that must be reported
	}{
		{"tcp4_syn", 22, []string{"ipv4 header"}},            // TTL: header only
		{"tcp4_syn", 26, []string{"ipv4 header", "tcp"}},     // source address: both
		{"tcp4_syn", 24, []string{"ipv4 header"}},            // the header checksum itself
		{"tcp4_syn", 38, []string{"tcp"}},                    // sequence number
		{"udp4_hello", 44, []string{"udp"}},                  // payload
		{"icmp4_echo", 45, []string{"icmp"}},                 // payload
		{"tcp6_data", 30, []string{"tcp"}},                   // source address is in the pseudo-header
		{"udp6_odd", 64, []string{"udp"}},                    // odd final byte
		{"icmp6_echo", 60, []string{"icmpv6"}},               // identifier
		{"ipv6_ext_udp", 75, []string{"udp"}},                // segment list[0], the final destination
		{"ipip_tcp", 60, []string{"tcp"}},                    // inner TCP checksum
		{"ipip_tcp", 47, []string{"ipv4 header", "tcp"}},     // inner source address
		{"qinq_ipv4opt_tcpopt", 44, []string{"ipv4 header"}}, // IPv4 option byte
	}
	for _, tt := range tests {
		b := bytes.Clone(ref[tt.frame])
		b[tt.at] ^= 0x5a
		p, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.frame, err)
		}
		err = p.VerifyChecksums()
		if err == nil {
			t.Errorf("%s byte %d: no checksum error", tt.frame, tt.at)
			continue
		}
		var got []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ce *ChecksumError
			if !errors.As(e, &ce) {
				t.Fatalf("%s: %v is not a *ChecksumError", tt.frame, e)
			}
			got = append(got, ce.Layer)
			// Writing Want into the checksum field must repair that checksum.
			fixed := bytes.Clone(b)
			field := map[string]int{"ipv4 header": 10, "tcp": 16, "udp": 6, "icmp": 2, "icmpv6": 2}[ce.Layer]
			fixed[ce.Offset+field], fixed[ce.Offset+field+1] = byte(ce.Want>>8), byte(ce.Want)
			p2, err := Parse(fixed)
			if err != nil {
				t.Fatal(err)
			}
			if err2 := p2.VerifyChecksums(); err2 != nil && strings.Contains(err2.Error(), fmt.Sprintf("%s at offset %d:", ce.Layer, ce.Offset)) {
				t.Errorf("%s: writing Want %#04x did not fix %s: %v", tt.frame, ce.Want, ce.Layer, err2)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.layers, ",") {
			t.Errorf("%s byte %d: reported %v, want %v (%v)", tt.frame, tt.at, got, tt.layers, err)
		}
	}
}

func TestChecksumErrorValues(t *testing.T) {
	b := Spec{}.MustBuild()
	b[50], b[51] = 0x12, 0x34 // TCP checksum field
	p, _ := Parse(b)
	var ce *ChecksumError
	if err := p.VerifyChecksums(); !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *ChecksumError", err)
	}
	if *ce != (ChecksumError{Layer: "tcp", Offset: 34, Got: 0x1234, Want: 0x6b57}) {
		t.Errorf("got %+v", *ce)
	}
	if want := "tcp at offset 34: checksum 0x1234, want 0x6b57"; ce.Error() != want {
		t.Errorf("Error() = %q, want %q", ce.Error(), want)
	}
}

func TestVerifyChecksumsSpecialCases(t *testing.T) {
	a := netip.MustParseAddr
	v4 := IPv4{Src: a("10.0.0.1"), Dst: a("10.0.0.2"), TTL: 64}
	v6 := IPv6{Src: a("fd00::1"), Dst: a("fd00::2"), HopLimit: 64}
	tests := []struct {
		name   string
		layers []Layer
		want   string // "" for no error
	}{
		{"udp4 no checksum", []Layer{Ethernet{}, v4, UDP{NoChecksum: true}, Payload("x")}, ""},
		{"udp6 no checksum", []Layer{Ethernet{}, v6, UDP{NoChecksum: true}, Payload("x")}, "udp at offset 54: checksum 0x0000 (none) is not allowed over IPv6"},
		{"ipv4 more fragments", []Layer{Ethernet{}, IPv4{Src: a("10.0.0.1"), Dst: a("10.0.0.2"), Flags: IPv4MoreFragments},
			UDP{}, Payload("x")}, ""},
		{"ipv6 fragment", []Layer{Ethernet{}, v6, IPv6Fragment{More: true}, UDP{}, Payload("x")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := MustBuild(tt.layers...)
			if strings.Contains(tt.name, "fragment") {
				b[len(b)-1] ^= 1 // a fragment's transport checksum is not checked
			}
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			err = p.VerifyChecksums()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("VerifyChecksums = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseTrailerAndNonIP(t *testing.T) {
	b := append(Spec{}.MustBuild(), 0, 0, 0, 0, 0, 0) // padded to 60 bytes
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Trailer) != 6 || p.Payload() != nil || p.VerifyChecksums() != nil {
		t.Errorf("trailer %x payload %x: %v", p.Trailer, p.Payload(), p.VerifyChecksums())
	}
	if !strings.HasSuffix(p.String(), "Trailer 6 bytes") {
		t.Errorf("String = %s", p)
	}

	arp := MustBuild(Ethernet{EtherType: EtherTypeARP}, Payload(make([]byte, 28)))
	p, err = Parse(arp)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Layers) != 2 || len(p.Payload()) != 28 || p.PayloadOffset() != 14 {
		t.Errorf("ARP frame parsed as %v", p)
	}

	// A non-first IPv4 fragment is not decoded past IP.
	frag := MustBuild(Ethernet{}, IPv4{Src: DefaultSrcIP, Dst: DefaultDstIP, FragOffset: 10, Protocol: IPProtoUDP}, Payload("12345678"))
	p, err = Parse(frag)
	if err != nil {
		t.Fatal(err)
	}
	if p.UDP() != nil || len(p.Payload()) != 8 {
		t.Errorf("fragment parsed as %v", p)
	}
}

func TestParseIP(t *testing.T) {
	for _, spec := range []Spec{{}, {IPv6: true, Protocol: IPProtoUDP, Payload: []byte("x")}} {
		b := spec.MustBuild()
		p, err := ParseIP(b[14:])
		if err != nil {
			t.Fatal(err)
		}
		if p.Ethernet() != nil || p.Offsets[0] != 0 || p.VerifyChecksums() != nil {
			t.Errorf("ParseIP: %v", p)
		}
	}
	for _, b := range [][]byte{nil, {0x50}} {
		if _, err := ParseIP(b); err == nil {
			t.Errorf("ParseIP(%x) succeeded", b)
		}
	}
}

func TestParseErrors(t *testing.T) {
	ref := readReference(t)
	mod := func(frame string, f func(b []byte)) []byte {
		b := bytes.Clone(ref[frame])
		f(b)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		is   error
		want string
	}{
		{"empty", nil, ErrTruncated, "ethernet at offset 0: 0 bytes, want 14"},
		{"short ethernet", make([]byte, 13), ErrTruncated, "ethernet at offset 0"},
		{"short vlan", ref["qinq_ipv4opt_tcpopt"][:16], ErrTruncated, "vlan at offset 14"},
		{"short ipv4", ref["tcp4_syn"][:30], ErrTruncated, "ipv4 at offset 14: 16 bytes"},
		{"ipv4 version", mod("tcp4_syn", func(b []byte) { b[14] = 0x55 }), ErrMalformed, "ipv4 at offset 14: version 5"},
		{"ipv4 ihl", mod("tcp4_syn", func(b []byte) { b[14] = 0x44 }), ErrMalformed, "IHL 4 is below 5"},
		{"ipv4 ihl beyond data", mod("tcp4_syn", func(b []byte) { b[14] = 0x4f })[:40], ErrTruncated, "header length 60 exceeds"},
		{"ipv4 total length short", mod("tcp4_syn", func(b []byte) { b[17] = 19 }), ErrMalformed, "total length 19 is shorter"},
		{"ipv4 total length long", mod("tcp4_syn", func(b []byte) { b[17] = 41 }), ErrTruncated, "length 41 exceeds the 40 bytes left"},
		{"short ipv6", ref["tcp6_data"][:50], ErrTruncated, "ipv6 at offset 14"},
		{"ipv6 version", mod("tcp6_data", func(b []byte) { b[14] = 0x40 }), ErrMalformed, "ipv6 at offset 14: version 4"},
		{"ipv6 payload length", mod("tcp6_data", func(b []byte) { b[19] = 0xff }), ErrTruncated, "length 295 exceeds"},
		{"ext header length", mod("ipv6_ext_udp", func(b []byte) { b[55] = 9 }), ErrTruncated, "ipv6 hop-by-hop at offset 54: length 80"},
		{"ext option overrun", mod("ipv6_ext_udp", func(b []byte) { b[57] = 9 }), ErrMalformed, "option 5 overruns"},
		{"tcp data offset", mod("tcp4_syn", func(b []byte) { b[46] = 0x40 }), ErrMalformed, "data offset 4 is below 5"},
		{"tcp data offset beyond", mod("tcp4_syn", func(b []byte) { b[46] = 0x60 }), ErrTruncated, "header length 24 exceeds the 20 bytes"},
		{"udp length short", mod("udp4_hello", func(b []byte) { b[39] = 12 }), ErrMalformed, "udp at offset 34: length field 12, but 13"},
		{"udp length long", mod("udp4_hello", func(b []byte) { b[39] = 14 }), ErrTruncated, "length field 14"},
		{"short icmp", mod("icmp4_echo", func(b []byte) { b[17] = 26 })[:40], ErrTruncated, "icmp at offset 34"},
		{"inner ipv4 shorter", mod("ipip_tcp", func(b []byte) { b[37] = 39 }), ErrMalformed, "shorter than the 40 bytes the outer header carries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded: %v", p)
			}
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

// TestParseEveryTruncation cuts every reference frame at every length: Parse
// must return an error or a packet, never panic.
func TestParseEveryTruncation(t *testing.T) {
	for name, b := range readReference(t) {
		for n := range len(b) {
			p, err := Parse(b[:n])
			if err == nil {
				_ = p.VerifyChecksums()
				_ = p.String()
			}
		}
		_ = name
	}
}

// TestPacketMethodsOnOddPackets calls the methods on packets Parse did not
// make: they must not panic.
func TestPacketMethodsOnOddPackets(t *testing.T) {
	good, _ := Parse(Spec{Payload: []byte("x")}.MustBuild())
	for _, p := range []*Packet{
		{},
		{Layers: good.Layers},
		{Layers: good.Layers, Offsets: []int{0, 14, 100, 200}, Data: good.Data},
		{Layers: good.Layers, Offsets: good.Offsets, Data: good.Data[:20]},
	} {
		_ = p.VerifyChecksums()
		_ = p.String()
		_ = p.Offset(good.TCP())
		_ = p.PayloadOffset()
		_ = p.Payload()
	}
}
