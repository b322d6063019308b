package bounds_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

// failed is what the test programs return at the failure label.
const failed = 0xdead

// progKind is a program type with its way of loading the packet pointers.
type progKind struct {
	name string
	typ  bpf.ProgramType
	load func(data, end, ctx asm.Register) asm.Instructions
}

var kinds = []progKind{
	{"XDP", bpf.XDP, bounds.LoadXDP},
	{"SchedCLS", bpf.SchedCLS, bounds.LoadSKB},
}

// build wraps body: R2 = data, R3 = end; body returns on success with R0 set; label "fail"
// returns failed.
func build(k progKind, body asm.Instructions) asm.Instructions {
	insns := k.load(asm.R2, asm.R3, asm.R1)
	insns = append(insns, body...)
	return append(insns, asm.Exit(), asm.Label("fail"), asm.MovImm(asm.R0, failed), asm.Exit())
}

// refusedBySKBTestRun reports whether the kernel refuses to test-run a sched_cls program on frame
// (EINVAL): since Linux 6.x BPF_PROG_TEST_RUN for skb programs wants the whole fixed IPv4 or IPv6
// header of an IPv4 or IPv6 frame. Such frames are checked on XDP only.
func refusedBySKBTestRun(frame []byte) bool {
	if len(frame) < 14 {
		return true
	}
	switch uint16(frame[12])<<8 | uint16(frame[13]) {
	case 0x0800:
		return len(frame) < 14+20
	case 0x86dd:
		return len(frame) < 14+40
	}
	return false
}

func load(t *testing.T, typ bpf.ProgramType, insns asm.Instructions) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "bounds_test", Type: typ, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load: %+v\n%v", err, insns)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// runOn runs prog on frame and returns its return value. For a sched_cls program and a frame the
// kernel refuses to test-run, it checks the refusal and returns failed.
func runOn(t *testing.T, prog *bpf.Program, frame []byte) uint32 {
	t.Helper()
	res, err := prog.Run(&bpf.RunOptions{Data: frame})
	if prog.Type() == bpf.SchedCLS && refusedBySKBTestRun(frame) {
		if !errors.Is(err, unix.EINVAL) {
			t.Errorf("sched_cls test run of a %d-byte frame with a cut IP header: error %v, want EINVAL", len(frame), err)
		}
		return failed
	}
	if err != nil {
		t.Fatal(err)
	}
	return res.ReturnValue
}

func frame(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestCheck: Check and CheckSkip pass when off+size bytes are in the packet (and the program then
// reads the last checked byte, which the verifier only allows after the check) and fail otherwise.
func TestCheck(t *testing.T) {
	testutil.RequireRoot(t)
	const n = 60
	cases := []struct {
		off, size int32
		pass      bool
	}{
		{0, 14, true},
		{50, 10, true},
		{51, 10, false},
		{0, 61, false},
		{59, 1, true},
	}
	for _, k := range kinds {
		for _, c := range cases {
			lastByte := asm.Ldx(asm.B, asm.R0, asm.R2, int16(c.off+c.size-1))
			label := build(k, append(bounds.Check(asm.R2, asm.R3, asm.R4, c.off, c.size, "fail"), lastByte))
			skip := append(k.load(asm.R2, asm.R3, asm.R1), bounds.CheckSkip(asm.R2, asm.R3, asm.R4, c.off, c.size, 2)...)
			skip = append(skip, lastByte, asm.Exit(), asm.MovImm(asm.R0, failed), asm.Exit())
			for name, insns := range map[string]asm.Instructions{"label": label, "skip": skip} {
				t.Run(fmt.Sprintf("%s/%s/%d+%d", k.name, name, c.off, c.size), func(t *testing.T) {
					prog := load(t, k.typ, insns)
					got := runOn(t, prog, frame(n))
					want := uint32(failed)
					if c.pass {
						want = uint32(c.off + c.size - 1) // the byte's value is its offset
					}
					if got != want {
						t.Errorf("returned %#x, want %#x", got, want)
					}
				})
			}
		}
	}
}

// TestCheckEthernet runs the check from data (a 14-byte frame holds a header) and from data+1
// (13 bytes left: test runs refuse frames shorter than 14 bytes, so this is how the failing case
// reaches the kernel).
func TestCheckEthernet(t *testing.T) {
	testutil.RequireRoot(t)
	for _, k := range kinds {
		for _, shift := range []int32{0, 1} {
			body := asm.Instructions{asm.MovReg(asm.R5, asm.R2), asm.AddImm(asm.R5, shift)}
			body = append(body, bounds.CheckEthernet(asm.R5, asm.R3, asm.R4, "fail")...)
			body = append(body, asm.Ldx(asm.H, asm.R0, asm.R5, 12))
			prog := load(t, k.typ, build(k, body))
			got := runOn(t, prog, frame(14))
			want := uint32(failed)
			if shift == 0 {
				want = uint32(asm.NativeEndian().Uint16([]byte{12, 13}))
			}
			if got != want {
				t.Errorf("%s: shift %d: returned %#x, want %#x", k.name, shift, got, want)
			}
		}
	}
}

func mustBuild(t *testing.T, layers ...packet.Layer) []byte {
	t.Helper()
	b, err := packet.Build(layers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckIPv4 runs CheckIPv4 then CheckTCP or CheckUDP from the l4 pointer, and returns
// hlen<<16 | destination port, read through l4: the header length must come from IHL, and a
// frame cut inside the options must fail.
func TestCheckIPv4(t *testing.T) {
	testutil.RequireRoot(t)
	eth := packet.Ethernet{}
	ip := func(opts int) packet.IPv4 {
		o := make([]byte, opts)
		for i := range o {
			o[i] = 1 // NOP
		}
		return packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64, Options: o}
	}
	tcp := packet.TCP{SrcPort: 1000, DstPort: 80, Flags: packet.TCPFlags(0x02)}
	udp := packet.UDP{SrcPort: 1000, DstPort: 53}

	ihl4 := mustBuild(t, eth, ip(0), tcp)
	ihl4[14] = 0x44 // IHL 4: a header shorter than 20 bytes is invalid

	cases := []struct {
		name  string
		frame []byte
		udp   bool
		want  uint32
	}{
		{"TCP IHL 5", mustBuild(t, eth, ip(0), tcp), false, 20<<16 | 80},
		{"UDP IHL 6", mustBuild(t, eth, ip(4), udp, packet.Payload("q")), true, 24<<16 | 53},
		{"TCP IHL 15", mustBuild(t, eth, ip(40), tcp), false, 60<<16 | 80},
		{"cut in fixed header", mustBuild(t, eth, ip(0), tcp)[:14+10], false, failed},
		{"cut in options", mustBuild(t, eth, ip(8), udp)[:14+24], true, failed},
		{"options end at frame end, no UDP", mustBuild(t, eth, ip(8), udp)[:14+28], true, failed},
		{"cut in TCP header", mustBuild(t, eth, ip(4), tcp)[:14+24+19], false, failed},
		{"IHL 4", ihl4, false, failed},
	}
	for _, k := range kinds {
		for _, l4udp := range []bool{false, true} {
			body := bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, bounds.EthHdrLen, "fail")
			if l4udp {
				body = append(body, bounds.CheckUDP(asm.R7, asm.R3, asm.R4, 0, "fail")...)
			} else {
				body = append(body, bounds.CheckTCP(asm.R7, asm.R3, asm.R4, 0, "fail")...)
			}
			body = append(body,
				asm.Ldx(asm.H, asm.R0, asm.R7, 2), // destination port, network order
				asm.ToBE(asm.R0, 16),
				asm.LshImm(asm.R6, 16),
				asm.OrReg(asm.R0, asm.R6),
			)
			prog := load(t, k.typ, build(k, body))
			for _, c := range cases {
				if c.udp != l4udp {
					continue
				}
				if got := runOn(t, prog, c.frame); got != c.want {
					t.Errorf("%s: %s: returned %#x, want %#x", k.name, c.name, got, c.want)
				}
			}
		}
	}
}

// TestCheckIPv4Alone returns hlen right after CheckIPv4: a frame that holds the fixed 20 bytes
// but not all the options its IHL announces must fail (a check of 20 bytes would pass it).
func TestCheckIPv4Alone(t *testing.T) {
	testutil.RequireRoot(t)
	full := mustBuild(t, packet.Ethernet{},
		packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64, Options: []byte{1, 1, 1, 1, 1, 1, 1, 1}})
	cases := []struct {
		n    int
		want uint32
	}{
		{14 + 20, failed},
		{14 + 27, failed},
		{14 + 28, 28},
		{len(full), 28},
	}
	for _, k := range kinds {
		body := bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, bounds.EthHdrLen, "fail")
		body = append(body, asm.MovReg(asm.R0, asm.R6))
		prog := load(t, k.typ, build(k, body))
		for _, c := range cases {
			if got := runOn(t, prog, full[:c.n]); got != c.want {
				t.Errorf("%s: IHL 7 frame cut to %d bytes: returned %#x, want %#x", k.name, c.n, got, c.want)
			}
		}
	}
}

// TestCheckTCPOptions returns the TCP header length <<16 | the first payload byte.
func TestCheckTCPOptions(t *testing.T) {
	testutil.RequireRoot(t)
	base := func(opts int) []byte {
		o := make([]byte, opts)
		for i := range o {
			o[i] = 1
		}
		return mustBuild(t, packet.Ethernet{}, packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64},
			packet.TCP{SrcPort: 1, DstPort: 2, Flags: 0x18, Options: o}, packet.Payload("Z"))
	}
	doff4 := base(0)
	doff4[14+20+12] = 0x40
	cases := []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"no options", base(0), 20<<16 | 'Z'},
		{"12 bytes of options", base(12), 32<<16 | 'Z'},
		{"cut in options", base(12)[:14+20+24], failed},
		{"data offset 4", doff4, failed},
	}
	for _, k := range kinds {
		body := bounds.CheckTCPOptions(asm.R2, asm.R3, asm.R6, asm.R7, 14+20, "fail")
		body = append(body, bounds.Check(asm.R7, asm.R3, asm.R4, 0, 1, "fail")...)
		body = append(body, asm.Ldx(asm.B, asm.R0, asm.R7, 0), asm.LshImm(asm.R6, 16), asm.OrReg(asm.R0, asm.R6))
		prog := load(t, k.typ, build(k, body))
		for _, c := range cases {
			if got := runOn(t, prog, c.frame); got != c.want {
				t.Errorf("%s: %s: returned %#x, want %#x", k.name, c.name, got, c.want)
			}
		}
	}
}

// TestCheckIPv6 reads the last byte of the destination address after the check.
func TestCheckIPv6(t *testing.T) {
	testutil.RequireRoot(t)
	v6 := packet.Spec{IPv6: true, Protocol: packet.IPProtoUDP}.MustBuild()
	for _, k := range kinds {
		body := bounds.CheckIPv6(asm.R2, asm.R3, asm.R4, bounds.EthHdrLen, "fail")
		body = append(body, asm.Ldx(asm.B, asm.R0, asm.R2, 14+39))
		prog := load(t, k.typ, build(k, body))
		if got := runOn(t, prog, v6); got != 2 { // fd00::2
			t.Errorf("%s: IPv6 frame: returned %#x, want 2", k.name, got)
		}
		if got := runOn(t, prog, v6[:14+39]); got != failed {
			t.Errorf("%s: cut IPv6 frame: returned %#x, want %#x", k.name, got, failed)
		}
	}
}

// TestSeedLoadsRejected shows why LoadXDP exists: clj-ebpf's guide loads xdp_md's data and
// data_end with 8-byte loads at offsets 0 and 8, and the verifier refuses that.
func TestSeedLoadsRejected(t *testing.T) {
	testutil.RequireRoot(t)
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R2, asm.R1, 0),
		asm.Ldx(asm.DW, asm.R3, asm.R1, 8),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
	}
	_, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "seed_loads", Type: bpf.XDP, License: "GPL", Instructions: insns})
	var ve *bpf.VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("seed's 8-byte xdp_md loads: error %v, want a verifier rejection", err)
	}
}

func TestInstructionCounts(t *testing.T) {
	r := asm.R2
	cases := []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"LoadXDP", bounds.LoadXDP(r, r, r), 2},
		{"LoadSKB", bounds.LoadSKB(r, r, r), 2},
		{"Check", bounds.Check(r, r, r, 0, 1, "x"), 3},
		{"CheckSkip", bounds.CheckSkip(r, r, r, 0, 1, 1), 3},
		{"CheckEthernet", bounds.CheckEthernet(r, r, r, "x"), 3},
		{"CheckIPv4", bounds.CheckIPv4(r, r, r, r, 14, "x"), 11},
		{"CheckIPv6", bounds.CheckIPv6(r, r, r, 14, "x"), 3},
		{"CheckTCP", bounds.CheckTCP(r, r, r, 0, "x"), 3},
		{"CheckTCPOptions", bounds.CheckTCPOptions(r, r, r, r, 0, "x"), 11},
		{"CheckUDP", bounds.CheckUDP(r, r, r, 0, "x"), 3},
	}
	for _, c := range cases {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d", c.name, len(c.insns), c.want)
		}
	}
}

// TestSourcePosition: instructions a helper emits point at the caller's line and name the helper.
func TestSourcePosition(t *testing.T) {
	insns := bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, 14, "fail")
	pos, ok := insns[0].Source()
	if !ok || pos.Helper != "bounds.CheckIPv4" || pos.Line == 0 || !hasSuffix(pos.File, "bounds_test.go") {
		t.Errorf("source %v (ok %v), want bounds_test.go with helper bounds.CheckIPv4", pos, ok)
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func BenchmarkCheckIPv4(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		bounds.CheckIPv4(asm.R2, asm.R3, asm.R6, asm.R7, bounds.EthHdrLen, "fail")
	}
}
