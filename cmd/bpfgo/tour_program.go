package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/packet"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 30,
		Name:  "a program from raw instructions, run on a real packet",
		Run:   tourProgram,
	})
}

// udpDropFilter returns an XDP program that drops UDP/IPv4 datagrams to port and passes
// everything else. Every packet access is preceded by a bounds check against data_end, which is
// what the verifier insists on. With checks false the bounds checks are left out.
func udpDropFilter(port uint16, checks bool) asm.Instructions {
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),    // r2 = ctx->data
		asm.Ldx(asm.W, asm.R3, asm.R1, asm.XDPMdDataEnd), // r3 = ctx->data_end
		asm.MovImm(asm.R0, asm.XDPPass),                  // verdict unless proven otherwise

		asm.Label("parse_eth"),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14), // Ethernet header
	}
	if checks {
		insns = append(insns, asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"))
	}
	insns = append(insns,
		asm.Ldx(asm.H, asm.R5, asm.R2, 12), // EtherType, network order
		asm.JmpImm(asm.JNE, asm.R5, asm.HostToBE16(0x0800), "out"),

		asm.Label("parse_ipv4"),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14+20), // minimal IPv4 header
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"),
		asm.Ldx(asm.B, asm.R5, asm.R2, 14+9), // protocol
		asm.JmpImm(asm.JNE, asm.R5, 17, "out"),
		asm.Ldx(asm.B, asm.R5, asm.R2, 14), // version and IHL
		asm.AndImm(asm.R5, 0x0f),
		asm.LshImm(asm.R5, 2), // header length in bytes: 20..60
		asm.JmpImm(asm.JLT, asm.R5, 20, "out"),

		asm.Label("parse_udp"),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14),
		asm.AddReg(asm.R4, asm.R5), // r4 = UDP header
		asm.MovReg(asm.R6, asm.R4),
		asm.AddImm(asm.R6, 8),
		asm.JmpReg(asm.JGT, asm.R6, asm.R3, "out"),
		asm.Ldx(asm.H, asm.R5, asm.R4, 2), // destination port, network order
		asm.JmpImm(asm.JNE, asm.R5, asm.HostToBE16(port), "out"),
		asm.MovImm(asm.R0, asm.XDPDrop),

		asm.Label("out"),
		asm.Exit(),
	)
	return insns
}

func tourProgram(ctx context.Context, w io.Writer) error {
	const port = 53
	spec := &bpf.ProgramSpec{Name: "udp_drop_53", Type: bpf.XDP, License: "GPL", Instructions: udpDropFilter(port, true)}
	fmt.Fprintf(w, "An XDP program built with asm builders: parse Ethernet and IPv4 with bounds checks,\n"+
		"drop UDP to port %d, pass everything else. Listing (slots as the verifier numbers them):\n\n", port)
	fmt.Fprintf(w, "%+v\n", spec.Instructions)

	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return fmt.Errorf("load: %+v", err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "loaded: id %d, tag %s, %d bytes translated, %d bytes JITed\n", info.ID, info.Tag, info.XlatedSize, info.JitedSize)
	fmt.Fprintf(w, "verifier: %v\n\n", prog.VerifierStats())

	opts := func(p packet.Spec) []byte { return p.MustBuild() }
	short := opts(packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port})[:30] // cut inside the IPv4 header
	withOptions, err := packet.Build(
		packet.Ethernet{},
		packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64, Options: []byte{1, 1, 1, 1}},
		packet.UDP{SrcPort: 5353, DstPort: port},
		packet.Payload("query"),
	)
	if err != nil {
		return err
	}
	cases := []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"UDP/IPv4 to port 53", opts(packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port, Payload: []byte("query")}), asm.XDPDrop},
		{"UDP/IPv4 to port 53, IPv4 options", withOptions, asm.XDPDrop},
		{"UDP/IPv4 to port 80", opts(packet.Spec{Protocol: packet.IPProtoUDP, DstPort: 80}), asm.XDPPass},
		{"TCP/IPv4 to port 53", opts(packet.Spec{Protocol: packet.IPProtoTCP, DstPort: port}), asm.XDPPass},
		{"UDP/IPv6 to port 53", opts(packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port, DstIP: netip.MustParseAddr("fd00::53")}), asm.XDPPass},
		{"VLAN-tagged UDP to port 53", opts(packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port, VLANs: []uint16{7}}), asm.XDPPass},
		{"truncated IPv4 header", short, asm.XDPPass},
	}
	fmt.Fprintf(w, "%-36s %6s  %-9s %s\n", "packet (BPF_PROG_TEST_RUN)", "bytes", "verdict", "mean run time (1000 runs)")
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := prog.Run(&bpf.RunOptions{Data: c.frame, Repeat: 1000})
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(w, "%-36s %6d  %-9s %v\n", c.name, len(c.frame), xdpVerdict(res.ReturnValue), res.Duration)
		if res.ReturnValue != c.want {
			return fmt.Errorf("%s: verdict %s, want %s", c.name, xdpVerdict(res.ReturnValue), xdpVerdict(c.want))
		}
	}

	// Without the bounds check the verifier refuses, and the error points at the Go line that
	// emitted the unchecked load.
	_, err = bpf.NewProgram(&bpf.ProgramSpec{Name: "unchecked", Type: bpf.XDP, License: "GPL", Instructions: udpDropFilter(port, false)})
	var ve *bpf.VerifierError
	if !errors.As(err, &ve) {
		return fmt.Errorf("the program without bounds check loaded (%v); the verifier should refuse it", err)
	}
	fmt.Fprintf(w, "\nwithout the Ethernet bounds check the verifier refuses it:\n  %v\n", ve)
	return nil
}
