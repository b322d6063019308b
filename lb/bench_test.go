package lb

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/packet"
)

// benchRun measures the program's in-kernel time per packet with BPF_PROG_TEST_RUN's repeat
// and reports it as ns/pkt (the Go-side ns/op includes the syscall and the copies).
//
// The kernel runs the repetitions on one buffer, so a program that rewrites the frame would
// see its own output from the second run on. The benchmarks therefore balance to a backend
// equal to the address the frame is sent to: every rewrite, checksum update and conntrack
// write happens, and the frame stays the same. benchRun checks that.
func benchRun(b *testing.B, p *bpf.Program, frame []byte) {
	const repeat = 1000
	opts := &bpf.RunOptions{Data: frame, Repeat: repeat, DataOut: make([]byte, len(frame)+256)}
	var total float64
	n := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)) * repeat)
	for b.Loop() {
		res, err := p.Run(opts)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(res.Data, frame) {
			b.Fatal("the frame changed: the repetitions would not measure the same path")
		}
		total += float64(res.Duration.Nanoseconds())
		n++
	}
	b.ReportMetric(total/float64(n), "ns/pkt")
}

func BenchmarkIngress(b *testing.B) {
	l := newTestLB(b, nil)
	web := Service{Port: 80, Proto: TCP}
	tls := Service{Port: 443, Proto: TCP}
	dns := Service{Port: 53, Proto: UDP}
	mustAddService(b, l, web, netip.AddrPortFrom(vip, 80))
	mustAddService(b, l, tls, backend0)
	mustAddService(b, l, dns, netip.AddrPortFrom(vip, 53))
	if err := l.AddSNIRoute(tls, "api.example.com", netip.AddrPortFrom(vip, 443)); err != nil {
		b.Fatal(err)
	}
	if err := l.AddSourceRoute(web, netip.MustParsePrefix("198.51.100.0/24"), netip.AddrPortFrom(vip, 80)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		in   fr
	}{
		{"DNAT-TCP", fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 80)}},
		{"DNAT-UDP", fr{proto: UDP, src: client, dst: netip.AddrPortFrom(vip, 53), payload: make([]byte, 64)}},
		{"SourceRoute", fr{proto: TCP, src: netip.MustParseAddrPort("198.51.100.7:1000"), dst: netip.AddrPortFrom(vip, 80)}},
		{"SNI", fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 443), payload: clientHello(b, "api.example.com"), tcpFlags: packet.TCPPsh | packet.TCPAck}},
		{"NoService", fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 22)}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchRun(b, l.Ingress(), bc.in.build(b)) })
	}
	st, err := l.Stats(tls)
	if err != nil || st.BySNI == 0 {
		b.Fatalf("SNI benchmark did not route by SNI: %+v, %v", st, err)
	}
}

func BenchmarkEgress(b *testing.B) {
	l := newTestLB(b, nil)
	mustAddService(b, l, Service{Port: 80, Proto: TCP}, netip.AddrPortFrom(vip, 80))
	req := fr{proto: TCP, src: client, dst: netip.AddrPortFrom(vip, 80)}
	runProg(b, l.Ingress(), req.build(b)) // conntrack: reply vip:80 -> client restores vip:80
	b.Run("SNAT-TCP", func(b *testing.B) { benchRun(b, l.Egress(), req.with(req.dst, client).build(b)) })
	b.Run("NoFlow", func(b *testing.B) {
		benchRun(b, l.Egress(), req.with(netip.MustParseAddrPort("10.9.9.9:1"), client).build(b))
	})
	st, err := l.Stats(Service{Port: 80, Proto: TCP})
	if err != nil || st.Replies == 0 {
		b.Fatalf("SNAT benchmark rewrote no reply: %+v, %v", st, err)
	}
}
