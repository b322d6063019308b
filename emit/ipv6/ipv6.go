// Package ipv6 generates instruction sequences for 128-bit addresses: loading IPv6 addresses from
// packets, IPv4 addresses in their IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) so that
// one 16-byte key serves both families, copying addresses, and a dual-stack key builder. It is
// the port of clj-ebpf's clj-ebpf.net.ipv6 namespace.
//
// Memory is addressed as a base register plus a constant offset, for the packet side (a packet
// pointer after a bounds check) and for the destination (asm.R10 with the offset of a slot from
// [emit.Stack], or a map value pointer). Destinations should be 8-byte aligned (stack slots from
// emit.Stack are), so that the 8-byte stores of the mapped prefix are aligned.
//
// In Go, the address an IPv4-mapped key holds is netip.AddrFrom4(a).As16().
package ipv6

import (
	"github.com/bpfgo/bpf/asm"
)

// IPv6 header layout (RFC 8200) and related constants.
const (
	HdrLen           = 40     // fixed IPv6 header (IPV6-HLEN)
	AddrLen          = 16     // address length (IPV6-ADDR-LEN)
	OffPayloadLen    = 4      // payload length, 2 bytes
	OffNextHeader    = 6      // next header, 1 byte
	OffHopLimit      = 7      // hop limit, 1 byte
	OffSrc           = 8      // source address (IPV6-OFF-SRC)
	OffDst           = 24     // destination address (IPV6-OFF-DST)
	EtherType        = 0x86DD // ETH_P_IPV6; compare with a 2-byte load via asm.HostToBE16
	EtherTypeIPv4    = 0x0800 // ETH_P_IP
	IPv4OffSrc       = 12     // source address in the IPv4 header
	IPv4OffDst       = 16     // destination address in the IPv4 header
	IPv4MinHdrLen    = 20
	ethHdrLen        = 14
	ethOffEtherType  = 12
	mappedPrefixSize = 12
)

// copyAddr returns the moves of 16 bytes from src+srcOff to dst+dstOff through scratch: 8-byte
// moves if wide and both offsets are 8-byte aligned, 4-byte moves otherwise. (Sequences are built
// here rather than with package mem, so that the instructions carry this package's helper name.)
func copyAddr(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, scratch asm.Register, wide bool) asm.Instructions {
	size, step := asm.W, int16(4)
	if wide && dstOff%8 == 0 && srcOff%8 == 0 {
		size, step = asm.DW, 8
	}
	var insns asm.Instructions
	for i := int16(0); i < AddrLen; i += step {
		insns = append(insns,
			asm.Ldx(size, scratch, src, srcOff+i),
			asm.Stx(size, dst, scratch, dstOff+i))
	}
	return insns
}

// LoadAddr copies the 16-byte address at src+srcOff (a packet pointer, typically) to dst+dstOff
// with four 4-byte moves (clj-ebpf's build-load-ipv6-address). 4-byte loads keep packet accesses
// aligned even on architectures that insist (the kernel starts packets at NET_IP_ALIGN, so the
// addresses of an untagged frame are 4-byte aligned). The 16 bytes must be bounds-checked.
// 8 instructions.
//
// Reads src, dst and the 16 bytes. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadAddr(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadAddr", copyAddr(dst, dstOff, src, srcOff, scratch, false))
}

// LoadSrc copies the source address of the IPv6 header at hdr to dst+dstOff (clj-ebpf's
// build-load-ipv6-src). The header must be bounds-checked. 8 instructions.
//
// Reads hdr and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadSrc(dst asm.Register, dstOff int16, hdr, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadSrc", copyAddr(dst, dstOff, hdr, OffSrc, scratch, false))
}

// LoadDst copies the destination address of the IPv6 header at hdr to dst+dstOff (clj-ebpf's
// build-load-ipv6-dst). 8 instructions.
//
// Reads hdr and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadDst(dst asm.Register, dstOff int16, hdr, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadDst", copyAddr(dst, dstOff, hdr, OffDst, scratch, false))
}

// mapped returns the stores of an IPv4-mapped address built from the 4 bytes at src+srcOff.
func mapped(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, scratch asm.Register) asm.Instructions {
	// Bytes 0-7 are zero, bytes 8-11 are 00 00 ff ff: as a 32-bit integer in memory order,
	// HostToBE32(0x0000ffff).
	var insns asm.Instructions
	if dstOff%8 == 0 {
		insns = asm.Instructions{asm.St(asm.DW, dst, dstOff, 0)}
	} else {
		insns = asm.Instructions{asm.St(asm.W, dst, dstOff, 0), asm.St(asm.W, dst, dstOff+4, 0)}
	}
	insns = append(insns, asm.St(asm.W, dst, dstOff+8, asm.HostToBE32(0x0000ffff)))
	return append(insns,
		asm.Ldx(asm.W, scratch, src, srcOff),
		asm.Stx(asm.W, dst, scratch, dstOff+mappedPrefixSize),
	)
}

// LoadIPv4Mapped writes the IPv4 address at src+srcOff (4 bytes, network order, bounds-checked)
// to dst+dstOff in IPv4-mapped form, ::ffff:a.b.c.d: ten zero bytes, two 0xff bytes and the
// address (clj-ebpf's build-load-ipv4-unified). 4 instructions with an 8-byte aligned dstOff.
//
// Reads src and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadIPv4Mapped(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadIPv4Mapped", mapped(dst, dstOff, src, srcOff, scratch))
}

// LoadIPv4SrcMapped writes the source address of the IPv4 header at hdr to dst+dstOff in
// IPv4-mapped form (clj-ebpf's build-load-ipv4-src-unified). 4 instructions.
//
// Reads hdr and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadIPv4SrcMapped(dst asm.Register, dstOff int16, hdr, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadIPv4SrcMapped", mapped(dst, dstOff, hdr, IPv4OffSrc, scratch))
}

// LoadIPv4DstMapped writes the destination address of the IPv4 header at hdr to dst+dstOff in
// IPv4-mapped form (clj-ebpf's build-load-ipv4-dst-unified). 4 instructions.
//
// Reads hdr and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func LoadIPv4DstMapped(dst asm.Register, dstOff int16, hdr, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.LoadIPv4DstMapped", mapped(dst, dstOff, hdr, IPv4OffDst, scratch))
}

// CopyAddr copies a 16-byte address from src+srcOff to dst+dstOff (clj-ebpf's
// build-copy-ipv6-address, which copied between stack offsets; any memory works here): two
// 8-byte moves when both ends are 8-byte aligned, narrower moves otherwise. 4 instructions when
// aligned.
//
// Reads src and dst. Writes [dst+dstOff, +16). Clobbers scratch.
func CopyAddr(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, scratch asm.Register) asm.Instructions {
	return asm.Attribute("ipv6.CopyAddr", copyAddr(dst, dstOff, src, srcOff, scratch, true))
}

// Which selects the source or the destination address.
type Which uint8

// The address [DualStackKey] takes.
const (
	Src Which = iota
	Dst
)

// DualStackKey builds a 16-byte key at dst+dstOff from the source (or destination) address of an
// untagged Ethernet frame: the IPv6 address as it is for an IPv6 packet, the IPv4-mapped form
// ::ffff:a.b.c.d for an IPv4 packet, so that one map keyed by 16 bytes serves both families
// (clj-ebpf's dual-stack key example, with the bounds checks it lacked). It checks the Ethernet
// header, reads the EtherType, checks the IPv4 or IPv6 header, and jumps to fail for frames that
// are neither IPv4 nor IPv6 or are too short. Internal jumps are relative, so the sequence may
// appear many times in a program. 25 instructions with an 8-byte aligned dstOff.
//
// Reads data and end (the packet pointers) and dst. Writes [dst+dstOff, +16) on success.
// Clobbers scratch, which must differ from dst, data and end.
func DualStackKey(dst asm.Register, dstOff int16, data, end, scratch asm.Register, which Which, fail string) asm.Instructions {
	off4, off6 := int16(ethHdrLen+IPv4OffSrc), int16(ethHdrLen+OffSrc)
	if which == Dst {
		off4, off6 = ethHdrLen+IPv4OffDst, ethHdrLen+OffDst
	}
	v4 := asm.Instructions{
		asm.MovReg(scratch, data),
		asm.AddImm(scratch, ethHdrLen+IPv4MinHdrLen),
		asm.JmpReg(asm.JGT, scratch, end, fail),
	}
	v4 = append(v4, mapped(dst, dstOff, data, off4, scratch)...)
	v6 := asm.Instructions{
		asm.MovReg(scratch, data),
		asm.AddImm(scratch, ethHdrLen+HdrLen),
		asm.JmpReg(asm.JGT, scratch, end, fail),
	}
	v6 = append(v6, copyAddr(dst, dstOff, data, off6, scratch, false)...)

	insns := asm.Instructions{
		asm.MovReg(scratch, data),
		asm.AddImm(scratch, ethHdrLen),
		asm.JmpReg(asm.JGT, scratch, end, fail),
		asm.Ldx(asm.H, scratch, data, ethOffEtherType),
		asm.JmpImmOff(asm.JEQ, scratch, asm.HostToBE16(EtherType), int16(1+slots(v4)+1)), // over the IPv4 check, v4 and the jump: to v6
		asm.JmpImm(asm.JNE, scratch, asm.HostToBE16(EtherTypeIPv4), fail),
	}
	insns = append(insns, v4...)
	insns = append(insns, asm.JaOff(int16(slots(v6)))) // past v6
	insns = append(insns, v6...)
	return asm.Attribute("ipv6.DualStackKey", insns)
}

func slots(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		n += ins.Slots()
	}
	return n
}
