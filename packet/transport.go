package packet

import (
	"encoding/binary"
	"fmt"
)

const (
	tcpHeaderLen     = 20
	tcpMaxOptionsLen = 40
	udpHeaderLen     = 8
	icmpHeaderLen    = 8
)

// TCP is a TCP header (RFC 9293 §3.1) with options. Build computes the data
// offset from Options and the checksum over the pseudo-header of the nearest
// enclosing IP layer, which must exist.
type TCP struct {
	// SrcPort and DstPort are the ports.
	SrcPort, DstPort uint16
	// Seq and Ack are the sequence and acknowledgment numbers.
	Seq, Ack uint32
	// Flags are the control bits, including AE and the reserved bits.
	Flags TCPFlags
	// Window is the receive window, written as given.
	Window uint16
	// Urgent is the urgent pointer.
	Urgent uint16
	// Options are raw option bytes, at most 40. Build pads them with zero
	// bytes (End of Option List) to a multiple of 4; Parse returns them
	// with their padding.
	Options []byte

	// Checksum is the checksum field. Parse sets it; Build ignores it and
	// computes the checksum.
	Checksum uint16
}

func (TCP) kind() layerKind  { return kindTCP }
func (h TCP) sizeHint() int  { return tcpHeaderLen + (len(h.Options)+3)&^3 }
func (h TCP) headerLen() int { return h.sizeHint() }

func (h TCP) encode(b []byte, e *encoder, _ Layer) ([]byte, error) {
	if e.ip.version == 0 {
		return b, fmt.Errorf("tcp: no IPv4 or IPv6 layer before it for the checksum pseudo-header")
	}
	if len(h.Options) > tcpMaxOptionsLen {
		return b, fmt.Errorf("tcp: %d bytes of options exceed 40", len(h.Options))
	}
	if h.Flags > 0xfff {
		return b, fmt.Errorf("tcp: flags %#x exceed 12 bits", uint16(h.Flags))
	}
	hlen := h.headerLen()
	b = binary.BigEndian.AppendUint16(b, h.SrcPort)
	b = binary.BigEndian.AppendUint16(b, h.DstPort)
	b = binary.BigEndian.AppendUint32(b, h.Seq)
	b = binary.BigEndian.AppendUint32(b, h.Ack)
	b = append(b, byte(hlen/4)<<4|byte(h.Flags>>8), byte(h.Flags))
	b = binary.BigEndian.AppendUint16(b, h.Window)
	b = append(b, 0, 0) // checksum
	b = binary.BigEndian.AppendUint16(b, h.Urgent)
	b = append(b, h.Options...)
	for range hlen - tcpHeaderLen - len(h.Options) {
		b = append(b, 0)
	}
	return b, nil
}

// String returns e.g. "TCP 12345 > 80 SYN seq 0 ack 0 win 65535".
func (h TCP) String() string {
	s := fmt.Sprintf("TCP %d > %d %v seq %d ack %d win %d", h.SrcPort, h.DstPort, h.Flags, h.Seq, h.Ack, h.Window)
	if len(h.Options) != 0 {
		s += fmt.Sprintf(" options %d bytes", len(h.Options))
	}
	return s
}

// UDP is a UDP header (RFC 768). Build computes the length and the checksum
// over the pseudo-header of the nearest enclosing IP layer, which must exist;
// a computed checksum of zero is sent as 0xffff.
type UDP struct {
	// SrcPort and DstPort are the ports.
	SrcPort, DstPort uint16
	// NoChecksum leaves the checksum field zero, which means "no checksum"
	// over IPv4. (Over IPv6 a zero checksum is invalid except for tunnels,
	// RFC 6935; VerifyChecksums reports it.)
	NoChecksum bool

	// Length is the length field. Parse sets it; Build ignores it and
	// computes the length.
	Length uint16
	// Checksum is the checksum field. Parse sets it; Build ignores it and
	// computes the checksum.
	Checksum uint16
}

func (UDP) kind() layerKind { return kindUDP }
func (UDP) sizeHint() int   { return udpHeaderLen }

func (h UDP) encode(b []byte, e *encoder, _ Layer) ([]byte, error) {
	if e.ip.version == 0 {
		return b, fmt.Errorf("udp: no IPv4 or IPv6 layer before it for the checksum pseudo-header")
	}
	b = binary.BigEndian.AppendUint16(b, h.SrcPort)
	b = binary.BigEndian.AppendUint16(b, h.DstPort)
	return append(b, 0, 0, 0, 0), nil
}

// String returns e.g. "UDP 12345 > 53 len 20".
func (h UDP) String() string {
	s := fmt.Sprintf("UDP %d > %d", h.SrcPort, h.DstPort)
	if h.Length != 0 {
		s += fmt.Sprintf(" len %d", h.Length)
	}
	return s
}

// ICMP is an ICMP for IPv4 header (RFC 792): type, code, checksum and the
// 4-byte rest of the header, which ID and Seq fill. Build computes the
// checksum over the ICMP message (no pseudo-header). It must not follow an
// IPv6 layer: use [ICMPv6] there.
type ICMP struct {
	// Type and Code are the message type (e.g. [ICMPEchoRequest]) and code.
	Type, Code uint8
	// ID and Seq are the identifier and sequence number of echo messages:
	// bytes 4–7 of the header, whose meaning depends on the type (for
	// other types set them to the big-endian halves of that field).
	ID, Seq uint16

	// Checksum is the checksum field. Parse sets it; Build ignores it and
	// computes the checksum.
	Checksum uint16
}

func (ICMP) kind() layerKind { return kindICMP }
func (ICMP) sizeHint() int   { return icmpHeaderLen }

func (h ICMP) encode(b []byte, e *encoder, _ Layer) ([]byte, error) {
	if e.ip.version == 6 {
		return b, fmt.Errorf("icmp: follows an IPv6 layer; use ICMPv6")
	}
	return appendICMP(b, h.Type, h.Code, h.ID, h.Seq), nil
}

func appendICMP(b []byte, typ, code uint8, id, seq uint16) []byte {
	b = append(b, typ, code, 0, 0)
	b = binary.BigEndian.AppendUint16(b, id)
	return binary.BigEndian.AppendUint16(b, seq)
}

// String returns e.g. "ICMP type 8 code 0 id 1 seq 1".
func (h ICMP) String() string {
	return fmt.Sprintf("ICMP type %d code %d id %d seq %d", h.Type, h.Code, h.ID, h.Seq)
}

// ICMPv6 is an ICMPv6 header (RFC 4443 §2.1): type, code, checksum and the
// first 4 bytes of the message body, which ID and Seq fill. Build computes the
// checksum over the IPv6 pseudo-header (RFC 4443 §2.3) and the message; it
// must follow an IPv6 layer.
type ICMPv6 struct {
	// Type and Code are the message type (e.g. [ICMPv6EchoRequest]) and code.
	Type, Code uint8
	// ID and Seq are the identifier and sequence number of echo messages:
	// bytes 4–7 of the message, whose meaning depends on the type (for
	// others set them to the big-endian halves of that field, e.g. the MTU
	// of Packet Too Big, or zero for the reserved field of NDP messages).
	ID, Seq uint16

	// Checksum is the checksum field. Parse sets it; Build ignores it and
	// computes the checksum.
	Checksum uint16
}

func (ICMPv6) kind() layerKind { return kindICMPv6 }
func (ICMPv6) sizeHint() int   { return icmpHeaderLen }

func (h ICMPv6) encode(b []byte, e *encoder, _ Layer) ([]byte, error) {
	if e.ip.version != 6 {
		return b, fmt.Errorf("icmpv6: needs an IPv6 layer before it")
	}
	return appendICMP(b, h.Type, h.Code, h.ID, h.Seq), nil
}

// String returns e.g. "ICMPv6 type 128 code 0 id 1 seq 1".
func (h ICMPv6) String() string {
	return fmt.Sprintf("ICMPv6 type %d code %d id %d seq %d", h.Type, h.Code, h.ID, h.Seq)
}
