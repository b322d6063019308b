//go:build linux

package link_test

import (
	"errors"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// cgroupModes are the attach modes every cgroup test runs with.
var cgroupModes = []struct {
	name string
	mode link.CgroupAttachMode
}{
	{"link", link.CgroupLinkOnly},
	{"prog_attach_multi", link.CgroupAttachMulti},
}

// cgroupCase is a hook, an action that exercises it from inside the cgroup,
// and whether the action succeeded.
type cgroupCase struct {
	name   string
	typ    bpf.ProgramType
	attach bpf.AttachType
	// act runs with the process inside the cgroup (in a private netns) and
	// returns the error the hook should decide.
	act func(t *testing.T, ns *testutil.NetNS) error
}

// udpTo127 creates a UDP socket (inside the cgroup) and sends a datagram to a
// receiver on 127.0.0.1 in ns.
func udpTo127(t *testing.T, ns *testutil.NetNS) error {
	t.Helper()
	var rx *net.UDPConn
	var tx *net.UDPConn
	if err := ns.Do(func() (err error) {
		if rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			return err
		}
		tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		return err
	}); err != nil {
		return err
	}
	defer rx.Close()
	defer tx.Close()
	_, err := tx.Write([]byte("x"))
	return err
}

var cgroupCases = []cgroupCase{
	{"skb_egress", bpf.CgroupSKB, bpf.AttachCgroupInetEgress, udpTo127},
	{"connect4", bpf.CgroupSockAddr, bpf.AttachCgroupInet4Connect, func(t *testing.T, ns *testutil.NetNS) error {
		return ns.Do(func() error {
			c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
			if err == nil {
				c.Close()
			}
			return err
		})
	}},
	{"sock_create", bpf.CgroupSock, bpf.AttachCgroupInetSockCreate, func(t *testing.T, ns *testutil.NetNS) error {
		return ns.Do(func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err
		})
	}},
	{"sysctl", bpf.CgroupSysctl, bpf.AttachCgroupSysctl, func(t *testing.T, ns *testutil.NetNS) error {
		_, err := os.ReadFile("/proc/sys/kernel/ostype")
		return err
	}},
	{"setsockopt", bpf.CgroupSockopt, bpf.AttachCgroupSetsockopt, func(t *testing.T, ns *testutil.NetNS) error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PRIORITY, 1)
	}},
	{"device", bpf.CgroupDevice, bpf.AttachCgroupDevice, func(t *testing.T, ns *testutil.NetNS) error {
		f, err := os.Open("/dev/null")
		if err == nil {
			f.Close()
		}
		return err
	}},
}

// TestCgroup attaches a counting program to a child cgroup for each hook, in
// each attach mode: returning 1 the action succeeds and the program ran;
// returning 0 the action fails with EPERM; after Close it succeeds without the
// program running.
func TestCgroup(t *testing.T) {
	for _, cc := range cgroupCases {
		for _, mode := range cgroupModes {
			t.Run(cc.name+"/"+mode.name, func(t *testing.T) {
				dir := netCgroup(t)
				ns := testutil.NewNetNS(t)
				for _, ret := range []int32{1, 0} {
					prog, counts := newCounter(t, counterSpec{typ: cc.typ, attachType: cc.attach, ret: ret})
					closeAll(t, prog, counts)
					l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: cc.attach, Program: prog, Mode: mode.mode})
					if err != nil {
						t.Fatalf("attach: %v", err)
					}
					var actErr error
					inCgroup(t, dir, func() { actErr = cc.act(t, ns) })
					if ret == 1 && actErr != nil {
						t.Errorf("allowing program: %v", actErr)
					}
					if ret == 0 && !errors.Is(actErr, unix.EPERM) {
						t.Errorf("denying program: got %v, want EPERM", actErr)
					}
					if c := count(t, counts); c == 0 {
						t.Errorf("program returning %d did not run", ret)
					}
					if err := l.Close(); err != nil {
						t.Fatal(err)
					}
					c0 := count(t, counts)
					inCgroup(t, dir, func() { actErr = cc.act(t, ns) })
					if actErr != nil {
						t.Errorf("after Close: %v", actErr)
					}
					if c := count(t, counts); c != c0 {
						t.Errorf("program ran %d times after Close", c-c0)
					}
				}
			})
		}
	}
}

// TestCgroupSKBIngress counts datagrams a socket of the cgroup receives.
func TestCgroupSKBIngress(t *testing.T) {
	dir := netCgroup(t)
	ns := testutil.NewNetNS(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetIngress, ret: 1})
	closeAll(t, prog, counts)
	l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetIngress, Program: prog})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, l)
	var rx *net.UDPConn
	inCgroup(t, dir, func() {
		err = ns.Do(func() (err error) {
			rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	var tx *net.UDPConn
	if err := ns.Do(func() (err error) {
		tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	const n = 5
	if got := netExchange(t, tx, rx, n, netRecvTimeout); got != n {
		t.Fatalf("received %d of %d", got, n)
	}
	if c := count(t, counts); c != n {
		t.Errorf("ingress program ran %d times for %d datagrams", c, n)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	if cg := info.Cgroup(); info.Type != link.CgroupType || cg == nil || cg.Attach != bpf.AttachCgroupInetIngress || cg.CgroupID == 0 {
		t.Errorf("info %+v, cgroup %+v", info, cg)
	}
}

// TestCgroupSockOps counts sock_ops callbacks of a TCP connection made from the cgroup.
func TestCgroupSockOps(t *testing.T) {
	dir := netCgroup(t)
	ns := testutil.NewNetNS(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.SockOps, ret: 1})
	closeAll(t, prog, counts)
	l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupSockOps, Program: prog})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, l)
	var ln net.Listener
	if err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var c net.Conn
	inCgroup(t, dir, func() {
		err = ns.Do(func() (err error) {
			c, err = net.Dial("tcp4", ln.Addr().String())
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if n := count(t, counts); n == 0 {
		t.Error("sock_ops program did not run for a TCP connection")
	}
}

// TestCgroupUpdate replaces the program of a link and of a BPF_PROG_ATTACH
// attachment and checks which program runs.
func TestCgroupUpdate(t *testing.T) {
	for _, mode := range cgroupModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := netCgroup(t)
			ns := testutil.NewNetNS(t)
			prog1, counts1 := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 1})
			prog2, counts2 := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 0})
			closeAll(t, prog1, counts1, prog2, counts2)
			l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress, Program: prog1, Mode: mode.mode})
			if err != nil {
				t.Fatal(err)
			}
			closeAll(t, l)
			if err := l.Update(prog2); err != nil {
				t.Fatalf("update: %v", err)
			}
			var actErr error
			inCgroup(t, dir, func() { actErr = udpTo127(t, ns) })
			if !errors.Is(actErr, unix.EPERM) {
				t.Errorf("after update to a denying program: %v, want EPERM", actErr)
			}
			if c1, c2 := count(t, counts1), count(t, counts2); c1 != 0 || c2 == 0 {
				t.Errorf("old program ran %d times, new one %d", c1, c2)
			}
		})
	}
}

func TestCgroupErrors(t *testing.T) {
	dir := netCgroup(t)
	prog, counts := newCounter(t, counterSpec{typ: bpf.CgroupSKB, attachType: bpf.AttachCgroupInetEgress, ret: 1})
	closeAll(t, prog, counts)
	tests := []struct {
		name string
		opts link.CgroupOptions
	}{
		{"nil program", link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress}},
		{"missing cgroup", link.CgroupOptions{Path: dir + "/missing", Attach: bpf.AttachCgroupInetEgress, Program: prog}},
		{"wrong hook", link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupSysctl, Program: prog}},
		{"bad mode", link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress, Program: prog, Mode: 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := link.AttachCgroup(tc.opts); err == nil {
				l.Close()
				t.Error("attach succeeded")
			}
		})
	}
	l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: bpf.AttachCgroupInetEgress, Program: prog, Mode: link.CgroupAttachMulti})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Pin("/sys/fs/bpf/x"); !errors.Is(err, link.ErrNotSupported) {
		t.Errorf("Pin of prog_attach: %v, want ErrNotSupported", err)
	}
}
