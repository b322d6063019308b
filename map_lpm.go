package bpf

import (
	"fmt"
	"net/netip"
)

// LPM trie keys (BPF_MAP_TYPE_LPM_TRIE) are struct bpf_lpm_trie_key: a u32
// prefix length in host byte order followed by the address bytes in network
// order. An LPMTrie for IPv4 has KeySize 8 (4+4), for IPv6 20 (4+16).

// LPMKeyIPv4 is the key of an IPv4 LPMTrie (KeySize 8), usable as K of
// [TypedMap].
type LPMKeyIPv4 struct {
	PrefixLen uint32
	Addr      [4]byte
}

// LPMKeyIPv6 is the key of an IPv6 LPMTrie (KeySize 20), usable as K of
// [TypedMap].
type LPMKeyIPv6 struct {
	PrefixLen uint32
	Addr      [16]byte
}

// NewLPMKeyIPv4 returns the key for an IPv4 prefix; host bits are cleared.
func NewLPMKeyIPv4(p netip.Prefix) (LPMKeyIPv4, error) {
	if !p.IsValid() || !p.Addr().Is4() {
		return LPMKeyIPv4{}, fmt.Errorf("lpm key: %v is not an IPv4 prefix", p)
	}
	return LPMKeyIPv4{PrefixLen: uint32(p.Bits()), Addr: p.Masked().Addr().As4()}, nil
}

// NewLPMKeyIPv6 returns the key for an IPv6 prefix; host bits are cleared.
func NewLPMKeyIPv6(p netip.Prefix) (LPMKeyIPv6, error) {
	if !p.IsValid() || !p.Addr().Is6() {
		return LPMKeyIPv6{}, fmt.Errorf("lpm key: %v is not an IPv6 prefix", p)
	}
	return LPMKeyIPv6{PrefixLen: uint32(p.Bits()), Addr: p.Masked().Addr().As16()}, nil
}

// Prefix returns the key as a prefix; invalid if PrefixLen exceeds 32.
func (k LPMKeyIPv4) Prefix() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4(k.Addr), int(k.PrefixLen))
}

// Prefix returns the key as a prefix; invalid if PrefixLen exceeds 128.
func (k LPMKeyIPv6) Prefix() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom16(k.Addr), int(k.PrefixLen))
}

// LPMKey returns the LPM trie key bytes of p (4 + 4 or 4 + 16 bytes); host
// bits are cleared. It returns nil for an invalid prefix.
func LPMKey(p netip.Prefix) []byte {
	if !p.IsValid() {
		return nil
	}
	return AppendLPMKey(make([]byte, 0, 4+p.Addr().BitLen()/8), p)
}

// AppendLPMKey appends the LPM trie key of p to dst; an invalid prefix
// appends nothing.
func AppendLPMKey(dst []byte, p netip.Prefix) []byte {
	if !p.IsValid() {
		return dst
	}
	dst = hostEndian.AppendUint32(dst, uint32(p.Bits()))
	return append(dst, p.Masked().Addr().AsSlice()...)
}

// LPMKeyFromAddr returns the key that looks up a single address (a full
// length prefix): the trie answers with its longest matching prefix.
func LPMKeyFromAddr(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	return LPMKey(netip.PrefixFrom(a, a.BitLen()))
}

// ParseLPMKey decodes an LPM trie key of 8 (IPv4) or 20 (IPv6) bytes.
func ParseLPMKey(b []byte) (netip.Prefix, error) {
	if len(b) != 8 && len(b) != 20 {
		return netip.Prefix{}, fmt.Errorf("lpm key is %d bytes, want 8 (IPv4) or 20 (IPv6)", len(b))
	}
	bits := hostEndian.Uint32(b)
	addr, _ := netip.AddrFromSlice(b[4:])
	if int(bits) > addr.BitLen() {
		return netip.Prefix{}, fmt.Errorf("lpm key: prefix length %d exceeds %d", bits, addr.BitLen())
	}
	return netip.PrefixFrom(addr, int(bits)), nil
}
