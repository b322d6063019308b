package asm_test

import (
	"fmt"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// jumpValues are compared with each other: they straddle the signed and unsigned boundaries of
// 32 and 64 bits, and some differ only in the upper half (which JMP32 ignores).
var jumpValues = []uint64{
	0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001,
	0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ^uint64(0), ^uint64(1), // -1, -2
}

// jumpImms are the immediates; JMP sign-extends them to 64 bits, JMP32 compares 32 bits.
var jumpImms = []int32{0, 1, -1, -2, 0x7fff_ffff, -0x8000_0000}

var jumpOps = []asm.JumpOp{
	asm.JEQ, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE,
	asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE, asm.JSET,
}

// jumpTaken is what Go says about "if a op b" on width bits.
func jumpTaken(op asm.JumpOp, a, b uint64, width int) bool {
	sa, sb := int64(a), int64(b)
	if width == 32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
		sa, sb = int64(int32(a)), int64(int32(b))
	}
	switch op {
	case asm.JEQ:
		return a == b
	case asm.JNE:
		return a != b
	case asm.JGT:
		return a > b
	case asm.JGE:
		return a >= b
	case asm.JLT:
		return a < b
	case asm.JLE:
		return a <= b
	case asm.JSGT:
		return sa > sb
	case asm.JSGE:
		return sa >= sb
	case asm.JSLT:
		return sa < sb
	case asm.JSLE:
		return sa <= sb
	case asm.JSET:
		return a&b != 0
	}
	panic(fmt.Sprintf("jumpTaken: %v", op))
}

// TestKernelJumps runs every jump condition of JMP and JMP32, with an immediate and a register
// source, to a label and by offset, on every pair of jumpValues (every jumpValue against every
// jumpImm), and checks that each program took the branch exactly when Go says so — and that
// the inputs made it go both ways.
func TestKernelJumps(t *testing.T) {
	requireSyscallRun(t)
	const taken, notTaken = 2, 1
	for _, op := range jumpOps {
		for _, width := range []int{64, 32} {
			t.Run(fmt.Sprintf("%v%d", op, width), func(t *testing.T) {
				regBuilders := []struct {
					name  string
					build func() asm.Instructions
				}{
					{"label", func() asm.Instructions {
						j := asm.JmpReg(op, asm.R1, asm.R2, "taken")
						if width == 32 {
							j = asm.Jmp32Reg(op, asm.R1, asm.R2, "taken")
						}
						return asm.Instructions{
							asm.MovImm(asm.R0, notTaken),
							j,
							asm.Ja("out"),
							asm.Label("taken"),
							asm.MovImm(asm.R0, taken),
							asm.Label("out"),
						}
					}},
					{"offset", func() asm.Instructions {
						j := asm.JmpRegOff(op, asm.R1, asm.R2, 1)
						if width == 32 {
							j = asm.Jmp32RegOff(op, asm.R1, asm.R2, 1)
						}
						return asm.Instructions{asm.MovImm(asm.R0, taken), j, asm.MovImm(asm.R0, notTaken)}
					}},
				}
				var inputs []operands
				for _, a := range jumpValues {
					for _, b := range jumpValues {
						inputs = append(inputs, operands{a, b})
					}
				}
				for _, rb := range regBuilders {
					checkJump(t, progBody{body: rb.build()}, inputs, true, func(in operands) bool {
						return jumpTaken(op, in[0], in[1], width)
					}, func(in operands) string {
						return fmt.Sprintf("%v%d %s (%#x, r=%#x)", op, width, rb.name, in[0], in[1])
					})
				}

				for _, imm := range jumpImms {
					b := uint64(int64(imm))
					j := asm.JmpImm(op, asm.R1, imm, "taken")
					jOff := asm.JmpImmOff(op, asm.R1, imm, 1)
					if width == 32 {
						b = uint64(uint32(imm))
						j = asm.Jmp32Imm(op, asm.R1, imm, "taken")
						jOff = asm.Jmp32ImmOff(op, asm.R1, imm, 1)
					}
					inputs = inputs[:0]
					for _, a := range jumpValues {
						inputs = append(inputs, operands{a})
					}
					for _, body := range []asm.Instructions{
						{asm.MovImm(asm.R0, notTaken), j, asm.Ja("out"), asm.Label("taken"), asm.MovImm(asm.R0, taken), asm.Label("out")},
						{asm.MovImm(asm.R0, taken), jOff, asm.MovImm(asm.R0, notTaken)},
					} {
						checkJump(t, progBody{body: body}, inputs, false, func(in operands) bool {
							return jumpTaken(op, in[0], b, width)
						}, func(in operands) string {
							return fmt.Sprintf("%v%d (%#x, imm=%d)", op, width, in[0], imm)
						})
					}
				}
			})
		}
	}
}

// checkJump runs a program that returns 2 when its branch is taken and 1 otherwise on the
// inputs, in both input modes. With bothWays, the inputs must take the branch and not take it
// (a table that tests one direction only proves little); conditions against some immediates
// (jset 0, jge 0) can only go one way.
func checkJump(t *testing.T, pb progBody, inputs []operands, bothWays bool, want func(operands) bool, name func(operands) string) {
	t.Helper()
	seen := map[bool]bool{}
	for _, in := range inputs {
		seen[want(in)] = true
	}
	if bothWays && (!seen[true] || !seen[false]) {
		t.Errorf("%s: the inputs only go one way", name(inputs[0]))
	}
	check(t, pb, inputs, func(in operands) uint64 {
		if want(in) {
			return 2
		}
		return 1
	}, name)
}

// TestKernelUnconditional covers ja and gotol to labels and by offset, and gotol over more
// instructions than a 16-bit offset reaches.
func TestKernelUnconditional(t *testing.T) {
	requireSyscallRun(t)
	// The skipped instructions are reachable through a branch the verifier cannot decide
	// (a == 7): it refuses a program with unreachable instructions.
	skip := func(jump asm.Instruction) asm.Instructions {
		return asm.Instructions{
			asm.MovImm(asm.R0, 1),
			asm.JmpImm(asm.JEQ, asm.R1, 7, "skipped"),
			jump,
			asm.Label("skipped"),
			asm.MovImm(asm.R0, 99),
			asm.AddImm(asm.R0, 98),
			asm.Label("target"),
			asm.AddImm(asm.R0, 1),
		}
	}
	for _, tt := range []struct {
		name string
		body asm.Instructions
		v4   bool
	}{
		{"ja label", skip(asm.Ja("target")), false},
		{"ja offset", skip(asm.JaOff(2)), false},
		{"gotol label", skip(asm.Gotol("target")), true},
		{"gotol offset", skip(asm.GotolOff(2)), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v4 {
				requireCPUv4(t)
			}
			check(t, progBody{body: tt.body}, []operands{{0}, {7}},
				func(in operands) uint64 {
					if in[0] == 7 {
						return 99 + 98 + 1
					}
					return 2
				},
				func(in operands) string { return fmt.Sprintf("%s (a=%d)", tt.name, in[0]) })
		})
	}

	t.Run("gotol far", func(t *testing.T) {
		requireCPUv4(t)
		// gotol jumps over 40000 instructions; they are reachable through a branch the
		// verifier cannot decide (a == 7), so the program has no dead code.
		const filler = 40000
		body := asm.Instructions{
			asm.MovImm(asm.R0, 10),
			asm.JmpImm(asm.JEQ, asm.R1, 7, "filler"),
			asm.Gotol("far"),
			asm.Label("filler"),
		}
		for range filler {
			body = append(body, asm.AddImm(asm.R0, 1))
		}
		body = append(body, asm.Label("far"), asm.AddImm(asm.R0, 5))
		// A 16-bit offset cannot reach "far".
		if _, err := append(asm.Instructions{asm.Ja("far")}, body...).Encode(); err == nil {
			t.Error("ja over 40000 instructions encoded without an error")
		}
		check(t, progBody{body: body}, []operands{{7}, {8}},
			func(in operands) uint64 {
				if in[0] == 7 {
					return 10 + filler + 5
				}
				return 15
			},
			func(in operands) string { return fmt.Sprintf("gotol far (a=%d)", in[0]) })
	})

	t.Run("may_goto", func(t *testing.T) {
		requireInstructions(t, "may_goto", 6, 9, asm.Instructions{
			asm.MovImm(asm.R0, 0), asm.MayGoto("out"), asm.MovImm(asm.R0, 1), asm.Label("out"),
		})
		// A loop the verifier cannot bound without may_goto: count up until the budget is
		// spent. The budget is the kernel's: BPF_MAX_LOOPS (8M) iterations, or since Linux 6.15
		// on x86-64 a time slice, so only "more than once, and it ends" is certain.
		body := asm.Instructions{
			asm.MovImm(asm.R0, 0),
			asm.Label("loop"),
			asm.MayGoto("out"),
			asm.AddImm(asm.R0, 1),
			asm.Ja("loop"),
			asm.Label("out"),
		}
		sp := loadSyscall(t, progBody{body: body}, fromContext, operands{})
		got := sp.run(t, operands{}).r0
		if got < 2 {
			t.Fatalf("may_goto loop ran %d times", got)
		}
		t.Logf("may_goto budget: %d iterations", got)
	})
}
