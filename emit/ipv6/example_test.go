package ipv6_test

import (
	"fmt"
	"net/netip"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/ipv6"
)

// Copy the source address of the IPv6 header at R9 into a stack slot.
func ExampleLoadSrc() {
	st := emit.NewStack()
	addr := st.MustAlloc("addr", ipv6.AddrLen)
	fmt.Print(ipv6.LoadSrc(asm.R10, addr.Off, asm.R9, asm.R2))
	// Output:
	//    0: r2 = *(u32 *)(r9 + 0x8)
	//    1: *(u32 *)(r10 - 0x10) = r2
	//    2: r2 = *(u32 *)(r9 + 0xc)
	//    3: *(u32 *)(r10 - 0xc) = r2
	//    4: r2 = *(u32 *)(r9 + 0x10)
	//    5: *(u32 *)(r10 - 0x8) = r2
	//    6: r2 = *(u32 *)(r9 + 0x14)
	//    7: *(u32 *)(r10 - 0x4) = r2
}

// A 16-byte key for both families. In Go, the key of an IPv4 source is the IPv4-mapped address
// netip.AddrFrom4(...).As16(), which is what the program writes.
func ExampleDualStackKey() {
	st := emit.NewStack()
	key := st.MustAlloc("key", 16)
	insns := ipv6.DualStackKey(asm.R10, key.Off, asm.R6, asm.R7, asm.R2, ipv6.Src, "drop")
	fmt.Println(len(insns), "instructions")
	k := netip.AddrFrom4([4]byte{192, 0, 2, 1}).As16()
	fmt.Printf("key for 192.0.2.1: % x\n", k)
	fmt.Println(netip.AddrFrom16(k))
	// Output:
	// 25 instructions
	// key for 192.0.2.1: 00 00 00 00 00 00 00 00 00 00 ff ff c0 00 02 01
	// ::ffff:192.0.2.1
}
