package mem_test

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mem"
)

// Zero a 20-byte stack slot: two 8-byte stores and a 4-byte one.
func ExampleZero() {
	st := emit.NewStack()
	key := st.MustAlloc("key", 20)
	fmt.Print(mem.Zero(asm.R10, key.Off, int(key.Size)))
	// Output:
	//    0: *(u64 *)(r10 - 0x18) = 0x0
	//    1: *(u64 *)(r10 - 0x10) = 0x0
	//    2: *(u32 *)(r10 - 0x8) = 0x0
}

// Copy 12 bytes of a packet (R7 after a bounds check) into a stack slot: one 8-byte move where
// both ends are aligned, then a 4-byte move.
func ExampleCopy8() {
	st := emit.NewStack()
	buf := st.MustAlloc("buf", 12)
	fmt.Print(mem.Copy8(asm.R10, buf.Off, asm.R7, 16, 12, asm.R2))
	// Output:
	//    0: r2 = *(u64 *)(r7 + 0x10)
	//    1: *(u64 *)(r10 - 0x10) = r2
	//    2: r2 = *(u32 *)(r7 + 0x18)
	//    3: *(u32 *)(r10 - 0x8) = r2
}

// InitStruct writes a struct whose bytes are zero except the given fields, in as few stores as
// alignment and 32-bit immediates allow: here two 4-byte stores and one 8-byte store of zero.
func ExampleInitStruct() {
	st := emit.NewStack()
	key := st.MustAlloc("conn_key", 16)
	insns := mem.InitStruct(asm.R10, key.Off, 16, []mem.Field{
		{Name: "proto", Off: 0, Size: 1, Value: 6},
		{Name: "family", Off: 2, Size: 2, Value: 2},
		{Name: "ifindex", Off: 4, Size: 4, Value: 3},
	}, asm.R2)
	fmt.Println(len(insns), "instructions for 16 bytes")
	// Output:
	// 3 instructions for 16 bytes
}
