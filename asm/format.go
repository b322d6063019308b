package asm

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// FormatOptions controls how instructions print. The zero value prints what `llvm-objdump -d`
// (llvm 19) prints for the encoded instruction, followed by the referenced name in angle brackets
// where an instruction names a label, map or kernel function (as llvm-objdump annotates branch
// targets); a jump whose label is not resolved yet prints the label instead of an offset
// ("goto <out>"). In these cases, where llvm 19 loses information, the text keeps it:
//
//   - 32-bit atomics other than the plain add print as llvm does with alu32 (w registers), since
//     without it llvm decodes them as that add;
//   - load-acquire and store-release (Linux 6.15, after llvm 19) print in the notation of later
//     llvm and the kernel: "r0 = load_acquire((u64 *)(r1 + 0x0))", "store_release((u16 *)(r1 +
//     0x0), w2)";
//   - a legacy indirect packet load keeps its immediate ("skb[r6 + 0x8]"), and a pseudo 64-bit
//     load (ld_pseudo) its second slot's immediate as a fourth operand.
type FormatOptions struct {
	// HelperNames prints helper calls by name, as the kernel verifier log does:
	// "call bpf_map_lookup_elem#1" instead of "call 0x1".
	HelperNames bool
	// References prints jump and call targets, map loads and kfunc calls by the name they refer
	// to instead of by number: "goto <out>", "call <func>", "r1 = map[counts] ll".
	References bool
}

var symbolic = &FormatOptions{HelperNames: true, References: true}

// String returns ins in llvm-objdump's notation, for example "r0 = *(u32 *)(r1 + 0x4)",
// "if r2 > 0x3c goto +0x1" or "lock *(u64 *)(r1 + 0x0) += r2". A label prints as "name:".
func (ins Instruction) String() string {
	return string(ins.AppendText(nil, nil))
}

// Format implements fmt.Formatter: %v and %s print String, %+v prints helper names and
// references symbolically (FormatOptions with every field set).
func (ins Instruction) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's':
		opts := (*FormatOptions)(nil)
		if f.Flag('+') {
			opts = symbolic
		}
		f.Write(ins.AppendText(nil, opts))
	default:
		fmt.Fprintf(f, "%%!%c(asm.Instruction=%s)", verb, ins.String())
	}
}

// AppendText appends the text of ins to b, as String does, with the given options (nil means the
// zero FormatOptions).
func (ins Instruction) AppendText(b []byte, opts *FormatOptions) []byte {
	var o FormatOptions
	if opts != nil {
		o = *opts
	}
	return appendText(b, &ins, o, false)
}

// String returns the listing of insns, as Fprint prints it with nil options.
func (insns Instructions) String() string {
	var sb strings.Builder
	insns.Fprint(&sb, nil)
	return sb.String()
}

// Format implements fmt.Formatter: %v and %s print the listing of Fprint, %+v with helper names
// and references printed symbolically.
func (insns Instructions) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's':
		opts := (*FormatOptions)(nil)
		if f.Flag('+') {
			opts = symbolic
		}
		insns.Fprint(f, opts)
	default:
		fmt.Fprintf(f, "%%!%c(asm.Instructions=%d)", verb, len(insns))
	}
}

// Fprint writes a listing of insns to w: one instruction per line, prefixed by its slot number
// (the instruction index the kernel and its verifier log use), and labels on lines of their own.
// Jump and call targets that name a label are resolved to offsets as Encode would resolve them,
// and annotated with the label: "if r1 == 0x0 goto +0x3 <out>".
func (insns Instructions) Fprint(w io.Writer, opts *FormatOptions) error {
	var o FormatOptions
	if opts != nil {
		o = *opts
	}
	labels := make(map[string]int)
	slots := 0
	for i := range insns {
		if insns[i].kind == kindLabel {
			if _, dup := labels[insns[i].Reference]; !dup {
				labels[insns[i].Reference] = slots
			}
		}
		slots += insns[i].Slots()
	}
	width := len(strconv.Itoa(max(slots-1, 0)))
	width = max(width, 4)
	var b []byte
	slot := 0
	for i := range insns {
		ins := insns[i]
		b = b[:0]
		if ins.kind == kindLabel {
			b = append(b, ins.Reference...)
			b = append(b, ":\n"...)
		} else {
			resolved := false
			if target, ok := labels[ins.Reference]; ok && ins.Reference != "" {
				delta := int64(target) - int64(slot+1)
				switch {
				case ins.IsJump() && ins.OpCode.Class() == ClassJMP32 && ins.OpCode.JumpOp() == JA:
					ins.Constant, resolved = delta, true
				case ins.IsJump():
					if delta >= math.MinInt16 && delta <= math.MaxInt16 {
						ins.Offset, resolved = int16(delta), true
					}
				case ins.IsFunctionCall(), ins.IsLoadImm64() && ins.Src == PseudoFunc:
					ins.Constant, resolved = delta, true
				}
			}
			num := strconv.Itoa(slot)
			for range width - len(num) {
				b = append(b, ' ')
			}
			b = append(b, num...)
			b = append(b, ": "...)
			b = appendText(b, &ins, o, resolved)
			b = append(b, '\n')
			slot += ins.Slots()
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendHex appends v in llvm's notation: 0x2a, -0x5.
func appendHex(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, "-0x"...)
		return strconv.AppendUint(b, uint64(-v), 16)
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, uint64(v), 16)
}

// appendRel appends a relative jump offset: +0x3, -0x1.
func appendRel(b []byte, v int64) []byte {
	if v >= 0 {
		b = append(b, '+')
	}
	return appendHex(b, v)
}

func appendReg(b []byte, r Register, wide bool) []byte {
	if wide {
		b = append(b, 'r')
	} else {
		b = append(b, 'w')
	}
	return strconv.AppendUint(b, uint64(r), 10)
}

// appendAddr appends "(r1 + 0x4)".
func appendAddr(b []byte, r Register, off int16) []byte {
	b = append(b, '(')
	b = appendBareAddr(b, r, off)
	return append(b, ')')
}

// appendBareAddr appends "r1 + 0x4".
func appendBareAddr(b []byte, r Register, off int16) []byte {
	b = appendReg(b, r, true)
	if off < 0 {
		b = append(b, " - "...)
		b = appendHex(b, -int64(off))
	} else {
		b = append(b, " + "...)
		b = appendHex(b, int64(off))
	}
	return b
}

func appendSized(b []byte, size Size, signed bool, r Register, off int16) []byte {
	b = append(b, '*')
	return appendCast(b, size, signed, r, off)
}

// appendCast appends "(u32 *)(r1 + 0x4)".
func appendCast(b []byte, size Size, signed bool, r Register, off int16) []byte {
	b = append(b, '(')
	if signed {
		b = append(b, 's')
	} else {
		b = append(b, 'u')
	}
	b = strconv.AppendInt(b, int64(size.Sizeof()*8), 10)
	b = append(b, " *)"...)
	return appendAddr(b, r, off)
}

func appendAnnotation(b []byte, ref string) []byte {
	if ref == "" {
		return b
	}
	b = append(b, " <"...)
	b = append(b, ref...)
	return append(b, '>')
}

var aluSymbols = [16]string{"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "", "%=", "^=", "=", "s>>=", "", "", ""}

var jumpSymbols = [16]string{"", "==", ">", ">=", "&", "!=", "s>", "s>=", "", "", "<", "<=", "s<", "s<=", "", ""}

// appendText appends the text of ins. resolved reports that a jump or call naming a label has
// had its offset filled in (by Fprint).
func appendText(b []byte, ins *Instruction, o FormatOptions, resolved bool) []byte {
	if ins.kind == kindLabel {
		b = append(b, ins.Reference...)
		return append(b, ':')
	}
	op := ins.OpCode
	switch class := op.Class(); class {
	case ClassALU, ClassALU64:
		return appendALU(b, ins, class == ClassALU64)
	case ClassJMP, ClassJMP32:
		return appendJump(b, ins, class == ClassJMP, o, resolved)
	case ClassLD:
		return appendLD(b, ins, o)
	case ClassLDX:
		b = appendReg(b, ins.Dst, true)
		b = append(b, " = "...)
		return appendSized(b, op.Size(), op.Mode() == ModeMEMSX, ins.Src, ins.Offset)
	case ClassST:
		b = appendSized(b, op.Size(), false, ins.Dst, ins.Offset)
		b = append(b, " = "...)
		return appendHex(b, ins.Constant)
	case ClassSTX:
		if op.Mode() == ModeATOMIC {
			return appendAtomic(b, ins)
		}
		b = appendSized(b, op.Size(), false, ins.Dst, ins.Offset)
		b = append(b, " = "...)
		return appendReg(b, ins.Src, true)
	}
	return appendUnknown(b, ins)
}

func appendUnknown(b []byte, ins *Instruction) []byte {
	return fmt.Appendf(b, "<unknown: opcode %#02x dst %d src %d off %d imm %#x>",
		uint8(ins.OpCode), uint8(ins.Dst), uint8(ins.Src), ins.Offset, ins.Constant)
}

func appendALU(b []byte, ins *Instruction, wide bool) []byte {
	op := ins.OpCode
	aop := op.ALUOp()
	switch aop {
	case Negate:
		b = appendReg(b, ins.Dst, wide)
		b = append(b, " = -"...)
		return appendReg(b, ins.Dst, wide)
	case End:
		b = appendReg(b, ins.Dst, true)
		switch {
		case wide:
			b = append(b, " = bswap"...)
		case op.Source() == SrcReg:
			b = append(b, " = be"...)
		default:
			b = append(b, " = le"...)
		}
		b = strconv.AppendInt(b, ins.Constant, 10)
		b = append(b, ' ')
		return appendReg(b, ins.Dst, true)
	case Mov:
		b = appendReg(b, ins.Dst, wide)
		b = append(b, " = "...)
		if op.Source() == SrcImm {
			return appendHex(b, ins.Constant)
		}
		if ins.Offset != 0 {
			b = append(b, "(s"...)
			b = strconv.AppendInt(b, int64(ins.Offset), 10)
			b = append(b, ')')
		}
		return appendReg(b, ins.Src, wide)
	}
	sym := aluSymbols[aop>>4]
	if sym == "" {
		return appendUnknown(b, ins)
	}
	b = appendReg(b, ins.Dst, wide)
	b = append(b, ' ')
	if ins.Offset == 1 && (aop == Div || aop == Mod) {
		b = append(b, 's')
	}
	b = append(b, sym...)
	b = append(b, ' ')
	if op.Source() == SrcImm {
		return appendHex(b, ins.Constant)
	}
	return appendReg(b, ins.Src, wide)
}

func appendJump(b []byte, ins *Instruction, wide bool, o FormatOptions, resolved bool) []byte {
	op := ins.OpCode
	ref := ins.Reference
	// target appends the jump target: a number, or the label when asked for or not yet resolved.
	target := func(b []byte, rel int64) []byte {
		if ref != "" && (o.References || !resolved) {
			b = append(b, '<')
			b = append(b, ref...)
			return append(b, '>')
		}
		b = appendRel(b, rel)
		return appendAnnotation(b, ref)
	}
	switch jop := op.JumpOp(); jop {
	case JA:
		if wide {
			b = append(b, "goto "...)
			return target(b, int64(ins.Offset))
		}
		b = append(b, "gotol "...)
		return target(b, ins.Constant)
	case jcond:
		b = append(b, "may_goto "...)
		return target(b, int64(ins.Offset))
	case exit:
		return append(b, "exit"...)
	case call:
		if op.Source() == SrcReg {
			b = append(b, "callx "...)
			return appendReg(b, ins.Dst, true)
		}
		b = append(b, "call "...)
		switch ins.Src {
		case PseudoHelperCall:
			if o.HelperNames {
				if name := BuiltinFunc(ins.Constant).name(); name != "" {
					b = append(b, "bpf_"...)
					b = append(b, name...)
					b = append(b, '#')
					return strconv.AppendInt(b, ins.Constant, 10)
				}
			}
		case PseudoCall:
			if ref != "" && (o.References || !resolved) {
				b = append(b, '<')
				b = append(b, ref...)
				return append(b, '>')
			}
		case PseudoKfuncCall:
			if ref != "" && o.References {
				b = append(b, ref...)
				if ins.Constant > 0 {
					b = append(b, '#')
					b = strconv.AppendInt(b, ins.Constant, 10)
				}
				return b
			}
		}
		b = appendHex(b, ins.Constant)
		return appendAnnotation(b, ref)
	default:
		sym := jumpSymbols[jop>>4]
		if sym == "" {
			return appendUnknown(b, ins)
		}
		b = append(b, "if "...)
		b = appendReg(b, ins.Dst, wide)
		b = append(b, ' ')
		b = append(b, sym...)
		b = append(b, ' ')
		if op.Source() == SrcImm {
			b = appendHex(b, ins.Constant)
		} else {
			b = appendReg(b, ins.Src, wide)
		}
		b = append(b, " goto "...)
		return target(b, int64(ins.Offset))
	}
}

func appendLD(b []byte, ins *Instruction, o FormatOptions) []byte {
	op := ins.OpCode
	switch op.Mode() {
	case ModeIMM:
		if op.Size() != DW {
			break
		}
		if ins.Reference != "" && o.References {
			b = appendReg(b, ins.Dst, true)
			switch ins.Src {
			case PseudoMapFD:
				b = append(b, " = map["...)
			case PseudoMapValue:
				b = append(b, " = map_value["...)
			default:
				b = append(b, " = <"...)
			}
			b = append(b, ins.Reference...)
			if ins.Src == PseudoMapFD || ins.Src == PseudoMapValue {
				b = append(b, ']')
			} else {
				b = append(b, '>')
			}
			if ins.Src == PseudoMapValue {
				b = append(b, '+')
				b = appendHex(b, ins.Constant>>32)
			}
			return append(b, " ll"...)
		}
		if ins.Src == 0 {
			b = appendReg(b, ins.Dst, true)
			b = append(b, " = "...)
			b = appendHex(b, ins.Constant)
			b = append(b, " ll"...)
			return appendAnnotation(b, ins.Reference)
		}
		// llvm prints pseudo loads as ld_pseudo dst, src, imm, dropping the second slot's
		// immediate; it is appended here when it is not zero, so the text loses nothing.
		b = append(b, "ld_pseudo "...)
		b = appendReg(b, ins.Dst, true)
		b = append(b, ", "...)
		b = appendHex(b, int64(ins.Src))
		b = append(b, ", "...)
		b = appendHex(b, int64(uint32(ins.Constant)))
		if hi := ins.Constant >> 32; hi != 0 {
			b = append(b, ", "...)
			b = appendHex(b, hi)
		}
		return appendAnnotation(b, ins.Reference)
	case ModeABS, ModeIND:
		b = append(b, "r0 = *(u"...)
		b = strconv.AppendInt(b, int64(op.Size().Sizeof()*8), 10)
		b = append(b, " *)skb["...)
		if op.Mode() == ModeABS {
			b = appendHex(b, ins.Constant)
		} else {
			// llvm prints only the register and drops the immediate; it is kept here when it
			// is not zero.
			b = appendReg(b, ins.Src, true)
			if ins.Constant != 0 {
				if ins.Constant < 0 {
					b = append(b, " - "...)
					b = appendHex(b, -ins.Constant)
				} else {
					b = append(b, " + "...)
					b = appendHex(b, ins.Constant)
				}
			}
		}
		return append(b, ']')
	}
	return appendUnknown(b, ins)
}

func appendAtomic(b []byte, ins *Instruction) []byte {
	size := ins.OpCode.Size()
	wide := size == DW
	switch aop := AtomicOp(ins.Constant); aop {
	case AtomicAdd, AtomicOr, AtomicAnd, AtomicXor:
		b = append(b, "lock "...)
		b = appendSized(b, size, false, ins.Dst, ins.Offset)
		b = append(b, ' ')
		b = append(b, aluSymbols[aop>>4]...)
		b = append(b, ' ')
		// llvm-objdump prints the 32-bit atomic add (the legacy BPF_XADD) with an r register
		// and, lacking alu32, cannot decode the other 32-bit atomics; with alu32 it prints
		// those with w registers. Follow it in both.
		return appendReg(b, ins.Src, wide || aop == AtomicAdd)
	case AtomicAdd | AtomicFetch, AtomicOr | AtomicFetch, AtomicAnd | AtomicFetch, AtomicXor | AtomicFetch:
		b = appendReg(b, ins.Src, wide)
		b = append(b, " = atomic_fetch_"...)
		b = append(b, (aop &^ AtomicFetch).String()...)
		b = append(b, '(')
		b = appendCast(b, size, false, ins.Dst, ins.Offset)
		b = append(b, ", "...)
		b = appendReg(b, ins.Src, wide)
		return append(b, ')')
	case AtomicXchg, AtomicCmpXchg:
		// r4 = xchg_64(r2 + 0x0, r4); w0 = cmpxchg32_32(r3 + 0x0, w0, w4)
		res := ins.Src
		if aop == AtomicCmpXchg {
			res = R0
		}
		b = appendReg(b, res, wide)
		if aop == AtomicXchg {
			b = append(b, " = xchg"...)
		} else {
			b = append(b, " = cmpxchg"...)
		}
		if wide {
			b = append(b, "_64("...)
		} else {
			b = append(b, "32_32("...)
		}
		b = appendBareAddr(b, ins.Dst, ins.Offset)
		if aop == AtomicCmpXchg {
			b = append(b, ", "...)
			b = appendReg(b, R0, wide)
		}
		b = append(b, ", "...)
		b = appendReg(b, ins.Src, wide)
		return append(b, ')')
	case AtomicLoadAcq:
		// r0 = load_acquire((u64 *)(r1 + 0x0)); w registers below 64 bits.
		b = appendReg(b, ins.Dst, wide)
		b = append(b, " = load_acquire("...)
		b = appendCast(b, size, false, ins.Src, ins.Offset)
		return append(b, ')')
	case AtomicStoreRel:
		// store_release((u16 *)(r1 + 0x0), w2)
		b = append(b, "store_release("...)
		b = appendCast(b, size, false, ins.Dst, ins.Offset)
		b = append(b, ", "...)
		b = appendReg(b, ins.Src, wide)
		return append(b, ')')
	}
	return appendUnknown(b, ins)
}
