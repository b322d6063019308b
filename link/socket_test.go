//go:build linux

package link_test

import (
	"errors"
	"net"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// TestSocketFilter attaches a counting filter to a UDP socket: keeping the
// whole packet (return -1) every datagram arrives and is counted; returning 0
// drops them; after Close datagrams arrive uncounted.
func TestSocketFilter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ret     int32
		deliver bool
	}{
		{"keep", -1, true},
		{"drop", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := testutil.NewNetNS(t)
			prog, counts := newCounter(t, counterSpec{typ: bpf.SocketFilter, ret: tc.ret})
			closeAll(t, prog, counts)
			var rx, tx *net.UDPConn
			if err := ns.Do(func() (err error) {
				if rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
					return err
				}
				tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			defer tx.Close()
			f, err := link.AttachSocketFilter(rx, prog)
			if err != nil {
				t.Fatal(err)
			}
			const n = 5
			wait, want := netRecvTimeout, n
			if !tc.deliver {
				wait, want = netSilence, 0
			}
			if got := netExchange(t, tx, rx, n, wait); got != want {
				t.Errorf("received %d datagrams, want %d", got, want)
			}
			if c := count(t, counts); c != n {
				t.Errorf("filter ran %d times for %d datagrams", c, n)
			}
			if _, err := f.Info(); !errors.Is(err, link.ErrNotSupported) {
				t.Errorf("Info: %v, want ErrNotSupported", err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if got := netExchange(t, tx, rx, n, netRecvTimeout); got != n {
				t.Errorf("after Close received %d of %d", got, n)
			}
			if c := count(t, counts); c != n {
				t.Errorf("filter ran %d times after Close", c-n)
			}
		})
	}
}

// TestSocketFilterClosedSocket detaches from a socket closed in the meantime.
func TestSocketFilterClosedSocket(t *testing.T) {
	prog, counts := newCounter(t, counterSpec{typ: bpf.SocketFilter, ret: -1})
	closeAll(t, prog, counts)
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := link.AttachSocketFilter(c, prog)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := f.Close(); err != nil {
		t.Errorf("close after the socket closed: %v", err)
	}
	if _, err := link.AttachSocketFilter(nil, prog); err == nil {
		t.Error("attach to nil socket succeeded")
	}
}
