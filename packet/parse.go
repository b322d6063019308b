package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unsafe"
)

// Packet is a decoded packet: its layers in wire order with the offset of
// each. Layers holds pointers ([*Ethernet], [*IPv4], [*TCP], ...) and, for
// bytes not decoded further, a [Payload]; byte slices in them alias Data.
type Packet struct {
	// Data is the input of Parse, not copied.
	Data []byte
	// Layers are the decoded layers, outermost first. The last one is a
	// Payload when bytes remain after the last header.
	Layers []Layer
	// Offsets[i] is the offset in Data where Layers[i] starts.
	Offsets []int
	// Trailer holds the bytes after the end of the outermost IP packet (as
	// its length field says), such as Ethernet padding. They are not in Layers.
	Trailer []byte
}

// Parse decodes an Ethernet frame (as XDP and TC programs see it): Ethernet,
// any number of 802.1Q/802.1ad VLAN tags, IPv4 (with options) or IPv6 (with
// hop-by-hop, routing, fragment and destination options headers), IPv4 or
// IPv6 inside IP, and TCP, UDP, ICMP or ICMPv6. Whatever follows, or an
// EtherType or protocol it does not know, becomes a [Payload]. A fragment
// with a non-zero offset is not decoded past the IP layer.
//
// Parse checks the structure (versions, header lengths, and that IP, UDP and
// extension header lengths fit the data and each other) but not checksums:
// see [Packet.VerifyChecksums]. On bad input it returns an error wrapping
// [ErrTruncated] or [ErrMalformed] that names the layer and offset; it never
// panics.
func Parse(b []byte) (*Packet, error) {
	return parse(b, kindEthernet)
}

// ParseIP is like [Parse] for a packet that starts with its IPv4 or IPv6
// header (as cgroup skb and socket filter programs see it, or after
// stripping the link layer), chosen by the version nibble.
func ParseIP(b []byte) (*Packet, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("ip at offset 0: empty: %w", ErrTruncated)
	}
	switch b[0] >> 4 {
	case 4:
		return parse(b, kindIPv4)
	case 6:
		return parse(b, kindIPv6)
	}
	return nil, fmt.Errorf("ip at offset 0: version %d: %w", b[0]>>4, ErrMalformed)
}

// layerError formats a decoding error for a layer at an offset.
func layerError(name string, off int, sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s at offset %d: %s: %w", name, off, fmt.Sprintf(format, args...), sentinel)
}

func parse(b []byte, first layerKind) (*Packet, error) {
	p := &Packet{Data: b, Layers: make([]Layer, 0, 5), Offsets: make([]int, 0, 5)}
	off, end := 0, len(b)
	k := first
	var tpid EtherType // the EtherType announcing a VLAN tag
	ipSeen := false
	fragmentTail := false // a non-first fragment: the rest is payload
	// limitIP shortens end to an IP packet's length and keeps what follows
	// as the trailer (outermost IP) or rejects it (inner IP).
	limitIP := func(name string, n int) error {
		if n > end-off {
			return layerError(name, off, ErrTruncated, "length %d exceeds the %d bytes left", n, end-off)
		}
		if off+n < end {
			if ipSeen {
				return layerError(name, off, ErrMalformed, "length %d is shorter than the %d bytes the outer header carries", n, end-off)
			}
			p.Trailer = b[off+n : end]
			end = off + n
		}
		ipSeen = true
		return nil
	}
	for {
		switch k {
		case kindEthernet:
			if end-off < ethernetHeaderLen {
				return nil, layerError("ethernet", off, ErrTruncated, "%d bytes, want %d", end-off, ethernetHeaderLen)
			}
			h := &Ethernet{
				Dst:       b[off : off+6 : off+6],
				Src:       b[off+6 : off+12 : off+12],
				EtherType: EtherType(binary.BigEndian.Uint16(b[off+12:])),
			}
			p.add(h, off)
			off += ethernetHeaderLen
			tpid = h.EtherType
			k = kindForEtherType(h.EtherType)
		case kindVLAN:
			if end-off < vlanTagLen {
				return nil, layerError("vlan", off, ErrTruncated, "%d bytes, want %d", end-off, vlanTagLen)
			}
			tci := binary.BigEndian.Uint16(b[off:])
			h := &VLAN{
				TPID:         tpid,
				Priority:     uint8(tci >> 13),
				DropEligible: tci&(1<<12) != 0,
				ID:           tci & 0xfff,
				EtherType:    EtherType(binary.BigEndian.Uint16(b[off+2:])),
			}
			p.add(h, off)
			off += vlanTagLen
			tpid = h.EtherType
			k = kindForEtherType(h.EtherType)
		case kindIPv4:
			h, err := parseIPv4(b[off:end], off)
			if err != nil {
				return nil, err
			}
			if int(h.TotalLength) < h.headerLen() {
				return nil, layerError("ipv4", off, ErrMalformed, "total length %d is shorter than the %d-byte header", h.TotalLength, h.headerLen())
			}
			if err := limitIP("ipv4", int(h.TotalLength)); err != nil {
				return nil, err
			}
			p.add(h, off)
			off += h.headerLen()
			k = kindForProto(h.Protocol, false)
			if h.FragOffset != 0 {
				k, fragmentTail = kindPayload, true
			}
		case kindIPv6:
			if end-off < ipv6HeaderLen {
				return nil, layerError("ipv6", off, ErrTruncated, "%d bytes, want %d", end-off, ipv6HeaderLen)
			}
			w := binary.BigEndian.Uint32(b[off:])
			if w>>28 != 6 {
				return nil, layerError("ipv6", off, ErrMalformed, "version %d", w>>28)
			}
			h := &IPv6{
				TrafficClass:  uint8(w >> 20),
				FlowLabel:     w & 0xfffff,
				PayloadLength: binary.BigEndian.Uint16(b[off+4:]),
				NextHeader:    IPProto(b[off+6]),
				HopLimit:      b[off+7],
				Src:           netip.AddrFrom16([16]byte(b[off+8 : off+24])),
				Dst:           netip.AddrFrom16([16]byte(b[off+24 : off+40])),
			}
			if err := limitIP("ipv6", ipv6HeaderLen+int(h.PayloadLength)); err != nil {
				return nil, err
			}
			p.add(h, off)
			off += ipv6HeaderLen
			k = kindForProto(h.NextHeader, true)
		case kindHopByHop, kindDestOpts, kindRouting, kindFragment:
			name := extName(k)
			if end-off < 8 {
				return nil, layerError(name, off, ErrTruncated, "%d bytes, want at least 8", end-off)
			}
			nh := IPProto(b[off])
			n := 8
			if k != kindFragment {
				n = 8 * (int(b[off+1]) + 1)
			}
			if n > end-off {
				return nil, layerError(name, off, ErrTruncated, "length %d exceeds the %d bytes left", n, end-off)
			}
			hb := b[off : off+n : off+n]
			var l Layer
			next := kindForProto(nh, true)
			switch k {
			case kindHopByHop, kindDestOpts:
				opts, err := parseIPv6Options(hb[2:], name, off+2)
				if err != nil {
					return nil, err
				}
				if k == kindHopByHop {
					l = &IPv6HopByHop{NextHeader: nh, Options: opts}
				} else {
					l = &IPv6DestOptions{NextHeader: nh, Options: opts}
				}
			case kindRouting:
				l = &IPv6Routing{NextHeader: nh, Type: hb[2], SegmentsLeft: hb[3], Data: hb[4:]}
			case kindFragment:
				v := binary.BigEndian.Uint16(hb[2:])
				f := &IPv6Fragment{NextHeader: nh, Offset: v >> 3, More: v&1 != 0, ID: binary.BigEndian.Uint32(hb[4:])}
				if f.Offset != 0 {
					next, fragmentTail = kindPayload, true
				}
				l = f
			}
			p.add(l, off)
			off += n
			k = next
		case kindTCP:
			if end-off < tcpHeaderLen {
				return nil, layerError("tcp", off, ErrTruncated, "%d bytes, want at least %d", end-off, tcpHeaderLen)
			}
			hl := int(b[off+12]>>4) * 4
			if hl < tcpHeaderLen {
				return nil, layerError("tcp", off, ErrMalformed, "data offset %d is below 5", hl/4)
			}
			if hl > end-off {
				return nil, layerError("tcp", off, ErrTruncated, "header length %d exceeds the %d bytes left", hl, end-off)
			}
			h := &TCP{
				SrcPort:  binary.BigEndian.Uint16(b[off:]),
				DstPort:  binary.BigEndian.Uint16(b[off+2:]),
				Seq:      binary.BigEndian.Uint32(b[off+4:]),
				Ack:      binary.BigEndian.Uint32(b[off+8:]),
				Flags:    TCPFlags(b[off+12]&0x0f)<<8 | TCPFlags(b[off+13]),
				Window:   binary.BigEndian.Uint16(b[off+14:]),
				Checksum: binary.BigEndian.Uint16(b[off+16:]),
				Urgent:   binary.BigEndian.Uint16(b[off+18:]),
			}
			if hl > tcpHeaderLen {
				h.Options = b[off+tcpHeaderLen : off+hl : off+hl]
			}
			p.add(h, off)
			off += hl
			k = kindPayload
		case kindUDP:
			if end-off < udpHeaderLen {
				return nil, layerError("udp", off, ErrTruncated, "%d bytes, want %d", end-off, udpHeaderLen)
			}
			h := &UDP{
				SrcPort:  binary.BigEndian.Uint16(b[off:]),
				DstPort:  binary.BigEndian.Uint16(b[off+2:]),
				Length:   binary.BigEndian.Uint16(b[off+4:]),
				Checksum: binary.BigEndian.Uint16(b[off+6:]),
			}
			if int(h.Length) != end-off {
				sentinel := ErrMalformed
				if int(h.Length) > end-off {
					sentinel = ErrTruncated
				}
				return nil, layerError("udp", off, sentinel, "length field %d, but %d bytes are left", h.Length, end-off)
			}
			h.NoChecksum = h.Checksum == 0
			p.add(h, off)
			off += udpHeaderLen
			k = kindPayload
		case kindICMP, kindICMPv6:
			name := "icmp"
			if k == kindICMPv6 {
				name = "icmpv6"
			}
			if end-off < icmpHeaderLen {
				return nil, layerError(name, off, ErrTruncated, "%d bytes, want %d", end-off, icmpHeaderLen)
			}
			typ, code := b[off], b[off+1]
			sum := binary.BigEndian.Uint16(b[off+2:])
			id, seq := binary.BigEndian.Uint16(b[off+4:]), binary.BigEndian.Uint16(b[off+6:])
			if k == kindICMP {
				p.add(&ICMP{Type: typ, Code: code, ID: id, Seq: seq, Checksum: sum}, off)
			} else {
				p.add(&ICMPv6{Type: typ, Code: code, ID: id, Seq: seq, Checksum: sum}, off)
			}
			off += icmpHeaderLen
			k = kindPayload
		default: // kindPayload
			// A non-first fragment gets its Payload even when empty, so
			// that Build gives its protocol field back exactly.
			if off < end || fragmentTail {
				p.add(Payload(b[off:end:end]), off)
			}
			return p, nil
		}
	}
}

func parseIPv4(b []byte, off int) (*IPv4, error) {
	if len(b) < ipv4HeaderLen {
		return nil, layerError("ipv4", off, ErrTruncated, "%d bytes, want at least %d", len(b), ipv4HeaderLen)
	}
	if v := b[0] >> 4; v != 4 {
		return nil, layerError("ipv4", off, ErrMalformed, "version %d", v)
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4HeaderLen {
		return nil, layerError("ipv4", off, ErrMalformed, "IHL %d is below 5", hl/4)
	}
	if hl > len(b) {
		return nil, layerError("ipv4", off, ErrTruncated, "header length %d exceeds the %d bytes left", hl, len(b))
	}
	ff := binary.BigEndian.Uint16(b[6:])
	h := &IPv4{
		TOS:         b[1],
		TotalLength: binary.BigEndian.Uint16(b[2:]),
		ID:          binary.BigEndian.Uint16(b[4:]),
		Flags:       IPv4Flags(ff >> 13),
		FragOffset:  ff & 0x1fff,
		TTL:         b[8],
		Protocol:    IPProto(b[9]),
		Checksum:    binary.BigEndian.Uint16(b[10:]),
		Src:         netip.AddrFrom4([4]byte(b[12:16])),
		Dst:         netip.AddrFrom4([4]byte(b[16:20])),
	}
	if hl > ipv4HeaderLen {
		h.Options = b[ipv4HeaderLen:hl:hl]
	}
	return h, nil
}

func parseIPv6Options(b []byte, name string, off int) ([]IPv6Option, error) {
	var opts []IPv6Option
	for i := 0; i < len(b); {
		t := b[i]
		if t == 0 { // Pad1
			opts = append(opts, IPv6Option{Type: 0})
			i++
			continue
		}
		if i+2 > len(b) || i+2+int(b[i+1]) > len(b) {
			return nil, layerError(name, off+i, ErrMalformed, "option %d overruns the header", t)
		}
		n := int(b[i+1])
		opts = append(opts, IPv6Option{Type: t, Data: b[i+2 : i+2+n : i+2+n]})
		i += 2 + n
	}
	return opts, nil
}

func extName(k layerKind) string {
	switch k {
	case kindHopByHop:
		return "ipv6 hop-by-hop"
	case kindDestOpts:
		return "ipv6 destination options"
	case kindRouting:
		return "ipv6 routing"
	}
	return "ipv6 fragment"
}

func kindForEtherType(t EtherType) layerKind {
	switch t {
	case EtherTypeIPv4:
		return kindIPv4
	case EtherTypeIPv6:
		return kindIPv6
	case EtherTypeVLAN, EtherTypeQinQ, 0x9100:
		return kindVLAN
	}
	return kindPayload
}

// kindForProto returns the layer an IP protocol number announces. Extension
// headers and ICMPv6 are decoded only after IPv6 (v6), ICMP only after IPv4.
func kindForProto(p IPProto, v6 bool) layerKind {
	switch p {
	case IPProtoHopByHop, IPProtoRouting, IPProtoFragment, IPProtoDestOpts, IPProtoICMPv6:
		if !v6 {
			return kindPayload
		}
	case IPProtoICMP:
		if v6 {
			return kindPayload
		}
	}
	switch p {
	case IPProtoHopByHop:
		return kindHopByHop
	case IPProtoRouting:
		return kindRouting
	case IPProtoFragment:
		return kindFragment
	case IPProtoDestOpts:
		return kindDestOpts
	case IPProtoTCP:
		return kindTCP
	case IPProtoUDP:
		return kindUDP
	case IPProtoICMP:
		return kindICMP
	case IPProtoICMPv6:
		return kindICMPv6
	case IPProtoIPIP:
		return kindIPv4
	case IPProtoIPv6:
		return kindIPv6
	}
	return kindPayload
}

func (p *Packet) add(l Layer, off int) {
	p.Layers = append(p.Layers, l)
	p.Offsets = append(p.Offsets, off)
}

// first returns the first layer of type T.
func first[T Layer](p *Packet) T {
	for _, l := range p.Layers {
		if v, ok := l.(T); ok {
			return v
		}
	}
	var zero T
	return zero
}

// Ethernet returns the Ethernet header, or nil.
func (p *Packet) Ethernet() *Ethernet { return first[*Ethernet](p) }

// VLANs returns the VLAN tags, outermost first.
func (p *Packet) VLANs() []*VLAN {
	var vs []*VLAN
	for _, l := range p.Layers {
		if v, ok := l.(*VLAN); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// IPv4 returns the first (outermost) IPv4 header, or nil.
func (p *Packet) IPv4() *IPv4 { return first[*IPv4](p) }

// IPv6 returns the first (outermost) IPv6 header, or nil.
func (p *Packet) IPv6() *IPv6 { return first[*IPv6](p) }

// TCP returns the TCP header, or nil.
func (p *Packet) TCP() *TCP { return first[*TCP](p) }

// UDP returns the UDP header, or nil.
func (p *Packet) UDP() *UDP { return first[*UDP](p) }

// ICMP returns the ICMP header, or nil.
func (p *Packet) ICMP() *ICMP { return first[*ICMP](p) }

// ICMPv6 returns the ICMPv6 header, or nil.
func (p *Packet) ICMPv6() *ICMPv6 { return first[*ICMPv6](p) }

// Payload returns the bytes after the last decoded header (excluding the
// [Packet.Trailer]), or nil when there are none. The payload of a non-first
// fragment is returned even when empty.
func (p *Packet) Payload() []byte {
	if n := len(p.Layers); n > 0 {
		if pl, ok := p.Layers[n-1].(Payload); ok {
			return pl
		}
	}
	return nil
}

// PayloadOffset returns the offset of [Packet.Payload] in Data, or -1 when
// there is no payload.
func (p *Packet) PayloadOffset() int {
	if n := len(p.Layers); n > 0 {
		if _, ok := p.Layers[n-1].(Payload); ok && n <= len(p.Offsets) {
			return p.Offsets[n-1]
		}
	}
	return -1
}

// Offset returns the offset in Data where layer l starts, or -1 when l is
// not one of p.Layers. Pass the pointer an accessor returned:
//
//	ipOff := p.Offset(p.IPv4())
func (p *Packet) Offset(l Layer) int {
	if isNilLayer(l) {
		return -1
	}
	for i, x := range p.Layers {
		if samePointer(x, l) && i < len(p.Offsets) {
			return p.Offsets[i]
		}
	}
	return -1
}

func samePointer(a, b Layer) bool {
	if pa, ok := a.(Payload); ok {
		pb, ok := b.(Payload)
		return ok && len(pb) == len(pa) && unsafe.SliceData(pa) == unsafe.SliceData(pb)
	}
	if _, ok := b.(Payload); ok {
		return false
	}
	// Every other layer in Packet.Layers is a pointer, which compares by identity.
	return a == b
}

// String lists the layers, e.g.
// "Ethernet ... | IPv4 10.0.0.1 > 10.0.0.2 ... | TCP 12345 > 80 ...".
func (p *Packet) String() string {
	parts := make([]string, len(p.Layers))
	for i, l := range p.Layers {
		parts[i] = l.String()
	}
	if len(p.Trailer) > 0 {
		parts = append(parts, fmt.Sprintf("Trailer %d bytes", len(p.Trailer)))
	}
	return strings.Join(parts, " | ")
}

// ChecksumError reports a wrong checksum found by [Packet.VerifyChecksums].
type ChecksumError struct {
	// Layer names the checksum: "ipv4 header", "tcp", "udp", "icmp" or "icmpv6".
	Layer string
	// Offset is where that layer starts in the packet.
	Offset int
	// Got is the value in the packet; Want is the correct one.
	Got, Want uint16
}

// Error returns e.g. "tcp at offset 34: checksum 0x1234, want 0xabcd".
func (e *ChecksumError) Error() string {
	if e.Got == 0 && e.Layer == "udp" {
		return fmt.Sprintf("%s at offset %d: checksum 0x0000 (none) is not allowed over IPv6, want %#04x", e.Layer, e.Offset, e.Want)
	}
	return fmt.Sprintf("%s at offset %d: checksum %#04x, want %#04x", e.Layer, e.Offset, e.Got, e.Want)
}

// VerifyChecksums checks every IPv4 header checksum and every TCP, UDP, ICMP
// and ICMPv6 checksum (with the pseudo-header of the enclosing IP header,
// using the final destination of an IPv6 routing header) the way a receiver
// does, so both encodings of a zero sum are accepted. A zero UDP checksum over
// IPv4 means "none" and passes; over IPv6 it is an error. Transport checksums
// of fragments are not checked: they cover data that is not in this packet.
//
// It returns nil when all are correct, and otherwise one [*ChecksumError]
// per wrong checksum, joined with errors.Join (use errors.As to get the first).
func (p *Packet) VerifyChecksums() error {
	var errs []error
	var ip ipContext
	ipEnd := len(p.Data)
	fragment := false
	for i, l := range p.Layers {
		if i >= len(p.Offsets) || p.Offsets[i] < 0 || p.Offsets[i] > len(p.Data) {
			break // not a Packet from Parse
		}
		off := p.Offsets[i]
		switch h := l.(type) {
		case *IPv4:
			if hl := h.headerLen(); off+hl <= len(p.Data) {
				if err := verify(p.Data[off:off+hl], 0, 10, "ipv4 header", off, false); err != nil {
					errs = append(errs, err)
				}
			}
			ip = ipContext{version: 4}
			s, d := h.Src.As4(), h.Dst.As4()
			copy(ip.src[:], s[:])
			copy(ip.dst[:], d[:])
			ipEnd = off + int(h.TotalLength)
			fragment = h.Flags&IPv4MoreFragments != 0 || h.FragOffset != 0
		case *IPv6:
			ip = ipContext{version: 6, src: h.Src.As16(), dst: h.Dst.As16()}
			ipEnd = off + ipv6HeaderLen + int(h.PayloadLength)
			fragment = false
		case *IPv6Routing:
			if d, ok := h.finalDestination(); ok {
				ip.dst = d
			}
		case *IPv6Fragment:
			fragment = fragment || h.More || h.Offset != 0
		case *TCP, *UDP, *ICMP, *ICMPv6:
			if fragment {
				continue
			}
			if err := p.verifyTransport(l, off, ipEnd, &ip); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (p *Packet) verifyTransport(l Layer, off, end int, ip *ipContext) error {
	if end > len(p.Data) || end < off {
		end = len(p.Data)
	}
	seg := p.Data[off:end]
	switch h := l.(type) {
	case *TCP:
		sum, err := ip.pseudoSum(IPProtoTCP, len(seg))
		if err != nil {
			return fmt.Errorf("tcp at offset %d: %w", off, err)
		}
		return verify(seg, sum, 16, "tcp", off, false)
	case *UDP:
		if h.Checksum == 0 && ip.version == 4 {
			return nil
		}
		sum, err := ip.pseudoSum(IPProtoUDP, len(seg))
		if err != nil {
			return fmt.Errorf("udp at offset %d: %w", off, err)
		}
		return verify(seg, sum, 6, "udp", off, true)
	case *ICMP:
		return verify(seg, 0, 2, "icmp", off, false)
	case *ICMPv6:
		sum, err := ip.pseudoSum(IPProtoICMPv6, len(seg))
		if err != nil {
			return fmt.Errorf("icmpv6 at offset %d: %w", off, err)
		}
		return verify(seg, sum, 2, "icmpv6", off, false)
	}
	return nil
}

// verify checks the checksum at field in b, with sum as the initial sum.
func verify(b []byte, sum uint32, field int, name string, off int, udp bool) error {
	if len(b) < field+2 {
		return fmt.Errorf("%s at offset %d: %d bytes cannot hold the checksum: %w", name, off, len(b), ErrTruncated)
	}
	got := binary.BigEndian.Uint16(b[field:])
	total := PartialSum(b, sum)
	if fold(total) == 0xffff && !(udp && got == 0) {
		return nil
	}
	// Remove the field from the sum: adding its complement subtracts it.
	want := FoldChecksum(total + uint32(^got))
	if udp {
		want = udpChecksum(want)
	}
	return &ChecksumError{Layer: name, Offset: off, Got: got, Want: want}
}
