package asm

import "fmt"

// OpCode is the 8-bit operation code of an instruction: class in the low three bits, then the
// source or size bits, then the operation or mode (RFC 9669, section 3).
type OpCode uint8

// Class is the instruction class, the low three bits of an OpCode.
type Class uint8

// The instruction classes (BPF_LD ... BPF_ALU64).
const (
	ClassLD    Class = 0x00
	ClassLDX   Class = 0x01
	ClassST    Class = 0x02
	ClassSTX   Class = 0x03
	ClassALU   Class = 0x04
	ClassJMP   Class = 0x05
	ClassJMP32 Class = 0x06
	ClassALU64 Class = 0x07
)

// Class returns the instruction class of op.
func (op OpCode) Class() Class { return Class(op & 0x07) }

// IsLoadStore reports whether the class is LD, LDX, ST or STX.
func (c Class) IsLoadStore() bool { return c < ClassALU }

// IsALU reports whether the class is ALU or ALU64.
func (c Class) IsALU() bool { return c == ClassALU || c == ClassALU64 }

// IsJump reports whether the class is JMP or JMP32.
func (c Class) IsJump() bool { return c == ClassJMP || c == ClassJMP32 }

// String returns the class name as the kernel spells it without BPF_, lower case ("alu64").
func (c Class) String() string {
	switch c {
	case ClassLD:
		return "ld"
	case ClassLDX:
		return "ldx"
	case ClassST:
		return "st"
	case ClassSTX:
		return "stx"
	case ClassALU:
		return "alu"
	case ClassJMP:
		return "jmp"
	case ClassJMP32:
		return "jmp32"
	case ClassALU64:
		return "alu64"
	}
	return fmt.Sprintf("Class(%#x)", uint8(c))
}

// Source selects the second operand of ALU and jump instructions: the immediate (BPF_K) or the
// source register (BPF_X). For byte-swap instructions in the ALU class it selects the target
// byte order (BPF_TO_LE = BPF_K, BPF_TO_BE = BPF_X).
type Source uint8

// Operand sources.
const (
	SrcImm Source = 0x00 // BPF_K
	SrcReg Source = 0x08 // BPF_X
)

// Source returns the source bit of an ALU or jump opcode.
func (op OpCode) Source() Source { return Source(op & 0x08) }

// Size is the access width of load and store instructions (BPF_W, BPF_H, BPF_B, BPF_DW),
// as encoded in bits 3–4 of the opcode.
type Size uint8

// Access sizes. The names follow the kernel's and clj-ebpf's :b :h :w :dw.
const (
	W  Size = 0x00 // 4 bytes, BPF_W
	H  Size = 0x08 // 2 bytes, BPF_H
	B  Size = 0x10 // 1 byte, BPF_B
	DW Size = 0x18 // 8 bytes, BPF_DW
)

// Sizeof returns the width in bytes, or 0 for an invalid Size.
func (s Size) Sizeof() int {
	switch s {
	case W:
		return 4
	case H:
		return 2
	case B:
		return 1
	case DW:
		return 8
	}
	return 0
}

// SizeOf returns the Size for an access of n bytes (1, 2, 4 or 8) and false for other n.
func SizeOf(n int) (Size, bool) {
	switch n {
	case 1:
		return B, true
	case 2:
		return H, true
	case 4:
		return W, true
	case 8:
		return DW, true
	}
	return 0, false
}

// String returns the C type of the access in llvm's notation: "u8", "u16", "u32" or "u64".
func (s Size) String() string {
	switch s {
	case W:
		return "u32"
	case H:
		return "u16"
	case B:
		return "u8"
	case DW:
		return "u64"
	}
	return fmt.Sprintf("Size(%#x)", uint8(s))
}

// Size returns the size bits of a load/store opcode.
func (op OpCode) Size() Size { return Size(op & 0x18) }

// Mode is the addressing mode of load and store instructions, bits 5–7 of the opcode.
type Mode uint8

// Addressing modes.
const (
	ModeIMM    Mode = 0x00 // 64-bit immediate (BPF_IMM, only with BPF_DW)
	ModeABS    Mode = 0x20 // legacy packet access, absolute (BPF_ABS)
	ModeIND    Mode = 0x40 // legacy packet access, indirect (BPF_IND)
	ModeMEM    Mode = 0x60 // regular memory access (BPF_MEM)
	ModeMEMSX  Mode = 0x80 // sign-extending load (BPF_MEMSX), cpu v4
	ModeATOMIC Mode = 0xc0 // atomic operation (BPF_ATOMIC)
)

// Mode returns the mode bits of a load/store opcode.
func (op OpCode) Mode() Mode { return Mode(op & 0xe0) }

// ALUOp is an arithmetic or logic operation. The low byte holds the operation bits of the
// opcode (BPF_ADD ... BPF_END); the second byte holds the offset field some operations use to
// select a variant (SDiv and SMod are BPF_DIV and BPF_MOD with offset 1).
type ALUOp uint16

// ALU operations.
const (
	Add    ALUOp = 0x00
	Sub    ALUOp = 0x10
	Mul    ALUOp = 0x20
	Div    ALUOp = 0x30
	Or     ALUOp = 0x40
	And    ALUOp = 0x50
	Lsh    ALUOp = 0x60
	Rsh    ALUOp = 0x70
	Negate ALUOp = 0x80 // BPF_NEG; only the immediate form exists (see Neg)
	Mod    ALUOp = 0x90
	Xor    ALUOp = 0xa0
	Mov    ALUOp = 0xb0
	Arsh   ALUOp = 0xc0
	End    ALUOp = 0xd0 // byte swap; see ToLE, ToBE and BSwap

	SDiv ALUOp = 0x130 // signed division (BPF_DIV, offset 1); cpu v4
	SMod ALUOp = 0x190 // signed modulo (BPF_MOD, offset 1); cpu v4
)

func (op ALUOp) bits() uint8   { return uint8(op) }
func (op ALUOp) offset() int16 { return int16(op >> 8) }
func aluOpOf(b uint8, off int16) ALUOp {
	return ALUOp(b) | ALUOp(uint16(off)<<8)
}

var aluOpNames = map[ALUOp]string{
	Add: "add", Sub: "sub", Mul: "mul", Div: "div", Or: "or", And: "and", Lsh: "lsh", Rsh: "rsh",
	Negate: "neg", Mod: "mod", Xor: "xor", Mov: "mov", Arsh: "arsh", End: "end", SDiv: "sdiv", SMod: "smod",
}

// String returns the lower-case name of the operation ("add", "sdiv", ...).
func (op ALUOp) String() string {
	if s, ok := aluOpNames[op]; ok {
		return s
	}
	return fmt.Sprintf("ALUOp(%#x)", uint16(op))
}

// ALUOp returns the operation of an ALU opcode (without the offset variant).
func (op OpCode) ALUOp() ALUOp { return ALUOp(op & 0xf0) }

// JumpOp is a jump condition or one of the control transfer operations of the JMP classes.
type JumpOp uint8

// Jump operations. The J* conditions compare dst with src or an immediate; the S variants are
// signed.
const (
	JA    JumpOp = 0x00 // unconditional jump (BPF_JA); "gotol" in the JMP32 class
	JEQ   JumpOp = 0x10
	JGT   JumpOp = 0x20
	JGE   JumpOp = 0x30
	JSET  JumpOp = 0x40 // dst & src != 0
	JNE   JumpOp = 0x50
	JSGT  JumpOp = 0x60
	JSGE  JumpOp = 0x70
	call  JumpOp = 0x80 // BPF_CALL; use Call, CallLabel or CallKfunc
	exit  JumpOp = 0x90 // BPF_EXIT; use Exit
	JLT   JumpOp = 0xa0
	JLE   JumpOp = 0xb0
	JSLT  JumpOp = 0xc0
	JSLE  JumpOp = 0xd0
	jcond JumpOp = 0xe0 // BPF_JCOND; use MayGoto
)

var jumpOpNames = [16]string{"ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "call", "exit", "jlt", "jle", "jslt", "jsle", "may_goto", ""}

// String returns the lower-case name of the operation ("jeq", "jsgt", ...).
func (op JumpOp) String() string {
	if op&0x0f == 0 && jumpOpNames[op>>4] != "" {
		return jumpOpNames[op>>4]
	}
	return fmt.Sprintf("JumpOp(%#x)", uint8(op))
}

// JumpOp returns the operation of a jump opcode.
func (op OpCode) JumpOp() JumpOp { return JumpOp(op & 0xf0) }

// AtomicOp is the operation of a BPF_ATOMIC instruction, held in its immediate.
type AtomicOp int32

// Atomic operations (RFC 9669 section 5.3). The Fetch variants return the old value in the
// source register; Xchg and CmpXchg always fetch (CmpXchg compares with and returns in R0).
const (
	AtomicAdd      AtomicOp = 0x00
	AtomicOr       AtomicOp = 0x40
	AtomicAnd      AtomicOp = 0x50
	AtomicXor      AtomicOp = 0xa0
	AtomicFetch    AtomicOp = 0x01 // flag: return the old value
	AtomicXchg     AtomicOp = 0xe0 | AtomicFetch
	AtomicCmpXchg  AtomicOp = 0xf0 | AtomicFetch
	AtomicLoadAcq  AtomicOp = 0x100 // load-acquire (BPF_LOAD_ACQ), Linux 6.15
	AtomicStoreRel AtomicOp = 0x110 // store-release (BPF_STORE_REL), Linux 6.15
)

// String returns the name of the operation, with "_fetch" for the fetching variants of
// add, or, and and xor ("add", "or_fetch", "xchg", "load_acquire", ...).
func (op AtomicOp) String() string {
	fetch := ""
	if op&AtomicFetch != 0 && op != AtomicXchg && op != AtomicCmpXchg {
		fetch = "_fetch"
	}
	switch op &^ AtomicFetch {
	case AtomicAdd:
		return "add" + fetch
	case AtomicOr:
		return "or" + fetch
	case AtomicAnd:
		return "and" + fetch
	case AtomicXor:
		return "xor" + fetch
	case AtomicXchg &^ AtomicFetch:
		return "xchg"
	case AtomicCmpXchg &^ AtomicFetch:
		return "cmpxchg"
	case AtomicLoadAcq:
		return "load_acquire"
	case AtomicStoreRel:
		return "store_release"
	}
	return fmt.Sprintf("AtomicOp(%#x)", int32(op))
}

// Pseudo source-register values with special meaning (RFC 9669 sections 4.4 and 5.4).
const (
	PseudoMapFD      Register = 1 // lddw: imm is a map fd
	PseudoMapValue   Register = 2 // lddw: imm is a map fd, next imm an offset into its value
	PseudoBTFID      Register = 3 // lddw: imm is a BTF id of a kernel variable
	PseudoFunc       Register = 4 // lddw: imm is a relative instruction offset of a function
	PseudoMapIdx     Register = 5 // lddw: imm is an index into the fd_array
	PseudoMapIdxVal  Register = 6 // lddw: as PseudoMapIdx, next imm an offset into the value
	PseudoCall       Register = 1 // call: imm is a relative instruction offset (bpf-to-bpf)
	PseudoKfuncCall  Register = 2 // call: imm is a BTF id of a kernel function
	PseudoHelperCall Register = 0 // call: imm is a helper function id
)

// MakeOpCode assembles an opcode from its parts. For ALU and jump classes pass the operation in
// op and the source in src; for load/store classes pass the mode in op and the size in src.
func MakeOpCode(class Class, op uint8, src uint8) OpCode {
	return OpCode(uint8(class) | op | src)
}
