package lb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Errors callers branch on.
var (
	// ErrUnknownService is returned for a Service that was never added (or was removed).
	ErrUnknownService = errors.New("unknown service")
	// ErrTooManyServices is returned by AddService when Spec.MaxServices services exist.
	ErrTooManyServices = errors.New("too many services")
	// ErrBadAddress is returned for an address, port or prefix the load balancer cannot use
	// (not IPv4, port 0, invalid prefix).
	ErrBadAddress = errors.New("bad address")
	// ErrBadHostname is returned for an SNI hostname that is empty, too long or has characters
	// a DNS name cannot have.
	ErrBadHostname = errors.New("bad hostname")
	// ErrClosed is returned by methods of a closed LB.
	ErrClosed = errors.New("load balancer closed")
)

// MaxHostnameLen is the longest SNI hostname the load balancer routes on. A ClientHello whose
// server_name is longer falls back to the service's default backend.
const MaxHostnameLen = 128

// Proto is a transport protocol the load balancer handles (the IPv4 protocol number).
type Proto uint8

// Protocols.
const (
	TCP Proto = 6
	UDP Proto = 17
)

// String returns "tcp", "udp" or "proto(N)".
func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

func (p Proto) valid() bool { return p == TCP || p == UDP }

// Service is a listening point of the load balancer: frames arriving on Interface for the
// destination address Addr (the VIP) and port Port over Proto are balanced. Interface 0 means
// any interface; the zero Addr means any destination address, as the seed's listen map does.
// The XDP program takes the most specific match: (interface, VIP), then (any interface, VIP),
// then (interface, any address), then (any interface, any address).
type Service struct {
	Interface int
	Addr      netip.Addr // an IPv4 VIP, or the zero Addr for any destination address
	Port      uint16
	Proto     Proto
}

// String returns "if3:80/tcp" or "any:80/tcp" (any interface), with the VIP when there is one:
// "any:10.0.0.100:80/tcp".
func (s Service) String() string {
	iface := "any"
	if s.Interface != 0 {
		iface = fmt.Sprintf("if%d", s.Interface)
	}
	if s.Addr.IsValid() {
		iface += ":" + s.Addr.String()
	}
	return fmt.Sprintf("%s:%d/%s", iface, s.Port, s.Proto)
}

func (s Service) check() error {
	if !s.Proto.valid() {
		return fmt.Errorf("service %v: protocol %d: want TCP (6) or UDP (17): %w", s, uint8(s.Proto), ErrBadAddress)
	}
	if s.Port == 0 {
		return fmt.Errorf("service %v: port 0: %w", s, ErrBadAddress)
	}
	if s.Interface < 0 || s.Interface > 1<<31-1 {
		return fmt.Errorf("service %v: interface index %d out of range: %w", s, s.Interface, ErrBadAddress)
	}
	if s.Addr.IsValid() && (!s.Addr.Is4() || s.Addr.IsUnspecified()) {
		return fmt.Errorf("service %v: VIP %v: want an IPv4 address (the zero netip.Addr for any): %w", s, s.Addr, ErrBadAddress)
	}
	return nil
}

func (s Service) key() listenKey {
	k := listenKey{Ifindex: uint32(s.Interface), Port: be16(s.Port), Proto: uint8(s.Proto)}
	if s.Addr.IsValid() {
		k.Addr = s.Addr.As4()
	}
	return k
}

// Stats are the counters of one service, summed over all CPUs (a per-CPU array indexed by the
// service's id).
type Stats struct {
	// Packets and Bytes count the frames the XDP program rewrote (DNAT) and their bytes.
	Packets, Bytes uint64
	// BySource, BySNI, ByFlow and ByDefault split Packets by the rule that chose the backend:
	// a source-prefix route, an SNI route, the flow's conntrack entry (a packet of a flow seen
	// before), or the service's default backend (or weighted backend table).
	BySource, BySNI, ByFlow, ByDefault uint64
	// Replies and ReplyBytes count the reply packets the TC program rewrote back (SNAT).
	Replies, ReplyBytes uint64
}

func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.BySource += o.BySource
	s.BySNI += o.BySNI
	s.ByFlow += o.ByFlow
	s.ByDefault += o.ByDefault
	s.Replies += o.Replies
	s.ReplyBytes += o.ReplyBytes
}

// Offsets of the Stats fields in the map value.
const (
	statPackets    = 0
	statBytes      = 8
	statBySource   = 16
	statBySNI      = 24
	statByFlow     = 32
	statByDefault  = 40
	statReplies    = 48
	statReplyBytes = 56
	statsSize      = 64
)

// Flow identifies a balanced connection by the addresses its reply packets carry: the backend
// that answers and the client it answers to.
type Flow struct {
	Proto   Proto
	Backend netip.AddrPort
	Client  netip.AddrPort
}

// Conn is the conntrack state of a Flow: the VIP address and port the client sent to, which
// the TC program puts back as the source of the replies.
type Conn struct {
	VIP       netip.AddrPort
	ServiceID uint32
	// LastSeen is the CLOCK_MONOTONIC time (bpf_ktime_get_ns) of the last packet of the flow
	// in either direction.
	LastSeen time.Duration
}

// Map layouts. Byte order: addresses and ports are stored as they appear on the wire
// (network order); ids and counters in host order.

// listenKey is the key of the listen map (12 bytes).
type listenKey struct {
	Ifindex uint32
	Addr    [4]byte // the VIP, 0.0.0.0 for any
	Port    [2]byte
	Proto   uint8
	_       uint8
}

// target is the value of the listen, source-route, SNI and backend-table maps (12 bytes):
// the backend and the service id (used by the listen map; the routes carry the id of their
// service too). Flags are used by the listen map only.
type target struct {
	Addr    [4]byte
	Port    [2]byte
	Flags   uint16
	Service uint32
}

// target.Flags bits.
const (
	// flagTable: pick the backend from the service's slots in the backend table by a hash of
	// the flow, instead of the listen entry's address.
	flagTable = 1
)

// TableSize is the number of slots of a service's weighted backend table: backends get slots
// in proportion to their weights, and a hash of the flow picks the slot.
const TableSize = 64

// Backend is a backend of a service's weighted backend table.
type Backend struct {
	Addr netip.AddrPort
	// Weight is the backend's share of the flows relative to the others; 0 leaves it out.
	Weight uint32
}

// srcKey is the key of the source-route LPM trie (12 bytes): the prefix length counts the 32
// bits of the service id, then the client address bits.
type srcKey struct {
	PrefixLen uint32
	Service   uint32
	Addr      [4]byte
}

// sniKey is the key of the SNI map (8 + MaxHostnameLen bytes): the service id, the name's
// length and the name in ASCII lower case, zero-padded. The XDP program builds it the same
// way from the ClientHello's server_name (lower-casing 8 bytes at a time).
type sniKey struct {
	Service uint32
	Len     uint32
	Name    [MaxHostnameLen]byte
}

// Conntrack directions (connKey.Dir).
const (
	dirForward = 0 // client -> VIP, value: the backend chosen for the flow
	dirReply   = 1 // backend -> client, value: the VIP to restore
)

// connKey is the key of the conntrack LRU hash (16 bytes): a flow in one direction.
type connKey struct {
	Proto   uint8
	Dir     uint8
	_       uint16
	Src     [4]byte
	Dst     [4]byte
	SrcPort [2]byte
	DstPort [2]byte
}

// connValue is the value of the conntrack map (24 bytes): the address to write (the backend
// for forward entries, the VIP for reply entries), the service and the last time seen.
type connValue struct {
	Addr     [4]byte
	Port     [2]byte
	_        uint16
	Service  uint32
	_        uint32
	LastSeen uint64
}

func be16(v uint16) [2]byte {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return b
}

func addrPort(a [4]byte, p [2]byte) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(a), binary.BigEndian.Uint16(p[:]))
}

// checkBackend validates a backend address.
func checkBackend(what string, b netip.AddrPort) error {
	if !b.IsValid() || !b.Addr().Is4() {
		return fmt.Errorf("%s %v: want an IPv4 address and port: %w", what, b, ErrBadAddress)
	}
	if b.Port() == 0 {
		return fmt.Errorf("%s %v: port 0: %w", what, b, ErrBadAddress)
	}
	if b.Addr().IsUnspecified() {
		return fmt.Errorf("%s %v: unspecified address: %w", what, b, ErrBadAddress)
	}
	return nil
}

func newTarget(b netip.AddrPort, id uint32) target {
	return target{Addr: b.Addr().As4(), Port: be16(b.Port()), Service: id}
}

// NormalizeHostname returns the form of an SNI hostname that the SNI map stores: ASCII lower
// case, without a trailing dot. It fails (ErrBadHostname) for an empty name, one longer than
// MaxHostnameLen, or one with characters other than letters, digits, '-', '_' and '.'.
func NormalizeHostname(host string) (string, error) {
	h := strings.TrimSuffix(host, ".")
	if h == "" {
		return "", fmt.Errorf("hostname %q: empty: %w", host, ErrBadHostname)
	}
	if len(h) > MaxHostnameLen {
		return "", fmt.Errorf("hostname %q: %d bytes, longer than %d: %w", host, len(h), MaxHostnameLen, ErrBadHostname)
	}
	b := []byte(h)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return "", fmt.Errorf("hostname %q: character %q at %d: %w", host, c, i, ErrBadHostname)
		}
	}
	return string(b), nil
}

// newSNIKey builds the SNI map key of a normalized hostname.
func newSNIKey(id uint32, host string) sniKey {
	k := sniKey{Service: id, Len: uint32(len(host))}
	copy(k.Name[:], host)
	return k
}

// newSrcKey builds the LPM key of a source route; p must be a valid IPv4 prefix.
func newSrcKey(id uint32, p netip.Prefix) srcKey {
	return srcKey{PrefixLen: 32 + uint32(p.Bits()), Service: id, Addr: p.Masked().Addr().As4()}
}

// checkPrefix validates a source prefix.
func checkPrefix(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("source prefix %v: want an IPv4 prefix such as 10.0.0.0/8: %w", p, ErrBadAddress)
	}
	return nil
}
