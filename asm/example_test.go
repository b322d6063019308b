package asm_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bpfgo/bpf/asm"
)

// An XDP program that passes frames of at least 14 bytes and drops the rest, written with the
// builders and printed in llvm-objdump's notation.
func Example() {
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R1, asm.XDPMdDataEnd),
		asm.MovImm(asm.R0, asm.XDPDrop),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14),
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Label("out"),
		asm.Exit(),
	}
	fmt.Print(insns)
	// Output:
	//    0: r2 = *(u32 *)(r1 + 0x0)
	//    1: r3 = *(u32 *)(r1 + 0x4)
	//    2: r0 = 0x1
	//    3: r4 = r2
	//    4: r4 += 0xe
	//    5: if r4 > r3 goto +0x1 <out>
	//    6: r0 = 0x2
	// out:
	//    7: exit
}

// %+v prints helper calls by name, as the verifier log does, and targets by label.
func ExampleInstruction_Format() {
	fmt.Printf("%v\n", asm.Call(asm.FnMapLookupElem))
	fmt.Printf("%+v\n", asm.Call(asm.FnMapLookupElem))
	fmt.Printf("%+v\n", asm.JmpImm(asm.JEQ, asm.R0, 0, "miss"))
	fmt.Printf("%+v\n", asm.LoadMapPtr(asm.R1, "counts"))
	// Output:
	// call 0x1
	// call bpf_map_lookup_elem#1
	// if r0 == 0x0 goto <miss>
	// r1 = map[counts] ll
}

// Encode resolves labels into slot offsets (a 64-bit immediate load takes two slots); Decode
// gives the instructions back.
func ExampleInstructions_Encode() {
	insns := asm.Instructions{
		asm.JmpImm(asm.JNE, asm.R1, 0, "exit"),
		asm.LoadImm64(asm.R0, 0x1122334455667788),
		asm.Label("exit"),
		asm.Exit(),
	}
	b, err := insns.AppendEncode(nil, &asm.EncodeOptions{ByteOrder: binary.LittleEndian})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes\n", len(b))
	back, err := asm.Decode(b, binary.LittleEndian)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(back)
	// Output:
	// 32 bytes
	//    0: if r1 != 0x0 goto +0x2
	//    1: r0 = 0x1122334455667788 ll
	//    3: exit
}

// Assembly reports unknown labels by name.
func ExampleErrUnknownLabel() {
	_, err := asm.Instructions{asm.Ja("nowhere"), asm.Exit()}.Encode()
	fmt.Println(errors.Is(err, asm.ErrUnknownLabel))
	// Output: true
}

// Atomic operations: a counter increment that is really atomic, and a compare-and-exchange.
func ExampleAtomicAddReg() {
	fmt.Println(asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0))
	fmt.Println(asm.AtomicFetchAdd(asm.W, asm.R0, asm.R1, 4))
	fmt.Println(asm.CmpXchg(asm.DW, asm.R2, asm.R3, 8))
	// Output:
	// lock *(u64 *)(r0 + 0x0) += r1
	// w1 = atomic_fetch_add((u32 *)(r0 + 0x4), w1)
	// r0 = cmpxchg_64(r2 + 0x8, r0, r3)
}

// The verifier accepts only 4-byte loads of xdp_md fields.
func ExampleCtxField_CanLoad() {
	for _, f := range asm.XDPMdFields[:2] {
		fmt.Println(f.Name, f.Offset, f.CanLoad(f.Offset, asm.W), f.CanLoad(f.Offset, asm.DW))
	}
	// Output:
	// data 0 true false
	// data_end 4 true false
}
