// Package clock generates the instruction sequences that read the kernel's clocks and random
// numbers inside a BPF program: monotonic, boot, coarse and TAI nanoseconds, jiffies, pseudo-random
// numbers with a range, a percentage, a coin flip and a weighted choice, and timestamps kept on
// the stack or in a map value. It is the port of clj-ebpf's time namespace.
//
// Every sequence calls one helper, so it sets R0 and clobbers R1–R5; a pointer that must survive
// the call belongs in R6–R9. Which program types may call which helper is the kernel's choice;
// on Linux 6.1 and 6.18, checked by the package's tests with the verifier:
//
//   - bpf_ktime_get_ns, bpf_ktime_get_boot_ns, bpf_ktime_get_tai_ns, bpf_jiffies64 and
//     bpf_get_prandom_u32: every program type tested (socket filter, XDP, sched_cls, cgroup_skb,
//     sk_msg, sock_ops, flow dissector, lwt, kprobe, tracepoint, raw tracepoint, perf event,
//     sleepable syscall).
//   - bpf_ktime_get_coarse_ns: the networking and cgroup types, but neither the tracing types
//     (kprobe, tracepoint, raw tracepoint, perf event) nor syscall programs: the verifier
//     answers "program of this type cannot use helper bpf_ktime_get_coarse_ns#160".
//
// Jumps inside a sequence are relative, so a sequence can be used any number of times in one
// program.
package clock

import (
	"fmt"
	"math"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
)

// Clock selects the kernel clock a timestamp is read from.
type Clock int

const (
	// Monotonic is CLOCK_MONOTONIC in nanoseconds (bpf_ktime_get_ns, Linux 4.1): it does not
	// count time the system was suspended.
	Monotonic Clock = iota
	// Boot is CLOCK_BOOTTIME in nanoseconds (bpf_ktime_get_boot_ns, Linux 5.8): monotonic, and
	// counting suspended time too.
	Boot
	// Coarse is CLOCK_MONOTONIC_COARSE in nanoseconds (bpf_ktime_get_coarse_ns, Linux 5.11):
	// cheaper, with the resolution of a timer tick. Tracing and syscall programs may not call
	// it.
	Coarse
	// TAI is CLOCK_TAI in nanoseconds (bpf_ktime_get_tai_ns, Linux 6.1): International Atomic
	// Time, wall-clock time without leap seconds.
	TAI
)

// Helper returns the helper function that reads the clock.
func (c Clock) Helper() asm.BuiltinFunc {
	switch c {
	case Boot:
		return asm.FnKtimeGetBootNs
	case Coarse:
		return asm.FnKtimeGetCoarseNs
	case TAI:
		return asm.FnKtimeGetTaiNs
	default:
		return asm.FnKtimeGetNs
	}
}

// String returns the clock's name: "monotonic", "boot", "coarse", "tai".
func (c Clock) String() string {
	switch c {
	case Monotonic:
		return "monotonic"
	case Boot:
		return "boot"
	case Coarse:
		return "coarse"
	case TAI:
		return "tai"
	}
	return fmt.Sprintf("Clock(%d)", int(c))
}

// Now returns R0 = the clock c in nanoseconds (clj-ebpf: build-ktime-get-ns,
// build-ktime-get-boot-ns, build-ktime-get-coarse-ns, build-ktime-get-tai-ns). An unknown Clock
// reads Monotonic. Writes R0; clobbers R1–R5. 1 instruction.
func Now(c Clock) asm.Instructions {
	return asm.Attribute("clock.Now", asm.Instructions{asm.Call(c.Helper())})
}

// Jiffies64 returns R0 = the 64-bit jiffies counter (bpf_jiffies64, Linux 5.5), which advances
// CONFIG_HZ times a second. Writes R0; clobbers R1–R5. 1 instruction.
func Jiffies64() asm.Instructions {
	return asm.Attribute("clock.Jiffies64", asm.Instructions{asm.Call(asm.FnJiffies64)})
}

// PrandomU32 returns R0 = a pseudo-random 32-bit number (bpf_get_prandom_u32, Linux 4.1; a
// per-CPU PRNG, not for cryptography). Writes R0; clobbers R1–R5. 1 instruction.
func PrandomU32() asm.Instructions {
	return asm.Attribute("clock.PrandomU32", asm.Instructions{asm.Call(asm.FnGetPrandomU32)})
}

// RandomMod returns R0 = a pseudo-random number in [0, n): bpf_get_prandom_u32() % n, computed
// on 32 bits. n = 0 stands for 2^32 (the whole 32-bit range). The modulo makes small numbers
// slightly likelier when n does not divide 2^32 (by at most n/2^32, relatively). Writes R0;
// clobbers R1–R5. 2 instructions (1 for n = 0).
func RandomMod(n uint32) asm.Instructions {
	insns := asm.Instructions{asm.Call(asm.FnGetPrandomU32)}
	if n != 0 {
		insns = append(insns, asm.Mod32Imm(asm.R0, int32(n)))
	}
	return asm.Attribute("clock.RandomMod", insns)
}

// RandomPercent returns R0 = a pseudo-random percentage in [0, 100) (clj-ebpf:
// build-random-percentage, build-random-weighted-select). Writes R0; clobbers R1–R5.
// 2 instructions.
func RandomPercent() asm.Instructions {
	return asm.Attribute("clock.RandomPercent", RandomMod(100))
}

// RandomBool returns R0 = 0 or 1 with equal probability. Writes R0; clobbers R1–R5.
// 2 instructions.
func RandomBool() asm.Instructions {
	return asm.Attribute("clock.RandomBool", asm.Instructions{
		asm.Call(asm.FnGetPrandomU32),
		asm.And32Imm(asm.R0, 1),
	})
}

// WeightedSelect returns R0 = an index i into weights, chosen with probability
// weights[i] / sum(weights): a random number below the sum is compared with the running sums.
// Weights of zero are never chosen. It fails when weights is empty, sums to zero, or sums to
// 2^32 or more. Writes R0; clobbers R1–R5. 2·len(weights)+2 instructions.
func WeightedSelect(weights []uint32) (asm.Instructions, error) {
	var total uint64
	for _, w := range weights {
		total += uint64(w)
	}
	switch {
	case len(weights) == 0:
		return nil, fmt.Errorf("clock: weighted select: no weights")
	case total == 0:
		return nil, fmt.Errorf("clock: weighted select: weights sum to zero")
	case total > math.MaxUint32:
		return nil, fmt.Errorf("clock: weighted select: weights sum to %d, more than 2^32-1", total)
	}
	k := len(weights)
	insns := asm.Instructions{
		asm.Call(asm.FnGetPrandomU32),
		asm.Mov32Reg(asm.R1, asm.R0),
		asm.Mod32Imm(asm.R1, int32(uint32(total))),
		asm.MovImm(asm.R0, 0),
	}
	// if w1 < cum[i]: the answer is i (in R0) and the rest is skipped; otherwise R0 = i+1.
	var cum uint64
	for i := 0; i < k-1; i++ {
		cum += uint64(weights[i])
		rest := int16(1 + 2*(k-2-i))
		insns = append(insns,
			asm.Jmp32ImmOff(asm.JLT, asm.R1, int32(uint32(cum)), rest),
			asm.MovImm(asm.R0, int32(i+1)),
		)
	}
	return asm.Attribute("clock.WeightedSelect", insns), nil
}

// StoreTimestamp returns the instructions that read clock c and store it as a u64 in slot
// (clj-ebpf: build-store-timestamp): slot = R0 = now. Writes the slot's first 8 bytes and R0;
// clobbers R1–R5. 2 instructions.
func StoreTimestamp(c Clock, slot emit.Slot) asm.Instructions {
	return asm.Attribute("clock.StoreTimestamp", asm.Instructions{
		asm.Call(c.Helper()),
		asm.Stx(asm.DW, asm.R10, asm.R0, slot.Off),
	})
}

// Elapsed returns dst = now - the u64 timestamp in slot, in nanoseconds of clock c (clj-ebpf:
// build-load-elapsed-ns); the timestamp must come from the same clock. dst may be any of R0–R9.
// Reads the slot; writes dst and R0; clobbers R1–R5. 3 or 4 instructions.
func Elapsed(c Clock, slot emit.Slot, dst asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.Call(c.Helper()),
		asm.Ldx(asm.DW, asm.R1, asm.R10, slot.Off),
		asm.SubReg(asm.R0, asm.R1),
	}
	if dst != asm.R0 {
		insns = append(insns, asm.MovReg(dst, asm.R0))
	}
	return asm.Attribute("clock.Elapsed", insns)
}

// ElapsedPtr returns dst = now - *(u64 *)(ptr + off), in nanoseconds of clock c: the elapsed
// time since a timestamp kept in a map value (or any memory ptr may read). ptr must survive the
// helper call, so it must be one of R6–R9. Reads ptr; writes dst and R0; clobbers R1–R5. 3 or 4
// instructions.
func ElapsedPtr(c Clock, ptr asm.Register, off int16, dst asm.Register) asm.Instructions {
	insns := asm.Instructions{
		asm.Call(c.Helper()),
		asm.Ldx(asm.DW, asm.R1, ptr, off),
		asm.SubReg(asm.R0, asm.R1),
	}
	if dst != asm.R0 {
		insns = append(insns, asm.MovReg(dst, asm.R0))
	}
	return asm.Attribute("clock.ElapsedPtr", insns)
}

// UpdateTimestamp returns *(u64 *)(ptr + off) = R0 = now of clock c (clj-ebpf:
// build-update-timestamp): refresh the last-seen time of a map value. ptr must survive the
// helper call, so it must be one of R6–R9. Reads ptr; writes the 8 bytes at ptr+off and R0;
// clobbers R1–R5. 2 instructions.
func UpdateTimestamp(c Clock, ptr asm.Register, off int16) asm.Instructions {
	return asm.Attribute("clock.UpdateTimestamp", asm.Instructions{
		asm.Call(c.Helper()),
		asm.Stx(asm.DW, ptr, asm.R0, off),
	})
}
