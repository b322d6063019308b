package mapop_test

import (
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
)

// Count packets per IPv4 source address in a hash map shared by all CPUs, with a truly atomic
// increment. The map is referenced by name and resolved when the program is loaded.
func ExampleIncrementAtomic() {
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	insns := asm.Instructions{
		asm.MovImm(asm.R1, 0x0100000a), // 10.0.0.1 as it sits in a packet
		asm.Stx(asm.W, asm.R10, asm.R1, key.Off),
	}
	insns = append(insns, mapop.IncrementAtomic(mapop.Name("counts"), key, init, 0, 1)...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	fmt.Print(insns)
	// Output:
	// 0: r1 = 0x100000a
	//    1: *(u32 *)(r10 - 0x8) = r1
	//    2: ld_pseudo r1, 0x1, 0x0 <counts>
	//    4: r2 = r10
	//    5: r2 += -0x8
	//    6: call 0x1
	//    7: if r0 != 0x0 goto +0xf
	//    8: *(u64 *)(r10 - 0x10) = 0x0
	//    9: ld_pseudo r1, 0x1, 0x0 <counts>
	//   11: r2 = r10
	//   12: r2 += -0x8
	//   13: r3 = r10
	//   14: r3 += -0x10
	//   15: r4 = 0x1
	//   16: call 0x2
	//   17: ld_pseudo r1, 0x1, 0x0 <counts>
	//   19: r2 = r10
	//   20: r2 += -0x8
	//   21: call 0x1
	//   22: if r0 == 0x0 goto +0x2
	//   23: r1 = 0x1
	//   24: lock *(u64 *)(r0 + 0x0) += r1
	//   25: r0 = 0x2
	//   26: exit
}

// Look a key up, using a live map: its fd is taken when the program is loaded.
func ExampleLookup() {
	counts, err := bpf.NewMap(&bpf.MapSpec{Name: "counts", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer counts.Close()

	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	insns := asm.Instructions{asm.St(asm.W, asm.R10, key.Off, 7)}
	insns = append(insns, mapop.Lookup(counts, key)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "miss"), // the verifier insists on the NULL check
		asm.Ldx(asm.DW, asm.R0, asm.R0, 0),
		asm.Label("miss"),
		asm.Exit(),
	)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.SocketFilter, License: "GPL", Instructions: insns})
	if err != nil {
		fmt.Printf("%+v\n", err)
		return
	}
	defer prog.Close()
}
