package asm

// Builders for the atomic operations, the numeric-offset forms of the JMP32 class, gotol by
// offset and may_goto.

// AtomicOrReg returns lock *(size *)(dst + off) |= src, the atomic or without fetch
// (BPF_ATOMIC | BPF_OR). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicOrReg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicOr))
	ins.pc = callerPC()
	return ins
}

// AtomicAndReg returns lock *(size *)(dst + off) &= src, the atomic and without fetch
// (BPF_ATOMIC | BPF_AND). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicAndReg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicAnd))
	ins.pc = callerPC()
	return ins
}

// AtomicXorReg returns lock *(size *)(dst + off) ^= src, the atomic xor without fetch
// (BPF_ATOMIC | BPF_XOR). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicXorReg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicXor))
	ins.pc = callerPC()
	return ins
}

// AtomicFetchAdd returns src = atomic_fetch_add((size *)(dst + off), src): adds src to memory
// and puts the old value in src (BPF_ATOMIC | BPF_ADD | BPF_FETCH). size is W or DW; cpu v3,
// Linux 5.12.
//
//go:noinline
func AtomicFetchAdd(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicAdd|AtomicFetch))
	ins.pc = callerPC()
	return ins
}

// AtomicFetchOr returns src = atomic_fetch_or((size *)(dst + off), src) (BPF_ATOMIC | BPF_OR |
// BPF_FETCH). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicFetchOr(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicOr|AtomicFetch))
	ins.pc = callerPC()
	return ins
}

// AtomicFetchAnd returns src = atomic_fetch_and((size *)(dst + off), src) (BPF_ATOMIC | BPF_AND
// | BPF_FETCH). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicFetchAnd(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicAnd|AtomicFetch))
	ins.pc = callerPC()
	return ins
}

// AtomicFetchXor returns src = atomic_fetch_xor((size *)(dst + off), src) (BPF_ATOMIC | BPF_XOR
// | BPF_FETCH). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func AtomicFetchXor(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicXor|AtomicFetch))
	ins.pc = callerPC()
	return ins
}

// Xchg returns src = xchg((size *)(dst + off), src): stores src and puts the old value in src
// (BPF_ATOMIC | BPF_XCHG). size is W or DW; cpu v3, Linux 5.12.
//
//go:noinline
func Xchg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicXchg))
	ins.pc = callerPC()
	return ins
}

// CmpXchg returns R0 = cmpxchg((size *)(dst + off), R0, src): if memory equals R0 it is replaced
// by src; either way R0 receives the old value (BPF_ATOMIC | BPF_CMPXCHG). size is W or DW;
// cpu v3, Linux 5.12.
//
//go:noinline
func CmpXchg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicCmpXchg))
	ins.pc = callerPC()
	return ins
}

// LoadAcquire returns dst = load_acquire((size *)(src + off)), a load with acquire semantics,
// zero-extended (BPF_STX | BPF_ATOMIC with imm BPF_LOAD_ACQ). Every size is allowed; cpu v4,
// Linux 6.15.
//
//go:noinline
func LoadAcquire(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicLoadAcq))
	ins.pc = callerPC()
	return ins
}

// StoreRelease returns store_release((size *)(dst + off), src), a store with release semantics
// (BPF_STX | BPF_ATOMIC with imm BPF_STORE_REL). Every size is allowed; cpu v4, Linux 6.15.
//
//go:noinline
func StoreRelease(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicStoreRel))
	ins.pc = callerPC()
	return ins
}

// Jmp32ImmOff returns if w_dst op imm goto +off, a 32-bit conditional jump by a number of slots
// (BPF_JMP32, cpu v3, Linux 5.1).
//
//go:noinline
func Jmp32ImmOff(op JumpOp, dst Register, imm int32, off int16) Instruction {
	ins := jump(ClassJMP32, op, SrcImm, dst, 0, imm, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// Jmp32RegOff returns if w_dst op w_src goto +off (BPF_JMP32, cpu v3, Linux 5.1).
//
//go:noinline
func Jmp32RegOff(op JumpOp, dst, src Register, off int16) Instruction {
	ins := jump(ClassJMP32, op, SrcReg, dst, src, 0, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// GotolOff returns gotol +off, the long unconditional jump by a 32-bit number of slots
// (BPF_JMP32 | BPF_JA, cpu v4, Linux 6.6).
//
//go:noinline
func GotolOff(off int32) Instruction {
	ins := jump(ClassJMP32, JA, SrcImm, 0, 0, off, "")
	ins.pc = callerPC()
	return ins
}

// MayGoto returns may_goto target: the verifier-bounded loop escape. The jump is taken once the
// program's loop budget is spent, so a loop that ends in may_goto always terminates
// (BPF_JMP | BPF_JCOND with src BPF_MAY_GOTO, Linux 6.9).
//
//go:noinline
func MayGoto(target string) Instruction {
	ins := jump(ClassJMP, jcond, SrcImm, 0, 0, 0, target)
	ins.pc = callerPC()
	return ins
}

// MayGotoOff returns may_goto +off, MayGoto by a number of slots.
//
//go:noinline
func MayGotoOff(off int16) Instruction {
	ins := jump(ClassJMP, jcond, SrcImm, 0, 0, 0, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// CallOff returns a bpf-to-bpf call of the function that starts off+1 slots after the call
// (BPF_PSEUDO_CALL by number); prefer CallLabel.
//
//go:noinline
func CallOff(off int32) Instruction {
	ins := jump(ClassJMP, call, SrcImm, 0, PseudoCall, off, "")
	ins.pc = callerPC()
	return ins
}
