package packet

import (
	"fmt"
	"strings"
)

// EtherType is the 16-bit protocol number in an Ethernet or VLAN header
// (IEEE 802.3, IANA "IEEE 802 Numbers").
type EtherType uint16

// Common EtherTypes.
const (
	EtherTypeIPv4 EtherType = 0x0800 // Internet Protocol version 4 (ETH_P_IP)
	EtherTypeARP  EtherType = 0x0806 // Address Resolution Protocol (ETH_P_ARP)
	EtherTypeVLAN EtherType = 0x8100 // IEEE 802.1Q VLAN tag, C-tag (ETH_P_8021Q)
	EtherTypeIPv6 EtherType = 0x86DD // Internet Protocol version 6 (ETH_P_IPV6)
	EtherTypeQinQ EtherType = 0x88A8 // IEEE 802.1ad service VLAN tag, S-tag (ETH_P_8021AD)
)

// String returns the EtherType's name, or its value in hex.
func (t EtherType) String() string {
	switch t {
	case EtherTypeIPv4:
		return "IPv4"
	case EtherTypeARP:
		return "ARP"
	case EtherTypeVLAN:
		return "802.1Q"
	case EtherTypeIPv6:
		return "IPv6"
	case EtherTypeQinQ:
		return "802.1ad"
	}
	return fmt.Sprintf("0x%04x", uint16(t))
}

// IPProto is an IP protocol number: the IPv4 Protocol field and the IPv6 Next
// Header field (IANA "Assigned Internet Protocol Numbers").
type IPProto uint8

// IP protocol numbers the package knows.
const (
	IPProtoHopByHop IPProto = 0  // IPv6 hop-by-hop options (IPPROTO_HOPOPTS)
	IPProtoICMP     IPProto = 1  // ICMP for IPv4 (IPPROTO_ICMP)
	IPProtoIPIP     IPProto = 4  // IPv4 in IP encapsulation (IPPROTO_IPIP)
	IPProtoTCP      IPProto = 6  // TCP (IPPROTO_TCP)
	IPProtoUDP      IPProto = 17 // UDP (IPPROTO_UDP)
	IPProtoIPv6     IPProto = 41 // IPv6 in IP encapsulation (IPPROTO_IPV6)
	IPProtoRouting  IPProto = 43 // IPv6 routing header (IPPROTO_ROUTING)
	IPProtoFragment IPProto = 44 // IPv6 fragment header (IPPROTO_FRAGMENT)
	IPProtoICMPv6   IPProto = 58 // ICMP for IPv6 (IPPROTO_ICMPV6)
	IPProtoNoNext   IPProto = 59 // IPv6 no next header (IPPROTO_NONE)
	IPProtoDestOpts IPProto = 60 // IPv6 destination options (IPPROTO_DSTOPTS)
)

// String returns the protocol's name, or its number.
func (p IPProto) String() string {
	switch p {
	case IPProtoHopByHop:
		return "HopByHop"
	case IPProtoICMP:
		return "ICMP"
	case IPProtoIPIP:
		return "IPIP"
	case IPProtoTCP:
		return "TCP"
	case IPProtoUDP:
		return "UDP"
	case IPProtoIPv6:
		return "IPv6"
	case IPProtoRouting:
		return "Routing"
	case IPProtoFragment:
		return "Fragment"
	case IPProtoICMPv6:
		return "ICMPv6"
	case IPProtoNoNext:
		return "NoNext"
	case IPProtoDestOpts:
		return "DestOpts"
	}
	return fmt.Sprintf("proto-%d", uint8(p))
}

// IPv4Flags are the three flag bits of an IPv4 header (RFC 791 §3.1).
type IPv4Flags uint8

// IPv4 flag bits.
const (
	IPv4MoreFragments IPv4Flags = 1 << 0 // MF: more fragments follow (IP_MF)
	IPv4DontFragment  IPv4Flags = 1 << 1 // DF: don't fragment (IP_DF)
	IPv4Reserved      IPv4Flags = 1 << 2 // the reserved bit, zero on the wire (RFC 791)
)

// String lists the set flags, e.g. "DF|MF".
func (f IPv4Flags) String() string {
	return flagString(uint16(f), []string{"MF", "DF", "RES"})
}

// TCPFlags are the flag bits of a TCP header: bits 0–7 are the byte at offset
// 13 (FIN to CWR), bit 8 is AE (formerly NS, RFC 3540) and bits 9–11 are the
// reserved bits, all at offset 12 below the data offset.
type TCPFlags uint16

// TCP flag bits (RFC 9293 §3.1, RFC 3168).
const (
	TCPFin TCPFlags = 1 << iota // FIN: no more data from sender
	TCPSyn                      // SYN: synchronize sequence numbers
	TCPRst                      // RST: reset the connection
	TCPPsh                      // PSH: push function
	TCPAck                      // ACK: acknowledgment field is significant
	TCPUrg                      // URG: urgent pointer field is significant
	TCPEce                      // ECE: ECN-Echo
	TCPCwr                      // CWR: congestion window reduced
	TCPAE                       // AE: accurate ECN (formerly NS)
)

// String lists the set flags, e.g. "SYN|ACK".
func (f TCPFlags) String() string {
	return flagString(uint16(f), []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE", "RES9", "RES10", "RES11"})
}

func flagString(v uint16, names []string) string {
	if v == 0 {
		return "none"
	}
	var sb strings.Builder
	for i, n := range names {
		if v&(1<<i) == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString(n)
		v &^= 1 << i
	}
	if v != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		fmt.Fprintf(&sb, "0x%x", v)
	}
	return sb.String()
}

// ICMP (RFC 792) and ICMPv6 (RFC 4443, RFC 4861) message types.
const (
	ICMPEchoReply       = 0  // ICMP echo reply
	ICMPDestUnreachable = 3  // ICMP destination unreachable
	ICMPEchoRequest     = 8  // ICMP echo request
	ICMPTimeExceeded    = 11 // ICMP time exceeded

	ICMPv6DestUnreachable       = 1   // ICMPv6 destination unreachable
	ICMPv6PacketTooBig          = 2   // ICMPv6 packet too big
	ICMPv6TimeExceeded          = 3   // ICMPv6 time exceeded
	ICMPv6EchoRequest           = 128 // ICMPv6 echo request
	ICMPv6EchoReply             = 129 // ICMPv6 echo reply
	ICMPv6RouterSolicitation    = 133 // NDP router solicitation
	ICMPv6RouterAdvertisement   = 134 // NDP router advertisement
	ICMPv6NeighborSolicitation  = 135 // NDP neighbor solicitation
	ICMPv6NeighborAdvertisement = 136 // NDP neighbor advertisement
)
