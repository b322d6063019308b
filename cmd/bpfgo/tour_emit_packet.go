package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/emit/csum"
	"github.com/bpfgo/bpf/emit/ipv6"
	"github.com/bpfgo/bpf/emit/mem"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/packet"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 40,
		Name:  "generated code for packets: bounds checks, checksums, IPv6 keys, memory",
		Run:   tourEmitPacket,
	})
}

// pktHelper is one emit helper call of a chapter program, to report its size.
type pktHelper struct {
	name  string
	insns asm.Instructions
}

func pktInsnCount(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		if !ins.IsLabel() {
			n++
		}
	}
	return n
}

// pktLoad prints the helpers' sizes, loads insns as an XDP program with maps and reports the
// program's size; the caller closes the program.
func pktLoad(w io.Writer, title string, insns asm.Instructions, helpers ...pktHelper) (*bpf.Program, error) {
	fmt.Fprintf(w, "\n%s\n", title)
	for _, h := range helpers {
		fmt.Fprintf(w, "  %-26s %3d instructions\n", h.name, pktInsnCount(h.insns))
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_packet", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		return nil, fmt.Errorf("%s: load: %+v", title, err)
	}
	fmt.Fprintf(w, "  program: %d instructions, accepted by the verifier\n", pktInsnCount(insns))
	return prog, nil
}

// pktFrame is one input of a chapter program with the verdict it must get.
type pktFrame struct {
	name  string
	frame []byte
	want  uint32
}

func pktRun(ctx context.Context, w io.Writer, prog *bpf.Program, frames []pktFrame) error {
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := prog.Run(&bpf.RunOptions{Data: f.frame})
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		fmt.Fprintf(w, "  %-44s %4d bytes  %s\n", f.name, len(f.frame), xdpVerdict(res.ReturnValue))
		if res.ReturnValue != f.want {
			return fmt.Errorf("%s: verdict %s, want %s", f.name, xdpVerdict(res.ReturnValue), xdpVerdict(f.want))
		}
	}
	return nil
}

func tourEmitPacket(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "Each program below is built from emit helpers (bounds, csum, ipv6, mem), proven by the\n"+
		"verifier and run on real frames with BPF_PROG_TEST_RUN.\n")
	for _, part := range []func(context.Context, io.Writer) error{tourBounds, tourChecksums, tourDualStack, tourMemory} {
		if err := part(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// tourBounds drops TCP to port 22, reading the port through the l4 pointer CheckIPv4 derives
// from the IHL field, and drops frames too short for the headers they announce.
func tourBounds(ctx context.Context, w io.Writer) error {
	load := bounds.LoadXDP(asm.R2, asm.R3, asm.R1)
	eth := bounds.CheckEthernet(asm.R2, asm.R3, asm.R4, "drop")
	ip := bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, bounds.EthHdrLen, "drop")
	tcp := bounds.CheckTCP(asm.R7, asm.R3, asm.R4, 0, "drop")
	insns := append(append(asm.Instructions{}, load...), eth...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R4, asm.R2, 12),
		asm.JmpImm(asm.JNE, asm.R4, asm.HostToBE16(0x0800), "pass"))
	insns = append(insns, ip...)
	insns = append(insns,
		asm.Ldx(asm.B, asm.R4, asm.R2, bounds.EthHdrLen+9),
		asm.JmpImm(asm.JNE, asm.R4, 6, "pass"))
	insns = append(insns, tcp...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R4, asm.R7, 2),
		asm.JmpImm(asm.JEQ, asm.R4, asm.HostToBE16(22), "drop"),
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
	prog, err := pktLoad(w, "bounds: drop TCP to port 22 behind IPv4 options, and cut frames", insns,
		pktHelper{"bounds.LoadXDP", load}, pktHelper{"bounds.CheckEthernet", eth},
		pktHelper{"bounds.CheckIPv4 (IHL)", ip}, pktHelper{"bounds.CheckTCP", tcp})
	if err != nil {
		return err
	}
	defer prog.Close()
	withOpts := func(port uint16) []byte {
		return packet.MustBuild(packet.Ethernet{},
			packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64, Options: []byte{1, 1, 1, 1, 1, 1, 1, 1}},
			packet.TCP{SrcPort: 50000, DstPort: port, Flags: 0x02})
	}
	return pktRun(ctx, w, prog, []pktFrame{
		{"TCP to port 22, 8 bytes of IPv4 options", withOpts(22), asm.XDPDrop},
		{"TCP to port 80, 8 bytes of IPv4 options", withOpts(80), asm.XDPPass},
		{"UDP to port 22", packet.Spec{Protocol: packet.IPProtoUDP, DstPort: 22}.MustBuild(), asm.XDPPass},
		{"cut inside the IPv4 options (IHL says 28)", withOpts(80)[:14+24], asm.XDPDrop},
	})
}

// tourChecksums rewrites the destination of TCP segments to 192.168.77.10:8080 (a DNAT, as the
// load balancer does) and keeps the IPv4 and TCP checksums right with RFC 1624 updates.
func tourChecksums(ctx context.Context, w io.Writer) error {
	newIP := netip.MustParseAddr("192.168.77.10")
	const newPort = 8080
	const ipCsum, dstIP, dstPort, tcpCsum = 14 + 10, 14 + 16, 14 + 20 + 2, 14 + 20 + 16
	load := bounds.LoadXDP(asm.R6, asm.R7, asm.R1)
	check := bounds.Check(asm.R6, asm.R7, asm.R2, 0, 14+20+20, "pass")
	upd32 := csum.Update32(asm.R2, asm.R8, asm.R9, asm.R3)
	upd16 := csum.Update16(asm.R2, asm.R8, asm.R9, asm.R3)
	insns := append(append(asm.Instructions{}, load...), check...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, asm.R6, 12),
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(0x0800), "pass"),
		asm.Ldx(asm.H, asm.R2, asm.R6, 14), // version, IHL 5, TOS
		asm.AndImm(asm.R2, 0xff),
		asm.JmpImm(asm.JNE, asm.R2, 0x45, "pass"),
		asm.Ldx(asm.B, asm.R2, asm.R6, 14+9),
		asm.JmpImm(asm.JNE, asm.R2, 6, "pass"),
		asm.Ldx(asm.W, asm.R8, asm.R6, dstIP),
		asm.MovImm(asm.R9, asm.HostToBE32(binary.BigEndian.Uint32(newIP.AsSlice()))),
		asm.Ldx(asm.H, asm.R2, asm.R6, ipCsum))
	insns = append(insns, upd32...)
	insns = append(insns, asm.Stx(asm.H, asm.R6, asm.R2, ipCsum), asm.Ldx(asm.H, asm.R2, asm.R6, tcpCsum))
	insns = append(insns, csum.Update32(asm.R2, asm.R8, asm.R9, asm.R3)...) // the pseudo-header
	insns = append(insns,
		asm.Stx(asm.H, asm.R6, asm.R2, tcpCsum),
		asm.Stx(asm.W, asm.R6, asm.R9, dstIP),
		asm.Ldx(asm.H, asm.R8, asm.R6, dstPort),
		asm.MovImm(asm.R9, asm.HostToBE16(newPort)),
		asm.Ldx(asm.H, asm.R2, asm.R6, tcpCsum))
	insns = append(insns, upd16...)
	insns = append(insns,
		asm.Stx(asm.H, asm.R6, asm.R2, tcpCsum),
		asm.Stx(asm.H, asm.R6, asm.R9, dstPort),
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := pktLoad(w, "csum: DNAT to 192.168.77.10:8080 with incremental checksum updates (RFC 1624)", insns,
		pktHelper{"bounds.Check", check}, pktHelper{"csum.Update32 (address)", upd32}, pktHelper{"csum.Update16 (port)", upd16})
	if err != nil {
		return err
	}
	defer prog.Close()
	in := packet.Spec{Payload: []byte("GET / HTTP/1.1\r\n\r\n")}.MustBuild()
	if err := pktRun(ctx, w, prog, []pktFrame{{"TCP 10.0.0.1:12345 > 10.0.0.2:80", in, asm.XDPPass}}); err != nil {
		return err
	}
	res, err := prog.Run(&bpf.RunOptions{Data: in})
	if err != nil {
		return err
	}
	p, err := packet.Parse(res.Data)
	if err != nil {
		return fmt.Errorf("parse rewritten frame: %w", err)
	}
	if p.IPv4() == nil || p.TCP() == nil || p.IPv4().Dst != newIP || p.TCP().DstPort != newPort {
		return fmt.Errorf("rewritten frame is %v, want destination %v:%d", p, newIP, newPort)
	}
	if err := p.VerifyChecksums(); err != nil {
		return fmt.Errorf("rewritten frame: %w", err)
	}
	fmt.Fprintf(w, "  out: %v:%d > %v:%d, IPv4 checksum %#04x, TCP checksum %#04x: both verify\n",
		p.IPv4().Src, p.TCP().SrcPort, p.IPv4().Dst, p.TCP().DstPort, p.IPv4().Checksum, p.TCP().Checksum)
	return nil
}

// tourDualStack writes a 16-byte source key for IPv4 and IPv6 frames into a map and reads it
// back: an IPv4 source comes out IPv4-mapped.
func tourDualStack(ctx context.Context, w io.Writer) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_key", Type: bpf.Array, KeySize: 4, ValueSize: 16, MaxEntries: 1})
	if err != nil {
		return err
	}
	defer m.Close()
	st := emit.NewStack()
	key, idx := st.MustAlloc("key", 16), st.MustAlloc("idx", 4)
	load := bounds.LoadXDP(asm.R6, asm.R7, asm.R1)
	build := ipv6.DualStackKey(asm.R10, key.Off, asm.R6, asm.R7, asm.R2, ipv6.Src, "drop")
	cp := ipv6.CopyAddr(asm.R0, 0, asm.R10, key.Off, asm.R2)
	insns := append(append(asm.Instructions{}, load...), build...)
	insns = append(insns, asm.St(asm.W, asm.R10, idx.Off, 0), asm.LoadMap(asm.R1, m))
	insns = append(insns, idx.Addr(asm.R2)...)
	insns = append(insns, asm.Call(asm.FnMapLookupElem), asm.JmpImm(asm.JEQ, asm.R0, 0, "drop"))
	insns = append(insns, cp...)
	insns = append(insns,
		asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
	prog, err := pktLoad(w, "ipv6: one 16-byte source key for IPv4 and IPv6, written to a map", insns,
		pktHelper{"ipv6.DualStackKey", build}, pktHelper{"ipv6.CopyAddr", cp})
	if err != nil {
		return err
	}
	defer prog.Close()
	for _, f := range []pktFrame{
		{"TCP/IPv4 from 10.0.0.1", packet.Spec{}.MustBuild(), asm.XDPPass},
		{"TCP/IPv6 from 2001:db8::7", packet.Spec{SrcIP: netip.MustParseAddr("2001:db8::7"), DstIP: packet.DefaultDstIP6}.MustBuild(), asm.XDPPass},
	} {
		if err := pktRun(ctx, w, prog, []pktFrame{f}); err != nil {
			return err
		}
		var k [16]byte
		if err := m.Lookup([]byte{0, 0, 0, 0}, k[:]); err != nil {
			return err
		}
		fmt.Fprintf(w, "    key read back from the map: %v\n", netip.AddrFrom16(k))
	}
	arp := packet.Spec{}.MustBuild()
	arp[12], arp[13] = 0x08, 0x06
	return pktRun(ctx, w, prog, []pktFrame{{"ARP EtherType: neither family", arp, asm.XDPDrop}})
}

// tourMemory builds a 24-byte flow record on the stack (zeroed, constant fields, addresses and
// ports copied from the frame) and copies it into a map value.
func tourMemory(ctx context.Context, w io.Writer) error {
	const recSize = 24 // saddr, daddr [4]byte; sport, dport (network order); proto u8; pad; cookie u64
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_flow", Type: bpf.Array, KeySize: 4, ValueSize: recSize, MaxEntries: 1})
	if err != nil {
		return err
	}
	defer m.Close()
	st := emit.NewStack()
	rec, idx := st.MustAlloc("flow", recSize), st.MustAlloc("idx", 4)
	load := bounds.LoadXDP(asm.R6, asm.R7, asm.R1)
	check := bounds.Check(asm.R6, asm.R7, asm.R2, 0, 14+20+4, "pass")
	init := mem.InitStruct(asm.R10, rec.Off, recSize, []mem.Field{
		{Name: "proto", Off: 12, Size: 1, Value: 6},
		{Name: "cookie", Off: 16, Size: 8, Value: 0xc0ffee},
	}, asm.R2)
	addrs := mem.Copy4(asm.R10, rec.Off, asm.R6, 14+12, 8, asm.R2)
	ports := mem.Copy4(asm.R10, rec.At(8), asm.R6, 14+20, 4, asm.R2)
	out := mem.Copy8(asm.R0, 0, asm.R10, rec.Off, recSize, asm.R2)
	insns := append(append(asm.Instructions{}, load...), check...)
	insns = append(insns, init...)
	insns = append(insns, addrs...)
	insns = append(insns, ports...)
	insns = append(insns, asm.St(asm.W, asm.R10, idx.Off, 0), asm.LoadMap(asm.R1, m))
	insns = append(insns, idx.Addr(asm.R2)...)
	insns = append(insns, asm.Call(asm.FnMapLookupElem), asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"))
	insns = append(insns, out...)
	insns = append(insns, asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := pktLoad(w, "mem: a flow record built on the stack and copied to a map", insns,
		pktHelper{"mem.InitStruct (24 bytes)", init}, pktHelper{"mem.Copy4 (addresses)", addrs},
		pktHelper{"mem.Copy4 (ports)", ports}, pktHelper{"mem.Copy8 (record to map)", out})
	if err != nil {
		return err
	}
	defer prog.Close()
	if err := pktRun(ctx, w, prog, []pktFrame{{"TCP 10.0.0.1:12345 > 10.0.0.2:80", packet.Spec{}.MustBuild(), asm.XDPPass}}); err != nil {
		return err
	}
	v := make([]byte, recSize)
	if err := m.Lookup([]byte{0, 0, 0, 0}, v); err != nil {
		return err
	}
	src, dst := netip.AddrFrom4([4]byte(v[0:4])), netip.AddrFrom4([4]byte(v[4:8]))
	sport, dport := binary.BigEndian.Uint16(v[8:]), binary.BigEndian.Uint16(v[10:])
	cookie := asm.NativeEndian().Uint64(v[16:])
	fmt.Fprintf(w, "    record read back: %v:%d > %v:%d proto %d cookie %#x\n", src, sport, dst, dport, v[12], cookie)
	if src != packet.DefaultSrcIP || dport != packet.DefaultDstPort || v[12] != 6 || cookie != 0xc0ffee {
		return fmt.Errorf("flow record %x does not match the frame", v)
	}
	return nil
}
