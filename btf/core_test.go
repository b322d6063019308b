package btf

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/elfsec"
)

// loadObject returns the BTF, .BTF.ext and decoded instructions of one code section of an
// object in testdata.
func loadObject(tb testing.TB, path, section string) (*Spec, *ExtSection, asm.Instructions) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	s, ext, err := LoadSpecAndExtFromELF(f)
	if err != nil {
		tb.Fatal(err)
	}
	ef, err := elfsec.Open(f)
	if err != nil {
		tb.Fatal(err)
	}
	code, err := ef.Section(section)
	if err != nil {
		tb.Fatal(err)
	}
	insns, err := asm.Decode(code, s.ByteOrder())
	if err != nil {
		tb.Fatal(err)
	}
	es := ext.Section(section)
	if es == nil {
		tb.Fatalf("%s: no .BTF.ext records for %s", path, section)
	}
	return s, es, insns
}

// Relocating an object against its own BTF must find every value the compiler emitted: each
// Checked fixup is verified against the instruction, and Target equals Local.
func TestCOREAgainstSelf(t *testing.T) {
	for _, path := range []string{"testdata/core.o", "testdata/core_eb.o"} {
		s, es, insns := loadObject(t, path, "xdp")
		var relos []CORERelo
		for _, r := range es.CORERelos {
			if r.Kind == CORETypeSize {
				continue // ambiguous against itself (see TestCOREValues)
			}
			relos = append(relos, r)
			f, err := CalcCORE(s, r, s)
			if err != nil {
				t.Fatalf("%s: %+v: %v", path, r, err)
			}
			if f.Poison || f.Target != f.Local {
				t.Errorf("%s: %+v: fixup %+v, want target == local", path, r, f)
			}
		}
		out, err := ApplyCORERelos(insns, s, relos, s)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(out) != len(insns) {
			t.Fatalf("%s: %d instructions, want %d", path, len(out), len(insns))
		}
		for i := range out {
			if out[i].String() != insns[i].String() {
				t.Errorf("%s: instruction %d: %v, want %v", path, i, out[i], insns[i])
			}
		}
	}
}

// TestCOREValues checks the values core.o's relocations compute from its own BTF against the
// layout the C source declares (and clang emitted into the instructions).
func TestCOREValues(t *testing.T) {
	s, es, _ := loadObject(t, "testdata/core.o", "xdp")
	want := []uint64{
		4,  // offsetof(struct task, tgid)
		8,  // sizeof(struct flags): a, b, c, d and e:40 share 8 bytes
		1,  // comm exists
		64, // offsetof(struct task, y) through the anonymous struct at 56
		1,  // struct task exists
		4,  // sizeof(struct task___old)
		^uint64(2),
		1,
	}
	if len(es.CORERelos) != len(want) {
		t.Fatalf("%d relocations, want %d", len(es.CORERelos), len(want))
	}
	for i, r := range es.CORERelos {
		f, err := CalcCORE(s, r, s)
		if r.Kind == CORETypeSize {
			// task___old has two candidates here, task and task___old itself, of different
			// sizes: libbpf calls that ambiguous too.
			if !errors.Is(err, errCOREAmbiguous) {
				t.Errorf("relocation %d: %v, want ambiguity", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Local != want[i] {
			t.Errorf("relocation %d (%s %q): %d, want %d", i, r.Kind, r.Access, int64(f.Local), int64(want[i]))
		}
	}
}

// coreTarget builds a target Spec from types.
func coreTarget(tb testing.TB, types ...Type) *Spec {
	tb.Helper()
	b := NewBuilder()
	for _, t := range types {
		if _, err := b.Add(t); err != nil {
			tb.Fatal(err)
		}
	}
	raw, err := b.Marshal(nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := LoadSpecFromBytes(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestCOREMatching covers libbpf's matching rules with a local type and several targets.
func TestCOREMatching(t *testing.T) {
	// Local: [1] int, [2] struct task { int pid; int tgid; unsigned flags:3; int sflags:5; }
	// [3] enum state { RUNNING = 0, STOPPED = 4 }, [4] struct task___mine { int pid; int new_field; }
	// [5] unsigned char, [6] struct bits { u8 a:3; u8 b:5; int c: 20 } (bitfield kinds)
	local := coreTarget(t,
		&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32},
		&Struct{Name: "task", Size: 16, Members: []Member{
			{Name: "pid", Type: 1}, {Name: "tgid", Type: 1, BitOffset: 32},
			{Name: "flags", Type: 7, BitOffset: 64, BitfieldSize: 3},
			{Name: "sflags", Type: 1, BitOffset: 67, BitfieldSize: 5},
		}},
		&Enum{Name: "state", Size: 4, Values: []EnumValue{{"RUNNING", 0}, {"STOPPED", 4}}},
		&Struct{Name: "task___mine", Size: 8, Members: []Member{{Name: "pid", Type: 1}, {Name: "new_field", Type: 1, BitOffset: 32}}},
		&Int{Name: "unsigned char", Size: 1, Bits: 8},
		&Struct{Name: "bits", Size: 8, Members: []Member{
			{Name: "a", Type: 5, BitfieldSize: 3}, {Name: "b", Type: 5, BitOffset: 3, BitfieldSize: 5},
			{Name: "c", Type: 1, BitOffset: 8, BitfieldSize: 20},
		}},
		&Int{Name: "unsigned int", Size: 4, Bits: 32},
		&Union{Name: "inner", Size: 4, Members: []Member{{Name: "v", Type: 1}}},
	)
	// Target: the fields moved, an anonymous union holds tgid, the enum value changed, a
	// flavoured twin of task with a different layout, and a same-named struct of another
	// kind (union) that must not be a candidate.
	target := coreTarget(t,
		&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32},                                      // 1
		&Int{Name: "long", Size: 8, Encoding: Signed, Bits: 64},                                     // 2
		&Union{Name: "", Size: 8, Members: []Member{{Name: "tgid", Type: 1}, {Name: "x", Type: 2}}}, // 3
		&Struct{Name: "task", Size: 40, Members: []Member{ // 4
			{Name: "state", Type: 2}, {Name: "pid", Type: 1, BitOffset: 64},
			{Name: "", Type: 3, BitOffset: 128},
			{Name: "flags", Type: 9, BitOffset: 200, BitfieldSize: 3},
			{Name: "sflags", Type: 1, BitOffset: 203, BitfieldSize: 5},
		}},
		&Enum{Name: "state", Size: 4, Values: []EnumValue{{"STOPPED", 8}, {"RUNNING", 0}}}, // 5
		&Union{Name: "bits", Size: 4, Members: []Member{{Name: "a", Type: 1}}},             // 6: wrong kind
		&Int{Name: "unsigned char", Size: 1, Bits: 8},                                      // 7
		&Struct{Name: "bits", Size: 8, Members: []Member{ // 8
			{Name: "c", Type: 1, BitfieldSize: 20},
			{Name: "a", Type: 7, BitOffset: 20, BitfieldSize: 3}, {Name: "b", Type: 7, BitOffset: 23, BitfieldSize: 5},
		}},
		&Int{Name: "unsigned int", Size: 4, Bits: 32},                            // 9
		&Struct{Name: "inner", Size: 4, Members: []Member{{Name: "v", Type: 1}}}, // 10
	)
	tests := []struct {
		name   string
		relo   CORERelo
		local  uint64
		target uint64
		poison bool
	}{
		{"offset moved", CORERelo{TypeID: 2, Access: "0:0", Kind: COREFieldByteOffset}, 0, 8, false},
		{"offset in anonymous union", CORERelo{TypeID: 2, Access: "0:1", Kind: COREFieldByteOffset}, 4, 16, false},
		{"size", CORERelo{TypeID: 2, Access: "0:1", Kind: COREFieldByteSize}, 4, 4, false},
		{"exists", CORERelo{TypeID: 2, Access: "0:1", Kind: COREFieldExists}, 1, 1, false},
		{"signed int", CORERelo{TypeID: 2, Access: "0:0", Kind: COREFieldSigned}, 1, 1, false},
		{"unsigned bitfield", CORERelo{TypeID: 2, Access: "0:2", Kind: COREFieldSigned}, 0, 0, false},
		{"bitfield offset", CORERelo{TypeID: 2, Access: "0:2", Kind: COREFieldByteOffset}, 8, 24, false},
		// Local flags: bits 64..66 in a 4-byte unit at byte 8: lshift = 64 - (64+3-64) = 61.
		// Target flags: bits 200..202; the 4-byte unit at byte 24 (bit 192): 64 - (200+3-192) = 53.
		{"bitfield lshift", CORERelo{TypeID: 2, Access: "0:2", Kind: COREFieldLShiftU64}, 61, 53, false},
		{"bitfield rshift", CORERelo{TypeID: 2, Access: "0:2", Kind: COREFieldRShiftU64}, 61, 61, false},
		{"signed bitfield", CORERelo{TypeID: 2, Access: "0:3", Kind: COREFieldSigned}, 1, 1, false},
		// bits.b is at bits 3..7 of a u8 locally (lshift 64-8=56), bits 23..27 in the target:
		// a u8 load cannot cover it, nor a u16 at byte 2 (bits 16..31 covers 23..27: yes).
		{"bitfield widened load size", CORERelo{TypeID: 6, Access: "0:1", Kind: COREFieldByteSize}, 1, 2, false},
		{"bitfield widened load offset", CORERelo{TypeID: 6, Access: "0:1", Kind: COREFieldByteOffset}, 0, 2, false},
		{"bitfield widened lshift", CORERelo{TypeID: 6, Access: "0:1", Kind: COREFieldLShiftU64}, 56, 64 - (23 + 5 - 16), false},
		{"type exists", CORERelo{TypeID: 2, Access: "0", Kind: CORETypeExists}, 1, 1, false},
		{"type size", CORERelo{TypeID: 2, Access: "0", Kind: CORETypeSize}, 16, 40, false},
		{"type id local", CORERelo{TypeID: 2, Access: "0", Kind: CORETypeIDLocal}, 2, 2, false},
		{"type id target", CORERelo{TypeID: 2, Access: "0", Kind: CORETypeIDTarget}, 2, 4, false},
		{"type id target skips other kinds", CORERelo{TypeID: 6, Access: "0", Kind: CORETypeIDTarget}, 6, 8, false},
		{"enum value moved", CORERelo{TypeID: 3, Access: "1", Kind: COREEnumvalValue}, 4, 8, false},
		{"enum exists", CORERelo{TypeID: 3, Access: "0", Kind: COREEnumvalExists}, 1, 1, false},
		{"flavour: existing field", CORERelo{TypeID: 4, Access: "0:0", Kind: COREFieldByteOffset}, 0, 8, false},
		{"flavour: missing field exists=0", CORERelo{TypeID: 4, Access: "0:1", Kind: COREFieldExists}, 1, 0, false},
		{"flavour: missing field offset poisons", CORERelo{TypeID: 4, Access: "0:1", Kind: COREFieldByteOffset}, 4, 0, true},
		{"flavour: type size", CORERelo{TypeID: 4, Access: "0", Kind: CORETypeSize}, 8, 40, false},
		{"kind mismatch: union vs struct", CORERelo{TypeID: 8, Access: "0", Kind: CORETypeExists}, 1, 0, false},
		{"kind mismatch: field exists", CORERelo{TypeID: 8, Access: "0:0", Kind: COREFieldExists}, 1, 0, false},
		{"type matches: flavour with new field does not", CORERelo{TypeID: 4, Access: "0", Kind: CORETypeMatches}, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CalcCORE(local, tt.relo, target)
			if err != nil {
				t.Fatal(err)
			}
			if f.Local != tt.local || f.Target != tt.target || f.Poison != tt.poison {
				t.Fatalf("fixup local=%d target=%d poison=%v, want %d %d %v", f.Local, f.Target, f.Poison, tt.local, tt.target, tt.poison)
			}
		})
	}

	// A field whose type changed kind (int → struct) does not match: poison.
	changed := coreTarget(t,
		&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32},
		&Struct{Name: "inner", Size: 4, Members: []Member{{Name: "v", Type: 1}}},
		&Struct{Name: "task", Size: 8, Members: []Member{{Name: "pid", Type: 2}}},
	)
	f, err := CalcCORE(local, CORERelo{TypeID: 2, Access: "0:0", Kind: COREFieldByteOffset}, changed)
	if err != nil || !f.Poison {
		t.Fatalf("int field matched a struct field: %+v, %v", f, err)
	}
	// Two candidates that disagree are ambiguous.
	twins := coreTarget(t,
		&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32},
		&Struct{Name: "task", Size: 8, Members: []Member{{Name: "pid", Type: 1}}},
		&Struct{Name: "task___v2", Size: 8, Members: []Member{{Name: "pid", Type: 1, BitOffset: 32}}},
	)
	if _, err := CalcCORE(local, CORERelo{TypeID: 2, Access: "0:0", Kind: COREFieldByteOffset}, twins); !errors.Is(err, errCOREAmbiguous) {
		t.Fatalf("ambiguous candidates: %v", err)
	}
	// Malformed records fail with ErrInvalid.
	for _, r := range []CORERelo{
		{TypeID: 2, Access: "0:9", Kind: COREFieldByteOffset},
		{TypeID: 2, Access: "x", Kind: COREFieldByteOffset},
		{TypeID: 2, Access: "0:0", Kind: CORETypeSize},
		{TypeID: 3, Access: "7", Kind: COREEnumvalValue},
		{TypeID: 2, Access: "0", Kind: 13},
	} {
		if _, err := CalcCORE(local, r, target); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", r, err)
		}
	}
}

// TestCOREPatch covers writing fixups into each instruction class, validation and poisoning.
func TestCOREPatch(t *testing.T) {
	poison := asm.Call(COREPoisonHelper)
	tests := []struct {
		name string
		f    COREFixup
		in   asm.Instruction
		want asm.Instructions
		err  bool
	}{
		{"alu imm", COREFixup{Kind: COREFieldByteOffset, Local: 4, Checked: true, Target: 16}, asm.MovImm(asm.R1, 4), asm.Instructions{asm.MovImm(asm.R1, 16)}, false},
		{"alu check fails", COREFixup{Kind: COREFieldByteOffset, Local: 4, Checked: true, Target: 16}, asm.MovImm(asm.R1, 5), nil, true},
		{"alu reg", COREFixup{Kind: COREFieldByteOffset, Target: 16}, asm.MovReg(asm.R1, asm.R2), nil, true},
		{"alu negative", COREFixup{Kind: COREEnumvalValue, Target: ^uint64(2)}, asm.MovImm(asm.R1, 0), asm.Instructions{asm.MovImm(asm.R1, -3)}, false},
		{"alu too big", COREFixup{Kind: COREEnumvalValue, Target: 1 << 40}, asm.MovImm(asm.R1, 0), nil, true},
		{"alu too negative", COREFixup{Kind: COREEnumvalValue, Target: ^uint64(1 << 40)}, asm.MovImm(asm.R1, 0), nil, true},
		{"alu unsigned 32", COREFixup{Kind: COREEnumvalValue, Target: 0xffffffff}, asm.MovImm(asm.R1, 0), asm.Instructions{asm.MovImm(asm.R1, -1)}, false},
		{"ldx offset", COREFixup{Kind: COREFieldByteOffset, Local: 4, Checked: true, Target: 2000, LocalSize: 4, TargetSize: 4}, asm.Ldx(asm.W, asm.R0, asm.R1, 4), asm.Instructions{asm.Ldx(asm.W, asm.R0, asm.R1, 2000)}, false},
		{"ldx resized", COREFixup{Kind: COREFieldByteOffset, Target: 8, LocalSize: 4, TargetSize: 8, resizable: true}, asm.Ldx(asm.W, asm.R0, asm.R1, 0), asm.Instructions{asm.Ldx(asm.DW, asm.R0, asm.R1, 8)}, false},
		{"ldx resize unsafe poisons", COREFixup{Kind: COREFieldByteOffset, Target: 8, LocalSize: 4, TargetSize: 8}, asm.Ldx(asm.W, asm.R0, asm.R1, 0), asm.Instructions{poison}, false},
		{"stx offset", COREFixup{Kind: COREFieldByteOffset, Target: 12}, asm.Stx(asm.W, asm.R1, asm.R2, 0), asm.Instructions{asm.Stx(asm.W, asm.R1, asm.R2, 12)}, false},
		{"st offset", COREFixup{Kind: COREFieldByteOffset, Target: 12}, asm.St(asm.W, asm.R1, 0, 7), asm.Instructions{asm.St(asm.W, asm.R1, 12, 7)}, false},
		{"offset too big", COREFixup{Kind: COREFieldByteOffset, Target: 40000}, asm.Ldx(asm.W, asm.R0, asm.R1, 0), nil, true},
		{"ldimm64", COREFixup{Kind: COREEnumvalValue, Local: 1, Checked: true, Target: 1 << 40}, asm.LoadImm64(asm.R1, 1), asm.Instructions{asm.LoadImm64(asm.R1, 1<<40)}, false},
		{"ldimm64 map", COREFixup{Kind: COREEnumvalValue, Target: 1}, asm.LoadMapPtr(asm.R1, "m"), nil, true},
		{"poison", COREFixup{Kind: COREFieldByteOffset, Poison: true}, asm.MovImm(asm.R1, 0), asm.Instructions{poison}, false},
		{"poison ldimm64 keeps two slots", COREFixup{Kind: COREEnumvalValue, Poison: true}, asm.LoadImm64(asm.R1, 0), asm.Instructions{poison, poison}, false},
		{"jump", COREFixup{Kind: COREFieldByteOffset, Target: 1}, asm.JaOff(1), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Patch(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].String() != tt.want[i].String() || got[i].Slots() != tt.want[i].Slots() {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestCOREByName covers relocations the asm.Core* builders record, which name their types.
func TestCOREByName(t *testing.T) {
	target := coreTarget(t,
		&Int{Name: "int", Size: 4, Encoding: Signed, Bits: 32},                // 1
		&Int{Name: "unsigned long", Size: 8, Bits: 64},                        // 2
		&Union{Name: "", Size: 8, Members: []Member{{Name: "tgid", Type: 1}}}, // 3
		&Struct{Name: "task", Size: 48, Members: []Member{ // 4
			{Name: "pid", Type: 1}, {Name: "", Type: 3, BitOffset: 64},
			{Name: "parent", Type: 5, BitOffset: 128}, {Name: "comm", Type: 6, BitOffset: 192},
			{Name: "flags", Type: 2, BitOffset: 320}, {Name: "bit", Type: 1, BitOffset: 384, BitfieldSize: 3},
		}},
		&Pointer{Target: 4},                                                                          // 5
		&Array{Type: 7, Index: 1, Nelems: 16},                                                        // 6
		&Int{Name: "char", Size: 1, Encoding: Signed, Bits: 8},                                       // 7
		&Enum{Name: "state", Size: 4, Values: []EnumValue{{"RUNNING", 0}, {"STOPPED", 4}}},           // 8
		&Typedef{Name: "task_t", Type: 4},                                                            // 9
		&Struct{Name: "twin___a", Size: 8, Members: []Member{{Name: "pid", Type: 1, BitOffset: 32}}}, // 10
		&Struct{Name: "twin___b", Size: 8, Members: []Member{{Name: "pid", Type: 1}}},                // 11
	)
	tests := []struct {
		r      asm.CoreRelo
		target uint64
		poison bool
		err    bool
	}{
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"comm"}}, 24, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "struct task", Access: []string{"tgid"}}, 8, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"comm", "[5]"}}, 29, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"comm", "[16]"}}, 0, true, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"parent", "*", "comm"}}, 24, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"pid", "*"}}, 0, true, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteSize, Type: "task", Access: []string{"comm"}}, 16, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldExists, Type: "task", Access: []string{"nope"}}, 0, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldExists, Type: "union task", Access: []string{"pid"}}, 0, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"nope"}}, 0, true, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldSigned, Type: "task", Access: []string{"flags"}}, 0, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindFieldRShiftU64, Type: "task", Access: []string{"bit"}}, 61, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindTypeSize, Type: "task_t"}, 48, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindTypeSize, Type: "typedef task_t"}, 48, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindTypeExists, Type: "enum task"}, 0, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindTypeIDTarget, Type: "state"}, 8, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindEnumvalValue, Type: "state___v2", Access: []string{"STOPPED"}}, 4, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindEnumvalValue, Type: "state", Access: []string{"GONE"}}, 0, true, false},
		{asm.CoreRelo{Kind: asm.CoreKindEnumvalExists, Type: "state", Access: []string{"GONE"}}, 0, false, false},
		// twin___a and twin___b are both candidates for twin and disagree.
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "twin", Access: []string{"pid"}}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task___x", Access: []string{"pid"}}, 0, false, false},
		{asm.CoreRelo{Kind: asm.CoreKindTypeIDLocal, Type: "task"}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindTypeMatches, Type: "task"}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindTypeSize, Type: "task", Access: []string{"pid"}}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindEnumvalValue, Type: "state"}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: "task", Access: []string{"comm", "[x]"}}, 0, false, true},
		{asm.CoreRelo{Kind: asm.CoreKindFieldByteOffset, Type: ""}, 0, false, true},
		{asm.CoreRelo{Kind: 77, Type: "task"}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.r.String(), func(t *testing.T) {
			f, err := CalcCOREByName(tt.r, target)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if err == nil && (f.Target != tt.target || f.Poison != tt.poison) {
				t.Fatalf("target %d poison %v, want %d %v", f.Target, f.Poison, tt.target, tt.poison)
			}
		})
	}

	// Loads are resized where the value survives (unsigned, pointers) and poisoned otherwise.
	insns := asm.Instructions{
		asm.CoreLoad(asm.W, asm.R0, asm.R1, "task", "flags"), // u64: resized to DW
		asm.CoreLoad(asm.DW, asm.R0, asm.R1, "task", "pid"),  // signed int: poisoned
		asm.CoreLoad(asm.W, asm.R0, asm.R1, "task", "pid"),   // same size
		asm.CoreEnumValue(asm.R0, "state", "GONE"),           // two poisoned slots
		asm.Exit(),
	}
	out, err := ApplyCORE(insns, target)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ins := range out {
		got = append(got, ins.String())
	}
	poison := asm.Call(COREPoisonHelper).String()
	want := []string{"r0 = *(u64 *)(r1 + 0x28)", poison, "r0 = *(u32 *)(r1 + 0x0)", poison, poison, "exit"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if insns[0].String() != "r0 = *(u32 *)(r1 + 0x0)" {
		t.Fatal("ApplyCORE modified its input")
	}
	if _, err := ApplyCORE(asm.Instructions{asm.CoreFieldOffset(asm.R0, "twin", "pid")}, target); err == nil {
		t.Fatal("ambiguous relocation applied")
	}
}
