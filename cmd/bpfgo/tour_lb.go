package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/lb"
	"github.com/bpfgo/bpf/packet"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 80,
		Name:  "load balancer",
		Run:   tourLB,
	})
}

// tourLBAddrs returns the source and destination address and port of a parsed frame.
func tourLBAddrs(p *packet.Packet) (src, dst netip.AddrPort, err error) {
	ip := p.IPv4()
	if ip == nil {
		return src, dst, errors.New("no IPv4 header")
	}
	switch {
	case p.TCP() != nil:
		return netip.AddrPortFrom(ip.Src, p.TCP().SrcPort), netip.AddrPortFrom(ip.Dst, p.TCP().DstPort), nil
	case p.UDP() != nil:
		return netip.AddrPortFrom(ip.Src, p.UDP().SrcPort), netip.AddrPortFrom(ip.Dst, p.UDP().DstPort), nil
	}
	return src, dst, errors.New("no TCP or UDP header")
}

// tourLBRun runs frame through prog and prints the addresses before and after; the output
// must parse with correct checksums and have want as its destination (ingress) or source
// (egress).
func tourLBRun(w io.Writer, prog *bpf.Program, name string, frame []byte, egress bool, want netip.AddrPort) error {
	res, err := prog.Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	in, err := packet.Parse(frame)
	if err != nil {
		return fmt.Errorf("%s: input: %w", name, err)
	}
	out, err := packet.Parse(res.Data)
	if err != nil {
		return fmt.Errorf("%s: output: %w", name, err)
	}
	s0, d0, err := tourLBAddrs(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s1, d1, err := tourLBAddrs(out)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := out.VerifyChecksums(); err != nil {
		return fmt.Errorf("%s: rewritten frame: %w", name, err)
	}
	fmt.Fprintf(w, "  %-28s %v > %v  =>  %v > %v  (checksums ok)\n", name, s0, d0, s1, d1)
	got := d1
	if egress {
		got = s1
	}
	if got != want {
		return fmt.Errorf("%s: rewritten to %v, want %v", name, got, want)
	}
	return nil
}

func tourLB(ctx context.Context, w io.Writer) error {
	l, err := lb.New(nil)
	if err != nil {
		return err
	}
	defer l.Close()
	ing, eg := (&lb.Spec{}).ProgramSpecs()
	fmt.Fprintf(w, "XDP ingress %q: %d instructions; TC egress %q: %d instructions; both verified\n",
		ing.Name, lbCount(ing.Instructions), eg.Name, lbCount(eg.Instructions))

	vip := netip.MustParseAddr("10.0.0.100")
	dns := lb.Service{Port: 53, Proto: lb.UDP}
	web := lb.Service{Port: 443, Proto: lb.TCP}
	def := netip.MustParseAddrPort("10.1.0.10:5353")
	webDef := netip.MustParseAddrPort("10.1.0.20:8443")
	api := netip.MustParseAddrPort("10.1.0.21:8443")
	office := netip.MustParseAddrPort("10.1.0.30:8443")
	steps := []error{
		l.AddService(dns, def),
		l.AddService(web, webDef),
		l.AddSNIRoute(web, "api.example.com", api),
		l.AddSourceRoute(web, netip.MustParsePrefix("198.51.100.0/24"), office),
	}
	if err := errors.Join(steps...); err != nil {
		return err
	}
	fmt.Fprintf(w, "services: udp/53 -> %v; tcp/443 -> %v, SNI api.example.com -> %v, source 198.51.100.0/24 -> %v\n\n",
		def, webDef, api, office)

	frames := []struct {
		name string
		spec packet.Spec
		want netip.AddrPort
	}{
		{"listen (udp/53)", packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: vip, DstPort: 53, Payload: []byte("query")}, def},
		{"SNI api.example.com", packet.Spec{SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: vip, ServerName: "API.example.com"}, api},
		{"SNI other.example.com", packet.Spec{SrcIP: netip.MustParseAddr("192.0.2.2"), DstIP: vip, ServerName: "other.example.com"}, webDef},
		{"source 198.51.100.7", packet.Spec{SrcIP: netip.MustParseAddr("198.51.100.7"), DstIP: vip, ServerName: "api.example.com"}, office},
		{"not a service (tcp/22)", packet.Spec{SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: vip, DstPort: 22}, netip.AddrPortFrom(vip, 22)},
	}
	fmt.Fprintln(w, "ingress (BPF_PROG_TEST_RUN on the XDP program):")
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return err
		}
		frame, err := f.spec.Build()
		if err != nil {
			return err
		}
		if err := tourLBRun(w, l.Ingress(), f.name, frame, false, f.want); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nconntrack (read back from the LRU map):")
	it := l.Conns()
	for f, c := range it.All() {
		fmt.Fprintf(w, "  %v %v -> client %v: replies get source %v\n", f.Proto, f.Backend, f.Client, c.VIP)
	}
	if err := it.Err(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\negress (the backend's reply through the TC program):")
	reply, err := packet.Spec{Protocol: packet.IPProtoUDP, SrcIP: def.Addr(), SrcPort: def.Port(), DstIP: netip.MustParseAddr("192.0.2.1"),
		DstPort: packet.DefaultSrcPort, Payload: []byte("answer")}.Build()
	if err != nil {
		return err
	}
	if err := tourLBRun(w, l.Egress(), "reply from the backend", reply, true, netip.AddrPortFrom(vip, 53)); err != nil {
		return err
	}
	for _, s := range []lb.Service{dns, web} {
		st, err := l.Stats(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "stats %v: %d packets (source %d, SNI %d, flow %d, default %d), %d replies\n",
			s, st.Packets, st.BySource, st.BySNI, st.ByFlow, st.ByDefault, st.Replies)
	}
	return l.Close()
}
