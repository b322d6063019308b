//go:build linux

package link_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// bpfSockAddrUserPort is offsetof(struct bpf_sock_addr, user_port), from the
// kernel's BTF: the port (network byte order in the low 16 bits) the
// application passed or will see.
const bpfSockAddrUserPort = 24

// sockAddrPort is the port every sock_addr program in these tests writes.
const sockAddrPort = 4242

// sockAddrCase is a sock_addr hook and an action, run inside the cgroup and a
// private netns, that reports the port the application ended up with: the
// one bound, reached, sent to, or reported as peer/source/own address. With
// the rewriting program attached it must be sockAddrPort; without, another.
type sockAddrCase struct {
	name   string
	attach bpf.AttachType
	act    func() (int, error)
}

// sockPort returns the port of a sockaddr from getsockname/getpeername.
func sockPort(sa unix.Sockaddr) int {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return 0
}

func sockAddrCases() []sockAddrCase {
	loop := map[string]net.IP{"4": net.IPv4(127, 0, 0, 1), "6": net.IPv6loopback}
	var cases []sockAddrCase
	for _, v := range []string{"4", "6"} {
		ip := loop[v]
		attach := func(a4, a6 bpf.AttachType) bpf.AttachType {
			if v == "4" {
				return a4
			}
			return a6
		}
		cases = append(cases,
			// bind: the application binds port 0, the program picks the port.
			sockAddrCase{"bind" + v, attach(bpf.AttachCgroupInet4Bind, bpf.AttachCgroupInet6Bind), func() (int, error) {
				c, err := net.ListenUDP("udp"+v, &net.UDPAddr{IP: ip})
				if err != nil {
					return 0, fmt.Errorf("bind: %w", err)
				}
				defer c.Close()
				return c.LocalAddr().(*net.UDPAddr).Port, nil
			}},
			// connect: the application connects to port 9, where nothing
			// listens; the program sends it to the listener.
			sockAddrCase{"connect" + v, attach(bpf.AttachCgroupInet4Connect, bpf.AttachCgroupInet6Connect), func() (int, error) {
				var lc net.ListenConfig
				lc.SetMultipathTCP(false)
				ln, err := lc.Listen(context.Background(), "tcp"+v, (&net.TCPAddr{IP: ip, Port: sockAddrPort}).String())
				if err != nil {
					return 0, fmt.Errorf("listen: %w", err)
				}
				defer ln.Close()
				d := net.Dialer{Timeout: testutil.LatencyBound(netRecvTimeout)}
				d.SetMultipathTCP(false)
				c, err := d.Dial("tcp"+v, (&net.TCPAddr{IP: ip, Port: 9}).String())
				if err != nil {
					if !errors.Is(err, unix.ECONNREFUSED) {
						return 0, fmt.Errorf("dial: %w", err)
					}
					return 0, nil
				}
				defer c.Close()
				s, err := ln.Accept()
				if err != nil {
					return 0, fmt.Errorf("accept: %w", err)
				}
				s.Close()
				return ln.Addr().(*net.TCPAddr).Port, nil
			}},
			// sendmsg: an unconnected UDP socket sends to port 9; the program
			// sends the datagram to the receiver instead.
			sockAddrCase{"sendmsg" + v, attach(bpf.AttachCgroupUDP4Sendmsg, bpf.AttachCgroupUDP6Sendmsg), func() (int, error) {
				rx, err := net.ListenUDP("udp"+v, &net.UDPAddr{IP: ip, Port: sockAddrPort})
				if err != nil {
					return 0, fmt.Errorf("listen: %w", err)
				}
				defer rx.Close()
				tx, err := net.ListenUDP("udp"+v, &net.UDPAddr{IP: ip})
				if err != nil {
					return 0, err
				}
				defer tx.Close()
				if _, err := tx.WriteToUDP([]byte("x"), &net.UDPAddr{IP: ip, Port: 9}); err != nil {
					return 0, fmt.Errorf("send: %w", err)
				}
				rx.SetReadDeadline(time.Now().Add(netSilence))
				buf := make([]byte, 8)
				if _, err := rx.Read(buf); err != nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						return 0, fmt.Errorf("receive: %w", err)
					}
					return 0, nil
				}
				return sockAddrPort, nil
			}},
			// recvmsg: the receiver sees the program's port as the source.
			sockAddrCase{"recvmsg" + v, attach(bpf.AttachCgroupUDP4Recvmsg, bpf.AttachCgroupUDP6Recvmsg), func() (int, error) {
				rx, err := net.ListenUDP("udp"+v, &net.UDPAddr{IP: ip})
				if err != nil {
					return 0, fmt.Errorf("listen: %w", err)
				}
				defer rx.Close()
				tx, err := net.DialUDP("udp"+v, nil, rx.LocalAddr().(*net.UDPAddr))
				if err != nil {
					return 0, err
				}
				defer tx.Close()
				if _, err := tx.Write([]byte("x")); err != nil {
					return 0, fmt.Errorf("send: %w", err)
				}
				rx.SetReadDeadline(time.Now().Add(testutil.LatencyBound(netRecvTimeout)))
				buf := make([]byte, 8)
				_, from, err := rx.ReadFromUDP(buf)
				if err != nil {
					return 0, fmt.Errorf("receive: %w", err)
				}
				return from.Port, nil
			}},
			// getpeername / getsockname: the connected client asks for its
			// peer's and its own address.
			sockAddrCase{"getpeername" + v, attach(bpf.AttachCgroupInet4GetPeername, bpf.AttachCgroupInet6GetPeername), func() (int, error) {
				return tcpName(v, ip, unix.Getpeername)
			}},
			sockAddrCase{"getsockname" + v, attach(bpf.AttachCgroupInet4GetSockname, bpf.AttachCgroupInet6GetSockname), func() (int, error) {
				return tcpName(v, ip, unix.Getsockname)
			}},
		)
	}
	return cases
}

// tcpName connects a client to a listener on ip and returns the port of
// name (unix.Getpeername or unix.Getsockname) called on the client.
func tcpName(v string, ip net.IP, name func(int) (unix.Sockaddr, error)) (int, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	// A fixed listening port: the listener is in the cgroup too, so a
	// getsockname program rewrites what ln.Addr() reports.
	addr := (&net.TCPAddr{IP: ip, Port: sockAddrPort + 1}).String()
	ln, err := lc.Listen(context.Background(), "tcp"+v, addr)
	if err != nil {
		return 0, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	var d net.Dialer
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp"+v, addr)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	var sa unix.Sockaddr
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return 0, err
	}
	if cerr := rc.Control(func(fd uintptr) { sa, err = name(int(fd)) }); cerr != nil {
		return 0, cerr
	}
	if err != nil {
		return 0, fmt.Errorf("get name: %w", err)
	}
	return sockPort(sa), nil
}

// TestCgroupSockAddr attaches, for every sock_addr hook, a program that
// counts its runs and writes sockAddrPort into user_port, to a child cgroup,
// and checks that an application in the cgroup observes the rewrite — and
// no longer does after Close.
func TestCgroupSockAddr(t *testing.T) {
	for _, cc := range sockAddrCases() {
		t.Run(cc.name, func(t *testing.T) {
			dir := netCgroup(t)
			ns := testutil.NewNetNS(t)
			stats := newStats(t, 1)
			insns := asm.Instructions{
				asm.MovReg(asm.R6, asm.R1),
				asm.MovImm(asm.R7, 1),
			}
			insns = append(insns, addStat(stats, 0, asm.R7, "runs")...)
			insns = append(insns,
				asm.MovImm(asm.R1, asm.HostToBE16(sockAddrPort)),
				asm.Stx(asm.W, asm.R6, asm.R1, bpfSockAddrUserPort),
				asm.MovImm(asm.R0, 1),
				asm.Exit(),
			)
			prog := loadProg(t, &bpf.ProgramSpec{Name: "rewrite_port", Type: bpf.CgroupSockAddr, AttachType: cc.attach, Instructions: insns})
			run := func() int {
				var got int
				var err error
				inCgroup(t, dir, func() {
					err = ns.Do(func() (err error) { got, err = cc.act(); return err })
				})
				if err != nil {
					t.Fatalf("%s: %v", cc.name, err)
				}
				return got
			}
			if got := run(); got == sockAddrPort {
				t.Fatalf("port %d without a program: the test cannot tell a rewrite", got)
			}
			l, err := link.AttachCgroup(link.CgroupOptions{Path: dir, Attach: cc.attach, Program: prog})
			testutil.SkipIfNotSupported(t, err)
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			closeAll(t, l)
			if got := run(); got != sockAddrPort {
				t.Errorf("with the program: port %d, want %d", got, sockAddrPort)
			}
			if n := stat(t, stats, 0); n == 0 {
				t.Error("program did not run")
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			n := stat(t, stats, 0)
			if got := run(); got == sockAddrPort {
				t.Errorf("after Close: port %d still rewritten", got)
			}
			if m := stat(t, stats, 0); m != n {
				t.Errorf("program ran %d times after Close", m-n)
			}
		})
	}
}
