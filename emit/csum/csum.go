// Package csum generates the instruction sequences that keep IPv4, TCP and UDP checksums right
// when a program rewrites packet fields. It ports clj-ebpf's clj-ebpf.net.checksum namespace (the
// skb helpers) and the XDP checksum helpers of its load balancer (seed 004).
//
// Programs with a struct __sk_buff context (tc sched_cls and sched_act, lwt) call the kernel's
// replace helpers: [L3Replace4], [L3Replace2], [L4Replace4], [L4Replace2] and the Diff variants
// (bpf_l3_csum_replace, bpf_l4_csum_replace). XDP programs have no such helpers; they update the
// checksum field themselves with the incremental update of RFC 1624 (HC' = ~(~HC + ~m + m')):
// [Update16] for a 2-byte field (a port), [Update32] for a 4-byte field (an IPv4 address),
// [ApplyDiff] for a sum from bpf_csum_diff ([Diff]), and the folds [Fold] and [Fold32].
//
// Byte order: the one's complement sum does not depend on byte order as long as every operand is
// taken from memory the same way. Load the checksum field with a 2-byte load, the old and new
// field values with loads of their width (or build constants with [asm.HostToBE16] and
// [asm.HostToBE32]), and store the result with a 2-byte store: no byte swapping anywhere.
//
// A UDP checksum of 0 means "no checksum" (over IPv4). Leave such a field alone, and store a
// computed 0 as 0xffff ([ZeroToMangled]; the skb helpers do both with [MarkMangled0]).
package csum

import (
	"github.com/bpfgo/bpf/asm"
)

// Flags of bpf_l3_csum_replace and bpf_l4_csum_replace (the upper bits of their flags argument;
// the low 4 bits, BPF_F_HDR_FIELD_MASK, hold the field size, which the functions set).
type Flags int32

// Flag values, from the kernel's BTF (enum with BPF_F_PSEUDO_HDR).
const (
	// PseudoHdr (BPF_F_PSEUDO_HDR) says the changed field is part of the pseudo-header (an IP
	// address in a TCP or UDP checksum), which matters for packets with checksum offload.
	PseudoHdr Flags = 0x10
	// MarkMangled0 (BPF_F_MARK_MANGLED_0) is for UDP: a checksum of 0 is left alone and a
	// computed 0 is stored as 0xffff (CSUM_MANGLED_0).
	MarkMangled0 Flags = 0x20
	// MarkEnforce (BPF_F_MARK_ENFORCE), with MarkMangled0, updates a checksum field of 0 too
	// instead of leaving it alone (a computed 0 still becomes 0xffff).
	MarkEnforce Flags = 0x40
	// IPv6 (BPF_F_IPV6) tells bpf_l4_csum_replace the packet is IPv6, which matters for
	// packets with checksum offload (CHECKSUM_PARTIAL) and a pseudo-header change by diff.
	// Added in Linux 6.16; older kernels answer EINVAL.
	IPv6 Flags = 0x80
)

// RecomputeCsum (BPF_F_RECOMPUTE_CSUM) is a flag of bpf_skb_store_bytes, not of the replace
// helpers: it updates skb->csum for the bytes stored. It is here because clj-ebpf's checksum
// namespace lists it.
const RecomputeCsum = 0x01

// move is one register move of a parallel assignment.
type move struct{ dst, src asm.Register }

// parallelMoves returns moves that perform all of ms at once (every source read before any
// destination written), breaking cycles through R0. Destinations must be distinct and not R0.
func parallelMoves(ms []move) asm.Instructions {
	var out asm.Instructions
	pending := make([]move, 0, len(ms))
	for _, m := range ms {
		if m.dst != m.src {
			pending = append(pending, m)
		}
	}
	isSource := func(r asm.Register, skip int) bool {
		for i, m := range pending {
			if i != skip && m.src == r {
				return true
			}
		}
		return false
	}
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			m := pending[i]
			if isSource(m.dst, i) {
				continue
			}
			out = append(out, asm.MovReg(m.dst, m.src))
			pending = append(pending[:i], pending[i+1:]...)
			i--
			progress = true
		}
		if !progress {
			// Every pending move is on a cycle: park one source in R0 (no pending move reads
			// R0, since no move writes it and only cycles remain).
			m := pending[0]
			out = append(out, asm.MovReg(asm.R0, m.src))
			pending[0].src = asm.R0
		}
	}
	return out
}

// callReplace returns the call fn(ctx, off, from, to, flags).
func callReplace(fn asm.BuiltinFunc, ctx asm.Register, off int32, from, to asm.Register, flags int32) asm.Instructions {
	insns := parallelMoves([]move{{asm.R1, ctx}, {asm.R3, from}, {asm.R4, to}})
	return append(insns,
		asm.MovImm(asm.R2, off),
		asm.MovImm(asm.R5, flags),
		asm.Call(fn),
	)
}

// callReplaceImm returns the call fn(ctx, off, 0, diff, flags) for a precomputed difference.
func callReplaceDiff(fn asm.BuiltinFunc, ctx asm.Register, off int32, diff asm.Register, flags int32) asm.Instructions {
	insns := parallelMoves([]move{{asm.R1, ctx}, {asm.R4, diff}})
	return append(insns,
		asm.MovImm(asm.R2, off),
		asm.MovImm(asm.R3, 0),
		asm.MovImm(asm.R5, flags),
		asm.Call(fn),
	)
}

// L3Replace4 updates the IP header checksum at byte off of the packet for a 4-byte field that
// changed from the value in from to the value in to (an IPv4 address), calling
// bpf_l3_csum_replace(ctx, off, from, to, 4) (clj-ebpf's l3-csum-replace-4). from and to hold the
// field as a 4-byte load from the packet gives it. ctx is the struct __sk_buff pointer (R1 on
// entry, usually saved in R6). The helper does not write the field itself. Requires Linux 4.1;
// tc and lwt programs.
//
// R0 is 0 on success, a negative errno otherwise. The call invalidates packet pointers: load
// them again ([github.com/bpfgo/bpf/emit/bounds.LoadSKB]). Reads ctx, from, to (any of R0-R9, in
// any order). Clobbers R0-R5. 6 instructions, 7 when a register cycle needs R0.
func L3Replace4(ctx asm.Register, off int32, from, to asm.Register) asm.Instructions {
	return asm.Attribute("csum.L3Replace4", callReplace(asm.FnL3CsumReplace, ctx, off, from, to, 4))
}

// L3Replace2 is [L3Replace4] for a 2-byte field (the IPv4 header's ID or TTL and protocol word,
// for example): bpf_l3_csum_replace(ctx, off, from, to, 2) (clj-ebpf's l3-csum-replace-2).
func L3Replace2(ctx asm.Register, off int32, from, to asm.Register) asm.Instructions {
	return asm.Attribute("csum.L3Replace2", callReplace(asm.FnL3CsumReplace, ctx, off, from, to, 2))
}

// L3ReplaceDiff updates the IP header checksum at off with a difference computed by [Diff]:
// bpf_l3_csum_replace(ctx, off, 0, diff, 0). Use it for changes of more than 4 bytes.
// Reads ctx and diff. Clobbers R0-R5; R0 is 0 or a negative errno.
func L3ReplaceDiff(ctx asm.Register, off int32, diff asm.Register) asm.Instructions {
	return asm.Attribute("csum.L3ReplaceDiff", callReplaceDiff(asm.FnL3CsumReplace, ctx, off, diff, 0))
}

// L4Replace4 updates the TCP or UDP checksum at byte off of the packet for a 4-byte field that
// changed from from to to: bpf_l4_csum_replace(ctx, off, from, to, flags|4) (clj-ebpf's
// l4-csum-replace-4). For an IP address, which the checksum covers through the pseudo-header,
// pass [PseudoHdr]; for UDP add [MarkMangled0]. Requires Linux 4.1; tc and lwt programs.
//
// R0 is 0 on success, a negative errno otherwise. The call invalidates packet pointers. Reads
// ctx, from, to (any of R0-R9, in any order). Clobbers R0-R5.
func L4Replace4(ctx asm.Register, off int32, from, to asm.Register, flags Flags) asm.Instructions {
	return asm.Attribute("csum.L4Replace4", callReplace(asm.FnL4CsumReplace, ctx, off, from, to, int32(flags)|4))
}

// L4Replace2 is [L4Replace4] for a 2-byte field (a port): bpf_l4_csum_replace(ctx, off, from, to,
// flags|2) (clj-ebpf's l4-csum-replace-2).
func L4Replace2(ctx asm.Register, off int32, from, to asm.Register, flags Flags) asm.Instructions {
	return asm.Attribute("csum.L4Replace2", callReplace(asm.FnL4CsumReplace, ctx, off, from, to, int32(flags)|2))
}

// L4ReplaceDiff updates the TCP or UDP checksum at off with a difference computed by [Diff]:
// bpf_l4_csum_replace(ctx, off, 0, diff, flags). Use it for changes of more than 4 bytes (an IPv6
// address, with [PseudoHdr]). Reads ctx and diff. Clobbers R0-R5; R0 is 0 or a negative errno.
func L4ReplaceDiff(ctx asm.Register, off int32, diff asm.Register, flags Flags) asm.Instructions {
	return asm.Attribute("csum.L4ReplaceDiff", callReplaceDiff(asm.FnL4CsumReplace, ctx, off, diff, int32(flags)))
}

// Diff computes the checksum difference between the fromSize bytes at from and the toSize bytes
// at to: bpf_csum_diff(from, fromSize, to, toSize, 0) (clj-ebpf's csum-diff with a zero seed).
// Both sizes must be multiples of 4 (at most 512); either pointer may be NULL with size 0. from
// and to point to the stack, a map value or the packet. The result in R0 is the 32-bit sum of
// ~from and to, not folded (or a negative errno): pass it to [ApplyDiff] in XDP programs, or to
// [L3ReplaceDiff] / [L4ReplaceDiff]. Requires Linux 4.6; XDP (4.x) and tc programs.
//
// Reads from and to. Clobbers R0-R5.
func Diff(from asm.Register, fromSize int32, to asm.Register, toSize int32) asm.Instructions {
	insns := parallelMoves([]move{{asm.R1, from}, {asm.R3, to}})
	insns = append(insns,
		asm.MovImm(asm.R2, fromSize),
		asm.MovImm(asm.R4, toSize),
		asm.MovImm(asm.R5, 0),
		asm.Call(asm.FnCsumDiff),
	)
	return asm.Attribute("csum.Diff", insns)
}

// DiffSeed is [Diff] with the sum in seed added: bpf_csum_diff(from, fromSize, to, toSize,
// seed), to chain differences. Reads from, to and seed. Clobbers R0-R5.
func DiffSeed(from asm.Register, fromSize int32, to asm.Register, toSize int32, seed asm.Register) asm.Instructions {
	insns := parallelMoves([]move{{asm.R1, from}, {asm.R3, to}, {asm.R5, seed}})
	insns = append(insns,
		asm.MovImm(asm.R2, fromSize),
		asm.MovImm(asm.R4, toSize),
		asm.Call(asm.FnCsumDiff),
	)
	return asm.Attribute("csum.DiffSeed", insns)
}

// foldRounds appends n rounds of csum = (csum & 0xffff) + (csum >> 16).
func foldRounds(insns asm.Instructions, csum, scratch asm.Register, n int) asm.Instructions {
	for range n {
		insns = append(insns,
			asm.MovReg(scratch, csum),
			asm.RshImm(scratch, 16),
			asm.AndImm(csum, 0xffff),
			asm.AddReg(csum, scratch),
		)
	}
	return insns
}

// Fold32 folds the 32-bit one's complement sum in csum to 16 bits, adding the carries back in
// (clj-ebpf's xdp-fold-csum). The upper 32 bits of csum must be zero; use [Fold] for wider sums.
// The result is in [0, 0xffff] and not complemented. 8 instructions.
//
// Reads and writes csum. Clobbers scratch.
func Fold32(csum, scratch asm.Register) asm.Instructions {
	return asm.Attribute("csum.Fold32", foldRounds(nil, csum, scratch, 2))
}

// Fold folds the 64-bit one's complement sum in csum to 16 bits: first to 32 bits with the carry
// added back, then as [Fold32] with one more round. Any 64-bit value works, so a program may add
// up many 32-bit words before folding once. The result is in [0, 0xffff] and not complemented.
// 16 instructions.
//
// Reads and writes csum. Clobbers scratch.
func Fold(csum, scratch asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.MovReg(scratch, csum),
		asm.RshImm(scratch, 32),
		asm.Mov32Reg(csum, csum), // zero-extends: the low 32 bits
		asm.AddReg(csum, scratch),
	}
	return asm.Attribute("csum.Fold", foldRounds(insns, csum, scratch, 3))
}

// ApplyDiff applies a checksum difference to a checksum field's value (clj-ebpf's
// xdp-apply-csum-diff): csum = ~fold(~csum + diff). csum holds the 16-bit checksum as a 2-byte
// load from the packet gives it, diff the 32-bit sum from [Diff] (its upper 32 bits are ignored).
// Store csum back with a 2-byte store. 12 instructions.
//
// Reads diff. Reads and writes csum. Clobbers scratch.
func ApplyDiff(csum, diff, scratch asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.XorImm(csum, 0xffff),
		asm.Mov32Reg(scratch, diff),
		asm.AddReg(csum, scratch),
	}
	insns = foldRounds(insns, csum, scratch, 2) // ~csum + diff < 2^32 + 2^16: two rounds suffice
	return asm.Attribute("csum.ApplyDiff", append(insns, asm.XorImm(csum, 0xffff)))
}

// Update16 updates a checksum for a 2-byte field whose value changed from the value in from to
// the value in to, by RFC 1624 (eqn. 3): csum = ~(~csum + ~from + to), folded (clj-ebpf's
// xdp-update-csum-for-port-change). csum, from and to hold 16-bit values as 2-byte loads give
// them (upper bits zero); use [asm.HostToBE16] for a constant. A port changes the TCP or UDP
// checksum; store csum back with a 2-byte store. 14 instructions.
//
// Reads from and to. Reads and writes csum. Clobbers scratch. csum, from, to and scratch must be
// four different registers.
func Update16(csum, from, to, scratch asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.XorImm(csum, 0xffff),
		asm.MovReg(scratch, from),
		asm.XorImm(scratch, 0xffff),
		asm.AddReg(csum, scratch),
		asm.AddReg(csum, to),
	}
	insns = foldRounds(insns, csum, scratch, 2) // at most 3 * 0xffff: two rounds suffice
	return asm.Attribute("csum.Update16", append(insns, asm.XorImm(csum, 0xffff)))
}

// Update32 updates a checksum for a 4-byte field whose value changed from the value in from to
// the value in to, by RFC 1624: csum = ~(~csum + ~from + to), with the 32-bit values added whole
// (the fold makes that equal to adding their 16-bit halves). csum holds the 16-bit checksum as a
// 2-byte load gives it, from and to the field's values as 4-byte loads give them (their upper 32
// bits are ignored, so a constant from [asm.HostToBE32] may be loaded with the sign-extending
// asm.MovImm). An IPv4 address changes the IPv4 header checksum and, through the pseudo-header,
// the TCP or UDP checksum: apply Update32 to both. 19 instructions.
//
// Reads from and to. Reads and writes csum. Clobbers scratch. csum, from, to and scratch must be
// four different registers.
func Update32(csum, from, to, scratch asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.XorImm(csum, 0xffff),
		asm.Mov32Reg(scratch, from),
		asm.Xor32Imm(scratch, -1), // ~from in 32 bits, zero-extended
		asm.AddReg(csum, scratch),
		asm.Mov32Reg(scratch, to),
		asm.AddReg(csum, scratch),
	}
	insns = foldRounds(insns, csum, scratch, 3) // below 2^34: three rounds
	return asm.Attribute("csum.Update32", append(insns, asm.XorImm(csum, 0xffff)))
}

// ZeroToMangled replaces a computed UDP checksum of 0 by 0xffff (CSUM_MANGLED_0), since 0 in the
// field means "no checksum": if csum == 0 { csum = 0xffff }. 2 instructions, with a relative jump
// (no label).
//
// Reads and writes csum.
func ZeroToMangled(csum asm.Register) asm.Instructions {
	return asm.Attribute("csum.ZeroToMangled", asm.Instructions{
		asm.JmpImmOff(asm.JNE, csum, 0, 1),
		asm.MovImm(csum, 0xffff),
	})
}
