//go:build linux

package link_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// loadReturning loads a struct_ops program for tcp_congestion_ops member that
// returns ret.
func loadReturning(t *testing.T, member string, ret int32) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:         member,
		Type:         bpf.StructOps,
		AttachTo:     "tcp_congestion_ops:" + member,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, ret), asm.Exit()},
	})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %s: %+v", member, err)
	}
	closeAll(t, prog)
	return prog
}

func availableCC(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// TestStructOpsTCPCongestion registers a TCP congestion control written in
// BPF and sees a real TCP flow on loopback use it: the socket reports its
// name, and its init and cong_avoid programs run.
func TestStructOpsTCPCongestion(t *testing.T) {
	testutil.RequireRoot(t)
	initProg, inits := newCounter(t, counterSpec{typ: bpf.StructOps, attachTo: "tcp_congestion_ops:init"})
	avoidProg, avoids := newCounter(t, counterSpec{typ: bpf.StructOps, attachTo: "tcp_congestion_ops:cong_avoid"})
	closeAll(t, initProg, inits, avoidProg, avoids)
	name := fmt.Sprintf("bpfgo%d", os.Getpid()%1000000)
	so, err := link.AttachStructOps(&link.StructOpsSpec{
		Type: "tcp_congestion_ops",
		Programs: map[string]*bpf.Program{
			"init":       initProg,
			"cong_avoid": avoidProg,
			"ssthresh":   loadReturning(t, "ssthresh", 2),
			"undo_cwnd":  loadReturning(t, "undo_cwnd", 10),
		},
		Data: map[string][]byte{"name": []byte(name)},
	})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	closeAll(t, so)
	if cc := availableCC(t); !strings.Contains(strings.Join(cc, " "), name) {
		t.Fatalf("%s not among the available congestion controls %v", name, cc)
	}

	sendWithCC(t, name)
	if n := count(t, inits); n < 1 {
		t.Errorf("init ran %d times for one connection", n)
	}
	if n := count(t, avoids); n < 1 {
		t.Errorf("cong_avoid ran %d times while sending 4 MiB", n)
	}

	if err := so.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if cc := availableCC(t); strings.Contains(strings.Join(cc, " "), name) {
		t.Errorf("%s still registered after Close: %v", name, cc)
	}
}

// sendWithCC sends 4 MiB over a loopback TCP connection whose client uses the
// congestion control name, after checking that the socket reports it.
func sendWithCC(t *testing.T, name string) {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(io.Discard, c)
		done <- err
	}()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, name)
		}); err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with congestion control %s: %v", name, err)
	}
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got string
	var gerr error
	rc.Control(func(fd uintptr) {
		got, gerr = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
	})
	if gerr != nil || strings.TrimRight(got, "\x00") != name {
		t.Errorf("socket congestion control %q (%v), want %q", got, gerr, name)
	}
	buf := make([]byte, 64<<10)
	for range 64 { // 4 MiB
		if _, err := conn.Write(buf); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	conn.Close()
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
}

func TestStructOpsErrors(t *testing.T) {
	testutil.RequireRoot(t)
	for _, tc := range []struct {
		name string
		spec *link.StructOpsSpec
	}{
		{"nil", nil},
		{"no type", &link.StructOpsSpec{}},
		{"unknown member", &link.StructOpsSpec{Type: "tcp_congestion_ops", Data: map[string][]byte{"no_such_member": {1}}}},
		{"data too long", &link.StructOpsSpec{Type: "tcp_congestion_ops", Data: map[string][]byte{"name": make([]byte, 100)}}},
		{"nil program", &link.StructOpsSpec{Type: "tcp_congestion_ops", Programs: map[string]*bpf.Program{"init": nil}}},
	} {
		if so, err := link.AttachStructOps(tc.spec); err == nil {
			so.Close()
			t.Errorf("%s: no error", tc.name)
		}
	}
	_, err := link.AttachStructOps(&link.StructOpsSpec{Type: "no_such_ops_bpfgo"})
	if !errors.Is(err, link.ErrNotSupported) {
		t.Errorf("unknown type: got %v, want ErrNotSupported", err)
	}
}
