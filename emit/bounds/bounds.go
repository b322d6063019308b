// Package bounds generates the packet bounds checks the verifier requires before every direct
// packet access, and the context loads that give a program its packet pointers. It is the port of
// clj-ebpf's clj-ebpf.net.bounds namespace, corrected where the kernel disagrees with it: xdp_md's
// data and data_end are 32-bit fields at offsets 0 and 4 (clj-ebpf's guide loads 8 bytes at 0 and
// 8, which the verifier rejects), and the IPv4 check covers the whole header as its IHL field
// gives it, options included, not only the first 20 bytes.
//
// A check compares a pointer derived from the packet's data pointer with data_end and jumps to a
// failure label (or skips a number of instructions) when the access would run past the end. On
// the fall-through path the verifier knows the checked bytes are readable and writable.
package bounds

import "github.com/bpfgo/bpf/asm"

// Header sizes, in bytes.
const (
	EthHdrLen     = 14 // Ethernet header without VLAN tags (ETH_HLEN)
	VLANHdrLen    = 4  // one 802.1Q tag
	IPv4MinHdrLen = 20 // IPv4 header without options (IHL 5)
	IPv4MaxHdrLen = 60 // IPv4 header with 40 bytes of options (IHL 15)
	IPv6HdrLen    = 40 // fixed IPv6 header, without extension headers
	TCPMinHdrLen  = 20 // TCP header without options
	UDPHdrLen     = 8
)

// LoadXDP loads the packet pointers of an XDP program from its context ctx (struct xdp_md, R1 on
// entry): data = ctx->data, end = ctx->data_end, both with 4-byte loads at offsets 0 and 4, the
// only width the verifier accepts (clj-ebpf's xdp-load-data-ptrs-32). 2 instructions.
//
// Reads ctx. Writes data and end.
func LoadXDP(data, end, ctx asm.Register) asm.Instructions {
	return asm.Attribute("bounds.LoadXDP", asm.Instructions{
		asm.Ldx(asm.W, data, ctx, asm.XDPMdData),
		asm.Ldx(asm.W, end, ctx, asm.XDPMdDataEnd),
	})
}

// LoadSKB loads the packet pointers of a program whose context ctx is a struct __sk_buff (tc
// sched_cls and sched_act, cgroup_skb, sk_skb, lwt; not socket filters, which have no direct
// packet access): data = skb->data at offset 76, end = skb->data_end at offset 80, with 4-byte
// loads. Helpers that can change the packet (bpf_l3_csum_replace, bpf_skb_store_bytes, ...)
// invalidate both pointers: load them again after such a call. 2 instructions.
//
// Reads ctx. Writes data and end.
func LoadSKB(data, end, ctx asm.Register) asm.Instructions {
	return asm.Attribute("bounds.LoadSKB", asm.Instructions{
		asm.Ldx(asm.W, data, ctx, asm.SkBuffData),
		asm.Ldx(asm.W, end, ctx, asm.SkBuffDataEnd),
	})
}

// check returns scratch = ptr + off + size; if scratch > end goto fail (label, or skip slots).
func check(ptr, end, scratch asm.Register, off, size int32, fail string, skip int16) asm.Instructions {
	insns := asm.Instructions{
		asm.MovReg(scratch, ptr),
		asm.AddImm(scratch, off+size),
	}
	if fail != "" {
		return append(insns, asm.JmpReg(asm.JGT, scratch, end, fail))
	}
	return append(insns, asm.JmpRegOff(asm.JGT, scratch, end, skip))
}

// Check jumps to the label fail unless the size bytes at ptr+off lie inside the packet, that is
// unless ptr + off + size <= end (clj-ebpf's build-bounds-check-label). ptr is the packet's data
// pointer or a pointer derived from it, end the data_end pointer. 3 instructions:
//
//	scratch = ptr; scratch += off+size; if scratch > end goto fail
//
// Reads ptr and end. Clobbers scratch, which must differ from both (as in every check here).
func Check(ptr, end, scratch asm.Register, off, size int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.Check", check(ptr, end, scratch, off, size, fail, 0))
}

// CheckSkip is [Check] with a numeric jump (clj-ebpf's build-bounds-check): when the bytes are
// not inside the packet it skips the skip slots that follow the check. Prefer Check: labels
// survive edits of the code in between. 3 instructions.
//
// Reads ptr and end. Clobbers scratch.
func CheckSkip(ptr, end, scratch asm.Register, off, size int32, skip int16) asm.Instructions {
	return asm.Attribute("bounds.CheckSkip", check(ptr, end, scratch, off, size, "", skip))
}

// CheckEthernet jumps to fail unless the packet at data holds an Ethernet header (14 bytes).
// 3 instructions.
//
// Reads data and end. Clobbers scratch.
func CheckEthernet(data, end, scratch asm.Register, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckEthernet", check(data, end, scratch, 0, EthHdrLen, fail, 0))
}

// CheckIPv4 checks the IPv4 header at data+off (off is the length of the link-layer header:
// [EthHdrLen], or more with VLAN tags) and jumps to fail unless the whole header fits in the
// packet: first the fixed 20 bytes, then the length its IHL field gives (options included),
// which must be at least 20. It does not look at the version field. 11 instructions.
//
// On the fall-through path hlen holds the header length in bytes (20 to 60) and l4 points just
// past the header, at the transport header; the verifier knows the bytes between data and l4
// are in the packet. Check the transport header from l4 with [CheckTCP] or [CheckUDP] and
// off 0.
//
// Reads data and end. Writes hlen and l4 (also on the failure path, with meaningless values).
// hlen and l4 must differ from data and end and from each other.
func CheckIPv4(data, end, hlen, l4 asm.Register, off int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckIPv4", asm.Instructions{
		asm.MovReg(l4, data),
		asm.AddImm(l4, off+IPv4MinHdrLen),
		asm.JmpReg(asm.JGT, l4, end, fail),
		asm.Ldx(asm.B, hlen, data, int16(off)), // version and IHL
		asm.AndImm(hlen, 0x0f),
		asm.LshImm(hlen, 2), // IHL counts 32-bit words: 0 to 60 bytes
		asm.JmpImm(asm.JLT, hlen, IPv4MinHdrLen, fail),
		asm.MovReg(l4, data),
		asm.AddImm(l4, off),
		asm.AddReg(l4, hlen),
		asm.JmpReg(asm.JGT, l4, end, fail),
	})
}

// CheckIPv6 jumps to fail unless the fixed IPv6 header (40 bytes) at ptr+off lies inside the
// packet; off is the length of the link-layer header. Extension headers are not covered.
// 3 instructions.
//
// Reads ptr and end. Clobbers scratch.
func CheckIPv6(ptr, end, scratch asm.Register, off int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckIPv6", check(ptr, end, scratch, off, IPv6HdrLen, fail, 0))
}

// CheckTCP jumps to fail unless a TCP header without options (20 bytes) at ptr+off lies inside
// the packet: ptr is the data pointer with off the fixed offset of the TCP header, or the l4
// pointer of [CheckIPv4] with off 0. Use [CheckTCPOptions] to cover the options too.
// 3 instructions.
//
// Reads ptr and end. Clobbers scratch.
func CheckTCP(ptr, end, scratch asm.Register, off int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckTCP", check(ptr, end, scratch, off, TCPMinHdrLen, fail, 0))
}

// CheckTCPOptions checks the TCP header at ptr+off whole, options included: it jumps to fail
// unless the fixed 20 bytes are in the packet, the data offset field gives at least 20 bytes,
// and that many bytes are in the packet. On the fall-through path hlen holds the TCP header
// length (20 to 60) and payload points just past the header. 11 instructions.
//
// Reads ptr and end. Writes hlen and payload, which must differ from ptr, end and each other.
func CheckTCPOptions(ptr, end, hlen, payload asm.Register, off int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckTCPOptions", asm.Instructions{
		asm.MovReg(payload, ptr),
		asm.AddImm(payload, off+TCPMinHdrLen),
		asm.JmpReg(asm.JGT, payload, end, fail),
		asm.Ldx(asm.B, hlen, ptr, int16(off+12)), // data offset in the high nibble
		asm.RshImm(hlen, 4),
		asm.LshImm(hlen, 2),
		asm.JmpImm(asm.JLT, hlen, TCPMinHdrLen, fail),
		asm.MovReg(payload, ptr),
		asm.AddImm(payload, off),
		asm.AddReg(payload, hlen),
		asm.JmpReg(asm.JGT, payload, end, fail),
	})
}

// CheckUDP jumps to fail unless a UDP header (8 bytes) at ptr+off lies inside the packet.
// 3 instructions.
//
// Reads ptr and end. Clobbers scratch.
func CheckUDP(ptr, end, scratch asm.Register, off int32, fail string) asm.Instructions {
	return asm.Attribute("bounds.CheckUDP", check(ptr, end, scratch, off, UDPHdrLen, fail, 0))
}
