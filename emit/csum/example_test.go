package csum_test

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/csum"
)

// Update16 is RFC 1624's incremental update for a 2-byte field, here a port: R2 holds the
// checksum field, R4 the old and R5 the new port, all as 2-byte loads give them.
func ExampleUpdate16() {
	fmt.Print(csum.Update16(asm.R2, asm.R4, asm.R5, asm.R3))
	// Output:
	//    0: r2 ^= 0xffff
	//    1: r3 = r4
	//    2: r3 ^= 0xffff
	//    3: r2 += r3
	//    4: r2 += r5
	//    5: r3 = r2
	//    6: r3 >>= 0x10
	//    7: r2 &= 0xffff
	//    8: r2 += r3
	//    9: r3 = r2
	//   10: r3 >>= 0x10
	//   11: r2 &= 0xffff
	//   12: r2 += r3
	//   13: r2 ^= 0xffff
}

// In a tc program, the kernel's helper updates a TCP checksum for a changed destination address
// (part of the pseudo-header): the skb pointer is in R6, the old address in R7, the new in R8.
func ExampleL4Replace4() {
	const tcpCsum = 14 + 20 + 16
	fmt.Printf("%+v", csum.L4Replace4(asm.R6, tcpCsum, asm.R7, asm.R8, csum.PseudoHdr))
	// Output:
	//    0: r1 = r6
	//    1: r3 = r7
	//    2: r4 = r8
	//    3: r2 = 0x32
	//    4: r5 = 0x14
	//    5: call bpf_l4_csum_replace#11
}

// Arguments already in the wrong argument registers are moved in parallel, through R0 where they
// form a cycle.
func ExampleL3Replace2() {
	fmt.Print(csum.L3Replace2(asm.R6, 24, asm.R4, asm.R3))
	// Output:
	//    0: r1 = r6
	//    1: r0 = r4
	//    2: r4 = r3
	//    3: r3 = r0
	//    4: r2 = 0x18
	//    5: r5 = 0x2
	//    6: call 0xa
}
