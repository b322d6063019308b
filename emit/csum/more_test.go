package csum

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// TestParallelMoves runs the moves on a register file simulated in Go, for every assignment of
// source registers (with repeats and cycles) to the destinations R1, R3, R4 and R5.
func TestParallelMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dsts := []asm.Register{asm.R1, asm.R3, asm.R4, asm.R5}
	for range 20000 {
		var ms []move
		for _, d := range dsts[:1+rng.IntN(len(dsts))] {
			ms = append(ms, move{d, asm.Register(rng.IntN(10))})
		}
		var regs [11]uint64
		for i := range regs {
			regs[i] = uint64(100 + i)
		}
		before := regs
		for _, ins := range parallelMoves(ms) {
			if ins.OpCode != asm.MovReg(0, 0).OpCode {
				t.Fatalf("unexpected instruction %v", ins)
			}
			regs[ins.Dst] = regs[ins.Src]
		}
		for _, m := range ms {
			if regs[m.dst] != before[m.src] {
				t.Fatalf("moves %v: %v = %d, want %d (old %v)\n%v", ms, m.dst, regs[m.dst], before[m.src], m.src, parallelMoves(ms))
			}
		}
		// Only destinations and R0 may change.
		for r := asm.R6; r <= asm.R10; r++ {
			if regs[r] != before[r] {
				t.Fatalf("moves %v changed %v", ms, r)
			}
		}
	}
}

func TestInstructionCounts(t *testing.T) {
	cases := []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"L3Replace4 (ctx R6, from R7, to R8)", L3Replace4(asm.R6, 24, asm.R7, asm.R8), 6},
		{"L3Replace4 (from R4, to R3: a cycle)", L3Replace4(asm.R6, 24, asm.R4, asm.R3), 7},
		{"L3Replace2", L3Replace2(asm.R6, 24, asm.R7, asm.R8), 6},
		{"L4Replace4", L4Replace4(asm.R6, 50, asm.R7, asm.R8, PseudoHdr), 6},
		{"L4Replace2", L4Replace2(asm.R6, 50, asm.R7, asm.R8, 0), 6},
		{"L3ReplaceDiff", L3ReplaceDiff(asm.R6, 24, asm.R7), 6},
		{"L4ReplaceDiff", L4ReplaceDiff(asm.R6, 50, asm.R7, PseudoHdr), 6},
		{"Diff", Diff(asm.R6, 4, asm.R7, 4), 6},
		{"DiffSeed", DiffSeed(asm.R6, 4, asm.R7, 4, asm.R8), 6},
		{"Fold32", Fold32(asm.R2, asm.R3), 8},
		{"Fold", Fold(asm.R2, asm.R3), 16},
		{"ApplyDiff", ApplyDiff(asm.R2, asm.R4, asm.R3), 12},
		{"Update16", Update16(asm.R2, asm.R4, asm.R5, asm.R3), 14},
		{"Update32", Update32(asm.R2, asm.R4, asm.R5, asm.R3), 19},
		{"ZeroToMangled", ZeroToMangled(asm.R2), 2},
	}
	for _, c := range cases {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d:\n%v", c.name, len(c.insns), c.want, c.insns)
		}
	}
}

// TestSourcePositions: every instruction a helper returns points at the caller (this file) and
// names the helper, parallel moves included.
func TestSourcePositions(t *testing.T) {
	for name, insns := range map[string]asm.Instructions{
		"csum.L3Replace4": L3Replace4(asm.R6, 24, asm.R4, asm.R3),
		"csum.Update32":   Update32(asm.R2, asm.R4, asm.R5, asm.R3),
		"csum.Diff":       Diff(asm.R3, 4, asm.R1, 4),
	} {
		for _, ins := range insns {
			pos, ok := ins.Source()
			if !ok || pos.Helper != name || !strings.HasSuffix(pos.File, "more_test.go") {
				t.Errorf("%s: %v has source %v (ok %v)", name, ins, pos, ok)
			}
		}
	}
}
