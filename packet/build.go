package packet

import (
	"encoding/binary"
	"fmt"
	"reflect"
)

// Layer is one header (or the payload) of a packet. The layer types are
// [Ethernet], [VLAN], [IPv4], [IPv6], [IPv6HopByHop], [IPv6Routing],
// [IPv6Fragment], [IPv6DestOptions], [TCP], [UDP], [ICMP], [ICMPv6],
// [Payload] and [ClientHello]; pass them to [Build] as values or pointers.
// [Parse] returns them as pointers. Other packages cannot implement Layer.
type Layer interface {
	fmt.Stringer
	// kind identifies the layer without a type switch over values and pointers.
	kind() layerKind
	// encode appends the layer's header to b with lengths and checksums zero.
	encode(b []byte, e *encoder, next Layer) ([]byte, error)
	// sizeHint is the number of bytes encode appends, or a guess.
	sizeHint() int
}

type layerKind uint8

const (
	kindNone layerKind = iota
	kindEthernet
	kindVLAN
	kindIPv4
	kindIPv6
	kindHopByHop
	kindRouting
	kindFragment
	kindDestOpts
	kindTCP
	kindUDP
	kindICMP
	kindICMPv6
	kindPayload
	kindClientHello
)

func (k layerKind) isIPv6Chain() bool {
	switch k {
	case kindIPv6, kindHopByHop, kindRouting, kindFragment, kindDestOpts:
		return true
	}
	return false
}

// ipContext is what an upper layer needs from the nearest enclosing IP
// header: the addresses of the checksum pseudo-header.
type ipContext struct {
	version  uint8 // 0 when there is no enclosing IP header
	src, dst [16]byte
}

func (c *ipContext) pseudoSum(proto IPProto, length int) (uint32, error) {
	switch c.version {
	case 4:
		if length > 0xffff {
			return 0, fmt.Errorf("length %d exceeds the IPv4 limit of 65535", length)
		}
		return pseudoSum4([4]byte(c.src[:4]), [4]byte(c.dst[:4]), proto, uint32(length)), nil
	case 6:
		return pseudoSum6(c.src, c.dst, proto, uint32(length)), nil
	}
	return 0, fmt.Errorf("no enclosing IPv4 or IPv6 layer for the checksum pseudo-header")
}

// encoder is the state of one Build call.
type encoder struct {
	prev layerKind
	ip   ipContext
}

type record struct {
	kind layerKind
	off  int
	hlen int
	ip   ipContext
	l    Layer
}

// Build encodes the layers, outermost first, into a new packet. It fills in
// every length and checksum field, and every EtherType, protocol or next
// header field left zero from the layer that follows (zero with nothing to
// infer from stays zero, except an IPv6 next header with no layer after it,
// which becomes [IPProtoNoNext]). Lengths run to the end of the packet.
// TCP, UDP and ICMPv6 checksums use the pseudo-header of the nearest IPv4 or
// IPv6 layer before them; for IPv6 with a routing header whose segments-left
// is non-zero, its destination is the final one (RFC 8200 §8.1).
//
// Build checks what the layers can express and returns an error for invalid
// combinations (an IPv4 address in an IPv6 header, a VLAN tag not after
// Ethernet, ICMPv6 over IPv4, a TCP header without an IP layer, values wider
// than their field, lengths beyond 65535). It never panics.
func Build(layers ...Layer) ([]byte, error) {
	n := 0
	for _, l := range layers {
		if !isNilLayer(l) {
			n += l.sizeHint()
		}
	}
	return Append(make([]byte, 0, n), layers...)
}

// MustBuild is like [Build] but panics on error. It is meant for tests with
// constant layers.
func MustBuild(layers ...Layer) []byte {
	b, err := Build(layers...)
	if err != nil {
		panic(err)
	}
	return b
}

// Append is like [Build] but appends the packet to dst and returns the
// extended slice, so a caller can reuse one buffer. Lengths and checksums
// cover only the bytes Append adds.
func Append(dst []byte, layers ...Layer) ([]byte, error) {
	start := len(dst)
	var recs [16]record
	rs := recs[:0]
	e := encoder{}
	for i, l := range layers {
		if isNilLayer(l) {
			return dst[:start], fmt.Errorf("layer %d: nil", i)
		}
		var next Layer
		if i+1 < len(layers) && !isNilLayer(layers[i+1]) {
			next = layers[i+1]
		}
		off := len(dst)
		var err error
		dst, err = l.encode(dst, &e, next)
		if err != nil {
			return dst[:start], fmt.Errorf("layer %d: %w", i, err)
		}
		rs = append(rs, record{kind: l.kind(), off: off - start, hlen: len(dst) - off, ip: e.ip, l: l})
		e.prev = l.kind()
	}
	pkt := dst[start:]
	end := len(pkt)
	// Inner layers first: an outer checksum may cover an inner one.
	for i := len(rs) - 1; i >= 0; i-- {
		if err := finish(pkt, &rs[i], end); err != nil {
			return dst[:start], fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return dst, nil
}

// finish fills the computed fields of one layer: lengths to the end of the
// packet and checksums.
func finish(pkt []byte, r *record, end int) error {
	h := pkt[r.off:]
	seg := pkt[r.off:end]
	switch r.kind {
	case kindIPv4:
		if len(seg) > 0xffff {
			return fmt.Errorf("ipv4: total length %d exceeds 65535", len(seg))
		}
		binary.BigEndian.PutUint16(h[2:], uint16(len(seg)))
		binary.BigEndian.PutUint16(h[10:], Checksum(h[:r.hlen]))
	case kindIPv6:
		pl := len(seg) - ipv6HeaderLen
		if pl > 0xffff {
			return fmt.Errorf("ipv6: payload length %d exceeds 65535 (jumbograms are not supported)", pl)
		}
		binary.BigEndian.PutUint16(h[4:], uint16(pl))
	case kindTCP:
		sum, err := r.ip.pseudoSum(IPProtoTCP, len(seg))
		if err != nil {
			return fmt.Errorf("tcp: %w", err)
		}
		binary.BigEndian.PutUint16(h[16:], FoldChecksum(PartialSum(seg, sum)))
	case kindUDP:
		if len(seg) > 0xffff {
			return fmt.Errorf("udp: length %d exceeds 65535", len(seg))
		}
		binary.BigEndian.PutUint16(h[4:], uint16(len(seg)))
		if noChecksum(r.l) {
			return nil
		}
		sum, err := r.ip.pseudoSum(IPProtoUDP, len(seg))
		if err != nil {
			return fmt.Errorf("udp: %w", err)
		}
		binary.BigEndian.PutUint16(h[6:], udpChecksum(FoldChecksum(PartialSum(seg, sum))))
	case kindICMP:
		binary.BigEndian.PutUint16(h[2:], Checksum(seg))
	case kindICMPv6:
		sum, err := r.ip.pseudoSum(IPProtoICMPv6, len(seg))
		if err != nil {
			return fmt.Errorf("icmpv6: %w", err)
		}
		binary.BigEndian.PutUint16(h[2:], FoldChecksum(PartialSum(seg, sum)))
	}
	return nil
}

// udpChecksum maps a computed checksum of zero to 0xffff: zero in the UDP
// checksum field means "no checksum" (RFC 768).
func udpChecksum(c uint16) uint16 {
	if c == 0 {
		return 0xffff
	}
	return c
}

func noChecksum(l Layer) bool {
	switch u := l.(type) {
	case UDP:
		return u.NoChecksum
	case *UDP:
		return u.NoChecksum
	}
	return false
}

// isNilLayer reports whether l is nil or a nil pointer.
func isNilLayer(l Layer) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// etherTypeOf returns the EtherType announcing layer l, or 0.
func etherTypeOf(l Layer) EtherType {
	if l == nil {
		return 0
	}
	switch l.kind() {
	case kindIPv4:
		return EtherTypeIPv4
	case kindIPv6:
		return EtherTypeIPv6
	case kindVLAN:
		var tpid EtherType
		switch v := l.(type) {
		case VLAN:
			tpid = v.TPID
		case *VLAN:
			tpid = v.TPID
		}
		if tpid == 0 {
			tpid = EtherTypeVLAN
		}
		return tpid
	}
	return 0
}

// protoOf returns the IP protocol number announcing layer l.
func protoOf(l Layer) (IPProto, bool) {
	if l == nil {
		return 0, false
	}
	switch l.kind() {
	case kindIPv4:
		return IPProtoIPIP, true
	case kindIPv6:
		return IPProtoIPv6, true
	case kindHopByHop:
		return IPProtoHopByHop, true
	case kindRouting:
		return IPProtoRouting, true
	case kindFragment:
		return IPProtoFragment, true
	case kindDestOpts:
		return IPProtoDestOpts, true
	case kindTCP:
		return IPProtoTCP, true
	case kindUDP:
		return IPProtoUDP, true
	case kindICMP:
		return IPProtoICMP, true
	case kindICMPv6:
		return IPProtoICMPv6, true
	}
	return 0, false
}

// nextHeader returns the next header value for an IPv6 or extension header.
func nextHeader(explicit IPProto, next Layer) IPProto {
	if explicit != 0 {
		return explicit
	}
	if p, ok := protoOf(next); ok {
		return p
	}
	if next == nil {
		return IPProtoNoNext
	}
	return 0 // a Payload follows: the caller should have said what it is
}
