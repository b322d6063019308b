package asm

import (
	"fmt"
	"strings"
	"testing"
)

func TestFormatSymbolic(t *testing.T) {
	for _, tc := range []struct {
		ins       Instruction
		plain, sy string
	}{
		{Call(FnMapLookupElem), "call 0x1", "call bpf_map_lookup_elem#1"},
		{Call(FnKtimeGetNs), "call 0x5", "call bpf_ktime_get_ns#5"},
		{Call(BuiltinFunc(100000)), "call 0x186a0", "call 0x186a0"},
		{Ja("out"), "goto <out>", "goto <out>"},
		{JmpImm(JEQ, R0, 0, "miss"), "if r0 == 0x0 goto <miss>", "if r0 == 0x0 goto <miss>"},
		{Jmp32Reg(JSGT, R1, R2, "big"), "if w1 s> w2 goto <big>", "if w1 s> w2 goto <big>"},
		{Gotol("far"), "gotol <far>", "gotol <far>"},
		{MayGoto("done"), "may_goto <done>", "may_goto <done>"},
		{CallLabel("helper"), "call <helper>", "call <helper>"},
		{CallKfuncByName("bpf_rcu_read_lock"), "call -0x1 <bpf_rcu_read_lock>", "call bpf_rcu_read_lock"},
		{CallKfunc(42).WithReference("bpf_obj_drop"), "call 0x2a <bpf_obj_drop>", "call bpf_obj_drop#42"},
		{LoadMapPtr(R1, "counts"), "ld_pseudo r1, 0x1, 0x0 <counts>", "r1 = map[counts] ll"},
		{LoadMapValue(R2, ".data", 16), "ld_pseudo r2, 0x2, 0x0, 0x10 <.data>", "r2 = map_value[.data]+0x10 ll"},
		{LoadFunc(R2, "cb"), "ld_pseudo r2, 0x4, 0x0 <cb>", "r2 = <cb> ll"},
		{Label("out"), "out:", "out:"},
	} {
		if got := tc.ins.String(); got != tc.plain {
			t.Errorf("String: %q, want %q", got, tc.plain)
		}
		if got := fmt.Sprintf("%v", tc.ins); got != tc.plain {
			t.Errorf("%%v: %q, want %q", got, tc.plain)
		}
		if got := fmt.Sprintf("%+v", tc.ins); got != tc.sy {
			t.Errorf("%%+v: %q, want %q", got, tc.sy)
		}
		if got := string(tc.ins.AppendText(nil, &FormatOptions{HelperNames: true, References: true})); got != tc.sy {
			t.Errorf("AppendText: %q, want %q", got, tc.sy)
		}
	}
	if got := string(Call(FnMapLookupElem).AppendText(nil, &FormatOptions{HelperNames: true})); got != "call bpf_map_lookup_elem#1" {
		t.Errorf("HelperNames only: %q", got)
	}
}

func TestInstructionsListing(t *testing.T) {
	insns := Instructions{
		MovImm(R0, 0),
		JmpImm(JEQ, R1, 0, "out"),
		LoadImm64(R2, 1<<40),
		Call(FnKtimeGetNs),
		CallLabel("fn"),
		Label("out"),
		Exit(),
		Label("fn"),
		Gotol("out"),
	}
	want := `   0: r0 = 0x0
   1: if r1 == 0x0 goto +0x4 <out>
   2: r2 = 0x10000000000 ll
   4: call 0x5
   5: call 0x1 <fn>
out:
   6: exit
fn:
   7: gotol -0x2 <out>
`
	if got := insns.String(); got != want {
		t.Errorf("listing:\n%s\nwant:\n%s", got, want)
	}
	wantSym := strings.NewReplacer(
		"+0x4 <out>", "<out>", "call 0x5", "call bpf_ktime_get_ns#5",
		"call 0x1 <fn>", "call <fn>", "-0x2 <out>", "<out>").Replace(want)
	if got := fmt.Sprintf("%+v", insns); got != wantSym {
		t.Errorf("symbolic listing:\n%s\nwant:\n%s", got, wantSym)
	}
	// The listing's offsets are those Encode produces.
	b, err := insns.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeNative(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(dec.String(), "\n") {
		if line != "" && !strings.Contains(want, line) {
			t.Errorf("decoded line %q is not in the listing", line)
		}
	}
}

func TestBuiltinFuncNames(t *testing.T) {
	if s := FnMapLookupElem.String(); s != "bpf_map_lookup_elem" {
		t.Errorf("FnMapLookupElem.String() = %q", s)
	}
	for _, name := range []string{"bpf_map_lookup_elem", "map_lookup_elem"} {
		if fn, ok := BuiltinFuncByName(name); !ok || fn != FnMapLookupElem {
			t.Errorf("BuiltinFuncByName(%q) = %v, %v", name, fn, ok)
		}
	}
	if _, ok := BuiltinFuncByName("no_such_helper"); ok {
		t.Error("BuiltinFuncByName accepted an unknown name")
	}
	if s := BuiltinFunc(-1).String(); s != "BuiltinFunc(-1)" {
		t.Errorf("BuiltinFunc(-1).String() = %q", s)
	}
}

func TestNewBuildersRecordPositions(t *testing.T) {
	insns := Instructions{
		Add32Imm(R1, 1),               // line +1
		SDivReg(R1, R2),               // line +2
		AtomicFetchAdd(DW, R1, R2, 0), // line +3
		Jmp32ImmOff(JEQ, R1, 0, 0),    // line +4
		MayGoto("x"),                  // line +5
		LoadAcquire(W, R1, R2, 0),     // line +6
	}
	first, ok := insns[0].Source()
	if !ok || !strings.HasSuffix(first.File, "format_test.go") {
		t.Fatalf("position %v (ok=%v), want format_test.go", first, ok)
	}
	for i, ins := range insns {
		pos, ok := ins.Source()
		if !ok || pos.File != first.File || pos.Line != first.Line+i {
			t.Errorf("insn %d (%v): position %v, want line %d", i, ins, pos, first.Line+i)
		}
	}
}
