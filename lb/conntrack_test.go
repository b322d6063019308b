package lb

import (
	"net/netip"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
)

func replyEntry(t *testing.T, l *LB, f Flow) (Conn, bool) {
	t.Helper()
	it := l.Conns()
	var c Conn
	found := false
	for fl, cn := range it.All() {
		if fl == f {
			c, found = cn, true
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return c, found
}

// TestConntrackRefresh: later packets of a flow refresh both entries' time (in place, on the
// fast path), replies refresh the reply entry, and a reply entry the LRU lost is written again
// by the next packet of the flow.
func TestConntrackRefresh(t *testing.T) {
	l := newTestLB(t, nil)
	svc := Service{Port: 53, Proto: UDP}
	mustAddService(t, l, svc, backend1)
	req := fr{proto: UDP, src: client, dst: netip.AddrPortFrom(vip, 53), payload: []byte("q")}
	flow := Flow{Proto: UDP, Backend: backend1, Client: client}
	fwdKey := connKey{Proto: uint8(UDP), Dir: dirForward, Src: client.Addr().As4(), Dst: vip.As4(), SrcPort: be16(client.Port()), DstPort: be16(53)}
	revKey := connKey{Proto: uint8(UDP), Dir: dirReply, Src: backend1.Addr().As4(), Dst: client.Addr().As4(), SrcPort: be16(backend1.Port()), DstPort: be16(client.Port())}

	var last time.Duration
	step := func(what string) {
		t.Helper()
		c, ok := replyEntry(t, l, flow)
		if !ok {
			t.Fatalf("%s: no reply entry", what)
		}
		if c.LastSeen <= last {
			t.Errorf("%s: last seen %v, not after %v", what, c.LastSeen, last)
		}
		fwd, err := l.ct.Lookup(fwdKey)
		if err != nil {
			t.Fatalf("%s: forward entry: %v", what, err)
		}
		if time.Duration(fwd.LastSeen) < last {
			t.Errorf("%s: forward entry last seen %v, before %v", what, time.Duration(fwd.LastSeen), last)
		}
		last = c.LastSeen
	}
	runProg(t, l.Ingress(), req.build(t))
	step("first packet")
	time.Sleep(time.Millisecond)
	runProg(t, l.Ingress(), req.build(t))
	step("second packet")
	time.Sleep(time.Millisecond)
	runProg(t, l.Egress(), req.with(backend1, client).build(t))
	step("reply")

	// The LRU evicted the reply entry: the next packet restores it.
	if err := l.ct.Delete(revKey); err != nil {
		t.Fatal(err)
	}
	runProg(t, l.Ingress(), req.build(t))
	step("packet after the reply entry was lost")

	// A reply entry that names another VIP (the same backend and client port seen through
	// another service) is rewritten by the next packet of this flow.
	stale := connValue{Addr: netip.MustParseAddr("10.0.0.200").As4(), Port: be16(53), Service: 0}
	if err := l.ct.Update(revKey, stale, bpf.UpdateExist); err != nil {
		t.Fatal(err)
	}
	runProg(t, l.Ingress(), req.build(t))
	if c, _ := replyEntry(t, l, flow); c.VIP != req.dst {
		t.Errorf("stale reply entry not rewritten: VIP %v, want %v", c.VIP, req.dst)
	}
	st, _ := l.Stats(svc)
	if st.ByFlow != 3 || st.ByDefault != 1 || st.Replies != 1 {
		t.Errorf("stats %+v: want 1 by default, 3 by flow, 1 reply", st)
	}
}
