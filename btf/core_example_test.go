package btf_test

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// ApplyCORE writes the target's values into instructions that asm.Core* builders emitted. Here
// the target is a small BTF built in place of the kernel's.
func ExampleApplyCORE() {
	b := btf.NewBuilder()
	intID, _ := b.Add(&btf.Int{Name: "int", Size: 4, Encoding: btf.Signed, Bits: 32})
	b.Add(&btf.Struct{Name: "task_struct", Size: 16, Members: []btf.Member{
		{Name: "state", Type: intID},
		{Name: "pid", Type: intID, BitOffset: 64},
	}})
	raw, _ := b.Marshal(nil)
	target, _ := btf.LoadSpecFromBytes(raw)

	insns, err := btf.ApplyCORE(asm.Instructions{
		asm.CoreFieldOffset(asm.R1, "task_struct", "pid"),
		asm.CoreFieldExists(asm.R2, "task_struct", "no_such_field"),
		asm.CoreTypeSize(asm.R3, "struct task_struct"),
		asm.CoreFieldOffset(asm.R4, "task_struct", "no_such_field"), // poisoned
	}, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ins := range insns {
		fmt.Println(ins)
	}
	// Output:
	// r1 = 0x8
	// r2 = 0x0
	// r3 = 0x10
	// call 0xbad2310
}
