package packet_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/bpfgo/bpf/packet"
)

// A TCP SYN from 10.0.0.1:12345 to 10.0.0.2:80 with every default, the
// frame clj-ebpf's (build-test-packet :tcp {}) gives.
func ExampleSpec() {
	frame := packet.Spec{}.MustBuild()
	fmt.Printf("%d bytes\n", len(frame))

	udp6 := packet.Spec{IPv6: true, Protocol: packet.IPProtoUDP, DstPort: 53, Payload: []byte("query")}.MustBuild()
	p, _ := packet.Parse(udp6)
	fmt.Println(p.IPv6().Src, "->", p.IPv6().Dst, "port", p.UDP().DstPort)
	// Output:
	// 54 bytes
	// fd00::1 -> fd00::2 port 53
}

// Layers give full control: here a VLAN-tagged IPv4 packet with an option
// (IHL 6) carrying a TLS ClientHello for SNI routing.
func ExampleBuild() {
	frame, err := packet.Build(
		packet.Ethernet{Src: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Dst: net.HardwareAddr{2, 0, 0, 0, 0, 2}},
		packet.VLAN{ID: 100},
		packet.IPv4{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7"), TTL: 64,
			Options: []byte{0x94, 0x04, 0x00, 0x00}}, // router alert
		packet.TCP{SrcPort: 40000, DstPort: 443, Flags: packet.TCPPsh | packet.TCPAck, Window: 502},
		packet.ClientHello{ServerName: "api.example.com", ALPN: []string{"h2"}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := packet.Parse(frame)
	fmt.Println(p)
	fmt.Println("IPv4 header at", p.Offset(p.IPv4()), "TCP at", p.Offset(p.TCP()), "checksums:", p.VerifyChecksums())
	// Output:
	// Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 802.1Q | VLAN 802.1Q id 100 IPv4 | IPv4 192.0.2.1 > 198.51.100.7 TCP ttl 64 id 0 options 4 bytes len 146 | TCP 40000 > 443 PSH|ACK seq 0 ack 0 win 502 | Payload 102 bytes
	// IPv4 header at 18 TCP at 42 checksums: <nil>
}

// Invalid combinations are errors, not panics.
func ExampleBuild_error() {
	_, err := packet.Build(
		packet.Ethernet{},
		packet.IPv6{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("fd00::2")},
	)
	fmt.Println(err)
	// Output:
	// layer 1: ipv6: source address 10.0.0.1 is not IPv6
}

// Checking what a program under test returned: parse the output bytes and
// verify the checksums it rewrote.
func ExamplePacket_VerifyChecksums() {
	out := packet.Spec{Protocol: packet.IPProtoUDP, Payload: []byte("hi")}.MustBuild()
	out[30] = 99 // a "DNAT" that forgot to update the checksums: 10.0.0.2 -> 99.0.0.2

	p, err := packet.Parse(out)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = p.VerifyChecksums()
	fmt.Println(err)
	var ce *packet.ChecksumError
	if errors.As(err, &ce) {
		fmt.Printf("first: %s, want %#04x\n", ce.Layer, ce.Want)
	}
	// Output:
	// ipv4 header at offset 14: checksum 0x66cd, want 0x0dcd
	// udp at offset 34: checksum 0x52e5, want 0xf9e4
	// first: ipv4 header, want 0x0dcd
}

// ServerName reads the SNI the way an SNI-routing load balancer does.
func ExampleServerName() {
	frame := packet.Spec{ServerName: "backend.example"}.MustBuild()
	p, _ := packet.Parse(frame)
	sni, err := packet.ServerName(p.Payload())
	fmt.Println(p.TCP().DstPort, sni, err)

	_, err = packet.ServerName([]byte("GET / HTTP/1.1\r\n"))
	fmt.Println(errors.Is(err, packet.ErrNotClientHello))
	// Output:
	// 443 backend.example <nil>
	// true
}

// Incremental checksum update (RFC 1624) for a port rewrite, checked
// against a full recomputation.
func ExampleUpdateChecksum16() {
	frame := packet.Spec{}.MustBuild()
	p, _ := packet.Parse(frame)
	tcp := p.TCP()
	updated := packet.UpdateChecksum16(tcp.Checksum, tcp.DstPort, 8080)

	tcp.DstPort = 8080
	rebuilt, _ := packet.Build(p.Layers...)
	p2, _ := packet.Parse(rebuilt)
	fmt.Printf("incremental %#04x, recomputed %#04x\n", updated, p2.TCP().Checksum)
	// Output:
	// incremental 0x4c17, recomputed 0x4c17
}

// The Internet checksum of RFC 1071's example bytes.
func ExampleChecksum() {
	fmt.Printf("%#04x\n", packet.Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}))
	// Output:
	// 0x220d
}
