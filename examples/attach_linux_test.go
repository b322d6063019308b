//go:build linux

package examples_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// TestAttachUDPPortRange attaches xdp-udp-port-range to a veth end for real and sends it UDP
// datagrams from the other end: those to a port in 1024-2048 arrive, the others are dropped
// before the stack sees them. The sender has a static neighbour entry, since the filter drops
// ARP too.
func TestAttachUDPPortRange(t *testing.T) {
	testutil.RequireRoot(t)
	l, err := examples.Load("xdp-udp-port-range")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	v := testutil.NewVeth(t)
	lnk, err := v.B.Handle(t).LinkByIndex(v.IndexB)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.A.Handle(t).NeighAdd(&netlink.Neigh{LinkIndex: v.IndexA, IP: v.AddrB,
		HardwareAddr: lnk.Attrs().HardwareAddr, State: netlink.NUD_PERMANENT}); err != nil {
		t.Fatal(err)
	}

	const inRange, outOfRange = 1500, 3000
	conns := map[int]*net.UDPConn{}
	if err := v.B.Do(func() error {
		for _, port := range []int{inRange, outOfRange} {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: v.AddrB, Port: port})
			if err != nil {
				return err
			}
			conns[port] = c
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		defer c.Close()
	}
	var xl *link.XDPLink
	if err := v.B.Do(func() error {
		var err error
		xl, err = link.AttachXDP(link.XDPOptions{Program: l.Program, Interface: v.IndexB})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer xl.Close()

	const n = 5
	if err := v.A.Do(func() error {
		for _, port := range []int{outOfRange, inRange} {
			c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: v.AddrB, Port: port})
			if err != nil {
				return err
			}
			for i := range n {
				if _, err := fmt.Fprintf(c, "datagram %d to %d", i, port); err != nil {
					c.Close()
					return err
				}
			}
			c.Close()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	received := func(c *net.UDPConn, wait time.Duration) int {
		got := 0
		buf := make([]byte, 128)
		for got < n {
			c.SetReadDeadline(time.Now().Add(wait))
			if _, _, err := c.ReadFromUDP(buf); err != nil {
				return got
			}
			got++
		}
		return got
	}
	// The out-of-range datagrams were sent first: once the in-range ones are in, they would be too.
	if got := received(conns[inRange], testutil.LatencyBound(2*time.Second)); got != n {
		t.Errorf("port %d (in range): %d of %d datagrams arrived", inRange, got, n)
	}
	if got := received(conns[outOfRange], testutil.LatencyBound(100*time.Millisecond)); got != 0 {
		t.Errorf("port %d (out of range): %d datagrams arrived, want 0 (dropped by XDP)", outOfRange, got)
	}
}
