package examples

import (
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/clock"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/mem"
)

// TracePrintkFormat is the format string kprobe-trace-printk passes to bpf_trace_printk, with
// the current process id (tgid) as its argument. The line appears in
// /sys/kernel/tracing/trace_pipe.
const TracePrintkFormat = "bpfgo example: tgid %d\n"

func buildTracePrintk(func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	fmtStr := append([]byte(TracePrintkFormat), 0)
	buf := st.MustAlloc("fmt", len(fmtStr))
	insns := asm.Instructions{asm.Call(asm.FnGetCurrentPidTgid), asm.RshImm(asm.R0, 32), asm.MovReg(asm.R6, asm.R0)}
	insns = append(insns, mem.StoreBytes(asm.R10, buf.Off, fmtStr, mem.NoScratch)...)
	insns = append(insns, buf.Addr(asm.R1)...)
	insns = append(insns,
		asm.MovImm(asm.R2, int32(len(fmtStr))),
		asm.MovReg(asm.R3, asm.R6),
		asm.Call(asm.FnTracePrintk), // R0 = bytes written, or a negative errno
		asm.Exit(),
	)
	return insns
}

func buildTimestamp(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("tgid", 4)
	val := st.MustAlloc("ts", 8)
	insns := asm.Instructions{
		asm.Call(asm.FnGetCurrentPidTgid),
		asm.RshImm(asm.R0, 32),
		asm.Stx(asm.W, asm.R10, asm.R0, key.Off),
	}
	insns = append(insns, clock.StoreTimestamp(clock.Monotonic, val)...)
	insns = append(insns, mapop.Update(maps("timestamps"), key, val, mapop.UpdateAny)...)
	return append(insns, asm.MovImm(asm.R0, 0), asm.Exit())
}

func buildGetCPUID(func(string) asm.MapHandle) asm.Instructions {
	return asm.Instructions{asm.Call(asm.FnGetSmpProcessorID), asm.Exit()}
}

func buildCoreTaskParent(func(string) asm.MapHandle) asm.Instructions {
	insns := asm.Instructions{asm.Call(asm.FnGetCurrentTask), asm.MovReg(asm.R6, asm.R0)}
	insns = append(insns, asm.CoreRead(asm.R0, asm.R6, -8, "task_struct", "real_parent", "tgid")...)
	return append(insns, asm.Exit())
}

// ArithmeticContext is the context of arithmetic-demo: the program reads A and B and writes
// the other fields with 64-bit unsigned arithmetic. BPF defines division by zero: A/0 = 0 and
// A%0 = A.
type ArithmeticContext struct {
	A, B                                    uint64
	Sum, Diff, Product, Quotient, Remainder uint64
	Neg                                     uint64 // -A
	Mix32                                   uint64 // uint32(A)*7 + uint32(B) - 3 in 32-bit ALU, zero-extended
}

// BitwiseContext is the context of bitwise-demo: the program reads A and B and writes the
// other fields. Shifts take the count from B modulo 64, as the BPF ISA does for 64-bit shifts.
type BitwiseContext struct {
	A, B           uint64
	And, Or, Xor   uint64
	Lsh, Rsh, Arsh uint64 // A << (B&63), A >> (B&63), int64(A) >> (B&63)
	Not            uint64 // ^A
	BE16           uint64 // the low 16 bits of A in network byte order (BPF_END to big-endian)
}

// ConditionalContext is the context of conditional-demo: the program reads A and B and
// writes the other fields, each computed with conditional jumps.
type ConditionalContext struct {
	A, B    uint64
	MaxU    uint64 // max(A, B) unsigned
	MinS    uint64 // min(int64(A), int64(B))
	Sign    uint64 // -1, 0 or 1 as int64: the sign of int64(A)
	Clamp   uint64 // int64(A) clamped to [ClampLow, ClampHigh]
	BitsSet uint64 // 1 if A & B != 0 (JSET), else 0
}

// Bounds of ConditionalContext.Clamp.
const (
	ClampLow  = -10
	ClampHigh = 100
)

// Sizes of the demo contexts, the Context length to pass to Program.Run.
const (
	ArithmeticContextSize  = 9 * 8
	BitwiseContextSize     = 10 * 8
	ConditionalContextSize = 7 * 8
)

func buildArithmetic(func(string) asm.MapHandle) asm.Instructions {
	a, b := asm.R6, asm.R7
	return asm.Instructions{
		asm.Ldx(asm.DW, a, asm.R1, 0),
		asm.Ldx(asm.DW, b, asm.R1, 8),
		asm.MovReg(asm.R2, a), asm.AddReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 16),
		asm.MovReg(asm.R2, a), asm.SubReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 24),
		asm.MovReg(asm.R2, a), asm.MulReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 32),
		asm.MovReg(asm.R2, a), asm.DivReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 40),
		asm.MovReg(asm.R2, a), asm.ModReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 48),
		asm.MovReg(asm.R2, a), asm.Neg(asm.R2), asm.Stx(asm.DW, asm.R1, asm.R2, 56),
		asm.Mov32Reg(asm.R2, a), asm.Mul32Imm(asm.R2, 7), asm.Add32Reg(asm.R2, b), asm.Sub32Imm(asm.R2, 3),
		asm.Stx(asm.DW, asm.R1, asm.R2, 64),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
}

func buildBitwise(func(string) asm.MapHandle) asm.Instructions {
	a, b := asm.R6, asm.R7
	return asm.Instructions{
		asm.Ldx(asm.DW, a, asm.R1, 0),
		asm.Ldx(asm.DW, b, asm.R1, 8),
		asm.MovReg(asm.R2, a), asm.AndReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 16),
		asm.MovReg(asm.R2, a), asm.OrReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 24),
		asm.MovReg(asm.R2, a), asm.XorReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 32),
		asm.AndImm(b, 63), // the verifier wants a shift count below 64
		asm.MovReg(asm.R2, a), asm.LshReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 40),
		asm.MovReg(asm.R2, a), asm.RshReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 48),
		asm.MovReg(asm.R2, a), asm.ArshReg(asm.R2, b), asm.Stx(asm.DW, asm.R1, asm.R2, 56),
		asm.MovReg(asm.R2, a), asm.XorImm(asm.R2, -1), asm.Stx(asm.DW, asm.R1, asm.R2, 64),
		asm.MovReg(asm.R2, a), asm.ToBE(asm.R2, 16), asm.Stx(asm.DW, asm.R1, asm.R2, 72),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
}

func buildConditional(func(string) asm.MapHandle) asm.Instructions {
	a, b := asm.R6, asm.R7
	return asm.Instructions{
		asm.Ldx(asm.DW, a, asm.R1, 0),
		asm.Ldx(asm.DW, b, asm.R1, 8),

		asm.MovReg(asm.R2, a),
		asm.JmpReg(asm.JGE, a, b, "max_done"),
		asm.MovReg(asm.R2, b),
		asm.Label("max_done"),
		asm.Stx(asm.DW, asm.R1, asm.R2, 16),

		asm.MovReg(asm.R2, a),
		asm.JmpReg(asm.JSLE, a, b, "min_done"),
		asm.MovReg(asm.R2, b),
		asm.Label("min_done"),
		asm.Stx(asm.DW, asm.R1, asm.R2, 24),

		asm.MovImm(asm.R2, 0),
		asm.JmpImm(asm.JEQ, a, 0, "sign_done"),
		asm.MovImm(asm.R2, 1),
		asm.JmpImm(asm.JSGT, a, 0, "sign_done"),
		asm.MovImm(asm.R2, -1),
		asm.Label("sign_done"),
		asm.Stx(asm.DW, asm.R1, asm.R2, 32),

		asm.MovImm(asm.R2, ClampLow),
		asm.JmpImm(asm.JSLT, a, ClampLow, "clamp_done"),
		asm.MovImm(asm.R2, ClampHigh),
		asm.JmpImm(asm.JSGT, a, ClampHigh, "clamp_done"),
		asm.MovReg(asm.R2, a),
		asm.Label("clamp_done"),
		asm.Stx(asm.DW, asm.R1, asm.R2, 40),

		asm.MovImm(asm.R2, 1),
		asm.JmpReg(asm.JSET, a, b, "set_done"),
		asm.MovImm(asm.R2, 0),
		asm.Label("set_done"),
		asm.Stx(asm.DW, asm.R1, asm.R2, 48),

		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
}
