package asm_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// aluValues are operands with every interesting edge: zero, small, the sign bits and all-ones
// of 8, 16, 32 and 64 bits, values whose halves differ, negative numbers.
var aluValues = []uint64{
	0, 1, 2, 7, 0x7f, 0x80, 0xff, 0x8000, 0xffff,
	0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001,
	0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ^uint64(0), ^uint64(6), // -1, -7
	0xdead_beef_cafe_f00d, 0x0123_4567_89ab_cdef,
}

// shiftValues are shift amounts, including ones beyond the width: the ISA masks a register
// shift amount to 6 bits (ALU64) or 5 bits (ALU) (RFC 9669, section 4.1).
var shiftValues = []uint64{0, 1, 7, 8, 31, 32, 33, 63, 64 + 1, 0x1_0000_0021}

// aluImms are immediates; ALU64 sign-extends them, ALU uses them as 32 bits.
var aluImms = []int32{0, 1, 3, -1, -7, 0x1234, 0x7fff_ffff, -0x8000_0000}

func imm64(imm int32) uint64 { return uint64(int64(imm)) }

// aluOps are the binary ALU operations with their builders and what Go computes.
var aluOps = []struct {
	name         string
	op           asm.ALUOp
	imm64, imm32 func(asm.Register, int32) asm.Instruction
	reg64, reg32 func(dst, src asm.Register) asm.Instruction
	f64          func(a, b uint64) uint64
	f32          func(a, b uint32) uint32
	shift        bool // b is a shift amount
	div          bool // an immediate 0 is refused by the verifier
	v4           bool // cpu v4
}{
	{name: "add", op: asm.Add, imm64: asm.AddImm, imm32: asm.Add32Imm, reg64: asm.AddReg, reg32: asm.Add32Reg,
		f64: func(a, b uint64) uint64 { return a + b }, f32: func(a, b uint32) uint32 { return a + b }},
	{name: "sub", op: asm.Sub, imm64: asm.SubImm, imm32: asm.Sub32Imm, reg64: asm.SubReg, reg32: asm.Sub32Reg,
		f64: func(a, b uint64) uint64 { return a - b }, f32: func(a, b uint32) uint32 { return a - b }},
	{name: "mul", op: asm.Mul, imm64: asm.MulImm, imm32: asm.Mul32Imm, reg64: asm.MulReg, reg32: asm.Mul32Reg,
		f64: func(a, b uint64) uint64 { return a * b }, f32: func(a, b uint32) uint32 { return a * b }},
	{name: "div", op: asm.Div, imm64: asm.DivImm, imm32: asm.Div32Imm, reg64: asm.DivReg, reg32: asm.Div32Reg, div: true,
		f64: func(a, b uint64) uint64 {
			if b == 0 {
				return 0 // division by zero yields 0
			}
			return a / b
		},
		f32: func(a, b uint32) uint32 {
			if b == 0 {
				return 0
			}
			return a / b
		}},
	{name: "mod", op: asm.Mod, imm64: asm.ModImm, imm32: asm.Mod32Imm, reg64: asm.ModReg, reg32: asm.Mod32Reg, div: true,
		f64: func(a, b uint64) uint64 {
			if b == 0 {
				return a // modulo zero keeps dst
			}
			return a % b
		},
		f32: func(a, b uint32) uint32 {
			if b == 0 {
				return a
			}
			return a % b
		}},
	{name: "sdiv", op: asm.SDiv, imm64: asm.SDivImm, imm32: asm.SDiv32Imm, reg64: asm.SDivReg, reg32: asm.SDiv32Reg, div: true, v4: true,
		f64: func(a, b uint64) uint64 {
			if b == 0 {
				return 0
			}
			return uint64(int64(a) / int64(b)) // Go, like BPF, gives MinInt64 / -1 = MinInt64
		},
		f32: func(a, b uint32) uint32 {
			if b == 0 {
				return 0
			}
			return uint32(int32(a) / int32(b))
		}},
	{name: "smod", op: asm.SMod, imm64: asm.SModImm, imm32: asm.SMod32Imm, reg64: asm.SModReg, reg32: asm.SMod32Reg, div: true, v4: true,
		f64: func(a, b uint64) uint64 {
			if b == 0 {
				return a
			}
			return uint64(int64(a) % int64(b)) // the sign of the dividend, as in BPF
		},
		f32: func(a, b uint32) uint32 {
			if b == 0 {
				return a
			}
			return uint32(int32(a) % int32(b))
		}},
	{name: "or", op: asm.Or, imm64: asm.OrImm, imm32: asm.Or32Imm, reg64: asm.OrReg, reg32: asm.Or32Reg,
		f64: func(a, b uint64) uint64 { return a | b }, f32: func(a, b uint32) uint32 { return a | b }},
	{name: "and", op: asm.And, imm64: asm.AndImm, imm32: asm.And32Imm, reg64: asm.AndReg, reg32: asm.And32Reg,
		f64: func(a, b uint64) uint64 { return a & b }, f32: func(a, b uint32) uint32 { return a & b }},
	{name: "xor", op: asm.Xor, imm64: asm.XorImm, imm32: asm.Xor32Imm, reg64: asm.XorReg, reg32: asm.Xor32Reg,
		f64: func(a, b uint64) uint64 { return a ^ b }, f32: func(a, b uint32) uint32 { return a ^ b }},
	{name: "lsh", op: asm.Lsh, imm64: asm.LshImm, imm32: asm.Lsh32Imm, reg64: asm.LshReg, reg32: asm.Lsh32Reg, shift: true,
		f64: func(a, b uint64) uint64 { return a << (b & 63) }, f32: func(a, b uint32) uint32 { return a << (b & 31) }},
	{name: "rsh", op: asm.Rsh, imm64: asm.RshImm, imm32: asm.Rsh32Imm, reg64: asm.RshReg, reg32: asm.Rsh32Reg, shift: true,
		f64: func(a, b uint64) uint64 { return a >> (b & 63) }, f32: func(a, b uint32) uint32 { return a >> (b & 31) }},
	{name: "arsh", op: asm.Arsh, imm64: asm.ArshImm, imm32: asm.Arsh32Imm, reg64: asm.ArshReg, reg32: asm.Arsh32Reg, shift: true,
		f64: func(a, b uint64) uint64 { return uint64(int64(a) >> (b & 63)) },
		f32: func(a, b uint32) uint32 { return uint32(int32(a) >> (b & 31)) }},
	{name: "mov", op: asm.Mov, imm64: asm.MovImm, imm32: asm.Mov32Imm, reg64: asm.MovReg, reg32: asm.Mov32Reg,
		f64: func(a, b uint64) uint64 { return b }, f32: func(a, b uint32) uint32 { return b }},
}

// TestKernelALU runs every binary ALU operation, 64- and 32-bit, with an immediate and a
// register source, on the edge values in aluValues, and compares with Go.
func TestKernelALU(t *testing.T) {
	requireSyscallRun(t)
	for _, op := range aluOps {
		for _, width := range []int{64, 32} {
			t.Run(fmt.Sprintf("%s%d", op.name, width), func(t *testing.T) {
				if op.v4 {
					requireCPUv4(t)
				}
				eval := op.f64
				if width == 32 {
					eval = func(a, b uint64) uint64 { return uint64(op.f32(uint32(a), uint32(b))) }
				}
				immB, reg, generic := op.imm64, op.reg64, asm.ALU64Reg
				genericImm := asm.ALU64Imm
				if width == 32 {
					immB, reg, generic, genericImm = op.imm32, op.reg32, asm.ALU32Reg, asm.ALU32Imm
				}
				sameEncoding(t, reg(asm.R0, asm.R2), generic(op.op, asm.R0, asm.R2))

				// Register source: dst R0 = a, src R2 = b.
				bs := aluValues
				if op.shift {
					bs = shiftValues
				}
				var inputs []operands
				for _, a := range aluValues {
					for _, b := range bs {
						inputs = append(inputs, operands{a, b})
					}
				}
				body := asm.Instructions{asm.MovReg(asm.R0, asm.R1), reg(asm.R0, asm.R2)}
				check(t, progBody{body: body}, inputs,
					func(in operands) uint64 { return eval(in[0], in[1]) },
					func(in operands) string { return fmt.Sprintf("%s%d(%#x, r=%#x)", op.name, width, in[0], in[1]) })

				// Immediate source.
				for _, imm := range aluImms {
					if op.div && imm == 0 {
						continue // the verifier refuses it: see TestKernelALURejects
					}
					b := imm64(imm)
					if width == 32 {
						b = uint64(uint32(imm))
					}
					if op.shift && b >= uint64(width) {
						continue // the verifier refuses it: see TestKernelALURejects
					}
					sameEncoding(t, immB(asm.R0, imm), genericImm(op.op, asm.R0, imm))
					inputs = inputs[:0]
					for _, a := range aluValues {
						inputs = append(inputs, operands{a})
					}
					body := asm.Instructions{asm.MovReg(asm.R0, asm.R1), immB(asm.R0, imm)}
					check(t, progBody{body: body}, inputs,
						func(in operands) uint64 { return eval(in[0], b) },
						func(in operands) string { return fmt.Sprintf("%s%d(%#x, imm=%d)", op.name, width, in[0], imm) })
				}
				// Shift immediates up to width-1.
				if op.shift {
					for _, imm := range []int32{0, 1, 7, 16, int32(width) - 1} {
						body := asm.Instructions{asm.MovReg(asm.R0, asm.R1), immB(asm.R0, imm)}
						inputs = inputs[:0]
						for _, a := range aluValues {
							inputs = append(inputs, operands{a})
						}
						check(t, progBody{body: body}, inputs,
							func(in operands) uint64 { return eval(in[0], uint64(imm)) },
							func(in operands) string { return fmt.Sprintf("%s%d(%#x, imm=%d)", op.name, width, in[0], imm) })
					}
				}
			})
		}
	}
}

// sameEncoding fails t unless the named builder encodes like the generic one.
func sameEncoding(t *testing.T, named, generic asm.Instruction) {
	t.Helper()
	a, err1 := asm.Instructions{named}.Encode()
	b, err2 := asm.Instructions{generic}.Encode()
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("%v encodes to % x (%v), the generic builder's %v to % x (%v)", named, a, err1, generic, b, err2)
	}
}

// TestKernelUnary covers neg, the sign-extending moves and the byte swaps.
func TestKernelUnary(t *testing.T) {
	requireSyscallRun(t)
	toBE := func(v uint64, n int) uint64 { // htobe<n> on this host
		var b [8]byte
		switch n {
		case 16:
			binary.BigEndian.PutUint16(b[:], uint16(v))
			return uint64(binary.NativeEndian.Uint16(b[:]))
		case 32:
			binary.BigEndian.PutUint32(b[:], uint32(v))
			return uint64(binary.NativeEndian.Uint32(b[:]))
		}
		binary.BigEndian.PutUint64(b[:], v)
		return binary.NativeEndian.Uint64(b[:])
	}
	toLE := func(v uint64, n int) uint64 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		switch n {
		case 16:
			return uint64(binary.NativeEndian.Uint16(b[:]))
		case 32:
			return uint64(binary.NativeEndian.Uint32(b[:]))
		}
		return binary.NativeEndian.Uint64(b[:])
	}
	for _, tt := range []struct {
		name string
		ins  func() asm.Instruction // applied to R0 = a (and R2 = a for moves)
		want func(a uint64) uint64
		v4   bool
	}{
		{"neg64", func() asm.Instruction { return asm.Neg(asm.R0) }, func(a uint64) uint64 { return -a }, false},
		{"neg32", func() asm.Instruction { return asm.Neg32(asm.R0) }, func(a uint64) uint64 { return uint64(-uint32(a)) }, false},
		{"movsx64_8", func() asm.Instruction { return asm.MovSX(asm.R0, asm.R2, 8) }, func(a uint64) uint64 { return uint64(int64(int8(a))) }, true},
		{"movsx64_16", func() asm.Instruction { return asm.MovSX(asm.R0, asm.R2, 16) }, func(a uint64) uint64 { return uint64(int64(int16(a))) }, true},
		{"movsx64_32", func() asm.Instruction { return asm.MovSX(asm.R0, asm.R2, 32) }, func(a uint64) uint64 { return uint64(int64(int32(a))) }, true},
		{"movsx32_8", func() asm.Instruction { return asm.Mov32SX(asm.R0, asm.R2, 8) }, func(a uint64) uint64 { return uint64(uint32(int32(int8(a)))) }, true},
		{"movsx32_16", func() asm.Instruction { return asm.Mov32SX(asm.R0, asm.R2, 16) }, func(a uint64) uint64 { return uint64(uint32(int32(int16(a)))) }, true},
		{"be16", func() asm.Instruction { return asm.ToBE(asm.R0, 16) }, func(a uint64) uint64 { return toBE(a, 16) }, false},
		{"be32", func() asm.Instruction { return asm.ToBE(asm.R0, 32) }, func(a uint64) uint64 { return toBE(a, 32) }, false},
		{"be64", func() asm.Instruction { return asm.ToBE(asm.R0, 64) }, func(a uint64) uint64 { return toBE(a, 64) }, false},
		{"le16", func() asm.Instruction { return asm.ToLE(asm.R0, 16) }, func(a uint64) uint64 { return toLE(a, 16) }, false},
		{"le32", func() asm.Instruction { return asm.ToLE(asm.R0, 32) }, func(a uint64) uint64 { return toLE(a, 32) }, false},
		{"le64", func() asm.Instruction { return asm.ToLE(asm.R0, 64) }, func(a uint64) uint64 { return toLE(a, 64) }, false},
		{"bswap16", func() asm.Instruction { return asm.BSwap(asm.R0, 16) }, func(a uint64) uint64 { return uint64(bits.ReverseBytes16(uint16(a))) }, true},
		{"bswap32", func() asm.Instruction { return asm.BSwap(asm.R0, 32) }, func(a uint64) uint64 { return uint64(bits.ReverseBytes32(uint32(a))) }, true},
		{"bswap64", func() asm.Instruction { return asm.BSwap(asm.R0, 64) }, bits.ReverseBytes64, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v4 {
				requireCPUv4(t)
			}
			var inputs []operands
			for _, a := range aluValues {
				inputs = append(inputs, operands{a, a})
			}
			body := asm.Instructions{asm.MovReg(asm.R0, asm.R1), asm.MovReg(asm.R2, asm.R1), tt.ins()}
			check(t, progBody{body: body}, inputs,
				func(in operands) uint64 { return tt.want(in[0]) },
				func(in operands) string { return fmt.Sprintf("%s(%#x)", tt.name, in[0]) })
		})
	}
}

// TestKernelALURejects: the verifier refuses a division by an immediate zero and an immediate
// shift beyond the width, and the error names the line of this file that built it.
func TestKernelALURejects(t *testing.T) {
	requireSyscallRun(t)
	for _, tt := range []struct {
		name string
		ins  func() (asm.Instruction, int)
		msg  string
	}{
		{"div64 by 0", func() (asm.Instruction, int) { return asm.DivImm(asm.R0, 0), thisLine() }, "div by zero"},
		{"mod32 by 0", func() (asm.Instruction, int) { return asm.Mod32Imm(asm.R0, 0), thisLine() }, "div by zero"},
		{"lsh64 by 64", func() (asm.Instruction, int) { return asm.LshImm(asm.R0, 64), thisLine() }, "invalid shift 64"},
		{"arsh32 by 32", func() (asm.Instruction, int) { return asm.Arsh32Imm(asm.R0, 32), thisLine() }, "invalid shift 32"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ins, line := tt.ins()
			body := asm.Instructions{asm.MovReg(asm.R0, asm.R1), ins}
			_, err := tryLoadSyscall(progBody{body: body}, fromContext, operands{})
			ve := wantVerifierError(t, err, "kernel_alu_test.go", line, tt.msg)
			if want := ins.String(); ve.Instruction != want {
				t.Errorf("failing instruction %q, want %q", ve.Instruction, want)
			}
		})
	}
}
