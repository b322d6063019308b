package packet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Checksum returns the Internet checksum of b (RFC 1071): the ones' complement
// of the ones' complement sum of b read as big-endian 16-bit words, with an
// odd final byte padded with a zero byte. It is the value to store in an IPv4
// header or ICMPv4 checksum field that was zero while summing.
//
// Checksum(b) == FoldChecksum(PartialSum(b, 0)).
func Checksum(b []byte) uint16 {
	return FoldChecksum(PartialSum(b, 0))
}

// PartialSum adds b, read as big-endian 16-bit words, to the running ones'
// complement sum and returns the new, unfolded sum (the kernel's csum_partial).
// An odd final byte is padded with a zero byte, so when a checksum is summed in
// pieces every piece but the last must have an even length.
//
// Finish a sum with [FoldChecksum].
func PartialSum(b []byte, sum uint32) uint32 {
	// Accumulate 32-bit words into 64 bits: carries collect in the high half
	// and are folded once at the end, which gives the same ones' complement
	// result as adding 16-bit words with end-around carry (RFC 1071 §2(B)).
	acc := uint64(sum)
	// Each step adds less than 2^35, so acc cannot overflow below 16 GiB.
	for len(b) >= 32 {
		w0 := binary.BigEndian.Uint64(b[0:])
		w1 := binary.BigEndian.Uint64(b[8:])
		w2 := binary.BigEndian.Uint64(b[16:])
		w3 := binary.BigEndian.Uint64(b[24:])
		acc += w0>>32 + w0&0xffffffff + w1>>32 + w1&0xffffffff
		acc += w2>>32 + w2&0xffffffff + w3>>32 + w3&0xffffffff
		b = b[32:]
	}
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b)) << 16
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	// Fold 64 → 32 bits, then 32 → 16 bits (the 32-bit words above put some
	// 16-bit words in the high half, which is fine in ones' complement: the
	// final 16-bit fold adds both halves).
	acc = (acc >> 32) + (acc & 0xffffffff)
	acc = (acc >> 32) + (acc & 0xffffffff)
	s := uint32(acc)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return s
}

// FoldChecksum folds a running sum from [PartialSum] or [PseudoHeaderSum] to
// 16 bits with end-around carry and returns its ones' complement: the value
// for a checksum field (the kernel's csum_fold).
func FoldChecksum(sum uint32) uint16 {
	return ^fold(sum)
}

// fold folds sum to 16 bits without complementing it.
func fold(sum uint32) uint16 {
	sum = (sum >> 16) + (sum & 0xffff)
	sum = (sum >> 16) + (sum & 0xffff)
	return uint16(sum)
}

// PseudoHeaderSum returns the unfolded ones' complement sum of the pseudo-header
// that TCP, UDP and ICMPv6 checksums cover: for IPv4 (RFC 793 §3.1, RFC 768)
// source, destination, zero, protocol and the 16-bit segment length; for IPv6
// (RFC 8200 §8.1) source, destination, the 32-bit upper-layer length and the
// next header value. Both addresses must be IPv4 (Is4) or both IPv6 (Is6);
// anything else is an error. Continue the sum over the segment with
// [PartialSum] and finish it with [FoldChecksum].
func PseudoHeaderSum(src, dst netip.Addr, proto IPProto, length uint32) (uint32, error) {
	switch {
	case src.Is4() && dst.Is4():
		if length > 0xffff {
			return 0, fmt.Errorf("pseudo-header: length %d does not fit the IPv4 pseudo-header", length)
		}
		s, d := src.As4(), dst.As4()
		return pseudoSum4(s, d, proto, length), nil
	case src.Is6() && dst.Is6():
		return pseudoSum6(src.As16(), dst.As16(), proto, length), nil
	default:
		return 0, fmt.Errorf("pseudo-header: addresses %v and %v are not both IPv4 or both IPv6", src, dst)
	}
}

func pseudoSum4(src, dst [4]byte, proto IPProto, length uint32) uint32 {
	s := uint32(src[0])<<8 | uint32(src[1])
	s += uint32(src[2])<<8 | uint32(src[3])
	s += uint32(dst[0])<<8 | uint32(dst[1])
	s += uint32(dst[2])<<8 | uint32(dst[3])
	s += uint32(proto)
	s += length
	return s
}

func pseudoSum6(src, dst [16]byte, proto IPProto, length uint32) uint32 {
	s := PartialSum(src[:], 0)
	s = PartialSum(dst[:], s)
	s += length >> 16
	s += length & 0xffff
	s += uint32(proto)
	return uint32(fold(s))
}

// UpdateChecksum returns checksum hc updated for a change of the covered bytes
// from old to new, by RFC 1624 equation 3: HC' = ~(~HC + ~m + m'). old and new
// are read as big-endian 16-bit words and must have the same length, with an
// even starting offset in the checksummed data; an odd final byte is treated
// as the high byte of a word. If the lengths differ the shorter one is treated
// as zero-padded.
//
// For a UDP checksum, a result of 0 must be sent as 0xffff (RFC 768).
func UpdateChecksum(hc uint16, old, new []byte) uint16 {
	sum := uint32(^hc)
	// ~m summed word by word equals ~(sum of m) in ones' complement.
	sum += uint32(^fold(PartialSum(old, 0)))
	sum = PartialSum(new, sum)
	return FoldChecksum(sum)
}

// UpdateChecksum16 returns checksum hc updated for one 16-bit word of the
// covered data changing from old to new (RFC 1624 equation 3), e.g. a port
// rewrite. For a UDP checksum, a result of 0 must be sent as 0xffff.
func UpdateChecksum16(hc, old, new uint16) uint16 {
	sum := uint32(^hc) + uint32(^old) + uint32(new)
	return FoldChecksum(sum)
}
