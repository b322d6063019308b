package lb

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

var (
	vip      = netip.MustParseAddr("10.0.0.100")
	client   = netip.MustParseAddrPort("192.0.2.1:40000")
	backend0 = netip.MustParseAddrPort("10.1.0.10:8080")
	backend1 = netip.MustParseAddrPort("10.1.0.11:8081")
	backend2 = netip.MustParseAddrPort("10.1.0.12:8082")
	backend3 = netip.MustParseAddrPort("10.1.0.13:8083")
)

// fr describes a test frame; build makes it with the packet package, which computes every
// length and checksum from scratch (the independent oracle for the programs' incremental
// updates).
type fr struct {
	proto      Proto
	src, dst   netip.AddrPort
	payload    []byte
	ipOptions  []byte
	noUDPCsum  bool
	tcpFlags   packet.TCPFlags
	fragFlags  packet.IPv4Flags
	fragOffset uint16
}

func (f fr) build(t testing.TB) []byte {
	t.Helper()
	layers := []packet.Layer{
		&packet.Ethernet{Src: packet.DefaultSrcMAC, Dst: packet.DefaultDstMAC},
		&packet.IPv4{Src: f.src.Addr(), Dst: f.dst.Addr(), TTL: 64, ID: 0x1234, Options: f.ipOptions,
			Flags: f.fragFlags, FragOffset: f.fragOffset},
	}
	switch f.proto {
	case UDP:
		layers = append(layers, &packet.UDP{SrcPort: f.src.Port(), DstPort: f.dst.Port(), NoChecksum: f.noUDPCsum})
	default:
		flags := f.tcpFlags
		if flags == 0 {
			flags = packet.TCPSyn
		}
		layers = append(layers, &packet.TCP{SrcPort: f.src.Port(), DstPort: f.dst.Port(), Seq: 1000, Ack: 0,
			Flags: flags, Window: 65535})
	}
	if len(f.payload) > 0 {
		layers = append(layers, packet.Payload(f.payload))
	}
	b, err := packet.Build(layers...)
	if err != nil {
		t.Fatalf("build frame: %v", err)
	}
	return b
}

// with returns f with other addresses.
func (f fr) with(src, dst netip.AddrPort) fr {
	f.src, f.dst = src, dst
	return f
}

func newTestLB(t testing.TB, spec *Spec) *LB {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_BPF")
	testutil.RequireFeature(t, "bpf_xdp_load_bytes (Linux 5.18)", func() error {
		return bpf.HaveHelper(bpf.XDP, asm.FnXDPLoadBytes)
	})
	l, err := New(spec)
	if err != nil {
		t.Fatalf("lb.New: %+v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return l
}

func runProg(t testing.TB, p *bpf.Program, frame []byte) (uint32, []byte) {
	t.Helper()
	res, err := p.Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatalf("%s: test run: %v", p.Name(), err)
	}
	return res.ReturnValue, res.Data
}

// checkFrame verifies the output frame's checksums with the packet parser and compares it
// byte for byte with the frame built from scratch with the expected addresses.
func checkFrame(t testing.TB, what string, got []byte, want fr) {
	t.Helper()
	p, err := packet.Parse(got)
	if err != nil {
		t.Fatalf("%s: output does not parse: %v", what, err)
	}
	if err := p.VerifyChecksums(); err != nil {
		t.Errorf("%s: checksums: %v\n%v", what, err, p)
	}
	if exp := want.build(t); !bytes.Equal(got, exp) {
		t.Errorf("%s: output differs from the frame built with %v -> %v:\n got %x\nwant %x\n%v", what, want.src, want.dst, got, exp, p)
	}
}

func dstOf(t testing.TB, frame []byte) netip.AddrPort {
	t.Helper()
	p, err := packet.Parse(frame)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	ip := p.IPv4()
	if ip == nil {
		t.Fatalf("no IPv4 in %v", p)
	}
	if tcp := p.TCP(); tcp != nil {
		return netip.AddrPortFrom(ip.Dst, tcp.DstPort)
	}
	if udp := p.UDP(); udp != nil {
		return netip.AddrPortFrom(ip.Dst, udp.DstPort)
	}
	t.Fatalf("no TCP or UDP in %v", p)
	return netip.AddrPort{}
}

func mustAddService(t testing.TB, l *LB, svc Service, b netip.AddrPort) {
	t.Helper()
	if err := l.AddService(svc, b); err != nil {
		t.Fatal(err)
	}
}
