package bounds_test

import (
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/bounds"
)

// The packet pointers of an XDP program come from 4-byte loads of xdp_md at offsets 0 and 4.
func ExampleLoadXDP() {
	fmt.Print(bounds.LoadXDP(asm.R2, asm.R3, asm.R1))
	// Output:
	//    0: r2 = *(u32 *)(r1 + 0x0)
	//    1: r3 = *(u32 *)(r1 + 0x4)
}

// CheckIPv4 covers the whole header, as long as its IHL field says: on the fall-through path R4
// holds the header length and R5 points at the transport header.
func ExampleCheckIPv4() {
	fmt.Print(bounds.CheckIPv4(asm.R2, asm.R3, asm.R4, asm.R5, bounds.EthHdrLen, "drop"))
	// Output:
	//    0: r5 = r2
	//    1: r5 += 0x22
	//    2: if r5 > r3 goto <drop>
	//    3: r4 = *(u8 *)(r2 + 0xe)
	//    4: r4 &= 0xf
	//    5: r4 <<= 0x2
	//    6: if r4 < 0x14 goto <drop>
	//    7: r5 = r2
	//    8: r5 += 0xe
	//    9: r5 += r4
	//   10: if r5 > r3 goto <drop>
}

// An XDP program that drops TCP segments to port 22 whose headers are all in the frame, and
// frames too short to tell. Loading it needs privileges.
func Example() {
	insns := bounds.LoadXDP(asm.R2, asm.R3, asm.R1)
	insns = append(insns, bounds.CheckEthernet(asm.R2, asm.R3, asm.R4, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R4, asm.R2, 12),
		asm.JmpImm(asm.JNE, asm.R4, asm.HostToBE16(0x0800), "pass"))
	insns = append(insns, bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, bounds.EthHdrLen, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.B, asm.R4, asm.R2, bounds.EthHdrLen+9),
		asm.JmpImm(asm.JNE, asm.R4, 6, "pass"))
	insns = append(insns, bounds.CheckTCP(asm.R7, asm.R3, asm.R4, 0, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R4, asm.R7, 2),
		asm.JmpImm(asm.JEQ, asm.R4, asm.HostToBE16(22), "drop"),
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "no_ssh", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		fmt.Printf("%+v\n", err)
		return
	}
	defer prog.Close()
	fmt.Println(len(insns), "instructions loaded")
}
