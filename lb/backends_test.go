package lb

import (
	"errors"
	"net/netip"
	"testing"
)

// TestTableSlots: slots are dealt in proportion to the weights, every weighted backend gets
// one, and zero weights get none.
func TestTableSlots(t *testing.T) {
	a, b, c := backend0, backend1, backend2
	for _, tc := range []struct {
		in   []Backend
		want map[netip.AddrPort]int
	}{
		{nil, map[netip.AddrPort]int{}},
		{[]Backend{{a, 1}}, map[netip.AddrPort]int{a: 64}},
		{[]Backend{{a, 3}, {b, 1}}, map[netip.AddrPort]int{a: 48, b: 16}},
		{[]Backend{{a, 1}, {b, 1}, {c, 1}}, map[netip.AddrPort]int{a: 22, b: 21, c: 21}},
		{[]Backend{{a, 1000000}, {b, 1}}, map[netip.AddrPort]int{a: 63, b: 1}},
		{[]Backend{{a, 5}, {b, 0}, {c, 5}}, map[netip.AddrPort]int{a: 32, c: 32}},
	} {
		got := map[netip.AddrPort]int{}
		for _, s := range tableSlots(tc.in) {
			if s.IsValid() {
				got[s]++
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%v: %v, want %v", tc.in, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%v: %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

// TestWeightedBackends: new flows spread over the weighted backends in proportion (3:1 over
// 400 flows), every packet of a flow goes to one backend, the same flow hashes to the same
// backend in another load balancer, the table read back from Go is the one dealt, and an
// empty list goes back to the default.
func TestWeightedBackends(t *testing.T) {
	l := newTestLB(t, nil)
	l2 := newTestLB(t, nil)
	svc := Service{Port: 80, Proto: TCP}
	set := []Backend{{backend1, 3}, {backend2, 1}}
	for _, x := range []*LB{l, l2} {
		mustAddService(t, x, svc, backend0)
		if err := x.SetBackends(svc, set); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := l.ServiceID(svc)
	slots := map[netip.AddrPort]int{}
	for i := range uint32(TableSize) {
		v, err := l.backends.Lookup(id*TableSize + i)
		if err != nil {
			t.Fatal(err)
		}
		slots[addrPort(v.Addr, v.Port)]++
	}
	if slots[backend1] != 48 || slots[backend2] != 16 {
		t.Errorf("table read back: %v, want 48 and 16 slots", slots)
	}

	count := map[netip.AddrPort]int{}
	const flows = 400
	for i := range flows {
		in := fr{proto: TCP, src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 7)}), uint16(30000+i)), dst: netip.AddrPortFrom(vip, 80)}
		_, out := runProg(t, l.Ingress(), in.build(t))
		got := dstOf(t, out)
		count[got]++
		checkFrame(t, "weighted", out, in.with(in.src, got))
		if i%50 == 0 {
			// The flow's next packet and the same flow in the other LB agree.
			_, again := runProg(t, l.Ingress(), in.build(t))
			_, other := runProg(t, l2.Ingress(), in.build(t))
			if g := dstOf(t, again); g != got {
				t.Errorf("flow %v: second packet to %v, first to %v", in.src, g, got)
			}
			if g := dstOf(t, other); g != got {
				t.Errorf("flow %v: another LB hashes it to %v, this one to %v", in.src, g, got)
			}
		}
	}
	// Binomial(400, 3/4): mean 300, sd 8.7; allow 5 sd.
	if count[backend1] < 256 || count[backend1] > 344 || count[backend1]+count[backend2] != flows {
		t.Errorf("flows per backend: %v, want about 300 and 100", count)
	}

	// Existing flows keep their backend when the table changes; new flows use the new one.
	old := fr{proto: TCP, src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, 0}), 30000), dst: netip.AddrPortFrom(vip, 80)}
	_, out := runProg(t, l.Ingress(), old.build(t))
	was := dstOf(t, out)
	if err := l.SetBackends(svc, []Backend{{backend3, 1}}); err != nil {
		t.Fatal(err)
	}
	if _, out = runProg(t, l.Ingress(), old.build(t)); dstOf(t, out) != was {
		t.Errorf("existing flow moved to %v from %v", dstOf(t, out), was)
	}
	fresh := fr{proto: TCP, src: netip.MustParseAddrPort("203.0.113.1:1"), dst: netip.AddrPortFrom(vip, 80)}
	if _, out = runProg(t, l.Ingress(), fresh.build(t)); dstOf(t, out) != backend3 {
		t.Errorf("new flow to %v, want %v", dstOf(t, out), backend3)
	}
	// Empty: the default again.
	if err := l.SetBackends(svc, nil); err != nil {
		t.Fatal(err)
	}
	fresh.src = netip.MustParseAddrPort("203.0.113.1:2")
	if _, out = runProg(t, l.Ingress(), fresh.build(t)); dstOf(t, out) != backend0 {
		t.Errorf("after SetBackends(nil): new flow to %v, want the default %v", dstOf(t, out), backend0)
	}
	if b, err := l.Backends(svc); err != nil || len(b) != 0 {
		t.Errorf("Backends after reset: %v, %v", b, err)
	}
	// AddService (a new default) keeps a table.
	if err := l.SetBackends(svc, set); err != nil {
		t.Fatal(err)
	}
	mustAddService(t, l, svc, backend3)
	fresh.src = netip.MustParseAddrPort("203.0.113.1:3")
	_, out = runProg(t, l.Ingress(), fresh.build(t))
	if g := dstOf(t, out); g != backend1 && g != backend2 {
		t.Errorf("after AddService: new flow to %v, want a table backend", g)
	}

	for _, bad := range [][]Backend{
		{{backend1, 0}},
		{{backend1, 1}, {backend1, 2}},
		{{netip.MustParseAddrPort("[::1]:80"), 1}},
		{{backend1, 1 << 31}, {backend2, 1 << 31}},
	} {
		if err := l.SetBackends(svc, bad); !errors.Is(err, ErrBadAddress) {
			t.Errorf("SetBackends(%v): %v, want ErrBadAddress", bad, err)
		}
	}
	if err := l.SetBackends(Service{Port: 9, Proto: UDP}, set); !errors.Is(err, ErrUnknownService) {
		t.Errorf("unknown service: %v", err)
	}
}
