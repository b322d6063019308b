package asm

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCoreBuilders(t *testing.T) {
	tests := []struct {
		name string
		ins  Instruction
		want CoreRelo
		text string // the placeholder instruction
	}{
		{"offset", CoreFieldOffset(R2, "task_struct", "pid"), CoreRelo{CoreKindFieldByteOffset, "task_struct", []string{"pid"}}, "r2 = 0x0"},
		{"exists", CoreFieldExists(R0, "task_struct", "thread", "sp"), CoreRelo{CoreKindFieldExists, "task_struct", []string{"thread", "sp"}}, "r0 = 0x0"},
		{"size", CoreFieldSize(R1, "task_struct", "comm"), CoreRelo{CoreKindFieldByteSize, "task_struct", []string{"comm"}}, "r1 = 0x0"},
		{"signed", CoreFieldSigned(R1, "task_struct", "pid"), CoreRelo{CoreKindFieldSigned, "task_struct", []string{"pid"}}, "r1 = 0x0"},
		{"lshift", CoreFieldLShift(R1, "task_struct", "in_execve"), CoreRelo{CoreKindFieldLShiftU64, "task_struct", []string{"in_execve"}}, "r1 = 0x0"},
		{"rshift", CoreFieldRShift(R1, "task_struct", "in_execve"), CoreRelo{CoreKindFieldRShiftU64, "task_struct", []string{"in_execve"}}, "r1 = 0x0"},
		{"type exists", CoreTypeExists(R0, "struct bpf_map"), CoreRelo{CoreKindTypeExists, "struct bpf_map", nil}, "r0 = 0x0"},
		{"type size", CoreTypeSize(R1, "task_struct"), CoreRelo{CoreKindTypeSize, "task_struct", nil}, "r1 = 0x0"},
		{"type id", CoreTypeID(R1, "task_struct"), CoreRelo{CoreKindTypeIDTarget, "task_struct", nil}, "r1 = 0x0 ll"},
		{"enum value", CoreEnumValue(R0, "pid_type", "PIDTYPE_TGID"), CoreRelo{CoreKindEnumvalValue, "pid_type", []string{"PIDTYPE_TGID"}}, "r0 = 0x0 ll"},
		{"enum exists", CoreEnumExists(R0, "pid_type", "PIDTYPE_TGID"), CoreRelo{CoreKindEnumvalExists, "pid_type", []string{"PIDTYPE_TGID"}}, "r0 = 0x0"},
		{"load", CoreLoad(W, R0, R1, "task_struct", "pid"), CoreRelo{CoreKindFieldByteOffset, "task_struct", []string{"pid"}}, "r0 = *(u32 *)(r1 + 0x0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ins.CoreRelo()
			if r == nil {
				t.Fatal("no CO-RE relocation")
			}
			if r.Kind != tt.want.Kind || r.Type != tt.want.Type || !slices.Equal(r.Access, tt.want.Access) {
				t.Fatalf("relocation %+v, want %+v", *r, tt.want)
			}
			if got := tt.ins.String(); got != tt.text {
				t.Fatalf("instruction %q, want %q", got, tt.text)
			}
			pos, ok := tt.ins.Source()
			if !ok || !strings.HasSuffix(pos.File, "core_test.go") {
				t.Fatalf("source %v %v, want this file", pos, ok)
			}
			// The relocation does not change the encoding.
			if _, err := (Instructions{tt.ins}).Encode(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCoreReloCopies(t *testing.T) {
	path := []string{"pid"}
	ins := CoreFieldOffset(R1, "task_struct", path...)
	path[0] = "tgid"
	r := ins.CoreRelo()
	r.Access[0] = "x"
	if got := ins.CoreRelo().Access[0]; got != "pid" {
		t.Fatalf("relocation shares memory with its caller: %q", got)
	}
	// Other metadata survives.
	m := LoadMapPtr(R1, "m").WithCoreRelo(CoreRelo{Kind: CoreKindTypeIDTarget, Type: "x"})
	if m.Reference != "m" || m.CoreRelo() == nil {
		t.Fatal("metadata lost")
	}
	if MovImm(R0, 0).CoreRelo() != nil || (Instructions{MovImm(R0, 0)}).HasCoreRelos() {
		t.Fatal("plain instruction carries a relocation")
	}
	if !(Instructions{MovImm(R0, 0), ins}).HasCoreRelos() {
		t.Fatal("HasCoreRelos misses one")
	}
}

func TestCoreReloString(t *testing.T) {
	tests := []struct {
		r    CoreRelo
		want string
	}{
		{CoreRelo{CoreKindFieldByteOffset, "task_struct", []string{"pid"}}, "byte_off task_struct.pid"},
		{CoreRelo{CoreKindFieldByteOffset, "task_struct", []string{"real_parent", "*", "tgid"}}, "byte_off task_struct.real_parent->tgid"},
		{CoreRelo{CoreKindFieldByteOffset, "task_struct", []string{"comm", "[3]"}}, "byte_off task_struct.comm[3]"},
		{CoreRelo{CoreKindEnumvalValue, "pid_type", []string{"PIDTYPE_TGID"}}, "enumval_value pid_type::PIDTYPE_TGID"},
		{CoreRelo{CoreKindTypeSize, "struct bpf_map", nil}, "type_size struct bpf_map"},
		{CoreRelo{CoreKind(99), "x", nil}, "CoreKind(99) x"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
	for k := CoreKindFieldByteOffset; k <= CoreKindTypeMatches; k++ {
		n := 0
		for _, is := range []bool{k.IsField(), k.IsType(), k.IsEnumval()} {
			if is {
				n++
			}
		}
		if n != 1 {
			t.Errorf("kind %s is in %d classes", k, n)
		}
	}
}

func TestCoreRead(t *testing.T) {
	for _, dst := range []Register{R0, R2, R7} {
		insns := CoreRead(dst, R6, -8, "task_struct", "real_parent", "thread.sp")
		var relos []string
		for _, ins := range insns {
			if r := ins.CoreRelo(); r != nil {
				relos = append(relos, r.String())
			}
			if pos, ok := ins.Source(); !ok || pos.Helper != "asm.CoreRead" || !strings.HasSuffix(pos.File, "core_test.go") {
				t.Fatalf("instruction %v: source %v", ins, pos)
			}
		}
		want := []string{
			"byte_sz task_struct.real_parent", "byte_off task_struct.real_parent",
			"byte_sz task_struct.real_parent->thread.sp", "byte_off task_struct.real_parent->thread.sp",
		}
		if !slices.Equal(relos, want) {
			t.Fatalf("relocations %q, want %q", relos, want)
		}
		// The last load goes to dst; the calls' argument registers never hold a value across
		// a call.
		last := insns[len(insns)-1]
		if last.Dst != dst {
			t.Fatalf("dst %v: last instruction %v", dst, last)
		}
		if _, err := insns.Encode(); err != nil {
			t.Fatal(err)
		}
	}
	if len(CoreRead(R0, R1, -8, "task_struct")) != 0 {
		t.Fatal("empty chain emits code")
	}
}

// CoreFieldOffset puts the offset of a kernel struct field in a register; the loader writes the
// running kernel's value into the instruction.
func ExampleCoreFieldOffset() {
	insns := Instructions{
		Call(FnGetCurrentTask),
		MovReg(R3, R0),
		CoreFieldOffset(R4, "task_struct", "tgid"),
		AddReg(R3, R4),
	}
	fmt.Println(insns[2], "//", insns[2].CoreRelo())
	// Output: r4 = 0x0 // byte_off task_struct.tgid
}

// CoreRead follows a chain of kernel pointers with bpf_probe_read_kernel, like libbpf's
// BPF_CORE_READ(task, real_parent, tgid).
func ExampleCoreRead() {
	insns := Instructions{
		Call(FnGetCurrentTask),
		MovReg(R6, R0),
	}
	insns = append(insns, CoreRead(R0, R6, -8, "task_struct", "real_parent", "tgid")...)
	insns = append(insns, Exit())
	for _, ins := range insns {
		if r := ins.CoreRelo(); r != nil {
			fmt.Println(r)
		}
	}
	// Output:
	// byte_sz task_struct.real_parent
	// byte_off task_struct.real_parent
	// byte_sz task_struct.real_parent->tgid
	// byte_off task_struct.real_parent->tgid
}
