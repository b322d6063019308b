package packet

import (
	"fmt"
	"net"
	"net/netip"
)

// Default values [Spec] uses for fields left zero.
var (
	DefaultSrcMAC = net.HardwareAddr{0, 0, 0, 0, 0, 1}
	DefaultDstMAC = net.HardwareAddr{0, 0, 0, 0, 0, 2}
	DefaultSrcIP  = netip.AddrFrom4([4]byte{10, 0, 0, 1})
	DefaultDstIP  = netip.AddrFrom4([4]byte{10, 0, 0, 2})
	DefaultSrcIP6 = netip.AddrFrom16([16]byte{0: 0xfd, 15: 1}) // fd00::1
	DefaultDstIP6 = netip.AddrFrom16([16]byte{0: 0xfd, 15: 2}) // fd00::2
)

// Default ports and hop limit [Spec] uses for fields left zero.
const (
	DefaultSrcPort = 12345
	DefaultDstPort = 80
	DefaultTTL     = 64
)

// Spec describes a whole test frame in one value: Ethernet, optional VLAN
// tags, IPv4 or IPv6, and TCP, UDP or ICMP/ICMPv6 echo with a payload. Every
// zero field takes a default, so Spec{} is a TCP SYN from
// 00:00:00:00:00:01 10.0.0.1:12345 to 00:00:00:00:00:02 10.0.0.2:80 with TTL
// 64 (clj-ebpf's build-test-packet). For control over every field, call
// [Spec.Layers], change the layers, and pass them to [Build].
type Spec struct {
	// Protocol is [IPProtoTCP] (the default), [IPProtoUDP] or [IPProtoICMP]
	// (an echo request; ICMPv6 echo request over IPv6; [IPProtoICMPv6] is
	// accepted too).
	Protocol IPProto
	// SrcMAC and DstMAC default to [DefaultSrcMAC] and [DefaultDstMAC].
	SrcMAC, DstMAC net.HardwareAddr
	// VLANs are 802.1Q VLAN IDs, outermost first. With more than one, the
	// outer tags use TPID 0x88a8 (802.1ad) and the innermost 0x8100.
	VLANs []uint16
	// IPv6 selects IPv6 with default addresses [DefaultSrcIP6] and
	// [DefaultDstIP6]. It is implied when SrcIP or DstIP is IPv6.
	IPv6 bool
	// SrcIP and DstIP default to [DefaultSrcIP] and [DefaultDstIP] (or
	// their IPv6 counterparts). Both must be of the same family.
	SrcIP, DstIP netip.Addr
	// TTL is the IPv4 TTL or IPv6 hop limit; zero means [DefaultTTL].
	TTL uint8
	// SrcPort and DstPort default to [DefaultSrcPort] and [DefaultDstPort]
	// (443 when ServerName is set). For ICMP, SrcPort is the echo
	// identifier and the sequence number is 1.
	SrcPort, DstPort uint16
	// TCPFlags are the TCP flags; zero means SYN, or PSH|ACK when there is
	// a payload.
	TCPFlags TCPFlags
	// Window is the TCP window; zero means 65535.
	Window uint16
	// Payload is the data after the transport header.
	Payload []byte
	// ServerName, when set, makes the payload a TLS 1.3 [ClientHello] with
	// this server name (SNI) instead of Payload. TCP only.
	ServerName string
}

// Layers returns the layers the Spec describes, with its defaults applied.
func (s Spec) Layers() ([]Layer, error) {
	v6 := s.IPv6 || s.SrcIP.Is6() || s.DstIP.Is6()
	src, dst := s.SrcIP, s.DstIP
	if !src.IsValid() {
		src = DefaultSrcIP
		if v6 {
			src = DefaultSrcIP6
		}
	}
	if !dst.IsValid() {
		dst = DefaultDstIP
		if v6 {
			dst = DefaultDstIP6
		}
	}
	if src.Is4() != dst.Is4() || (v6 && src.Is4()) {
		return nil, fmt.Errorf("spec: addresses %v and %v are not of one family", src, dst)
	}
	smac, dmac := s.SrcMAC, s.DstMAC
	if smac == nil {
		smac = DefaultSrcMAC
	}
	if dmac == nil {
		dmac = DefaultDstMAC
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	sport, dport := s.SrcPort, s.DstPort
	if sport == 0 {
		sport = DefaultSrcPort
	}
	if dport == 0 {
		dport = DefaultDstPort
		if s.ServerName != "" {
			dport = 443
		}
	}

	layers := make([]Layer, 0, 5+len(s.VLANs))
	layers = append(layers, &Ethernet{Src: smac, Dst: dmac})
	for i, id := range s.VLANs {
		tpid := EtherTypeVLAN
		if i < len(s.VLANs)-1 {
			tpid = EtherTypeQinQ
		}
		layers = append(layers, &VLAN{TPID: tpid, ID: id})
	}
	if v6 {
		layers = append(layers, &IPv6{Src: src, Dst: dst, HopLimit: ttl})
	} else {
		layers = append(layers, &IPv4{Src: src, Dst: dst, TTL: ttl})
	}

	var payload Layer
	if len(s.Payload) > 0 {
		payload = Payload(s.Payload)
	}
	if s.ServerName != "" {
		payload = &ClientHello{ServerName: s.ServerName}
	}
	switch s.Protocol {
	case 0, IPProtoTCP:
		flags := s.TCPFlags
		if flags == 0 {
			flags = TCPSyn
			if payload != nil {
				flags = TCPPsh | TCPAck
			}
		}
		win := s.Window
		if win == 0 {
			win = 0xffff
		}
		layers = append(layers, &TCP{SrcPort: sport, DstPort: dport, Flags: flags, Window: win})
	case IPProtoUDP:
		layers = append(layers, &UDP{SrcPort: sport, DstPort: dport})
	case IPProtoICMP, IPProtoICMPv6:
		if s.ServerName != "" {
			return nil, fmt.Errorf("spec: ServerName needs TCP, not %v", s.Protocol)
		}
		if v6 {
			layers = append(layers, &ICMPv6{Type: ICMPv6EchoRequest, ID: sport, Seq: 1})
		} else {
			layers = append(layers, &ICMP{Type: ICMPEchoRequest, ID: sport, Seq: 1})
		}
	default:
		return nil, fmt.Errorf("spec: protocol %v is not TCP, UDP or ICMP", s.Protocol)
	}
	if s.ServerName != "" && s.Protocol == IPProtoUDP {
		return nil, fmt.Errorf("spec: ServerName needs TCP, not UDP")
	}
	if payload != nil {
		layers = append(layers, payload)
	}
	return layers, nil
}

// Build returns the frame the Spec describes.
func (s Spec) Build() ([]byte, error) {
	layers, err := s.Layers()
	if err != nil {
		return nil, err
	}
	return Build(layers...)
}

// MustBuild is like [Spec.Build] but panics on error. It is meant for tests.
func (s Spec) MustBuild() []byte {
	b, err := s.Build()
	if err != nil {
		panic(err)
	}
	return b
}
