package emit

import (
	"strings"
	"testing"
)

func TestStackAlloc(t *testing.T) {
	st := NewStack()
	a := st.MustAlloc("key", 4)
	b := st.MustAlloc("value", 16)
	c := st.MustAlloc("flag", 1)
	if a.Off != -8 || b.Off != -24 || c.Off != -32 {
		t.Fatalf("offsets %d %d %d, want -8 -24 -32", a.Off, b.Off, c.Off)
	}
	if _, err := st.Alloc("key", 4); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := st.Alloc("big", 512); err == nil || !strings.Contains(err.Error(), "512") {
		t.Fatalf("overflow: %v", err)
	}
	m := st.Mark()
	st.MustAlloc("scratch", 64)
	st.Release(m)
	if st.Used() != 32 {
		t.Fatalf("used after release %d, want 32", st.Used())
	}
	if d := st.MustAlloc("again", 8); d.Off != -40 {
		t.Fatalf("reuse offset %d, want -40", d.Off)
	}
	if _, ok := st.Lookup("value"); !ok {
		t.Fatal("lookup value")
	}
}

func TestSlotAddr(t *testing.T) {
	sl := NewStack().MustAlloc("k", 4)
	insns := sl.Addr(1)
	if len(insns) != 2 || insns[1].Constant != -8 {
		t.Fatalf("addr: %v", insns)
	}
	pos, ok := insns[0].Source()
	if !ok || !strings.HasSuffix(pos.File, "stack_test.go") || pos.Helper != "emit.Slot.Addr" {
		t.Fatalf("position %v, want this test file and the helper name", pos)
	}
}
