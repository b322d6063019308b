package asm

// Builders create instructions in the vocabulary of clj-ebpf's DSL (mov, mov-reg, add, add-reg,
// ldx, stx, st, lddw, jmp-imm, jmp-reg, ja, call, exit ...). Every builder records the Go
// position of its caller. They are marked noinline so that the position is the caller's; the
// cost is a plain call.

func alu(class Class, op ALUOp, src Source, dst, srcReg Register, imm int32) Instruction {
	return Instruction{
		OpCode:   OpCode(uint8(class) | uint8(src) | op.bits()),
		Dst:      dst,
		Src:      srcReg,
		Offset:   op.offset(),
		Constant: int64(imm),
	}
}

// ALU64Imm returns dst = dst op imm on 64 bits (BPF_ALU64 | BPF_K).
//
//go:noinline
func ALU64Imm(op ALUOp, dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, op, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// ALU64Reg returns dst = dst op src on 64 bits (BPF_ALU64 | BPF_X).
//
//go:noinline
func ALU64Reg(op ALUOp, dst, src Register) Instruction {
	ins := alu(ClassALU64, op, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// ALU32Imm returns dst = (u32)(dst op imm), zeroing the upper half (BPF_ALU | BPF_K).
//
//go:noinline
func ALU32Imm(op ALUOp, dst Register, imm int32) Instruction {
	ins := alu(ClassALU, op, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// ALU32Reg returns dst = (u32)(dst op src), zeroing the upper half (BPF_ALU | BPF_X).
//
//go:noinline
func ALU32Reg(op ALUOp, dst, src Register) Instruction {
	ins := alu(ClassALU, op, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// MovImm returns dst = imm (sign-extended to 64 bits). clj-ebpf: (mov dst imm).
//
//go:noinline
func MovImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Mov, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// MovReg returns dst = src. clj-ebpf: (mov-reg dst src).
//
//go:noinline
func MovReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Mov, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Mov32Imm returns dst = (u32)imm, zeroing the upper half.
//
//go:noinline
func Mov32Imm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU, Mov, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// Mov32Reg returns dst = (u32)src, zeroing the upper half.
//
//go:noinline
func Mov32Reg(dst, src Register) Instruction {
	ins := alu(ClassALU, Mov, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// MovSX returns dst = src sign-extended from its low bits (8, 16 or 32) to 64 bits (BPF_MOVSX,
// cpu v4, Linux 6.6).
//
//go:noinline
func MovSX(dst, src Register, bits int16) Instruction {
	ins := alu(ClassALU64, Mov, SrcReg, dst, src, 0)
	ins.Offset = bits
	ins.pc = callerPC()
	return ins
}

// Mov32SX returns dst = (u32)(s32)src sign-extended from its low bits (8 or 16) (BPF_MOVSX on
// 32 bits, cpu v4).
//
//go:noinline
func Mov32SX(dst, src Register, bits int16) Instruction {
	ins := alu(ClassALU, Mov, SrcReg, dst, src, 0)
	ins.Offset = bits
	ins.pc = callerPC()
	return ins
}

// AddImm returns dst += imm. clj-ebpf: (add dst imm).
//
//go:noinline
func AddImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Add, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// AddReg returns dst += src. clj-ebpf: (add-reg dst src).
//
//go:noinline
func AddReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Add, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// SubImm returns dst -= imm. clj-ebpf: (sub dst imm).
//
//go:noinline
func SubImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Sub, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// SubReg returns dst -= src. clj-ebpf: (sub-reg dst src).
//
//go:noinline
func SubReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Sub, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// MulImm returns dst *= imm. clj-ebpf: (mul dst imm).
//
//go:noinline
func MulImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Mul, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// MulReg returns dst *= src. clj-ebpf: (mul-reg dst src).
//
//go:noinline
func MulReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Mul, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// AndImm returns dst &= imm. clj-ebpf: (and-op dst imm).
//
//go:noinline
func AndImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, And, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// AndReg returns dst &= src. clj-ebpf: (and-reg dst src).
//
//go:noinline
func AndReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, And, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// OrImm returns dst |= imm. clj-ebpf: (or-op dst imm).
//
//go:noinline
func OrImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Or, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// OrReg returns dst |= src. clj-ebpf: (or-reg dst src).
//
//go:noinline
func OrReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Or, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// XorImm returns dst ^= imm. clj-ebpf: (xor-op dst imm).
//
//go:noinline
func XorImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Xor, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// XorReg returns dst ^= src. clj-ebpf: (xor-reg dst src).
//
//go:noinline
func XorReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Xor, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// LshImm returns dst <<= imm. clj-ebpf: (lsh dst imm).
//
//go:noinline
func LshImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Lsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// LshReg returns dst <<= src. clj-ebpf: (lsh-reg dst src).
//
//go:noinline
func LshReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Lsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// RshImm returns dst >>= imm (logical). clj-ebpf: (rsh dst imm).
//
//go:noinline
func RshImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Rsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// RshReg returns dst >>= src (logical). clj-ebpf: (rsh-reg dst src).
//
//go:noinline
func RshReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Rsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// ArshImm returns dst s>>= imm (arithmetic). clj-ebpf: (arsh dst imm).
//
//go:noinline
func ArshImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Arsh, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// ArshReg returns dst s>>= src (arithmetic).
//
//go:noinline
func ArshReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Arsh, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// Neg returns dst = -dst. clj-ebpf: (neg-reg dst).
//
//go:noinline
func Neg(dst Register) Instruction {
	ins := alu(ClassALU64, Negate, SrcImm, dst, 0, 0)
	ins.pc = callerPC()
	return ins
}

// DivImm returns dst /= imm (unsigned; division by zero gives 0).
//
//go:noinline
func DivImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Div, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// DivReg returns dst /= src (unsigned; division by zero gives 0).
//
//go:noinline
func DivReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Div, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// ModImm returns dst %= imm (unsigned; modulo zero leaves dst unchanged).
//
//go:noinline
func ModImm(dst Register, imm int32) Instruction {
	ins := alu(ClassALU64, Mod, SrcImm, dst, 0, imm)
	ins.pc = callerPC()
	return ins
}

// ModReg returns dst %= src (unsigned; modulo zero leaves dst unchanged).
//
//go:noinline
func ModReg(dst, src Register) Instruction {
	ins := alu(ClassALU64, Mod, SrcReg, dst, src, 0)
	ins.pc = callerPC()
	return ins
}

// ToBE returns dst = htobe<bits>(dst): converts the low 16, 32 or 64 bits between host order and
// big endian, zeroing the bits above (BPF_END | BPF_TO_BE).
//
//go:noinline
func ToBE(dst Register, bits int32) Instruction {
	ins := alu(ClassALU, End, Source(0x08), dst, 0, bits)
	ins.pc = callerPC()
	return ins
}

// ToLE returns dst = htole<bits>(dst) (BPF_END | BPF_TO_LE); on a little-endian machine it only
// truncates to the low bits.
//
//go:noinline
func ToLE(dst Register, bits int32) Instruction {
	ins := alu(ClassALU, End, Source(0x00), dst, 0, bits)
	ins.pc = callerPC()
	return ins
}

// BSwap returns dst = bswap<bits>(dst), an unconditional byte swap (BPF_ALU64 | BPF_END, cpu v4).
//
//go:noinline
func BSwap(dst Register, bits int32) Instruction {
	ins := alu(ClassALU64, End, Source(0x00), dst, 0, bits)
	ins.pc = callerPC()
	return ins
}

func mem(class Class, mode Mode, size Size, dst, src Register, off int16, imm int32) Instruction {
	return Instruction{
		OpCode:   OpCode(uint8(class) | uint8(mode) | uint8(size)),
		Dst:      dst,
		Src:      src,
		Offset:   off,
		Constant: int64(imm),
	}
}

// Ldx returns dst = *(size *)(src + off). clj-ebpf: (ldx size dst src off).
//
//go:noinline
func Ldx(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassLDX, ModeMEM, size, dst, src, off, 0)
	ins.pc = callerPC()
	return ins
}

// LdxSX returns dst = *(signed size *)(src + off), sign-extended (BPF_MEMSX, cpu v4).
//
//go:noinline
func LdxSX(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassLDX, ModeMEMSX, size, dst, src, off, 0)
	ins.pc = callerPC()
	return ins
}

// Stx returns *(size *)(dst + off) = src. clj-ebpf: (stx size dst src off).
//
//go:noinline
func Stx(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeMEM, size, dst, src, off, 0)
	ins.pc = callerPC()
	return ins
}

// St returns *(size *)(dst + off) = imm. clj-ebpf: (st size dst off imm).
//
//go:noinline
func St(size Size, dst Register, off int16, imm int32) Instruction {
	ins := mem(ClassST, ModeMEM, size, dst, 0, off, imm)
	ins.pc = callerPC()
	return ins
}

// Atomic returns the atomic operation op on *(size *)(dst + off) with src (BPF_STX | BPF_ATOMIC).
// size must be W or DW (B and H only for load-acquire/store-release).
//
//go:noinline
func Atomic(op AtomicOp, size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(op))
	ins.pc = callerPC()
	return ins
}

// AtomicAddReg returns lock *(size *)(dst + off) += src, the atomic add without fetch.
//
//go:noinline
func AtomicAddReg(size Size, dst, src Register, off int16) Instruction {
	ins := mem(ClassSTX, ModeATOMIC, size, dst, src, off, int32(AtomicAdd))
	ins.pc = callerPC()
	return ins
}

// LdAbs returns R0 = ntoh(*(size *)(skb->data + imm)), the legacy packet load (BPF_ABS). Only
// socket filters and similar skb programs accept it.
//
//go:noinline
func LdAbs(size Size, imm int32) Instruction {
	ins := mem(ClassLD, ModeABS, size, 0, 0, 0, imm)
	ins.pc = callerPC()
	return ins
}

// LdInd returns R0 = ntoh(*(size *)(skb->data + src + imm)), the legacy indirect packet load
// (BPF_IND).
//
//go:noinline
func LdInd(size Size, src Register, imm int32) Instruction {
	ins := mem(ClassLD, ModeIND, size, 0, src, 0, imm)
	ins.pc = callerPC()
	return ins
}

const opLoadImm64 = OpCode(uint8(ClassLD) | uint8(ModeIMM) | uint8(DW))

// LoadImm64 returns dst = imm, a 64-bit immediate load (two slots). clj-ebpf: (lddw dst imm).
//
//go:noinline
func LoadImm64(dst Register, imm int64) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Constant: imm, pc: callerPC()}
}

// LoadMapPtr returns dst = the map named name (BPF_PSEUDO_MAP_FD). The loader resolves the name
// against the maps given to the program and fills in the fd.
//
//go:noinline
func LoadMapPtr(dst Register, name string) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoMapFD, Reference: name, pc: callerPC()}
}

// LoadMap returns dst = the live map m (BPF_PSEUDO_MAP_FD). The fd is taken from m when the
// program is loaded, never baked in here; if m has a Name() string method, its name is the
// instruction's Reference, shown in listings and errors.
//
//go:noinline
func LoadMap(dst Register, m MapHandle) Instruction {
	ins := Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoMapFD, pc: callerPC()}
	if n, ok := m.(interface{ Name() string }); ok {
		ins.Reference = n.Name()
	}
	ins.ext = &extra{mapHandle: m}
	return ins
}

// LoadMapValue returns dst = a pointer to offset off in the value of the map named name, which must
// be a single-element array (BPF_PSEUDO_MAP_VALUE; global variables use this).
//
//go:noinline
func LoadMapValue(dst Register, name string, off uint32) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoMapValue, Reference: name,
		Constant: int64(off) << 32, pc: callerPC()}
}

// LoadFunc returns dst = a pointer to the bpf-to-bpf function at label (BPF_PSEUDO_FUNC), as
// callback arguments of bpf_loop and bpf_for_each_map_elem need.
//
//go:noinline
func LoadFunc(dst Register, label string) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoFunc, Reference: label, pc: callerPC()}
}

// LoadBTFID returns dst = the address of the kernel variable with BTF id id (BPF_PSEUDO_BTF_ID).
//
//go:noinline
func LoadBTFID(dst Register, id int32) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoBTFID, Constant: int64(id), pc: callerPC()}
}

// LoadKsym returns dst = the address of the kernel variable name (a typed ksym,
// BPF_PSEUDO_BTF_ID); the loader resolves its BTF id in the running kernel's BTF. vmlinux BTF
// describes per-CPU variables (e.g. runqueues), so the value is a per-CPU pointer for
// bpf_per_cpu_ptr or bpf_this_cpu_ptr.
//
//go:noinline
func LoadKsym(dst Register, name string) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoBTFID, Reference: name, pc: callerPC()}
}

// LoadMapByIndex returns dst = the map at index idx of the program's fd array
// (BPF_PSEUDO_MAP_IDX, Linux 5.14).
//
//go:noinline
func LoadMapByIndex(dst Register, idx int32) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoMapIdx, Constant: int64(uint32(idx)), pc: callerPC()}
}

// LoadMapValueByIndex returns dst = a pointer to offset off in the value of the map at index idx
// of the fd array (BPF_PSEUDO_MAP_IDX_VALUE).
//
//go:noinline
func LoadMapValueByIndex(dst Register, idx int32, off uint32) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Src: PseudoMapIdxVal,
		Constant: int64(off)<<32 | int64(uint32(idx)), pc: callerPC()}
}

func jump(class Class, op JumpOp, src Source, dst, srcReg Register, imm int32, target string) Instruction {
	return Instruction{
		OpCode:    OpCode(uint8(class) | uint8(src) | uint8(op)),
		Dst:       dst,
		Src:       srcReg,
		Constant:  int64(imm),
		Reference: target,
	}
}

// Ja returns goto target. clj-ebpf: (ja offset); here the target is a label.
//
//go:noinline
func Ja(target string) Instruction {
	ins := jump(ClassJMP, JA, SrcImm, 0, 0, 0, target)
	ins.pc = callerPC()
	return ins
}

// JaOff returns goto +off, a jump by a number of slots.
//
//go:noinline
func JaOff(off int16) Instruction {
	ins := jump(ClassJMP, JA, SrcImm, 0, 0, 0, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// Gotol returns gotol target, the long unconditional jump whose 32-bit offset lives in the
// immediate (BPF_JMP32 | BPF_JA, cpu v4).
//
//go:noinline
func Gotol(target string) Instruction {
	ins := jump(ClassJMP32, JA, SrcImm, 0, 0, 0, target)
	ins.pc = callerPC()
	return ins
}

// JmpImm returns if dst op imm goto target, on 64 bits. clj-ebpf: (jmp-imm op dst imm off).
//
//go:noinline
func JmpImm(op JumpOp, dst Register, imm int32, target string) Instruction {
	ins := jump(ClassJMP, op, SrcImm, dst, 0, imm, target)
	ins.pc = callerPC()
	return ins
}

// JmpReg returns if dst op src goto target, on 64 bits. clj-ebpf: (jmp-reg op dst src off).
//
//go:noinline
func JmpReg(op JumpOp, dst, src Register, target string) Instruction {
	ins := jump(ClassJMP, op, SrcReg, dst, src, 0, target)
	ins.pc = callerPC()
	return ins
}

// Jmp32Imm returns if (u32)dst op imm goto target (BPF_JMP32, cpu v3).
//
//go:noinline
func Jmp32Imm(op JumpOp, dst Register, imm int32, target string) Instruction {
	ins := jump(ClassJMP32, op, SrcImm, dst, 0, imm, target)
	ins.pc = callerPC()
	return ins
}

// Jmp32Reg returns if (u32)dst op (u32)src goto target (BPF_JMP32, cpu v3).
//
//go:noinline
func Jmp32Reg(op JumpOp, dst, src Register, target string) Instruction {
	ins := jump(ClassJMP32, op, SrcReg, dst, src, 0, target)
	ins.pc = callerPC()
	return ins
}

// JmpImmOff returns if dst op imm goto +off, a conditional jump by a number of slots, as
// clj-ebpf's (jmp-imm op dst imm off).
//
//go:noinline
func JmpImmOff(op JumpOp, dst Register, imm int32, off int16) Instruction {
	ins := jump(ClassJMP, op, SrcImm, dst, 0, imm, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// JmpRegOff returns if dst op src goto +off, as clj-ebpf's (jmp-reg op dst src off).
//
//go:noinline
func JmpRegOff(op JumpOp, dst, src Register, off int16) Instruction {
	ins := jump(ClassJMP, op, SrcReg, dst, src, 0, "")
	ins.Offset = off
	ins.pc = callerPC()
	return ins
}

// Call returns a call of the helper fn; arguments in R1–R5, result in R0, R1–R5 clobbered.
// clj-ebpf: (call helper-id).
//
//go:noinline
func Call(fn BuiltinFunc) Instruction {
	ins := jump(ClassJMP, call, SrcImm, 0, PseudoHelperCall, int32(fn), "")
	ins.pc = callerPC()
	return ins
}

// CallLabel returns a bpf-to-bpf call of the function that starts at label (BPF_PSEUDO_CALL).
//
//go:noinline
func CallLabel(label string) Instruction {
	ins := jump(ClassJMP, call, SrcImm, 0, PseudoCall, -1, label)
	ins.pc = callerPC()
	return ins
}

// CallKfunc returns a call of the kernel function with BTF id id in vmlinux
// (BPF_PSEUDO_KFUNC_CALL).
//
//go:noinline
func CallKfunc(id int32) Instruction {
	ins := jump(ClassJMP, call, SrcImm, 0, PseudoKfuncCall, id, "")
	ins.pc = callerPC()
	return ins
}

// CallKfuncByName returns a call of the kernel function name; the loader resolves its BTF id
// against the running kernel's BTF.
//
//go:noinline
func CallKfuncByName(name string) Instruction {
	ins := jump(ClassJMP, call, SrcImm, 0, PseudoKfuncCall, -1, name)
	ins.pc = callerPC()
	return ins
}

// Exit returns exit: the program or function returns R0. clj-ebpf: (exit-insn).
//
//go:noinline
func Exit() Instruction {
	ins := jump(ClassJMP, exit, SrcImm, 0, 0, 0, "")
	ins.pc = callerPC()
	return ins
}

// BuiltinFunc is the id of a helper function (enum bpf_func_id). The constants (FnMapLookupElem,
// ...) are generated from the running kernel's BTF in helpers_gen.go.
type BuiltinFunc int32
