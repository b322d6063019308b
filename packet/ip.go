package packet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

const (
	ipv4HeaderLen     = 20
	ipv4MaxOptionsLen = 40
	ipv6HeaderLen     = 40
)

// IPv4 is an IPv4 header (RFC 791), with options.
//
// Build writes the fields as given (TTL zero is written as zero; [Spec]
// defaults it to 64) and computes IHL from Options, the total length to the
// end of the packet, and the header checksum.
type IPv4 struct {
	// TOS is the type of service byte: DSCP in the upper 6 bits, ECN in the lower 2.
	TOS uint8
	// ID is the identification field.
	ID uint16
	// Flags are the DF, MF and reserved bits.
	Flags IPv4Flags
	// FragOffset is the fragment offset in 8-byte units (13 bits).
	FragOffset uint16
	// TTL is the time to live.
	TTL uint8
	// Protocol announces the next header. Zero means: taken from the next
	// layer (and zero when there is none to take it from). A non-zero
	// value is written as given, even if the next layer disagrees.
	Protocol IPProto
	// Src and Dst are the addresses; both must be IPv4 (Is4).
	Src, Dst netip.Addr
	// Options are raw option bytes, at most 40. Build pads them with zero
	// bytes (End of Option List) to a multiple of 4, which sets IHL; Parse
	// returns them with their padding.
	Options []byte

	// TotalLength is the total length field. Parse sets it; Build ignores
	// it and computes the length.
	TotalLength uint16
	// Checksum is the header checksum. Parse sets it; Build ignores it and
	// computes the checksum.
	Checksum uint16
}

func (IPv4) kind() layerKind  { return kindIPv4 }
func (h IPv4) sizeHint() int  { return ipv4HeaderLen + (len(h.Options)+3)&^3 }
func (h IPv4) headerLen() int { return h.sizeHint() }

func (h IPv4) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	if !h.Src.Is4() {
		return b, fmt.Errorf("ipv4: source address %v is not IPv4", h.Src)
	}
	if !h.Dst.Is4() {
		return b, fmt.Errorf("ipv4: destination address %v is not IPv4", h.Dst)
	}
	if len(h.Options) > ipv4MaxOptionsLen {
		return b, fmt.Errorf("ipv4: %d bytes of options exceed 40", len(h.Options))
	}
	if h.Flags > 7 {
		return b, fmt.Errorf("ipv4: flags %#x exceed 3 bits", uint8(h.Flags))
	}
	if h.FragOffset > 0x1fff {
		return b, fmt.Errorf("ipv4: fragment offset %d exceeds 13 bits", h.FragOffset)
	}
	proto := h.Protocol
	if proto == 0 {
		proto, _ = protoOf(next)
	}
	hlen := h.headerLen()
	b = append(b, 0x40|byte(hlen/4), h.TOS, 0, 0)
	b = binary.BigEndian.AppendUint16(b, h.ID)
	b = binary.BigEndian.AppendUint16(b, uint16(h.Flags)<<13|h.FragOffset)
	b = append(b, h.TTL, byte(proto), 0, 0)
	src, dst := h.Src.As4(), h.Dst.As4()
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	b = append(b, h.Options...)
	for range hlen - ipv4HeaderLen - len(h.Options) {
		b = append(b, 0)
	}
	e.ip = ipContext{version: 4}
	copy(e.ip.src[:], src[:])
	copy(e.ip.dst[:], dst[:])
	return b, nil
}

// String returns e.g. "IPv4 10.0.0.1 > 10.0.0.2 TCP ttl 64 id 0 len 40".
func (h IPv4) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "IPv4 %v > %v %v ttl %d id %d", h.Src, h.Dst, h.Protocol, h.TTL, h.ID)
	if h.TOS != 0 {
		fmt.Fprintf(&sb, " tos %#x", h.TOS)
	}
	if h.Flags != 0 {
		fmt.Fprintf(&sb, " flags %v", h.Flags)
	}
	if h.FragOffset != 0 {
		fmt.Fprintf(&sb, " frag %d", h.FragOffset)
	}
	if len(h.Options) != 0 {
		fmt.Fprintf(&sb, " options %d bytes", len(h.Options))
	}
	if h.TotalLength != 0 {
		fmt.Fprintf(&sb, " len %d", h.TotalLength)
	}
	return sb.String()
}

// IPv6 is an IPv6 fixed header (RFC 8200 §3). Put extension headers
// ([IPv6HopByHop], [IPv6Routing], [IPv6Fragment], [IPv6DestOptions]) after it
// in the order they should appear; Build chains their next header fields.
//
// Build writes the fields as given (HopLimit zero is written as zero; [Spec]
// defaults it to 64) and computes the payload length.
type IPv6 struct {
	// TrafficClass is the traffic class byte (DSCP and ECN).
	TrafficClass uint8
	// FlowLabel is the 20-bit flow label.
	FlowLabel uint32
	// NextHeader announces the next header. Zero means: taken from the next
	// layer, or [IPProtoNoNext] when no layer follows. Before a [Payload],
	// set it to what the payload is (zero stays zero, which on the wire
	// means hop-by-hop).
	NextHeader IPProto
	// HopLimit is the hop limit.
	HopLimit uint8
	// Src and Dst are the addresses; both must be IPv6 (Is6; IPv4-mapped
	// addresses are allowed, plain IPv4 ones are not).
	Src, Dst netip.Addr

	// PayloadLength is the payload length field. Parse sets it; Build
	// ignores it and computes the length.
	PayloadLength uint16
}

func (IPv6) kind() layerKind { return kindIPv6 }
func (IPv6) sizeHint() int   { return ipv6HeaderLen }

func (h IPv6) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	if !h.Src.Is6() {
		return b, fmt.Errorf("ipv6: source address %v is not IPv6", h.Src)
	}
	if !h.Dst.Is6() {
		return b, fmt.Errorf("ipv6: destination address %v is not IPv6", h.Dst)
	}
	if h.FlowLabel > 0xfffff {
		return b, fmt.Errorf("ipv6: flow label %#x exceeds 20 bits", h.FlowLabel)
	}
	b = binary.BigEndian.AppendUint32(b, 6<<28|uint32(h.TrafficClass)<<20|h.FlowLabel)
	b = append(b, 0, 0, byte(nextHeader(h.NextHeader, next)), h.HopLimit)
	src, dst := h.Src.As16(), h.Dst.As16()
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	e.ip = ipContext{version: 6, src: src, dst: dst}
	return b, nil
}

// String returns e.g. "IPv6 fd00::1 > fd00::2 TCP hlim 64 len 20".
func (h IPv6) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "IPv6 %v > %v %v hlim %d", h.Src, h.Dst, h.NextHeader, h.HopLimit)
	if h.TrafficClass != 0 {
		fmt.Fprintf(&sb, " tc %#x", h.TrafficClass)
	}
	if h.FlowLabel != 0 {
		fmt.Fprintf(&sb, " flow %#x", h.FlowLabel)
	}
	if h.PayloadLength != 0 {
		fmt.Fprintf(&sb, " len %d", h.PayloadLength)
	}
	return sb.String()
}

// IPv6Option is one type-length-value option of a hop-by-hop or destination
// options header (RFC 8200 §4.2). Type 0 is Pad1, a single byte with no
// length or data; type 1 is PadN.
type IPv6Option struct {
	Type uint8
	Data []byte
}

// IPv6HopByHop is a hop-by-hop options extension header (RFC 8200 §4.3).
// Build pads the options with Pad1/PadN to a multiple of 8 bytes.
type IPv6HopByHop struct {
	// NextHeader announces the next header; zero means: taken from the next
	// layer as for [IPv6.NextHeader].
	NextHeader IPProto
	// Options are the options in order. Parse returns padding options too.
	Options []IPv6Option
}

// IPv6DestOptions is a destination options extension header (RFC 8200 §4.6).
// Build pads the options with Pad1/PadN to a multiple of 8 bytes.
type IPv6DestOptions struct {
	// NextHeader announces the next header; zero means: taken from the next
	// layer as for [IPv6.NextHeader].
	NextHeader IPProto
	// Options are the options in order. Parse returns padding options too.
	Options []IPv6Option
}

func (IPv6HopByHop) kind() layerKind    { return kindHopByHop }
func (h IPv6HopByHop) sizeHint() int    { return optionsHeaderLen(h.Options) }
func (IPv6DestOptions) kind() layerKind { return kindDestOpts }
func (h IPv6DestOptions) sizeHint() int { return optionsHeaderLen(h.Options) }

func (h IPv6HopByHop) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	return encodeOptionsHeader(b, e, next, "ipv6 hop-by-hop", h.NextHeader, h.Options)
}

func (h IPv6DestOptions) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	return encodeOptionsHeader(b, e, next, "ipv6 destination options", h.NextHeader, h.Options)
}

// String returns e.g. "IPv6HopByHop Routing options 2".
func (h IPv6HopByHop) String() string { return optionsString("HopByHop", h.NextHeader, h.Options) }

// String returns e.g. "IPv6DestOptions UDP options 1".
func (h IPv6DestOptions) String() string {
	return optionsString("DestOptions", h.NextHeader, h.Options)
}

func optionsString(name string, nh IPProto, opts []IPv6Option) string {
	return fmt.Sprintf("IPv6%s %v options %d", name, nh, len(opts))
}

// optionsLen is the length of the encoded options without padding.
func optionsLen(opts []IPv6Option) int {
	n := 0
	for _, o := range opts {
		if o.Type == 0 {
			n++
		} else {
			n += 2 + len(o.Data)
		}
	}
	return n
}

func optionsHeaderLen(opts []IPv6Option) int {
	return (2 + optionsLen(opts) + 7) &^ 7
}

func checkIPv6Chain(e *encoder, name string) error {
	if !e.prev.isIPv6Chain() {
		return fmt.Errorf("%s: must follow an IPv6 header or another extension header", name)
	}
	return nil
}

func encodeOptionsHeader(b []byte, e *encoder, next Layer, name string, nh IPProto, opts []IPv6Option) ([]byte, error) {
	if err := checkIPv6Chain(e, name); err != nil {
		return b, err
	}
	total := optionsHeaderLen(opts)
	if total > 8*256 {
		return b, fmt.Errorf("%s: %d bytes exceed the 2048-byte maximum", name, total)
	}
	b = append(b, byte(nextHeader(nh, next)), byte(total/8-1))
	for _, o := range opts {
		if o.Type == 0 {
			if len(o.Data) != 0 {
				return b, fmt.Errorf("%s: Pad1 option cannot carry data", name)
			}
			b = append(b, 0)
			continue
		}
		if len(o.Data) > 0xff {
			return b, fmt.Errorf("%s: option %d: %d bytes of data exceed 255", name, o.Type, len(o.Data))
		}
		b = append(b, o.Type, byte(len(o.Data)))
		b = append(b, o.Data...)
	}
	switch pad := total - 2 - optionsLen(opts); pad {
	case 0:
	case 1:
		b = append(b, 0) // Pad1
	default:
		b = append(b, 1, byte(pad-2)) // PadN
		for range pad - 2 {
			b = append(b, 0)
		}
	}
	return b, nil
}

// IPv6Routing is a routing extension header (RFC 8200 §4.4): type 0
// (deprecated), 2 (Mobile IPv6, RFC 6275), 3 (RPL) or 4 (segment routing
// header, RFC 8754).
//
// When SegmentsLeft is non-zero the upper-layer checksum uses the final
// destination (RFC 8200 §8.1): for types 0 and 2 the last address in Data,
// for type 4 segment list entry 0 (Data[4:20]).
type IPv6Routing struct {
	// NextHeader announces the next header; zero means: taken from the next
	// layer as for [IPv6.NextHeader].
	NextHeader IPProto
	// Type is the routing type.
	Type uint8
	// SegmentsLeft is the number of route segments still to visit.
	SegmentsLeft uint8
	// Data is the type-specific data after the first 4 bytes. For types 0
	// and 2 it is 4 reserved bytes and then the addresses; for type 4 the
	// last entry, flags and tag bytes and then the segment list. 4+len(Data)
	// must be a multiple of 8.
	Data []byte
}

func (IPv6Routing) kind() layerKind { return kindRouting }
func (h IPv6Routing) sizeHint() int { return 4 + len(h.Data) }

func (h IPv6Routing) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	if err := checkIPv6Chain(e, "ipv6 routing"); err != nil {
		return b, err
	}
	n := 4 + len(h.Data)
	if n%8 != 0 || n > 8*256 {
		return b, fmt.Errorf("ipv6 routing: header length %d is not a multiple of 8 up to 2048", n)
	}
	b = append(b, byte(nextHeader(h.NextHeader, next)), byte(n/8-1), h.Type, h.SegmentsLeft)
	b = append(b, h.Data...)
	if dst, ok := h.finalDestination(); ok {
		e.ip.dst = dst
	}
	return b, nil
}

// finalDestination returns the destination the upper-layer pseudo-header
// uses when the packet has this routing header.
func (h IPv6Routing) finalDestination() ([16]byte, bool) {
	if h.SegmentsLeft == 0 || len(h.Data) < 20 {
		return [16]byte{}, false
	}
	switch h.Type {
	case 0, 2:
		return [16]byte(h.Data[len(h.Data)-16:]), true
	case 4:
		return [16]byte(h.Data[4:20]), true
	}
	return [16]byte{}, false
}

// String returns e.g. "IPv6Routing type 4 left 1 TCP".
func (h IPv6Routing) String() string {
	return fmt.Sprintf("IPv6Routing type %d left %d %v", h.Type, h.SegmentsLeft, h.NextHeader)
}

// IPv6Fragment is a fragment extension header (RFC 8200 §4.5). Build does not
// fragment: it writes this header as given in front of whatever layers follow.
type IPv6Fragment struct {
	// NextHeader announces the next header; zero means: taken from the next
	// layer as for [IPv6.NextHeader].
	NextHeader IPProto
	// Offset is the fragment offset in 8-byte units (13 bits).
	Offset uint16
	// More is the M flag: more fragments follow.
	More bool
	// ID is the identification.
	ID uint32
}

func (IPv6Fragment) kind() layerKind { return kindFragment }
func (IPv6Fragment) sizeHint() int   { return 8 }

func (h IPv6Fragment) encode(b []byte, e *encoder, next Layer) ([]byte, error) {
	if err := checkIPv6Chain(e, "ipv6 fragment"); err != nil {
		return b, err
	}
	if h.Offset > 0x1fff {
		return b, fmt.Errorf("ipv6 fragment: offset %d exceeds 13 bits", h.Offset)
	}
	v := h.Offset << 3
	if h.More {
		v |= 1
	}
	b = append(b, byte(nextHeader(h.NextHeader, next)), 0)
	b = binary.BigEndian.AppendUint16(b, v)
	return binary.BigEndian.AppendUint32(b, h.ID), nil
}

// String returns e.g. "IPv6Fragment id 7 offset 0 more UDP".
func (h IPv6Fragment) String() string {
	s := fmt.Sprintf("IPv6Fragment id %d offset %d", h.ID, h.Offset)
	if h.More {
		s += " more"
	}
	return s + " " + h.NextHeader.String()
}
