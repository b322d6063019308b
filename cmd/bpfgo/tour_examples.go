package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/packet"
)

func init() {
	tour.Register(tour.Chapter{Order: 85, Name: "examples", Run: tourExamples})
}

// tourExamples lists the catalogue and runs a few examples on real frames, checking verdicts
// and map read-backs.
func tourExamples(ctx context.Context, w io.Writer) error {
	list := examples.List()
	fmt.Fprintf(w, "the catalogue: %d ready programs (clj-ebpf.examples), each kernel-tested\n", len(list))
	var last examples.Category
	for _, e := range list {
		if e.Category != last {
			fmt.Fprintf(w, "  %s:\n", e.Category)
			last = e.Category
		}
		fmt.Fprintf(w, "    %-28s %s\n", e.Name, e.Type.KernelName())
	}

	type frame struct {
		name  string
		frame []byte
		want  uint32
	}
	runAll := func(l *examples.Loaded, frames []frame) error {
		for _, f := range frames {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := l.Program.Run(&bpf.RunOptions{Data: f.frame})
			if err != nil {
				return fmt.Errorf("%s: %s: %w", l.Example.Name, f.name, err)
			}
			fmt.Fprintf(w, "  %-34s %-12s (%v)\n", f.name, xdpVerdict(res.ReturnValue), res.Duration)
			if res.ReturnValue != f.want {
				return fmt.Errorf("%s: %s: verdict %s, want %s", l.Example.Name, f.name, xdpVerdict(res.ReturnValue), xdpVerdict(f.want))
			}
		}
		return nil
	}
	load := func(name string) (*examples.Loaded, error) {
		l, err := examples.Load(name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "\n%s: %d instructions, accepted by the verifier\n", name, l.Example.Instructions().EncodedSize()/asm.InstructionSize)
		return l, nil
	}

	tcp := func(port uint16) []byte { return packet.Spec{DstPort: port}.MustBuild() }
	udp := func(port uint16) []byte { return packet.Spec{Protocol: packet.IPProtoUDP, DstPort: port}.MustBuild() }
	for _, c := range []struct {
		name   string
		frames []frame
	}{
		{"xdp-tcp-port-filter", []frame{
			{"TCP to port 80", tcp(80), asm.XDPPass},
			{"TCP to port 81", tcp(81), asm.XDPDrop},
			{"UDP to port 80", udp(80), asm.XDPDrop},
			{"TCP header cut after the ports", tcp(80)[:14+20+4], asm.XDPDrop},
		}},
		{"xdp-udp-port-range", []frame{
			{"UDP to 1023", udp(1023), asm.XDPDrop},
			{"UDP to 1024", udp(1024), asm.XDPPass},
			{"UDP to 2048", udp(2048), asm.XDPPass},
			{"UDP to 2049", udp(2049), asm.XDPDrop},
		}},
	} {
		l, err := load(c.name)
		if err != nil {
			return err
		}
		err = runAll(l, c.frames)
		l.Close()
		if err != nil {
			return err
		}
	}

	// An allowlist the program consults, with hits counted in the map.
	l, err := load("ip-allowlist")
	if err != nil {
		return err
	}
	defer l.Close()
	allowed, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	key := allowed.As4()
	if err := l.Maps["ip_allowlist"].Update(key[:], make([]byte, 8), bpf.UpdateAny); err != nil {
		return err
	}
	fmt.Fprintf(w, "  allowlist: %v\n", allowed)
	from := func(a netip.Addr) []byte { return packet.Spec{SrcIP: a, DstIP: packet.DefaultDstIP}.MustBuild() }
	if err := runAll(l, []frame{
		{"from " + allowed.String(), from(allowed), asm.XDPPass},
		{"from " + other.String(), from(other), asm.XDPDrop},
		{"from " + allowed.String() + " again", from(allowed), asm.XDPPass},
	}); err != nil {
		return err
	}
	v := make([]byte, 8)
	if err := l.Maps["ip_allowlist"].Lookup(key[:], v); err != nil {
		return err
	}
	hits := binary.NativeEndian.Uint64(v)
	fmt.Fprintf(w, "  hits read back from the map: %d\n", hits)
	if hits != 2 {
		return fmt.Errorf("ip-allowlist: %d hits, want 2", hits)
	}

	// The ALU demo: the kernel computes, Go checks.
	demo, err := load("arithmetic-demo")
	if err != nil {
		return err
	}
	defer demo.Close()
	res, err := demo.Program.Run(&bpf.RunOptions{Context: demo.Example.SampleContext()})
	if err != nil {
		return err
	}
	u := func(i int) uint64 { return binary.NativeEndian.Uint64(res.Context[8*i:]) }
	a, b := u(0), u(1)
	fmt.Fprintf(w, "  a=%d b=%d: sum %d, difference %d, product %d, quotient %d, remainder %d\n", a, b, u(2), u(3), u(4), u(5), u(6))
	if u(2) != a+b || u(3) != a-b || u(4) != a*b || u(5) != a/b || u(6) != a%b {
		return fmt.Errorf("arithmetic-demo: the kernel's results differ from Go's")
	}
	fmt.Fprintf(w, "  the same as Go computes\n")
	return nil
}
