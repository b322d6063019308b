//go:build linux

package examples_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/ratelimit"
	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
	"github.com/bpfgo/bpf/packet"
	"github.com/bpfgo/bpf/perf"
	"github.com/bpfgo/bpf/ringbuf"
)

// kernelTests holds the kernel test of every example, by name. TestKernelCoverage fails when
// an example of the catalogue has none, so the catalogue cannot grow untested.
var kernelTests = map[string]func(t *testing.T, e *examples.Example){
	"xdp-pass-all":               verdicts(always(asm.XDPPass)),
	"xdp-drop-all":               verdicts(always(asm.XDPDrop)),
	"xdp-packet-size-filter":     verdicts(sizeFilterCases),
	"xdp-aborted-on-error":       verdicts(abortedCases),
	"xdp-ethernet-parser":        verdicts(ethernetCases),
	"xdp-ethertype-filter":       verdicts(ethertypeCases),
	"xdp-ipv4-parser":            verdicts(ipv4ParserCases),
	"xdp-ip-protocol-filter":     verdicts(protocolCases),
	"xdp-tcp-port-filter":        verdicts(tcpPortCases),
	"xdp-udp-port-range":         verdicts(udpRangeCases),
	"xdp-dual-stack-port-filter": verdicts(dualStackCases),
	"xdp-map-lookup":             testMapLookup,
	"xdp-map-counter":            testMapCounter,
	"tc-ok-all":                  tcVerdicts(asm.TCActOK),
	"tc-shot-all":                tcVerdicts(asm.TCActShot),
	"tc-classifier":              testTCClassifier,
	"kprobe-trace-printk":        testTracePrintk,
	"kprobe-timestamp":           testTimestamp,
	"arithmetic-demo":            testArithmetic,
	"bitwise-demo":               testBitwise,
	"conditional-demo":           testConditional,
	"syn-flood-protection":       testSYNFlood,
	"icmp-rate-limiter":          testICMPRateLimiter,
	"ip-allowlist":               testIPAllowlist,
	"perf-event-output":          testPerfEventOutput,
	"get-cpu-id":                 testGetCPUID,
	"xdp-ringbuf-flow":           testRingbufFlow,
	"core-task-parent":           testCoreTaskParent,
}

func TestKernelCoverage(t *testing.T) {
	names := map[string]bool{}
	for _, e := range examples.List() {
		names[e.Name] = true
		if kernelTests[e.Name] == nil {
			t.Errorf("example %q has no kernel test: add it to kernelTests", e.Name)
		}
	}
	for n := range kernelTests {
		if !names[n] {
			t.Errorf("kernel test for %q, which is not in the catalogue", n)
		}
	}
}

// TestKernel loads every example through the verifier and runs its test.
func TestKernel(t *testing.T) {
	testutil.RequireRoot(t)
	for _, e := range examples.List() {
		test := kernelTests[e.Name]
		if test == nil {
			continue // TestKernelCoverage reports it
		}
		t.Run(e.Name, func(t *testing.T) { test(t, &e) })
	}
}

// load loads e with its maps; the test closes them.
func load(t *testing.T, e *examples.Example) *examples.Loaded {
	t.Helper()
	l, err := e.Load()
	if err != nil {
		var ve *bpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("load: %+v", ve)
		}
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

func run(t *testing.T, prog *bpf.Program, frame []byte) uint32 {
	t.Helper()
	res, err := prog.Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res.ReturnValue
}

// Frames.

var (
	srcA = netip.MustParseAddr("192.0.2.10")
	srcB = netip.MustParseAddr("198.51.100.20")
)

func tcpTo(port uint16) []byte { return packet.Spec{DstPort: port}.MustBuild() }
func udpTo(port uint16) []byte {
	return packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port}.MustBuild()
}
func tcp6To(port uint16) []byte { return packet.Spec{IPv6: true, DstPort: port}.MustBuild() }
func icmpFrom(src netip.Addr) []byte {
	return packet.Spec{Protocol: packet.IPProtoICMP, SrcIP: src, DstIP: packet.DefaultDstIP}.MustBuild()
}
func sized(n int) []byte {
	f := packet.Spec{Payload: make([]byte, 2000)}.MustBuild()
	return f[:n]
}

var arpFrame = packet.MustBuild(packet.Ethernet{Src: packet.DefaultSrcMAC, EtherType: 0x0806}, packet.Payload(make([]byte, 28)))

// ipv4Options is a TCP frame to port whose IPv4 header carries a 4-byte option (IHL 6).
func ipv4Options(port uint16) []byte {
	return packet.MustBuild(packet.Ethernet{Src: packet.DefaultSrcMAC},
		packet.IPv4{Src: packet.DefaultSrcIP, Dst: packet.DefaultDstIP, TTL: 64, Options: []byte{0x94, 0x04, 0, 0}},
		packet.TCP{SrcPort: 40000, DstPort: port, Flags: packet.TCPSyn})
}

// with returns a copy of f with the byte at off set to b.
func with(f []byte, off int, b ...byte) []byte {
	out := bytes.Clone(f)
	copy(out[off:], b)
	return out
}

func be16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }

type frameCase struct {
	name  string
	frame []byte
	want  uint32
}

func always(v uint32) []frameCase {
	return []frameCase{{"TCP", tcpTo(80), v}, {"UDP", udpTo(53), v}, {"ARP", arpFrame, v}, {"IPv6", tcp6To(443), v}}
}

var (
	pass, drop, aborted uint32 = asm.XDPPass, asm.XDPDrop, asm.XDPAborted

	sizeFilterCases = []frameCase{
		{"14 bytes", sized(14), drop}, {"60 bytes", sized(60), drop},
		{"61 bytes", sized(61), pass}, {"1000 bytes", sized(1000), pass},
	}
	abortedCases = []frameCase{
		{"valid IPv4", tcpTo(80), pass}, {"IPv4 with options", ipv4Options(80), pass},
		{"ARP", arpFrame, pass}, {"IPv6", tcp6To(80), pass},
		{"IPv4 cut at 10 bytes", tcpTo(80)[:24], aborted},
		{"IHL 4", with(tcpTo(80), 14, 0x44), aborted},
		{"IHL 15, frame too short", with(tcpTo(80), 14, 0x4f), aborted},
	}
	ethernetCases = []frameCase{
		{"valid", tcpTo(80), pass}, {"ARP", arpFrame, pass},
		{"multicast source", with(tcpTo(80), 6, 0x01, 0x00, 0x5e), drop},
		{"broadcast source", with(tcpTo(80), 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), drop},
		{"802.3 length 1500", with(tcpTo(80), 12, be16(1500)...), drop},
		{"EtherType 0x0600", with(tcpTo(80), 12, be16(0x0600)...), pass},
		{"length 0x05ff", with(tcpTo(80), 12, be16(0x05ff)...), drop},
	}
	ethertypeCases = []frameCase{
		{"IPv4 TCP", tcpTo(80), pass}, {"IPv4 UDP", udpTo(53), pass},
		{"IPv6", tcp6To(80), drop}, {"ARP", arpFrame, drop},
		{"EtherType 0x0008 (swapped IPv4)", with(tcpTo(80), 12, 0x00, 0x08), drop},
	}
	ipv4ParserCases = []frameCase{
		{"valid", tcpTo(80), pass}, {"with options", ipv4Options(80), pass},
		{"Ethernet padding after the packet", append(tcpTo(80), 0, 0, 0, 0), pass},
		{"ARP", arpFrame, pass}, {"IPv6", tcp6To(80), pass},
		{"version 6 in an IPv4 frame", with(tcpTo(80), 14, 0x65), drop},
		{"IHL 4", with(tcpTo(80), 14, 0x44), drop},
		{"cut at 10 bytes", tcpTo(80)[:24], drop},
		{"total length past the frame", with(tcpTo(80), 16, be16(len(tcpTo(80))-14+1)...), drop},
		{"total length 19", with(tcpTo(80), 16, be16(19)...), drop},
		{"total length = header only", with(tcpTo(80), 16, be16(20)...), pass},
	}
	protocolCases = []frameCase{
		{"TCP", tcpTo(80), pass}, {"TCP, IPv4 options", ipv4Options(22), pass},
		{"UDP", udpTo(80), drop}, {"ICMP", icmpFrom(srcA), drop},
		{"IPv6 TCP", tcp6To(80), drop}, {"ARP", arpFrame, drop},
		{"truncated IPv4", tcpTo(80)[:30], drop},
	}
	tcpPortCases = []frameCase{
		{"port 80", tcpTo(80), pass}, {"port 81", tcpTo(81), drop}, {"port 79", tcpTo(79), drop},
		{"port 20480 (80 byte-swapped)", tcpTo(0x5000), drop},
		{"source port 80, destination 81", packet.Spec{SrcPort: 80, DstPort: 81}.MustBuild(), drop},
		{"port 80, IPv4 options", ipv4Options(80), pass}, {"port 81, IPv4 options", ipv4Options(81), drop},
		{"UDP port 80", udpTo(80), drop}, {"IPv6 port 80", tcp6To(80), drop}, {"ARP", arpFrame, drop},
		{"TCP header cut after the ports", tcpTo(80)[:14+20+4], drop},
	}
	udpRangeCases = []frameCase{
		{"1023", udpTo(1023), drop}, {"1024", udpTo(1024), pass}, {"1500", udpTo(1500), pass},
		{"2048", udpTo(2048), pass}, {"2049", udpTo(2049), drop}, {"53", udpTo(53), drop},
		{"TCP 1500", tcpTo(1500), drop},
		{"UDP header cut after the ports", udpTo(1500)[:14+20+4], drop},
	}
	dualStackCases = []frameCase{
		{"IPv4 port 80", tcpTo(80), pass}, {"IPv6 port 80", tcp6To(80), pass},
		{"IPv4 port 81", tcpTo(81), drop}, {"IPv6 port 81", tcp6To(81), drop},
		{"IPv4 options port 80", ipv4Options(80), pass},
		{"IPv6 UDP port 80", packet.Spec{IPv6: true, Protocol: packet.IPProtoUDP, DstPort: 80}.MustBuild(), drop},
		{"IPv6 hop-by-hop then TCP 80", packet.MustBuild(packet.Ethernet{Src: packet.DefaultSrcMAC},
			packet.IPv6{Src: packet.DefaultSrcIP6, Dst: packet.DefaultDstIP6, HopLimit: 64}, packet.IPv6HopByHop{},
			packet.TCP{SrcPort: 1, DstPort: 80, Flags: packet.TCPSyn}), drop},
		{"IPv6 header cut", tcp6To(80)[:14+30], drop},
		{"IPv6 TCP header cut", tcp6To(80)[:14+40+10], drop},
		{"ARP", arpFrame, drop},
	}
)

func verdicts(cases []frameCase) func(*testing.T, *examples.Example) {
	return func(t *testing.T, e *examples.Example) {
		if e.Type != bpf.XDP {
			t.Fatalf("type %v, want XDP", e.Type)
		}
		prog := load(t, e).Program
		for _, c := range cases {
			if got := run(t, prog, c.frame); got != c.want {
				t.Errorf("%s (%d bytes): verdict %d, want %d", c.name, len(c.frame), got, c.want)
			}
		}
	}
}

func tcVerdicts(want uint32) func(*testing.T, *examples.Example) {
	return func(t *testing.T, e *examples.Example) {
		if e.Type != bpf.SchedCLS {
			t.Fatalf("type %v, want SchedCLS", e.Type)
		}
		prog := load(t, e).Program
		for _, c := range always(want) {
			if got := run(t, prog, c.frame); got != c.want {
				t.Errorf("%s: verdict %d, want %d", c.name, got, c.want)
			}
		}
	}
}

func testTCClassifier(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	for _, c := range []struct {
		size     int
		want     uint32
		priority uint32
	}{
		{42, asm.TCActShot, 0}, {54, asm.TCActShot, 0}, {examples.RuntMax, asm.TCActShot, 0},
		{examples.RuntMax + 1, asm.TCActOK, examples.PrioritySmall},
		{examples.SmallPacketMax, asm.TCActOK, examples.PrioritySmall},
		{examples.SmallPacketMax + 1, asm.TCActOK, examples.PriorityBulk},
		{1500, asm.TCActOK, examples.PriorityBulk},
	} {
		res, err := prog.Run(&bpf.RunOptions{Data: sized(c.size), ContextOutSize: 192}) // sizeof(struct __sk_buff)
		if err != nil {
			t.Fatalf("%d bytes: %v", c.size, err)
		}
		if res.ReturnValue != c.want {
			t.Errorf("%d bytes: verdict %d, want %d", c.size, res.ReturnValue, c.want)
		}
		if len(res.Context) < 36 {
			t.Fatalf("%d bytes: context out %d bytes", c.size, len(res.Context))
		}
		if got := binary.NativeEndian.Uint32(res.Context[asm.SkBuffPriority:]); got != c.priority {
			t.Errorf("%d bytes: skb->priority %d, want %d", c.size, got, c.priority)
		}
	}
}

func u32key(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func testMapLookup(t *testing.T, e *examples.Example) {
	l := load(t, e)
	m := l.Maps["proto_action"]
	tcp, udp := tcpTo(80), udpTo(53)
	set := func(proto, action uint32) {
		t.Helper()
		if err := m.Update(u32key(proto), u32key(action), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, frame []byte, want uint32) {
		t.Helper()
		if got := run(t, l.Program, frame); got != want {
			t.Errorf("%s: verdict %d, want %d", what, got, want)
		}
	}
	check("TCP, empty map", tcp, pass)
	check("UDP, empty map", udp, pass)
	set(6, asm.XDPDrop)
	check("TCP -> drop", tcp, drop)
	check("UDP still absent", udp, pass)
	set(17, asm.XDPTx)
	check("UDP -> tx", udp, asm.XDPTx)
	set(6, asm.XDPAborted)
	check("TCP -> aborted", tcp, aborted)
	set(6, 99)
	check("TCP -> invalid action 99", tcp, pass)
	check("ARP", arpFrame, pass)
}

func testMapCounter(t *testing.T, e *examples.Example) {
	l := load(t, e)
	for _, c := range []struct {
		frame  []byte
		repeat uint32
	}{{tcpTo(80), 7}, {udpTo(53), 3}, {icmpFrom(srcA), 2}, {arpFrame, 5}, {tcp6To(80), 4}} {
		res, err := l.Program.Run(&bpf.RunOptions{Data: c.frame, Repeat: c.repeat})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != pass {
			t.Errorf("verdict %d, want XDP_PASS", res.ReturnValue)
		}
	}
	want := map[uint32]uint64{6: 7, 17: 3, 1: 2}
	v := make([]byte, 8)
	for k := uint32(0); k < 256; k++ {
		if err := l.Maps["pkt_count"].Lookup(u32key(k), v); err != nil {
			t.Fatal(err)
		}
		if got := binary.NativeEndian.Uint64(v); got != want[k] {
			t.Errorf("pkt_count[%d] = %d, want %d", k, got, want[k])
		}
	}
}

func key4(a netip.Addr) []byte { b := a.As4(); return b[:] }

func lookupU64(t *testing.T, m *bpf.Map, key []byte) (uint64, bool) {
	t.Helper()
	v := make([]byte, 8)
	err := m.Lookup(key, v)
	if errors.Is(err, bpf.ErrKeyNotExist) {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(v), true
}

func testSYNFlood(t *testing.T, e *examples.Example) {
	l := load(t, e)
	m := l.Maps["syn_count"]
	synA := packet.Spec{SrcIP: srcA, DstIP: packet.DefaultDstIP, TCPFlags: packet.TCPSyn}.MustBuild()
	synB := packet.Spec{SrcIP: srcB, DstIP: packet.DefaultDstIP, TCPFlags: packet.TCPSyn}.MustBuild()
	synAckA := packet.Spec{SrcIP: srcA, DstIP: packet.DefaultDstIP, TCPFlags: packet.TCPSyn | packet.TCPAck}.MustBuild()
	ackA := packet.Spec{SrcIP: srcA, DstIP: packet.DefaultDstIP, TCPFlags: packet.TCPAck}.MustBuild()
	count := func(src netip.Addr) uint64 { n, _ := lookupU64(t, m, key4(src)); return n }

	res, err := l.Program.Run(&bpf.RunOptions{Data: synA, Repeat: examples.SYNFloodThreshold})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != pass || count(srcA) != examples.SYNFloodThreshold {
		t.Fatalf("after %d SYNs: verdict %d, count %d; want pass and %d", examples.SYNFloodThreshold,
			res.ReturnValue, count(srcA), examples.SYNFloodThreshold)
	}
	if got := run(t, l.Program, synA); got != drop {
		t.Errorf("SYN %d: verdict %d, want drop", examples.SYNFloodThreshold+1, got)
	}
	if got := count(srcA); got != examples.SYNFloodThreshold+1 {
		t.Errorf("count %d, want %d", got, examples.SYNFloodThreshold+1)
	}
	for name, f := range map[string][]byte{"SYN-ACK": synAckA, "ACK": ackA, "UDP": udpTo(53), "ARP": arpFrame} {
		if got := run(t, l.Program, f); got != pass {
			t.Errorf("%s from the flooding source: verdict %d, want pass", name, got)
		}
	}
	if got := count(srcA); got != examples.SYNFloodThreshold+1 {
		t.Errorf("non-SYN frames counted: %d", got)
	}
	if got := run(t, l.Program, synB); got != pass || count(srcB) != 1 {
		t.Errorf("SYN from another source: verdict %d, count %d", got, count(srcB))
	}
	if got := run(t, l.Program, synA[:14+20+10]); got != drop {
		t.Errorf("truncated TCP header: verdict %d, want drop", got)
	}
	// A new window: user space clears the source.
	if err := m.Delete(key4(srcA)); err != nil {
		t.Fatal(err)
	}
	if got := run(t, l.Program, synA); got != pass || count(srcA) != 1 {
		t.Errorf("after clearing: verdict %d, count %d", got, count(srcA))
	}
}

func testICMPRateLimiter(t *testing.T, e *examples.Example) {
	l := load(t, e)
	icmpA, icmpB := icmpFrom(srcA), icmpFrom(srcB)
	start := time.Now()
	var got []uint32
	for range examples.ICMPBurst + 1 {
		got = append(got, run(t, l.Program, icmpA))
	}
	elapsed := time.Since(start)
	// Tokens come back at ICMPRate per second: within 1/ICMPRate the burst is exact.
	if elapsed >= time.Second/examples.ICMPRate {
		t.Fatalf("the %d runs took %v, longer than a token's refill: the burst cannot be checked", len(got), elapsed)
	}
	for i, v := range got {
		want := pass
		if i >= examples.ICMPBurst {
			want = drop
		}
		if v != want {
			t.Errorf("echo %d of %d within %v: verdict %d, want %d (all: %v)", i+1, len(got), elapsed, v, want, got)
		}
	}
	if v := run(t, l.Program, icmpB); v != pass {
		t.Errorf("another source: verdict %d, want pass", v)
	}
	if v := run(t, l.Program, packet.Spec{SrcIP: srcA, DstIP: packet.DefaultDstIP}.MustBuild()); v != pass {
		t.Errorf("TCP from the limited source: verdict %d, want pass", v)
	}
	if v := run(t, l.Program, icmpA[:14+12]); v != drop {
		t.Errorf("truncated IPv4: verdict %d, want drop", v)
	}
	raw := make([]byte, ratelimit.BucketSize)
	if err := l.Maps["icmp_buckets"].Lookup(key4(srcA), raw); err != nil {
		t.Fatal(err)
	}
	var b ratelimit.Bucket
	if err := b.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if b.Tokens >= ratelimit.TokenScale || b.Last == 0 {
		t.Errorf("bucket of the limited source %+v: want less than one token and a refill time", b)
	}
	if _, err := lookupRaw(l.Maps["icmp_buckets"], key4(srcB)); err != nil {
		t.Errorf("bucket of the other source: %v", err)
	}
}

func lookupRaw(m *bpf.Map, key []byte) ([]byte, error) {
	v := make([]byte, m.ValueBufferSize())
	return v, m.Lookup(key, v)
}

func testIPAllowlist(t *testing.T, e *examples.Example) {
	l := load(t, e)
	m := l.Maps["ip_allowlist"]
	fromA := packet.Spec{SrcIP: srcA, DstIP: packet.DefaultDstIP}.MustBuild()
	fromB := packet.Spec{SrcIP: srcB, DstIP: packet.DefaultDstIP, Protocol: packet.IPProtoUDP}.MustBuild()
	if got := run(t, l.Program, fromA); got != drop {
		t.Errorf("empty allowlist: verdict %d, want drop", got)
	}
	if err := m.Update(key4(srcA), make([]byte, 8), bpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	if got := run(t, l.Program, fromA); got != pass {
		t.Errorf("allowed source: verdict %d, want pass", got)
	}
	if _, err := l.Program.Run(&bpf.RunOptions{Data: fromA, Repeat: 4}); err != nil {
		t.Fatal(err)
	}
	if hits, ok := lookupU64(t, m, key4(srcA)); !ok || hits != 5 {
		t.Errorf("hits of the allowed source: %d (present %v), want 5", hits, ok)
	}
	if got := run(t, l.Program, fromB); got != drop {
		t.Errorf("other source: verdict %d, want drop", got)
	}
	if _, ok := lookupU64(t, m, key4(srcB)); ok {
		t.Error("the dropped source was added to the map")
	}
	if got := run(t, l.Program, fromA[:14+16]); got != drop {
		t.Errorf("truncated IPv4 from an allowed source: verdict %d, want drop", got)
	}
	for name, f := range map[string][]byte{"ARP": arpFrame, "IPv6": tcp6To(80)} {
		if got := run(t, l.Program, f); got != pass {
			t.Errorf("%s: verdict %d, want pass", name, got)
		}
	}
}

// rawTracepoint loads e's body as a raw tracepoint program, which BPF_PROG_TEST_RUN can run and
// this kernel can attach.
func rawTracepoint(t *testing.T, e *examples.Example, maps examples.Maps) *bpf.Program {
	t.Helper()
	spec, err := e.Build(maps)
	if err != nil {
		t.Fatal(err)
	}
	spec.Type = bpf.RawTracepoint
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		t.Fatalf("load as raw tracepoint: %+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// getpidSymbol is the kernel function of getpid(2) on this architecture.
func getpidSymbol(t *testing.T) string {
	switch runtime.GOARCH {
	case "amd64":
		return "__x64_sys_getpid"
	case "arm64":
		return "__arm64_sys_getpid"
	}
	t.Skipf("no getpid symbol known for %s", runtime.GOARCH)
	return ""
}

func testTracePrintk(t *testing.T, e *examples.Example) {
	l := load(t, e) // as a kprobe: loading works without CONFIG_KPROBES
	if l.Program.Type() != bpf.Kprobe {
		t.Fatalf("type %v", l.Program.Type())
	}
	line := fmt.Sprintf(examples.TracePrintkFormat, os.Getpid())
	prog := rawTracepoint(t, e, nil)
	res, err := prog.Run(&bpf.RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if int(res.ReturnValue) != len(line) {
		t.Errorf("bpf_trace_printk wrote %d bytes, want %d (%q)", res.ReturnValue, len(line), line)
	}
	t.Run("kprobe", func(t *testing.T) {
		testutil.RequireFeature(t, "kprobes", link.HaveKprobes)
		tracefs := testutil.EnsureTracefs(t)
		lk, err := link.Kprobe(getpidSymbol(t), l.Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Close()
		deadline := time.Now().Add(testutil.LatencyBound(2 * time.Second))
		for {
			unix.Getpid()
			b, err := os.ReadFile(tracefs + "/trace")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), strings.TrimSuffix(line, "\n")) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q not in %s/trace", line, tracefs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func monotonic(t *testing.T) uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano())
}

func testTimestamp(t *testing.T, e *examples.Example) {
	l := load(t, e)
	m := l.Maps["timestamps"]
	me := u32key(uint32(os.Getpid()))
	checkStamp := func(what string, before, after uint64) {
		t.Helper()
		ts, ok := lookupU64(t, m, me)
		if !ok || ts < before || ts > after {
			t.Errorf("%s: timestamps[%d] = %d (present %v), want in [%d, %d]", what, os.Getpid(), ts, ok, before, after)
		}
	}
	// The same body as a raw tracepoint, run by BPF_PROG_TEST_RUN in this process.
	prog := rawTracepoint(t, e, l.Maps)
	before := monotonic(t)
	if _, err := prog.Run(&bpf.RunOptions{Context: make([]byte, 8)}); err != nil {
		t.Fatal(err)
	}
	checkStamp("test run", before, monotonic(t))

	// Attached for real to the sys_enter raw tracepoint: our own syscalls stamp our tgid. The
	// key is there already (zeroed), so the update succeeds even if other processes' syscalls
	// fill the map meanwhile.
	t.Run("raw tracepoint sys_enter", func(t *testing.T) {
		if err := m.Update(me, make([]byte, 8), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
		lk, err := link.AttachRawTracepoint("sys_enter", prog)
		if err != nil {
			t.Fatal(err)
		}
		before := monotonic(t)
		unix.Getpid()
		if err := lk.Close(); err != nil {
			t.Fatal(err)
		}
		// Other threads of this process may enter syscalls until the link is gone: bound by now.
		checkStamp("attached", before, monotonic(t))
	})
	t.Run("kprobe", func(t *testing.T) {
		testutil.RequireFeature(t, "kprobes", link.HaveKprobes)
		if err := m.Update(me, make([]byte, 8), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
		lk, err := link.Kprobe(getpidSymbol(t), l.Program, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := monotonic(t)
		unix.Getpid()
		after := monotonic(t)
		if err := lk.Close(); err != nil {
			t.Fatal(err)
		}
		checkStamp("kprobe", before, after)
	})
}

// runSyscall runs a syscall program with ctx as its context and returns the context it left.
func runSyscall(t *testing.T, prog *bpf.Program, ctx []byte) []byte {
	t.Helper()
	res, err := prog.Run(&bpf.RunOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 0 {
		t.Fatalf("return value %d", res.ReturnValue)
	}
	return res.Context
}

// operands are the inputs of the demos: edge cases and pseudo-random values.
func operands() [][2]uint64 {
	ops := [][2]uint64{
		{0, 0}, {1, 0}, {100, 7}, {7, 100}, {^uint64(0), 1}, {^uint64(0), ^uint64(0)},
		{1 << 63, 3}, {uint64(1<<64 - 5), 2}, {12345, 64}, {12345, 65}, {0x8000000000000001, 63},
		{uint64(1<<64 - 50), 150}, {42, uint64(1<<64 - 1000)},
	}
	x := uint64(0x9e3779b97f4a7c15)
	for range 50 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		a := x
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		ops = append(ops, [2]uint64{a, x >> (a % 64)})
	}
	return ops
}

func encode(vals ...uint64) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.NativeEndian.AppendUint64(b, v)
	}
	return b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := binary.Read(bytes.NewReader(b), binary.NativeEndian, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func testArithmetic(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	for _, op := range operands() {
		a, b := op[0], op[1]
		ctx := append(encode(a, b), make([]byte, examples.ArithmeticContextSize-16)...)
		got := decode[examples.ArithmeticContext](t, runSyscall(t, prog, ctx))
		want := examples.ArithmeticContext{A: a, B: b, Sum: a + b, Diff: a - b, Product: a * b,
			Quotient: 0, Remainder: a, Neg: -a, Mix32: uint64(uint32(a)*7 + uint32(b) - 3)}
		if b != 0 { // BPF: x/0 = 0, x%0 = x
			want.Quotient, want.Remainder = a/b, a%b
		}
		if got != want {
			t.Errorf("a=%#x b=%#x:\n got %+v\nwant %+v", a, b, got, want)
		}
	}
}

func testBitwise(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	for _, op := range operands() {
		a, b := op[0], op[1]
		ctx := append(encode(a, b), make([]byte, examples.BitwiseContextSize-16)...)
		got := decode[examples.BitwiseContext](t, runSyscall(t, prog, ctx))
		s := b & 63
		want := examples.BitwiseContext{A: a, B: b, And: a & b, Or: a | b, Xor: a ^ b,
			Lsh: a << s, Rsh: a >> s, Arsh: uint64(int64(a) >> s), Not: ^a,
			BE16: uint64(binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, uint16(a))))}
		if got != want {
			t.Errorf("a=%#x b=%#x:\n got %+v\nwant %+v", a, b, got, want)
		}
	}
}

func testConditional(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	for _, op := range append(operands(), [2]uint64{uint64(1<<64 - 10), 0}, [2]uint64{uint64(1<<64 - 11), 0},
		[2]uint64{100, 0}, [2]uint64{101, 0}, [2]uint64{5, 4}) {
		a, b := op[0], op[1]
		ctx := append(encode(a, b), make([]byte, examples.ConditionalContextSize-16)...)
		got := decode[examples.ConditionalContext](t, runSyscall(t, prog, ctx))
		want := examples.ConditionalContext{A: a, B: b, MaxU: max(a, b), MinS: uint64(min(int64(a), int64(b))),
			Clamp: uint64(min(max(int64(a), examples.ClampLow), examples.ClampHigh))}
		switch {
		case int64(a) < 0:
			want.Sign = ^uint64(0)
		case a > 0:
			want.Sign = 1
		}
		if a&b != 0 {
			want.BitsSet = 1
		}
		if got != want {
			t.Errorf("a=%#x b=%#x:\n got %+v\nwant %+v", a, b, got, want)
		}
	}
}

func testPerfEventOutput(t *testing.T, e *examples.Example) {
	l := load(t, e)
	rd, err := perf.NewReader(l.Maps["events"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{tcpTo(80), udpTo(53), arpFrame}
	before := monotonic(t)
	for _, f := range frames {
		if got := run(t, l.Program, f); got != pass {
			t.Fatalf("verdict %d, want pass", got)
		}
	}
	after := monotonic(t)
	seen := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.LatencyBound(5*time.Second))
	defer cancel()
	for range frames {
		rec, err := rd.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := rec.RawSample
		if len(s) < examples.PacketEventSize+examples.PacketEventBytes {
			t.Fatalf("sample of %d bytes", len(s))
		}
		ev := decode[examples.PacketEvent](t, s[:examples.PacketEventSize])
		if ev.Timestamp < before || ev.Timestamp > after || int(ev.IngressIfindex) != lo.Index || ev.RxQueue != 0 {
			t.Errorf("event %+v: want a time in [%d, %d], ifindex %d (lo), queue 0", ev, before, after, lo.Index)
		}
		seen[string(s[examples.PacketEventSize:examples.PacketEventSize+examples.PacketEventBytes])] = true
	}
	for _, f := range frames {
		if !seen[string(f[:examples.PacketEventBytes])] {
			t.Errorf("no sample carries the Ethernet header % x", f[:examples.PacketEventBytes])
		}
	}
}

func testGetCPUID(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for cpu := 0; cpu < 1024 && ran < set.Count(); cpu++ {
		if !set.IsSet(cpu) {
			continue
		}
		ran++
		res, err := prog.Run(&bpf.RunOptions{Context: make([]byte, 8), Flags: sys.BPF_F_TEST_RUN_ON_CPU, CPU: uint32(cpu)})
		if err != nil {
			t.Fatalf("CPU %d: %v", cpu, err)
		}
		if int(res.ReturnValue) != cpu {
			t.Errorf("run on CPU %d: returned %d", cpu, res.ReturnValue)
		}
	}
	if ran == 0 {
		t.Fatal("no CPU to run on")
	}
}

func testRingbufFlow(t *testing.T, e *examples.Example) {
	l := load(t, e)
	rd, err := ringbuf.NewReader(l.Maps["flows"])
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	tcp := packet.Spec{SrcIP: srcA, DstIP: srcB, SrcPort: 40000, DstPort: 443}.MustBuild()
	udp := packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: srcB, DstIP: srcA, SrcPort: 5353, DstPort: 53}.MustBuild()
	for _, f := range [][]byte{tcp, icmpFrom(srcA), arpFrame, tcp6To(80), tcp[:14+20+3], udp} {
		if got := run(t, l.Program, f); got != pass {
			t.Fatalf("verdict %d, want pass", got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testutil.LatencyBound(5*time.Second))
	defer cancel()
	for _, want := range []struct {
		src, dst   netip.Addr
		sport, dpt uint16
		proto      uint8
	}{{srcA, srcB, 40000, 443, 6}, {srcB, srcA, 5353, 53, 17}} {
		rec, err := rd.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Sample) != examples.FlowEventSize {
			t.Fatalf("record of %d bytes", len(rec.Sample))
		}
		ev := decode[examples.FlowEvent](t, rec.Sample)
		if netip.AddrFrom4(ev.Src) != want.src || netip.AddrFrom4(ev.Dst) != want.dst ||
			binary.BigEndian.Uint16(ev.SrcPort[:]) != want.sport || binary.BigEndian.Uint16(ev.DstPort[:]) != want.dpt ||
			ev.Proto != want.proto {
			t.Errorf("flow %+v, want %+v", ev, want)
		}
	}
	if n := rd.AvailableBytes(); n != 0 {
		t.Errorf("%d more bytes in the ring: ICMP, ARP, IPv6 or a truncated frame made a record", n)
	}
}

func testCoreTaskParent(t *testing.T, e *examples.Example) {
	prog := load(t, e).Program
	res, err := prog.Run(&bpf.RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if int(res.ReturnValue) != os.Getppid() {
		t.Errorf("real_parent->tgid = %d, want getppid() = %d", res.ReturnValue, os.Getppid())
	}
}

// TestBuildChecksMaps: a map that does not match the example's spec is refused by name, and a
// Loaded closes once.
func TestBuildChecksMaps(t *testing.T) {
	testutil.RequireRoot(t)
	e, err := examples.Get("ip-allowlist")
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := bpf.NewMap(&bpf.MapSpec{Name: "ip_allowlist", Type: bpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	_, err = e.Build(examples.Maps{"ip_allowlist": wrong})
	if err == nil || !strings.Contains(err.Error(), `map "ip_allowlist"`) || !strings.Contains(err.Error(), "value size") {
		t.Errorf("Build with a 4-byte value map: %v, want an error naming the map and its value size", err)
	}

	l, err := examples.Load("perf-event-output")
	if err != nil {
		t.Fatal(err)
	}
	if n := l.Maps["events"].MaxEntries(); n == 0 {
		t.Error("perf event array created with 0 entries")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := examples.Load("no-such-example"); !errors.Is(err, examples.ErrUnknown) {
		t.Errorf("Load(unknown) = %v", err)
	}
}
