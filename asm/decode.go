package asm

import (
	"encoding/binary"
	"fmt"
)

// DecodeError describes why Decode rejected its input.
type DecodeError struct {
	Slot   int    // index of the offending 8-byte slot
	Reason string // what is wrong with it
}

// Error returns the message with the slot index.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("asm: decode: slot %d: %s", e.Slot, e.Reason)
}

// Is makes a *DecodeError match ErrInvalidInstruction.
func (e *DecodeError) Is(target error) bool { return target == ErrInvalidInstruction }

// DecodeNative decodes bytecode in the host's byte order, as the kernel holds it. See Decode.
func DecodeNative(b []byte) (Instructions, error) { return Decode(b, nil) }

// Decode decodes eBPF bytecode in byte order bo (nil means the host's). A 64-bit immediate load
// becomes one Instruction holding the full constant. Every instruction of the ISA is accepted
// (RFC 9669 and the kernel's instruction-set document, including cpu v4, may_goto,
// load-acquire and store-release, and llvm's callx); anything else — unknown opcodes, reserved
// fields that are not zero, a length that is not a multiple of 8 — is rejected with a
// *DecodeError naming the slot, which wraps ErrInvalidInstruction.
//
// Decoding is exact: Encode of the result gives back b. Decoded instructions carry no labels,
// references or source positions.
func Decode(b []byte, bo binary.ByteOrder) (Instructions, error) {
	if bo == nil {
		bo = nativeEndian
	}
	if bo != binary.LittleEndian && bo != binary.BigEndian {
		return nil, fmt.Errorf("asm: decode: unsupported byte order %v", bo)
	}
	if len(b)%InstructionSize != 0 {
		return nil, &DecodeError{Slot: len(b) / InstructionSize,
			Reason: fmt.Sprintf("%d trailing bytes: the length %d is not a multiple of 8", len(b)%InstructionSize, len(b))}
	}
	big := bo == binary.BigEndian
	n := len(b) / InstructionSize
	insns := make(Instructions, 0, n)
	for slot := 0; slot < n; slot++ {
		raw := decodeSlot(b[slot*InstructionSize:], big)
		ins := Instruction{OpCode: raw.op, Dst: raw.dst, Src: raw.src, Offset: raw.off, Constant: int64(raw.imm)}
		if ins.IsLoadImm64() {
			if slot+1 >= n {
				return nil, &DecodeError{Slot: slot, Reason: "64-bit immediate load (0x18) without its second slot"}
			}
			next := decodeSlot(b[(slot+1)*InstructionSize:], big)
			if next.op != 0 || next.dst != 0 || next.src != 0 || next.off != 0 {
				return nil, &DecodeError{Slot: slot + 1, Reason: "second slot of a 64-bit immediate load has non-zero opcode, registers or offset"}
			}
			ins.Constant = int64(uint32(raw.imm)) | int64(next.imm)<<32
		}
		if reason := validate(&ins); reason != "" {
			return nil, &DecodeError{Slot: slot, Reason: fmt.Sprintf("opcode %#02x: %s", uint8(ins.OpCode), reason)}
		}
		insns = append(insns, ins)
		slot += ins.Slots() - 1
	}
	return insns, nil
}

type rawSlot struct {
	op       OpCode
	dst, src Register
	off      int16
	imm      int32
}

func decodeSlot(b []byte, big bool) rawSlot {
	if big {
		return rawSlot{op: OpCode(b[0]), dst: Register(b[1] >> 4), src: Register(b[1] & 0x0f),
			off: int16(binary.BigEndian.Uint16(b[2:])), imm: int32(binary.BigEndian.Uint32(b[4:]))}
	}
	return rawSlot{op: OpCode(b[0]), dst: Register(b[1] & 0x0f), src: Register(b[1] >> 4),
		off: int16(binary.LittleEndian.Uint16(b[2:])), imm: int32(binary.LittleEndian.Uint32(b[4:]))}
}

// validate returns why ins is not a valid instruction, or "".
func validate(ins *Instruction) string {
	op := ins.OpCode
	if ins.Dst > R10 {
		return fmt.Sprintf("invalid destination register %d", uint8(ins.Dst))
	}
	switch class := op.Class(); class {
	case ClassALU, ClassALU64:
		return validateALU(ins, class)
	case ClassJMP, ClassJMP32:
		return validateJump(ins, class)
	case ClassLD:
		return validateLD(ins)
	case ClassLDX:
		switch {
		case op.Mode() != ModeMEM && op.Mode() != ModeMEMSX:
			return "unknown mode for class ldx"
		case op.Mode() == ModeMEMSX && op.Size() == DW:
			return "sign-extending load of 8 bytes does not exist"
		case ins.Src > R10:
			return fmt.Sprintf("invalid source register %d", uint8(ins.Src))
		case ins.Constant != 0:
			return "reserved immediate is not zero"
		}
	case ClassST:
		switch {
		case op.Mode() != ModeMEM:
			return "unknown mode for class st"
		case ins.Src != 0:
			return "reserved source register is not zero"
		}
	case ClassSTX:
		if ins.Src > R10 {
			return fmt.Sprintf("invalid source register %d", uint8(ins.Src))
		}
		switch op.Mode() {
		case ModeMEM:
			if ins.Constant != 0 {
				return "reserved immediate is not zero"
			}
		case ModeATOMIC:
			switch a := AtomicOp(ins.Constant); a {
			case AtomicLoadAcq, AtomicStoreRel:
			case AtomicAdd, AtomicOr, AtomicAnd, AtomicXor,
				AtomicAdd | AtomicFetch, AtomicOr | AtomicFetch, AtomicAnd | AtomicFetch, AtomicXor | AtomicFetch,
				AtomicXchg, AtomicCmpXchg:
				if op.Size() != W && op.Size() != DW {
					return "atomic read-modify-write of 1 or 2 bytes does not exist"
				}
			default:
				return fmt.Sprintf("unknown atomic operation %#x", ins.Constant)
			}
		default:
			return "unknown mode for class stx"
		}
	}
	return ""
}

func validateALU(ins *Instruction, class Class) string {
	op := ins.OpCode
	if ins.Src > R10 {
		return fmt.Sprintf("invalid source register %d", uint8(ins.Src))
	}
	aop := op.ALUOp()
	switch {
	case aop == End:
		switch {
		case class == ClassALU64 && op.Source() != SrcImm:
			return "byte swap of class alu64 must use source bit 0 (bswap)"
		case ins.Src != 0 || ins.Offset != 0:
			return "reserved source register or offset is not zero"
		case ins.Constant != 16 && ins.Constant != 32 && ins.Constant != 64:
			return fmt.Sprintf("byte swap width %d is not 16, 32 or 64", ins.Constant)
		}
		return ""
	case aop == Negate:
		if op.Source() != SrcImm || ins.Src != 0 || ins.Offset != 0 || ins.Constant != 0 {
			return "neg takes no operand: source bit, source register, offset and immediate must be zero"
		}
		return ""
	case aop > End:
		return "unknown alu operation"
	}
	switch {
	case aop == Div || aop == Mod:
		if ins.Offset != 0 && ins.Offset != 1 {
			return fmt.Sprintf("offset %d of div/mod is not 0 (unsigned) or 1 (signed)", ins.Offset)
		}
	case aop == Mov && op.Source() == SrcReg:
		switch ins.Offset {
		case 0, 8, 16:
		case 32:
			if class == ClassALU {
				return "32-bit movsx from 32 bits does not exist"
			}
		default:
			return fmt.Sprintf("offset %d of mov is not a sign-extension width (8, 16, 32)", ins.Offset)
		}
	case ins.Offset != 0:
		return "reserved offset is not zero"
	}
	if op.Source() == SrcImm && ins.Src != 0 {
		return "reserved source register of an immediate operation is not zero"
	}
	if op.Source() == SrcReg && ins.Constant != 0 {
		return "reserved immediate of a register operation is not zero"
	}
	return ""
}

func validateJump(ins *Instruction, class Class) string {
	op := ins.OpCode
	jop := op.JumpOp()
	zeroRegs := ins.Dst == 0 && ins.Src == 0
	switch jop {
	case JA:
		if op.Source() != SrcImm || !zeroRegs {
			return "reserved fields of ja are not zero"
		}
		if class == ClassJMP && ins.Constant != 0 {
			return "reserved immediate of goto is not zero"
		}
		if class == ClassJMP32 && ins.Offset != 0 {
			return "reserved offset of gotol is not zero"
		}
		return ""
	case call:
		if class != ClassJMP {
			return "call exists only in class jmp"
		}
		if op.Source() == SrcReg { // callx, as llvm emits it: target register in dst
			if ins.Src != 0 || ins.Offset != 0 || ins.Constant != 0 {
				return "reserved fields of callx are not zero"
			}
			return ""
		}
		switch {
		case ins.Dst != 0:
			return "reserved destination register of call is not zero"
		case ins.Src > PseudoKfuncCall:
			return fmt.Sprintf("unknown call kind (source register %d)", uint8(ins.Src))
		case ins.Src != PseudoKfuncCall && ins.Offset != 0:
			return "reserved offset of call is not zero"
		}
		return ""
	case exit:
		if class != ClassJMP || op.Source() != SrcImm || !zeroRegs || ins.Offset != 0 || ins.Constant != 0 {
			return "exit takes no operands"
		}
		return ""
	case jcond:
		if class != ClassJMP || op.Source() != SrcImm || !zeroRegs || ins.Constant != 0 {
			return "reserved fields of may_goto are not zero"
		}
		return ""
	case 0xf0:
		return "unknown jump operation"
	}
	if ins.Src > R10 {
		return fmt.Sprintf("invalid source register %d", uint8(ins.Src))
	}
	if op.Source() == SrcImm && ins.Src != 0 {
		return "reserved source register of an immediate comparison is not zero"
	}
	if op.Source() == SrcReg && ins.Constant != 0 {
		return "reserved immediate of a register comparison is not zero"
	}
	return ""
}

func validateLD(ins *Instruction) string {
	op := ins.OpCode
	switch op.Mode() {
	case ModeIMM:
		switch {
		case op.Size() != DW:
			return "immediate load must be 8 bytes wide"
		case ins.Src > PseudoMapIdxVal:
			return fmt.Sprintf("unknown pseudo source %d of a 64-bit immediate load", uint8(ins.Src))
		case ins.Offset != 0:
			return "reserved offset of a 64-bit immediate load is not zero"
		}
	case ModeABS, ModeIND:
		switch {
		case op.Size() == DW:
			return "legacy packet load of 8 bytes does not exist"
		case ins.Dst != 0 || ins.Offset != 0:
			return "reserved destination register or offset of a legacy packet load is not zero"
		case op.Mode() == ModeABS && ins.Src != 0:
			return "reserved source register of an absolute packet load is not zero"
		case ins.Src > R10:
			return fmt.Sprintf("invalid source register %d", uint8(ins.Src))
		}
	default:
		return "unknown mode for class ld"
	}
	return ""
}
