// Package packet builds and parses network packets for tests: Ethernet with
// 802.1Q/802.1ad VLAN tags, IPv4 (with options), IPv6 (with hop-by-hop,
// routing, fragment and destination options headers), TCP, UDP, ICMP and
// ICMPv6, all with correct lengths and checksums, and TLS ClientHello records
// carrying a server name (SNI).
//
// Programs under test run on the bytes through BPF_PROG_TEST_RUN, and the
// bytes they return are checked with [Parse] and [Packet.VerifyChecksums].
// The package never touches the kernel and builds on every OS. The checksum
// code is written from the RFCs (1071, 1624, 768, 793, 8200) independently
// of any BPF code, so it can judge the checksums BPF programs compute.
//
// # Building
//
// [Spec] gives a whole frame with sensible defaults in one call
// (00:00:00:00:00:01 → 00:00:00:00:00:02, 10.0.0.1:12345 → 10.0.0.2:80, TCP SYN):
//
//	frame := packet.Spec{Protocol: packet.IPProtoUDP, Payload: []byte("hi")}.MustBuild()
//
// [Build] stacks layers for full control. Lengths, checksums, EtherTypes and
// protocol numbers left zero are filled in from the layers that follow:
//
//	frame, err := packet.Build(
//		packet.Ethernet{Src: srcMAC, Dst: dstMAC},
//		packet.VLAN{ID: 100},
//		packet.IPv4{Src: src, Dst: dst, TTL: 64},
//		packet.TCP{SrcPort: 40000, DstPort: 443, Flags: packet.TCPPsh | packet.TCPAck},
//		packet.ClientHello{ServerName: "example.com"},
//	)
//
// # Parsing
//
// [Parse] decodes a frame into its layers with their offsets; the layer types
// are the same ones [Build] takes, so a parsed packet can be changed and built
// again. Truncated or malformed input gives an error wrapping [ErrTruncated]
// or [ErrMalformed], never a panic.
//
// # Checksums
//
// [Checksum], [PartialSum], [PseudoHeaderSum], [FoldChecksum] and the RFC
// 1624 incremental updates [UpdateChecksum] and [UpdateChecksum16] are
// exported as an oracle for tests of programs that rewrite packets.
//
// All functions are safe for concurrent use. Parse does not copy its input:
// slices in a [Packet] alias it.
package packet

import "errors"

// Errors returned by [Parse], [ParseIP], [ParseClientHello] and [ServerName].
// They are wrapped with the layer and offset where decoding stopped; test
// for them with errors.Is.
var (
	// ErrTruncated means the input ends before a header or a length field says it should.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed means a header field holds an impossible value (a bad
	// version, a header length below the minimum, inconsistent lengths).
	ErrMalformed = errors.New("malformed")
	// ErrNotClientHello means the bytes are not a TLS handshake record
	// holding a ClientHello.
	ErrNotClientHello = errors.New("not a TLS ClientHello")
	// ErrNoServerName means a ClientHello has no server_name extension with a host_name entry.
	ErrNoServerName = errors.New("no server name")
)
