package asm

// 32-bit (BPF_ALU class) variants of the ALU builders, and the signed division and modulo of
// cpu v4. A 32-bit operation works on the low halves and zeroes the upper half of dst.

// Add32Imm returns w_dst += imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_ADD).
//
//go:noinline
func Add32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Add, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Add32Reg returns w_dst += w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_ADD).
//
//go:noinline
func Add32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Add, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Sub32Imm returns w_dst -= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_SUB).
//
//go:noinline
func Sub32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Sub, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Sub32Reg returns w_dst -= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_SUB).
//
//go:noinline
func Sub32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Sub, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Mul32Imm returns w_dst *= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_MUL).
//
//go:noinline
func Mul32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Mul, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Mul32Reg returns w_dst *= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_MUL).
//
//go:noinline
func Mul32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Mul, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Div32Imm returns w_dst /= imm on the low 32 bits (unsigned; division by zero gives 0), zeroing the upper half (BPF_ALU | BPF_K | BPF_DIV).
//
//go:noinline
func Div32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Div, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Div32Reg returns w_dst /= w_src on the low 32 bits (unsigned; division by zero gives 0), zeroing the upper half (BPF_ALU | BPF_X | BPF_DIV).
//
//go:noinline
func Div32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Div, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Mod32Imm returns w_dst %= imm on the low 32 bits (unsigned; modulo zero leaves dst unchanged), zeroing the upper half (BPF_ALU | BPF_K | BPF_MOD).
//
//go:noinline
func Mod32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Mod, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Mod32Reg returns w_dst %= w_src on the low 32 bits (unsigned; modulo zero leaves dst unchanged), zeroing the upper half (BPF_ALU | BPF_X | BPF_MOD).
//
//go:noinline
func Mod32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Mod, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// And32Imm returns w_dst &= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_AND).
//
//go:noinline
func And32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, And, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// And32Reg returns w_dst &= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_AND).
//
//go:noinline
func And32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, And, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Or32Imm returns w_dst |= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_OR).
//
//go:noinline
func Or32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Or, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Or32Reg returns w_dst |= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_OR).
//
//go:noinline
func Or32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Or, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Xor32Imm returns w_dst ^= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_XOR).
//
//go:noinline
func Xor32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Xor, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Xor32Reg returns w_dst ^= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_XOR).
//
//go:noinline
func Xor32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Xor, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Lsh32Imm returns w_dst <<= imm on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_K | BPF_LSH).
//
//go:noinline
func Lsh32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Lsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Lsh32Reg returns w_dst <<= w_src on the low 32 bits, zeroing the upper half (BPF_ALU | BPF_X | BPF_LSH).
//
//go:noinline
func Lsh32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Lsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Rsh32Imm returns w_dst >>= imm on the low 32 bits (logical), zeroing the upper half (BPF_ALU | BPF_K | BPF_RSH).
//
//go:noinline
func Rsh32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Rsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Rsh32Reg returns w_dst >>= w_src on the low 32 bits (logical), zeroing the upper half (BPF_ALU | BPF_X | BPF_RSH).
//
//go:noinline
func Rsh32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Rsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Arsh32Imm returns w_dst s>>= imm on the low 32 bits (arithmetic), zeroing the upper half (BPF_ALU | BPF_K | BPF_ARSH).
//
//go:noinline
func Arsh32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Arsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Arsh32Reg returns w_dst s>>= w_src on the low 32 bits (arithmetic), zeroing the upper half (BPF_ALU | BPF_X | BPF_ARSH).
//
//go:noinline
func Arsh32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Arsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// SDivImm returns dst s/= imm (signed division; division by zero gives 0; BPF_ALU64 | BPF_K | BPF_DIV with offset 1, cpu v4, Linux 6.6).
//
//go:noinline
func SDivImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, SDiv, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// SDivReg returns dst s/= src (signed division; division by zero gives 0; BPF_ALU64 | BPF_X | BPF_DIV with offset 1, cpu v4, Linux 6.6).
//
//go:noinline
func SDivReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, SDiv, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// SDiv32Imm returns w_dst s/= imm on 32 bits (signed division; division by zero gives 0; cpu v4, Linux 6.6).
//
//go:noinline
func SDiv32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, SDiv, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// SDiv32Reg returns w_dst s/= w_src on 32 bits (signed division; division by zero gives 0; cpu v4, Linux 6.6).
//
//go:noinline
func SDiv32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, SDiv, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// SModImm returns dst s%= imm (signed modulo; modulo zero leaves dst unchanged; BPF_ALU64 | BPF_K | BPF_MOD with offset 1, cpu v4, Linux 6.6).
//
//go:noinline
func SModImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, SMod, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// SModReg returns dst s%= src (signed modulo; modulo zero leaves dst unchanged; BPF_ALU64 | BPF_X | BPF_MOD with offset 1, cpu v4, Linux 6.6).
//
//go:noinline
func SModReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, SMod, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// SMod32Imm returns w_dst s%= imm on 32 bits (signed modulo; modulo zero leaves dst unchanged; cpu v4, Linux 6.6).
//
//go:noinline
func SMod32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, SMod, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// SMod32Reg returns w_dst s%= w_src on 32 bits (signed modulo; modulo zero leaves dst unchanged; cpu v4, Linux 6.6).
//
//go:noinline
func SMod32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, SMod, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Neg32 returns w_dst = -w_dst, zeroing the upper half (BPF_ALU | BPF_NEG).
//
//go:noinline
func Neg32(dst Register) Instruction {
	ins := alu(ClassALU, Negate, SrcImm, dst, 0, 0)
	ins.pc = callerPC()
	return ins
}
