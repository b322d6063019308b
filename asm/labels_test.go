package asm

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestLabelResolutionRandom jumps forward and backward, near and far (beyond the neighbour scan
// of nearbyLabel), across 64-bit immediate loads, and checks every offset against the slots
// computed here.
func TestLabelResolutionRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	var insns Instructions
	labelSlot := map[string]int{}
	type jumpAt struct {
		index  int
		target string
	}
	var jumps []jumpAt
	slot := 0
	for i := 0; i < n; i++ {
		switch rng.IntN(4) {
		case 0:
			name := "l" + strconv.Itoa(i)
			insns = append(insns, Label(name))
			labelSlot[name] = slot
		case 1:
			insns = append(insns, LoadImm64(R1, int64(i)<<33))
			slot += 2
		default:
			insns = append(insns, MovImm(R0, int32(i)))
			slot++
		}
	}
	names := make([]string, 0, len(labelSlot))
	for name := range labelSlot {
		names = append(names, name)
	}
	// Insert jumps at random places (positions shift, so compute slots afterwards).
	for k := 0; k < 500; k++ {
		at := rng.IntN(len(insns) + 1)
		target := names[rng.IntN(len(names))]
		var j Instruction
		if k%2 == 0 {
			j = JmpImm(JEQ, R0, 1, target)
		} else {
			j = Ja(target)
		}
		insns = append(insns[:at], append(Instructions{j}, insns[at:]...)...)
	}
	// Expected slots.
	labelSlot = map[string]int{}
	slots := make([]int, len(insns))
	slot = 0
	for i, ins := range insns {
		slots[i] = slot
		if ins.IsLabel() {
			labelSlot[ins.Reference] = slot
		}
		slot += ins.Slots()
	}
	for i, ins := range insns {
		if ins.IsJump() {
			jumps = append(jumps, jumpAt{i, ins.Reference})
		}
	}
	b, err := insns.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeNative(b)
	if err != nil {
		t.Fatal(err)
	}
	far := 0
	for _, j := range jumps {
		idx, ok := insns.SlotIndex(slots[j.index])
		if !ok || idx != j.index {
			t.Fatalf("SlotIndex(%d) = %d, %v; want %d", slots[j.index], idx, ok, j.index)
		}
		want := labelSlot[j.target] - slots[j.index] - 1
		if want > nearbyWindow || want < -nearbyWindow {
			far++
		}
		// Find the decoded instruction at that slot.
		s := 0
		for _, d := range dec {
			if s == slots[j.index] {
				if int(d.Offset) != want {
					t.Errorf("jump at slot %d to %s: offset %d, want %d", s, j.target, d.Offset, want)
				}
				break
			}
			s += d.Slots()
		}
	}
	if far == 0 {
		t.Error("no far jump exercised")
	}
}

func TestLabelErrors(t *testing.T) {
	for _, tc := range []struct {
		insns Instructions
		want  error
	}{
		{Instructions{Ja("nowhere"), Exit()}, ErrUnknownLabel},
		{Instructions{Label("a"), Exit(), Label("a"), Exit()}, ErrDuplicateLabel},
		{Instructions{CallLabel("f"), Exit()}, ErrUnknownLabel},
		{append(append(Instructions{Ja("end")}, make(Instructions, 40000)...), Label("end"), Exit()), ErrOffsetRange},
		{append(append(Instructions{Gotol("end")}, make(Instructions, 40000)...), Label("end"), Exit()), nil},
	} {
		_, err := tc.insns.Encode()
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("error %v, want %v", err, tc.want)
		}
	}
}

func TestMayGotoAndGotolResolve(t *testing.T) {
	insns := Instructions{
		Label("top"),
		MayGoto("out"),
		LoadImm64(R1, 1),
		Gotol("top"),
		Label("out"),
		Exit(),
	}
	b, err := insns.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeNative(b)
	if err != nil {
		t.Fatal(err)
	}
	if dec[0].Offset != 3 || dec[2].Constant != -4 {
		t.Errorf("may_goto offset %d (want 3), gotol %d (want -4)\n%v", dec[0].Offset, dec[2].Constant, dec)
	}
}
