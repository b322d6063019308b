package ipv6_test

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/emit/ipv6"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const valueSize = 80

var (
	v4Src = netip.MustParseAddr("192.0.2.10")
	v4Dst = netip.MustParseAddr("198.51.100.200")
	v6Src = netip.MustParseAddr("2001:db8:1:2:3:4:5:6")
	v6Dst = netip.MustParseAddr("fd12:3456:789a::ff01")
)

func v4Frame() []byte {
	return packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: v4Src, DstIP: v4Dst}.MustBuild()
}

func v6Frame() []byte {
	return packet.Spec{Protocol: packet.IPProtoTCP, SrcIP: v6Src, DstIP: v6Dst}.MustBuild()
}

// program runs body with R6 = data, R7 = data_end, R8 = element 0 of m (64 bytes, zeroed by
// the test before each run); body jumps to "fail" to return XDP_DROP.
func program(m *bpf.Map, st *emit.Stack, body asm.Instructions) asm.Instructions {
	idx := st.MustAlloc("idx", 4)
	insns := bounds.LoadXDP(asm.R6, asm.R7, asm.R1)
	insns = append(insns, asm.St(asm.W, asm.R10, idx.Off, 0), asm.LoadMap(asm.R1, m))
	insns = append(insns, idx.Addr(asm.R2)...)
	insns = append(insns,
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "fail"),
		asm.MovReg(asm.R8, asm.R0))
	insns = append(insns, body...)
	return append(insns,
		asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("fail"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
}

type fixture struct {
	t *testing.T
	m *bpf.Map
}

func newFixture(t *testing.T) *fixture {
	testutil.RequireRoot(t)
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "addrs", Type: bpf.Array, KeySize: 4, ValueSize: valueSize, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &fixture{t, m}
}

// run loads insns, clears the value, runs on frame and returns the verdict and the value.
func (f *fixture) run(insns asm.Instructions, frame []byte) (uint32, []byte) {
	f.t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "ipv6_test", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		f.t.Fatalf("load: %+v", err)
	}
	defer prog.Close()
	key := []byte{0, 0, 0, 0}
	if err := f.m.Update(key, make([]byte, valueSize), bpf.UpdateAny); err != nil {
		f.t.Fatal(err)
	}
	res, err := prog.Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		f.t.Fatal(err)
	}
	val := make([]byte, valueSize)
	if err := f.m.Lookup(key, val); err != nil {
		f.t.Fatal(err)
	}
	return res.ReturnValue, val
}

func expect(t *testing.T, what string, got []byte, want [16]byte) {
	t.Helper()
	if !bytes.Equal(got, want[:]) {
		t.Errorf("%s: got %x (%v), want %x (%v)", what, got, netip.AddrFrom16([16]byte(got)), want, netip.AddrFrom16(want))
	}
}

// TestIPv4Mapped: the v4-mapped keys the program writes into the map equal
// netip.AddrFrom4(...).As16(), from the stack (then CopyAddr) and straight into the map value, at
// an aligned and an unaligned offset.
func TestIPv4Mapped(t *testing.T) {
	f := newFixture(t)
	st := emit.NewStack()
	src, dst := st.MustAlloc("src", 16), st.MustAlloc("dst", 16)
	body := bounds.CheckIPv4(asm.R6, asm.R7, asm.R2, asm.R3, bounds.EthHdrLen, "fail")
	body = append(body, asm.MovReg(asm.R9, asm.R6), asm.AddImm(asm.R9, bounds.EthHdrLen)) // IPv4 header
	body = append(body, ipv6.LoadIPv4SrcMapped(asm.R10, src.Off, asm.R9, asm.R2)...)
	body = append(body, ipv6.LoadIPv4DstMapped(asm.R10, dst.Off, asm.R9, asm.R2)...)
	body = append(body, ipv6.CopyAddr(asm.R8, 0, asm.R10, src.Off, asm.R2)...)
	body = append(body, ipv6.CopyAddr(asm.R8, 16, asm.R10, dst.Off, asm.R2)...)
	body = append(body, ipv6.LoadIPv4Mapped(asm.R8, 32, asm.R6, 14+ipv6.IPv4OffSrc, asm.R2)...)
	body = append(body, ipv6.LoadIPv4Mapped(asm.R8, 52, asm.R6, 14+ipv6.IPv4OffDst, asm.R2)...) // unaligned
	verdict, val := f.run(program(f.m, st, body), v4Frame())
	if verdict != asm.XDPPass {
		t.Fatalf("verdict %d, want XDP_PASS", verdict)
	}
	expect(t, "LoadIPv4SrcMapped via stack", val[0:16], v4Src.As16())
	expect(t, "LoadIPv4DstMapped via stack", val[16:32], v4Dst.As16())
	expect(t, "LoadIPv4Mapped into the value", val[32:48], v4Src.As16())
	expect(t, "LoadIPv4Mapped at an unaligned offset", val[52:68], v4Dst.As16())
	if !bytes.Equal(val[48:52], make([]byte, 4)) || !bytes.Equal(val[68:], make([]byte, valueSize-68)) {
		t.Errorf("bytes outside the keys written: %x", val)
	}
	if netip.AddrFrom16([16]byte(val[0:16])).Unmap() != v4Src {
		t.Errorf("key does not unmap to %v", v4Src)
	}
}

// TestIPv6Addresses: addresses loaded from a real IPv6 frame equal the frame's, as package packet
// parses them.
func TestIPv6Addresses(t *testing.T) {
	f := newFixture(t)
	frame := v6Frame()
	p, err := packet.Parse(frame)
	if err != nil || p.IPv6() == nil {
		t.Fatalf("parse: %v", err)
	}
	st := emit.NewStack()
	src, dst := st.MustAlloc("src", 16), st.MustAlloc("dst", 16)
	body := bounds.CheckIPv6(asm.R6, asm.R7, asm.R2, bounds.EthHdrLen, "fail")
	body = append(body, asm.MovReg(asm.R9, asm.R6), asm.AddImm(asm.R9, bounds.EthHdrLen))
	body = append(body, ipv6.LoadSrc(asm.R10, src.Off, asm.R9, asm.R2)...)
	body = append(body, ipv6.LoadDst(asm.R10, dst.Off, asm.R9, asm.R2)...)
	body = append(body, ipv6.CopyAddr(asm.R8, 0, asm.R10, src.Off, asm.R2)...)
	body = append(body, ipv6.CopyAddr(asm.R8, 16, asm.R10, dst.Off, asm.R2)...)
	body = append(body, ipv6.LoadAddr(asm.R8, 32, asm.R6, 14+ipv6.OffDst, asm.R2)...)
	body = append(body, ipv6.CopyAddr(asm.R8, 52, asm.R8, 32, asm.R2)...) // unaligned copy
	verdict, val := f.run(program(f.m, st, body), frame)
	if verdict != asm.XDPPass {
		t.Fatalf("verdict %d, want XDP_PASS", verdict)
	}
	expect(t, "LoadSrc", val[0:16], p.IPv6().Src.As16())
	expect(t, "LoadDst", val[16:32], p.IPv6().Dst.As16())
	expect(t, "LoadAddr", val[32:48], v6Dst.As16())
	expect(t, "CopyAddr unaligned", val[52:68], v6Dst.As16())
}

// TestDualStackKey: one sequence gives the IPv6 address for IPv6 frames and the v4-mapped address
// for IPv4 frames; other EtherTypes and cut frames take the fail label.
func TestDualStackKey(t *testing.T) {
	f := newFixture(t)
	arp := v4Frame()
	arp[12], arp[13] = 0x08, 0x06
	cases := []struct {
		name     string
		frame    []byte
		pass     bool
		src, dst netip.Addr
	}{
		{"IPv4", v4Frame(), true, v4Src, v4Dst},
		{"IPv6", v6Frame(), true, v6Src, v6Dst},
		{"ARP EtherType", arp, false, netip.Addr{}, netip.Addr{}},
		{"IPv4 cut", v4Frame()[:14+19], false, netip.Addr{}, netip.Addr{}},
		{"IPv6 cut", v6Frame()[:14+39], false, netip.Addr{}, netip.Addr{}},
		{"Ethernet only", v6Frame()[:14], false, netip.Addr{}, netip.Addr{}},
	}
	st := emit.NewStack()
	key := st.MustAlloc("key", 16)
	body := ipv6.DualStackKey(asm.R10, key.Off, asm.R6, asm.R7, asm.R2, ipv6.Src, "fail")
	body = append(body, ipv6.CopyAddr(asm.R8, 0, asm.R10, key.Off, asm.R2)...)
	// The same sequence a second time (relative jumps: no label clash), the destination
	// straight into the value at an unaligned offset.
	body = append(body, ipv6.DualStackKey(asm.R8, 20, asm.R6, asm.R7, asm.R2, ipv6.Dst, "fail")...)
	insns := program(f.m, st, body)
	for _, c := range cases {
		verdict, val := f.run(insns, c.frame)
		if !c.pass {
			if verdict != asm.XDPDrop {
				t.Errorf("%s: verdict %d, want XDP_DROP (fail label)", c.name, verdict)
			}
			continue
		}
		if verdict != asm.XDPPass {
			t.Errorf("%s: verdict %d, want XDP_PASS", c.name, verdict)
			continue
		}
		expect(t, c.name+" source key", val[0:16], c.src.As16())
		expect(t, c.name+" destination key", val[20:36], c.dst.As16())
		if !bytes.Equal(val[16:20], make([]byte, 4)) || !bytes.Equal(val[36:], make([]byte, valueSize-36)) {
			t.Errorf("%s: bytes outside the keys written: %x", c.name, val)
		}
	}
}

func TestInstructionCounts(t *testing.T) {
	r := asm.R2
	cases := []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"LoadAddr", ipv6.LoadAddr(asm.R10, -16, r, 22, r), 8},
		{"LoadSrc", ipv6.LoadSrc(asm.R10, -16, r, r), 8},
		{"LoadDst", ipv6.LoadDst(asm.R10, -16, r, r), 8},
		{"LoadIPv4Mapped", ipv6.LoadIPv4Mapped(asm.R10, -16, r, 26, r), 4},
		{"LoadIPv4Mapped unaligned", ipv6.LoadIPv4Mapped(asm.R10, -20, r, 26, r), 5},
		{"LoadIPv4SrcMapped", ipv6.LoadIPv4SrcMapped(asm.R10, -16, r, r), 4},
		{"LoadIPv4DstMapped", ipv6.LoadIPv4DstMapped(asm.R10, -16, r, r), 4},
		{"CopyAddr", ipv6.CopyAddr(asm.R10, -16, asm.R10, -32, r), 4},
		{"CopyAddr unaligned", ipv6.CopyAddr(asm.R10, -20, asm.R10, -40, r), 8},
		{"DualStackKey", ipv6.DualStackKey(asm.R10, -16, asm.R6, asm.R7, r, ipv6.Src, "fail"), 25},
	}
	for _, c := range cases {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d", c.name, len(c.insns), c.want)
		}
	}
}

// TestSourcePositions: every instruction points at the caller and names the ipv6 helper.
func TestSourcePositions(t *testing.T) {
	for name, insns := range map[string]asm.Instructions{
		"ipv6.DualStackKey":   ipv6.DualStackKey(asm.R10, -16, asm.R6, asm.R7, asm.R2, ipv6.Dst, "fail"),
		"ipv6.LoadIPv4Mapped": ipv6.LoadIPv4Mapped(asm.R10, -20, asm.R6, 26, asm.R2),
		"ipv6.CopyAddr":       ipv6.CopyAddr(asm.R10, -16, asm.R10, -32, asm.R2),
	} {
		for _, ins := range insns {
			pos, ok := ins.Source()
			if !ok || pos.Helper != name || !strings.HasSuffix(pos.File, "ipv6_test.go") {
				t.Errorf("%s: %v has source %v (ok %v)", name, ins, pos, ok)
			}
		}
	}
}

func BenchmarkDualStackKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ipv6.DualStackKey(asm.R10, -16, asm.R6, asm.R7, asm.R2, ipv6.Src, "fail")
	}
}
