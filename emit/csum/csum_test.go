package csum_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/emit/csum"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

var ne = asm.NativeEndian()

// Offsets in an untagged Ethernet + IPv4 (IHL 5) frame.
const (
	offIPCsum  = 14 + 10
	offDstIP   = 14 + 16
	offL4      = 14 + 20
	offDstPort = offL4 + 2
	offTCPCsum = offL4 + 16
	offUDPCsum = offL4 + 6
)

// --- an independent checksum, written here on purpose rather than taken from package packet ---

// sum16 adds b as big-endian 16-bit words with end-around carry.
func sum16(b []byte, acc uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint32(b[len(b)-1]) << 8
	}
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return acc
}

// checkIndependently recomputes the IPv4 header and TCP/UDP checksums of an untagged IPv4 frame
// (IHL 5) and fails unless both verify (sum to 0xffff; a UDP checksum of 0 means none).
func checkIndependently(t *testing.T, frame []byte) {
	t.Helper()
	ip := frame[14:34]
	if s := sum16(ip, 0); s != 0xffff {
		t.Errorf("independent check: IPv4 header sums to %#x, want 0xffff", s)
	}
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	seg := frame[34 : 14+total]
	proto := ip[9]
	if proto == 17 && binary.BigEndian.Uint16(seg[6:8]) == 0 {
		return
	}
	pseudo := append(append(append([]byte(nil), ip[12:20]...), 0, proto), byte(len(seg)>>8), byte(len(seg)))
	if s := sum16(seg, sum16(pseudo, 0)); s != 0xffff {
		t.Errorf("independent check: %s segment sums to %#x, want 0xffff", map[byte]string{6: "TCP", 17: "UDP"}[proto], s)
	}
}

func checkFrame(t *testing.T, out, want []byte) {
	t.Helper()
	p, err := packet.Parse(out)
	if err != nil {
		t.Fatalf("parse output: %v", err)
	}
	if err := p.VerifyChecksums(); err != nil {
		t.Errorf("packet.VerifyChecksums: %v", err)
	}
	checkIndependently(t, out)
	if want != nil && !bytes.Equal(out, want) {
		t.Errorf("output differs from the frame built with the new address:\n got %x\nwant %x", out, want)
	}
}

// --- the arithmetic against RFC 1624, on random and edge values ---

func foldRef(x uint64) uint64 {
	for x>>16 != 0 {
		x = x&0xffff + x>>16
	}
	return x
}

func update16Ref(hc, old, new uint16) uint16 {
	return ^uint16(foldRef(uint64(^hc) + uint64(^old) + uint64(new)))
}

func update32Ref(hc uint16, old, new uint32) uint16 {
	return ^uint16(foldRef(uint64(^hc) + uint64(^old) + uint64(new)))
}

func applyDiffRef(hc uint16, diff uint32) uint16 {
	return ^uint16(foldRef(uint64(^hc) + uint64(diff)))
}

// The arithmetic program reads its inputs from the frame and writes its results back.
const (
	inFold     = 16 // u64
	inFold32   = 24 // u32
	inCsum     = 28 // u16
	inOld16    = 30 // u16
	inNew16    = 32 // u16
	inOld32    = 40 // u64: the upper half is garbage the helper must ignore
	inNew32    = 48 // u64: likewise
	inDiff     = 56 // u64: likewise
	outFold    = 64
	outFold32  = 66
	outUpd16   = 68
	outUpd32   = 70
	outApply   = 72
	outMangled = 74
	arithLen   = 76
)

func arithProgram() asm.Instructions {
	r := asm.Instructions{}
	r = append(r, bounds.LoadXDP(asm.R6, asm.R7, asm.R1)...)
	r = append(r, bounds.Check(asm.R6, asm.R7, asm.R2, 0, arithLen, "out")...)
	r = append(r, asm.Ldx(asm.DW, asm.R2, asm.R6, inFold))
	r = append(r, csum.Fold(asm.R2, asm.R3)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outFold))

	r = append(r, asm.Ldx(asm.W, asm.R2, asm.R6, inFold32))
	r = append(r, csum.Fold32(asm.R2, asm.R3)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outFold32))

	r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, inCsum), asm.Ldx(asm.H, asm.R4, asm.R6, inOld16), asm.Ldx(asm.H, asm.R5, asm.R6, inNew16))
	r = append(r, csum.Update16(asm.R2, asm.R4, asm.R5, asm.R3)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outUpd16))
	r = append(r, csum.ZeroToMangled(asm.R2)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outMangled))

	r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, inCsum), asm.Ldx(asm.DW, asm.R4, asm.R6, inOld32), asm.Ldx(asm.DW, asm.R5, asm.R6, inNew32))
	r = append(r, csum.Update32(asm.R2, asm.R4, asm.R5, asm.R3)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outUpd32))

	r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, inCsum), asm.Ldx(asm.DW, asm.R4, asm.R6, inDiff))
	r = append(r, csum.ApplyDiff(asm.R2, asm.R4, asm.R3)...)
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, outApply))
	return append(r, asm.Label("out"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
}

func loadProg(t testing.TB, typ bpf.ProgramType, insns asm.Instructions) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "csum_test", Type: typ, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func run(t testing.TB, prog *bpf.Program, frame []byte) bpf.RunResult {
	t.Helper()
	res, err := prog.Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestArithmetic(t *testing.T) {
	testutil.RequireRoot(t)
	prog := loadProg(t, bpf.XDP, arithProgram())
	rng := rand.New(rand.NewPCG(1, 2))
	edges16 := []uint16{0, 1, 0xfffe, 0xffff, 0x8000, 0x7fff}
	edges32 := []uint32{0, 1, 0xffffffff, 0xfffffffe, 0xffff0000, 0x0000ffff, 0x80000000}
	edges64 := []uint64{0, 1, 0xffff, 0x10000, 0xffffffff, 0x1ffff, 0xffffffffffffffff, 0x8000000000000000, 0xfffffffe00000001}
	pick16 := func() uint16 {
		if rng.IntN(4) == 0 {
			return edges16[rng.IntN(len(edges16))]
		}
		return uint16(rng.Uint32())
	}
	pick32 := func() uint32 {
		if rng.IntN(4) == 0 {
			return edges32[rng.IntN(len(edges32))]
		}
		return rng.Uint32()
	}
	frame := make([]byte, arithLen)
	for i := range 3000 {
		x64 := rng.Uint64()
		if i%4 == 0 {
			x64 = edges64[rng.IntN(len(edges64))]
		}
		x32, hc, o16, n16, o32, n32, diff := pick32(), pick16(), pick16(), pick16(), pick32(), pick32(), pick32()
		ne.PutUint64(frame[inFold:], x64)
		ne.PutUint32(frame[inFold32:], x32)
		ne.PutUint16(frame[inCsum:], hc)
		ne.PutUint16(frame[inOld16:], o16)
		ne.PutUint16(frame[inNew16:], n16)
		garbage := rng.Uint64() << 32
		ne.PutUint64(frame[inOld32:], garbage|uint64(o32))
		ne.PutUint64(frame[inNew32:], rng.Uint64()<<32|uint64(n32))
		ne.PutUint64(frame[inDiff:], rng.Uint64()<<32|uint64(diff))
		out := run(t, prog, frame).Data
		check := func(name string, off int, want uint16) {
			if got := ne.Uint16(out[off:]); got != want {
				t.Fatalf("%s: got %#04x, want %#04x (inputs fold %#x fold32 %#x csum %#04x old16 %#04x new16 %#04x old32 %#x new32 %#x diff %#x)",
					name, got, want, x64, x32, hc, o16, n16, o32, n32, diff)
			}
		}
		check("Fold", outFold, uint16(foldRef(x64)))
		check("Fold32", outFold32, uint16(foldRef(uint64(x32))))
		u16 := update16Ref(hc, o16, n16)
		check("Update16", outUpd16, u16)
		if u16 == 0 {
			u16 = 0xffff
		}
		check("ZeroToMangled", outMangled, u16)
		check("Update32", outUpd32, update32Ref(hc, o32, n32))
		check("ApplyDiff", outApply, applyDiffRef(hc, diff))
	}
}

// --- DNAT on real frames: new destination address and port, as the load balancer does ---

var (
	newIP   = netip.MustParseAddr("192.168.77.201") // first byte >= 0x80: sign extension matters
	newPort = uint16(8080)
)

func frameFor(t testing.TB, proto packet.IPProto, dst netip.Addr, dport uint16, noCsum bool) []byte {
	t.Helper()
	var l4 packet.Layer = packet.TCP{SrcPort: 40000, DstPort: dport, Flags: 0x18, Window: 512}
	if proto == packet.IPProtoUDP {
		l4 = packet.UDP{SrcPort: 40000, DstPort: dport, NoChecksum: noCsum}
	}
	b, err := packet.Build(packet.Ethernet{}, packet.IPv4{Src: netip.MustParseAddr("10.1.2.3"), Dst: dst, TTL: 64}, l4, packet.Payload("hello, load balancer"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func l4CsumOff(proto packet.IPProto) int16 {
	if proto == packet.IPProtoUDP {
		return offUDPCsum
	}
	return offTCPCsum
}

func be32(a netip.Addr) int32 { return asm.HostToBE32(binary.BigEndian.Uint32(a.AsSlice())) }

// xdpDNAT rewrites the destination address and port with Update32 and Update16 (useDiff false)
// or with bpf_csum_diff and ApplyDiff for the address. UDP frames without a checksum keep none.
func xdpDNAT(proto packet.IPProto, useDiff bool) asm.Instructions {
	l4c := l4CsumOff(proto)
	udp := proto == packet.IPProtoUDP
	st := emit.NewStack()
	oldSlot, newSlot := st.MustAlloc("old_ip", 4), st.MustAlloc("new_ip", 4)
	r := bounds.LoadXDP(asm.R6, asm.R7, asm.R1)
	r = append(r, bounds.Check(asm.R6, asm.R7, asm.R2, 0, offL4+20, "drop")...)
	r = append(r, asm.Ldx(asm.W, asm.R8, asm.R6, offDstIP), asm.MovImm(asm.R9, be32(newIP)))
	if useDiff {
		r = append(r, asm.Stx(asm.W, asm.R10, asm.R8, oldSlot.Off), asm.St(asm.W, asm.R10, newSlot.Off, be32(newIP)))
		r = append(r, oldSlot.Addr(asm.R1)...)
		r = append(r, newSlot.Addr(asm.R2)...)
		r = append(r, csum.Diff(asm.R1, 4, asm.R2, 4)...)
		r = append(r, asm.MovReg(asm.R8, asm.R0)) // the difference
		r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, offIPCsum))
		r = append(r, csum.ApplyDiff(asm.R2, asm.R8, asm.R3)...)
	} else {
		r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, offIPCsum))
		r = append(r, csum.Update32(asm.R2, asm.R8, asm.R9, asm.R3)...)
	}
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, offIPCsum))
	r = append(r, asm.Ldx(asm.H, asm.R2, asm.R6, l4c))
	if udp {
		r = append(r, asm.JmpImm(asm.JEQ, asm.R2, 0, "addr_done")) // no checksum: keep none
	}
	if useDiff {
		r = append(r, csum.ApplyDiff(asm.R2, asm.R8, asm.R3)...)
	} else {
		r = append(r, csum.Update32(asm.R2, asm.R8, asm.R9, asm.R3)...)
	}
	if udp {
		r = append(r, csum.ZeroToMangled(asm.R2)...)
	}
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, l4c), asm.Label("addr_done"))
	r = append(r, asm.MovImm(asm.R9, be32(newIP)), asm.Stx(asm.W, asm.R6, asm.R9, offDstIP))

	r = append(r,
		asm.Ldx(asm.H, asm.R8, asm.R6, offDstPort),
		asm.MovImm(asm.R9, asm.HostToBE16(newPort)),
		asm.Ldx(asm.H, asm.R2, asm.R6, l4c))
	if udp {
		r = append(r, asm.JmpImm(asm.JEQ, asm.R2, 0, "port_done"))
	}
	r = append(r, csum.Update16(asm.R2, asm.R8, asm.R9, asm.R3)...)
	if udp {
		r = append(r, csum.ZeroToMangled(asm.R2)...)
	}
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R2, l4c), asm.Label("port_done"))
	r = append(r, asm.Stx(asm.H, asm.R6, asm.R9, offDstPort))
	return append(r,
		asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
}

// tcErr is what the sched_cls programs return when a helper fails.
const tcErr = 100

// tcDNAT does the same in a sched_cls program with bpf_l3_csum_replace and bpf_l4_csum_replace
// (or bpf_csum_diff and the Diff variants for the address). The port's replace gets its from
// and to in R4 and R3, the swapped argument registers, to exercise the parallel move.
func tcDNAT(proto packet.IPProto, useDiff bool) asm.Instructions {
	l4c := int32(l4CsumOff(proto))
	flags := csum.Flags(0)
	if proto == packet.IPProtoUDP {
		flags = csum.MarkMangled0
	}
	st := emit.NewStack()
	oldSlot, newSlot := st.MustAlloc("old_ip", 4), st.MustAlloc("new_ip", 4)
	r := asm.Instructions{asm.MovReg(asm.R6, asm.R1)}
	r = append(r, bounds.LoadSKB(asm.R2, asm.R3, asm.R6)...)
	r = append(r, bounds.Check(asm.R2, asm.R3, asm.R4, 0, offL4+20, "drop")...)
	r = append(r,
		asm.Ldx(asm.W, asm.R7, asm.R2, offDstIP),
		asm.Ldx(asm.H, asm.R8, asm.R2, offDstPort),
		asm.MovImm(asm.R9, be32(newIP)),
		asm.Stx(asm.W, asm.R2, asm.R9, offDstIP),
		asm.MovImm(asm.R1, asm.HostToBE16(newPort)),
		asm.Stx(asm.H, asm.R2, asm.R1, offDstPort),
	)
	if useDiff {
		r = append(r, asm.Stx(asm.W, asm.R10, asm.R7, oldSlot.Off), asm.Stx(asm.W, asm.R10, asm.R9, newSlot.Off))
		r = append(r, oldSlot.Addr(asm.R1)...)
		r = append(r, newSlot.Addr(asm.R2)...)
		r = append(r, csum.Diff(asm.R1, 4, asm.R2, 4)...)
		r = append(r, asm.MovReg(asm.R9, asm.R0))
		r = append(r, csum.L3ReplaceDiff(asm.R6, offIPCsum, asm.R9)...)
		r = append(r, asm.JmpImm(asm.JNE, asm.R0, 0, "err"))
		r = append(r, csum.L4ReplaceDiff(asm.R6, l4c, asm.R9, flags|csum.PseudoHdr)...)
	} else {
		r = append(r, csum.L3Replace4(asm.R6, offIPCsum, asm.R7, asm.R9)...)
		r = append(r, asm.JmpImm(asm.JNE, asm.R0, 0, "err"))
		r = append(r, csum.L4Replace4(asm.R6, l4c, asm.R7, asm.R9, flags|csum.PseudoHdr)...)
	}
	r = append(r, asm.JmpImm(asm.JNE, asm.R0, 0, "err"))
	r = append(r, asm.MovReg(asm.R4, asm.R8), asm.MovImm(asm.R3, asm.HostToBE16(newPort)))
	r = append(r, csum.L4Replace2(asm.R6, l4c, asm.R4, asm.R3, flags)...)
	r = append(r, asm.JmpImm(asm.JNE, asm.R0, 0, "err"))
	return append(r,
		asm.MovImm(asm.R0, asm.TCActOK), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.TCActShot), asm.Exit(),
		asm.Label("err"), asm.MovImm(asm.R0, tcErr), asm.Exit())
}

// zeroingSrcPort returns a source port that makes the UDP checksum of frame, once rewritten to
// newIP:newPort, compute to 0 (which must then be sent as 0xffff).
func zeroingSrcPort(frame []byte) uint16 {
	f := append([]byte(nil), frame...)
	copy(f[offDstIP:], newIP.AsSlice())
	binary.BigEndian.PutUint16(f[offDstPort:], newPort)
	f[offL4], f[offL4+1] = 0, 0
	f[offUDPCsum], f[offUDPCsum+1] = 0, 0
	ip := f[14:34]
	seg := f[34:]
	pseudo := append(append(append([]byte(nil), ip[12:20]...), 0, 17), byte(len(seg)>>8), byte(len(seg)))
	return uint16(0xffff - sum16(seg, sum16(pseudo, 0)))
}

func TestDNAT(t *testing.T) {
	testutil.RequireRoot(t)
	oldIP := netip.MustParseAddr("10.9.8.7")
	for _, proto := range []packet.IPProto{packet.IPProtoTCP, packet.IPProtoUDP} {
		for _, tc := range []bool{false, true} {
			for _, useDiff := range []bool{false, true} {
				name := fmt.Sprintf("%v/xdp/update", proto)
				typ, insns, pass := bpf.XDP, xdpDNAT(proto, useDiff), uint32(asm.XDPPass)
				if tc {
					typ, insns, pass = bpf.SchedCLS, tcDNAT(proto, useDiff), asm.TCActOK
					name = fmt.Sprintf("%v/tc/replace", proto)
				}
				if useDiff {
					name += "+csum_diff"
				}
				t.Run(name, func(t *testing.T) {
					prog := loadProg(t, typ, insns)
					in := frameFor(t, proto, oldIP, 80, false)
					res := run(t, prog, in)
					if res.ReturnValue != pass {
						t.Fatalf("returned %d, want %d", res.ReturnValue, pass)
					}
					checkFrame(t, res.Data, frameFor(t, proto, newIP, newPort, false))

					if proto == packet.IPProtoUDP {
						// No checksum stays no checksum.
						res = run(t, prog, frameFor(t, proto, oldIP, 80, true))
						if got := binary.BigEndian.Uint16(res.Data[offUDPCsum:]); got != 0 {
							t.Errorf("UDP without checksum: checksum %#04x after rewrite, want 0", got)
						}
						checkFrame(t, res.Data, nil)
					}

					// A frame whose new checksum computes to 0: UDP must carry 0xffff.
					if proto == packet.IPProtoUDP {
						in := frameFor(t, proto, oldIP, 80, false)
						binary.BigEndian.PutUint16(in[offL4:], zeroingSrcPort(in))
						fixUDP(in)
						checkFrame(t, in, nil) // the input is valid
						res := run(t, prog, in)
						if got := binary.BigEndian.Uint16(res.Data[offUDPCsum:]); got != 0xffff {
							t.Errorf("UDP checksum computing to 0: got %#04x, want 0xffff", got)
						}
						checkFrame(t, res.Data, nil)
					}
				})
			}
		}
	}
}

// fixUDP recomputes the UDP checksum of an untagged IPv4 frame (after a test edited it).
func fixUDP(f []byte) {
	f[offUDPCsum], f[offUDPCsum+1] = 0, 0
	ip := f[14:34]
	seg := f[34:]
	pseudo := append(append(append([]byte(nil), ip[12:20]...), 0, 17), byte(len(seg)>>8), byte(len(seg)))
	c := ^uint16(sum16(seg, sum16(pseudo, 0)))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(f[offUDPCsum:], c)
}

// TestCheckersCatchStaleChecksums rewrites the destination without any checksum update: both
// checkers must object, or the DNAT tests above could not fail.
func TestCheckersCatchStaleChecksums(t *testing.T) {
	f := frameFor(t, packet.IPProtoTCP, netip.MustParseAddr("10.9.8.7"), 80, false)
	copy(f[offDstIP:], newIP.AsSlice())
	p, err := packet.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.VerifyChecksums() == nil {
		t.Error("packet.VerifyChecksums accepted a stale checksum")
	}
	if sum16(f[14:34], 0) == 0xffff {
		t.Error("the independent sum accepted a stale IPv4 header checksum")
	}
}

// TestReplaceFails: a replace helper pointed outside the packet returns a negative errno, which
// the program turns into its error verdict.
func TestReplaceFails(t *testing.T) {
	testutil.RequireRoot(t)
	for name, call := range map[string]asm.Instructions{
		"L3Replace4":    csum.L3Replace4(asm.R6, 4000, asm.R7, asm.R8),
		"L4Replace2":    csum.L4Replace2(asm.R6, 4000, asm.R7, asm.R8, csum.MarkMangled0),
		"L4ReplaceDiff": csum.L4ReplaceDiff(asm.R6, 4000, asm.R7, csum.PseudoHdr),
	} {
		insns := asm.Instructions{asm.MovReg(asm.R6, asm.R1), asm.MovImm(asm.R7, 1), asm.MovImm(asm.R8, 2)}
		insns = append(insns, call...)
		insns = append(insns,
			asm.JmpImm(asm.JNE, asm.R0, 0, "err"),
			asm.MovImm(asm.R0, asm.TCActOK), asm.Exit(),
			asm.Label("err"), asm.MovImm(asm.R0, tcErr), asm.Exit())
		prog := loadProg(t, bpf.SchedCLS, insns)
		if got := run(t, prog, frameFor(t, packet.IPProtoTCP, newIP, 80, false)).ReturnValue; got != tcErr {
			t.Errorf("%s at offset 4000: returned %d, want %d (helper error)", name, got, tcErr)
		}
	}
}

// BenchmarkDNATXDP measures the XDP DNAT rewrite with Update32/Update16 in the kernel
// (BPF_PROG_TEST_RUN with Repeat); kernel-ns/run is the kernel's mean per run.
func BenchmarkDNATXDP(b *testing.B) {
	testutil.RequireRoot(b)
	prog := loadProg(b, bpf.XDP, xdpDNAT(packet.IPProtoTCP, false))
	in := frameFor(b, packet.IPProtoTCP, netip.MustParseAddr("10.9.8.7"), 80, false)
	opts := &bpf.RunOptions{Data: in, Repeat: 100, DataOut: make([]byte, len(in)+256)}
	var total time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := prog.Run(opts)
		if err != nil {
			b.Fatal(err)
		}
		total += res.Duration
		n++
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(n), "kernel-ns/run")
}

// TestL4Flags: on a UDP frame without checksum, MarkMangled0 leaves the field 0, MarkMangled0 with
// MarkEnforce updates it, and no flag updates it too (the helper does not know UDP's rule); the
// IPv6 flag is accepted by this kernel.
func TestL4Flags(t *testing.T) {
	testutil.RequireRoot(t)
	in := frameFor(t, packet.IPProtoUDP, newIP, 80, true)
	cases := []struct {
		name     string
		flags    csum.Flags
		wantZero bool
	}{
		{"MarkMangled0", csum.MarkMangled0, true},
		{"MarkMangled0|MarkEnforce", csum.MarkMangled0 | csum.MarkEnforce, false},
		{"none", 0, false},
		{"IPv6", csum.IPv6, false},
	}
	for _, c := range cases {
		insns := asm.Instructions{asm.MovReg(asm.R6, asm.R1),
			asm.MovImm(asm.R7, asm.HostToBE16(80)), asm.MovImm(asm.R8, asm.HostToBE16(8080))}
		insns = append(insns, csum.L4Replace2(asm.R6, offUDPCsum, asm.R7, asm.R8, c.flags)...)
		insns = append(insns,
			asm.JmpImm(asm.JNE, asm.R0, 0, "err"),
			asm.MovImm(asm.R0, asm.TCActOK), asm.Exit(),
			asm.Label("err"), asm.MovImm(asm.R0, tcErr), asm.Exit())
		prog := loadProg(t, bpf.SchedCLS, insns)
		res := run(t, prog, in)
		if res.ReturnValue != asm.TCActOK {
			t.Errorf("%s: helper failed (returned %d)", c.name, res.ReturnValue)
			continue
		}
		got := binary.BigEndian.Uint16(res.Data[offUDPCsum:])
		if (got == 0) != c.wantZero {
			t.Errorf("%s: UDP checksum %#04x after the replace, want zero: %v", c.name, got, c.wantZero)
		}
	}
}
