//go:build linux

package link_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/testutil"
)

// netRecvTimeout bounds every wait for a datagram that should arrive; a
// datagram that should not arrive is waited for netSilence.
const (
	netRecvTimeout = 5 * time.Second
	netSilence     = 300 * time.Millisecond
)

// netUDP is a UDP flow from namespace A to a receiving socket in namespace B of a veth pair.
type netUDP struct {
	tx, rx *net.UDPConn
}

// newNetUDP opens a receiver on v.AddrB:port in B and a sender connected to it in A.
func newNetUDP(t *testing.T, v *testutil.Veth) *netUDP {
	t.Helper()
	u := &netUDP{}
	err := v.B.Do(func() (err error) {
		u.rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: v.AddrB})
		return err
	})
	if err != nil {
		t.Fatalf("listen in netns B: %v", err)
	}
	t.Cleanup(func() { u.rx.Close() })
	err = v.A.Do(func() (err error) {
		u.tx, err = net.DialUDP("udp4", nil, u.rx.LocalAddr().(*net.UDPAddr))
		return err
	})
	if err != nil {
		t.Fatalf("dial in netns A: %v", err)
	}
	t.Cleanup(func() { u.tx.Close() })
	return u
}

// roundTrip sends n small datagrams and waits until all have arrived.
func (u *netUDP) roundTrip(t *testing.T, n int) {
	t.Helper()
	if got := netExchange(t, u.tx, u.rx, n, netRecvTimeout); got != n {
		t.Fatalf("received %d of %d datagrams", got, n)
	}
}

var netMarker atomic.Uint64

// netExchange sends n datagrams, each with a distinct marker, from tx and
// counts those rx receives before the deadline (stray datagrams are ignored).
func netExchange(t *testing.T, tx net.Conn, rx *net.UDPConn, n int, wait time.Duration) int {
	t.Helper()
	want := map[string]bool{}
	for range n {
		msg := fmt.Sprintf("bpfgo-%d", netMarker.Add(1))
		want[msg] = true
		if _, err := tx.Write([]byte(msg)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	deadline := time.Now().Add(wait)
	got := 0
	buf := make([]byte, 256)
	for got < n {
		rx.SetReadDeadline(deadline)
		k, err := rx.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if want[string(buf[:k])] {
			delete(want, string(buf[:k]))
			got++
		}
	}
	return got
}

// netCgroup creates a child cgroup of the cgroup v2 root, removed by t.Cleanup.
func netCgroup(t *testing.T) string {
	t.Helper()
	testutil.RequireRoot(t)
	root, err := testutil.Cgroup2Root()
	if err != nil {
		testutil.SetupProblem(t, "cgroup v2: %v", err)
	}
	dir, err := os.MkdirTemp(root, "bpfgo-link-")
	if err != nil {
		t.Fatalf("create cgroup: %v", err)
	}
	t.Cleanup(func() {
		// A thread that exited inside the cgroup (the namespace threads do)
		// keeps it busy until the kernel has released it: retry for a bounded time.
		deadline := time.Now().Add(netRecvTimeout)
		for {
			err := os.Remove(dir)
			if err == nil {
				return
			}
			if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
				t.Errorf("remove cgroup: %v", err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return dir
}

// inCgroup moves the whole test process into the cgroup at dir, runs fn, and
// moves it back. Sockets fn creates stay charged to dir (a socket keeps the
// cgroup it was created in), so cgroup skb, sock_addr, sockopt and sock_ops
// programs attached to dir see them afterwards too.
func inCgroup(t *testing.T, dir string, fn func()) {
	t.Helper()
	root, err := testutil.Cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	orig := ""
	for line := range strings.Lines(string(self)) {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			orig = filepath.Join(root, strings.TrimSpace(rest))
		}
	}
	if orig == "" {
		t.Fatalf("no cgroup v2 entry in /proc/self/cgroup:\n%s", self)
	}
	move := func(to string) {
		if err := os.WriteFile(filepath.Join(to, "cgroup.procs"), []byte(fmt.Sprint(os.Getpid())), 0); err != nil {
			t.Fatalf("move process to cgroup %s: %v", to, err)
		}
	}
	move(dir)
	defer move(orig)
	fn()
}

// benchCgroup creates a child cgroup for a benchmark, removed by b.Cleanup.
func benchCgroup(b *testing.B) (string, error) {
	root, err := testutil.Cgroup2Root()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(root, "bpfgo-link-bench-")
	if err != nil {
		return "", err
	}
	b.Cleanup(func() { os.Remove(dir) })
	return dir, nil
}
