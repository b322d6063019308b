package testutil

import (
	"fmt"
	"net"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetNS is a private network namespace created for a test. The namespace lives
// while its fd is open (and while sockets or interfaces keep it busy); the test's
// cleanup closes the fd.
type NetNS struct {
	fd int
}

// NewNetNS creates a network namespace with its loopback interface up and
// registers its removal with t.Cleanup. The calling thread's namespace is not
// changed: the namespace is made on a throw-away locked OS thread.
func NewNetNS(t testing.TB) *NetNS {
	t.Helper()
	RequireRoot(t)
	var fd int
	err := onLockedThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
		}
		var err error
		fd, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatalf("create network namespace: %v", err)
	}
	ns := &NetNS{fd: fd}
	t.Cleanup(func() { unix.Close(ns.fd) })
	h := ns.Handle(t)
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatalf("netns: bring lo up: %v", err)
	}
	return ns
}

// FD returns the namespace's fd (/proc/thread-self/ns/net opened inside it),
// which BPF netns attachments (sk_lookup, flow_dissector) take as their target.
// The NetNS keeps ownership.
func (ns *NetNS) FD() int { return ns.fd }

// Do runs fn on a fresh OS thread that has entered the namespace, and returns
// fn's error. Sockets fn opens belong to the namespace and may be used from any
// goroutine afterwards. The thread is discarded when fn returns, so the
// namespace switch never leaks to other goroutines.
func (ns *NetNS) Do(fn func() error) error {
	return onLockedThread(func() error {
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns: %w", err)
		}
		return fn()
	})
}

// Handle returns a netlink handle bound to the namespace, closed by t.Cleanup.
func (ns *NetNS) Handle(t testing.TB) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandleAt(netns.NsHandle(ns.fd), unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle in netns: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// onLockedThread runs fn on a new goroutine locked to its OS thread and never
// unlocks it: the runtime terminates the thread when the goroutine ends, so
// whatever fn did to the thread (unshare, setns) dies with it.
func onLockedThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- fn()
	}()
	return <-errc
}

// Veth is a veth pair whose ends live in two network namespaces, each with an
// IPv4 address in 10.199.0.0/24 and up.
type Veth struct {
	// A and B are the namespaces of the two ends.
	A, B *NetNS
	// NameA and NameB are the interface names (the same in each namespace).
	NameA, NameB string
	// IndexA and IndexB are the interface indexes inside their namespaces.
	IndexA, IndexB int
	// AddrA and AddrB are the IPv4 addresses of the ends.
	AddrA, AddrB net.IP
}

// NewVeth creates two namespaces joined by a veth pair: end "veth0" with
// 10.199.0.1/24 in A, end "veth1" with 10.199.0.2/24 in B, both up. Everything is
// removed with the namespaces by t.Cleanup. Needs the veth driver (a module on
// some kernels).
func NewVeth(t testing.TB) *Veth {
	t.Helper()
	v := &Veth{
		A: NewNetNS(t), B: NewNetNS(t),
		NameA: "veth0", NameB: "veth1",
		AddrA: net.IPv4(10, 199, 0, 1).To4(), AddrB: net.IPv4(10, 199, 0, 2).To4(),
	}
	ha, hb := v.A.Handle(t), v.B.Handle(t)
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: v.NameA},
		PeerName:      v.NameB,
		PeerNamespace: netlink.NsFd(v.B.fd),
	}
	if err := ha.LinkAdd(veth); err != nil {
		SetupProblem(t, "create veth pair (is the veth driver loaded?): %v", err)
		return nil
	}
	var err error
	if v.IndexA, err = setupEnd(ha, v.NameA, v.AddrA); err != nil {
		t.Fatalf("veth %s: %v", v.NameA, err)
	}
	if v.IndexB, err = setupEnd(hb, v.NameB, v.AddrB); err != nil {
		t.Fatalf("veth %s: %v", v.NameB, err)
	}
	return v
}

func setupEnd(h *netlink.Handle, name string, ip net.IP) (int, error) {
	l, err := h.LinkByName(name)
	if err != nil {
		return 0, err
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}}
	if err := h.AddrAdd(l, addr); err != nil {
		return 0, fmt.Errorf("add address %v: %w", ip, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return 0, fmt.Errorf("set up: %w", err)
	}
	return l.Attrs().Index, nil
}
