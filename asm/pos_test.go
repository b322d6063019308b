package asm

import (
	"strings"
	"testing"
)

func TestSourcePositionNamesCaller(t *testing.T) {
	insns := Instructions{
		MovImm(R0, 1), // line 10
		Label("out"),
		Exit(),
	}
	for i, want := range []int{10, 11, 12} {
		pos, ok := insns[i].Source()
		if !ok || !strings.HasSuffix(pos.File, "pos_test.go") || pos.Line != want {
			t.Errorf("insn %d: position %v (ok=%v), want pos_test.go:%d", i, pos, ok, want)
		}
	}
	if !fastCallerPC && haveFramePC {
		t.Log("frame-pointer caller pc disabled by self-check; using runtime.Callers")
	}
}

func TestLabelsResolve(t *testing.T) {
	insns := Instructions{
		MovImm(R0, 0),
		JmpImm(JEQ, R1, 0, "out"),
		LoadImm64(R2, 1<<40),
		MovImm(R0, 1),
		Label("out"),
		Exit(),
	}
	b, err := insns.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 6*8 {
		t.Fatalf("len %d", len(b))
	}
	// jump at slot 1 to slot 5: offset +3 (lddw takes two slots).
	if off := int16(uint16(b[8+2]) | uint16(b[8+3])<<8); off != 3 {
		t.Fatalf("offset %d, want 3", off)
	}
	if _, err := (Instructions{Ja("nowhere"), Exit()}).Encode(); err == nil || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Fatalf("unknown label: %v", err)
	}
	if _, err := (Instructions{Label("a"), Label("a"), Exit()}).Encode(); err == nil {
		t.Fatal("duplicate label accepted")
	}
}
