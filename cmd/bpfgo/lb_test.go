//go:build linux

package main

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpfgo/bpf/internal/testutil"
)

func TestLBVerifyDump(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	code, out, errOut := runCmd("lb", "verify")
	if code != 0 || !strings.Contains(out, "valid: lb_ingress (") || !strings.Contains(out, "lb_egress") {
		t.Errorf("lb verify: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd("lb", "verify", "--sni-port", "8443")
	if code != 0 {
		t.Errorf("lb verify --sni-port 8443: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd("lb", "dump")
	if code != 0 {
		t.Fatalf("lb dump: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"lb_ingress (XDP): ", "lb_egress (SchedCLS): ",
		"call bpf_xdp_load_bytes#189", "call bpf_l4_csum_replace#11", "call bpf_skb_store_bytes#9",
		"r1 = map[lb_sni_routes] ll", "r1 = map[lb_conntrack] ll", "goto <tls_ext>",
		"if r1 != 0xbb01 goto <nat>", // port 443 in network order
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lb dump lacks %q", want)
		}
	}
	// The SNI port is in the dump.
	_, out, _ = runCmd("lb", "dump", "--sni-port", "8443")
	if !strings.Contains(out, "if r1 != 0xfb20 goto <nat>") {
		t.Error("lb dump --sni-port 8443 does not compare with port 8443")
	}
}

func TestLBUsage(t *testing.T) {
	for _, args := range [][]string{
		{"lb"},
		{"lb", "nope"},
		{"lb", "verify", "extra"},
		{"lb", "dump", "--sni-port", "0"},
		{"lb", "run"},
		{"lb", "run", "--iface", "lo", "--service", "80/sctp", "--backend", "10.0.0.1:80"},
		{"lb", "run", "--iface", "lo", "--service", "x", "--backend", "10.0.0.1:80"},
		{"lb", "run", "--iface", "lo", "--service", "80", "--backend", "10.0.0.1"},
		{"lb", "run", "--iface", "lo", "--service", "80/tcp", "--vip", "nope", "--backend", "10.0.0.1:80"},
		{"lb", "run", "--iface", "lo", "--service", "80", "--backend", "10.0.0.1:80", "--mode", "hw"},
		{"lb", "run", "--iface", "lo", "--service", "80", "--backend", "10.0.0.1:80", "--weighted", "10.0.0.2:80"},
		{"lb", "run", "--iface", "lo", "--service", "80", "--backend", "10.0.0.1:80", "--weighted", "10.0.0.2:80=x"},
	} {
		code, _, errOut := runCmd(args...)
		if code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%v: exit %d, want 2 with usage\n%s", args, code, errOut)
		}
	}
	// Errors from the library name what is wrong.
	testutil.RequirePrivilege(t, "CAP_BPF")
	code, _, errOut := runCmd("lb", "run", "--iface", "no-such-if0", "--service", "80", "--backend", "10.0.0.1:80")
	if code != 1 || !strings.Contains(errOut, `interface "no-such-if0"`) {
		t.Errorf("unknown interface: exit %d: %s", code, errOut)
	}
	code, _, errOut = runCmd("lb", "run", "--iface", "lo", "--service", "443", "--backend", "10.0.0.1:80", "--sni", strings.Repeat("a", 200)+"=10.0.0.2:443")
	if code != 1 || !strings.Contains(errOut, "longer than 128") {
		t.Errorf("bad SNI route: exit %d: %s", code, errOut)
	}
	code, _, errOut = runCmd("lb", "run", "--iface", "lo", "--service", "80", "--backend", "10.0.0.1:80", "--weighted", "10.0.0.2:80=0")
	if code != 1 || !strings.Contains(errOut, "weights add up to 0") {
		t.Errorf("zero weights: exit %d: %s", code, errOut)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLBRun runs `bpfgo lb run` in the server namespace of a veth pair: UDP to
// 10.199.0.2:7000 is balanced to a Go server on 10.199.0.2:9000, whose replies the client sees
// coming from port 7000; the command's counters report the flow.
func TestLBRun(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_NET_ADMIN")
	v := testutil.NewVeth(t)
	var srv, cli *net.UDPConn
	if err := v.B.Do(func() (err error) {
		srv, err = net.ListenUDP("udp4", &net.UDPAddr{IP: v.AddrB, Port: 9000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 256)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			srv.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	if err := v.A.Do(func() (err error) {
		cli, err = net.ListenUDP("udp4", &net.UDPAddr{IP: v.AddrA})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	var out, errOut syncBuffer
	done := make(chan int, 1)
	go v.B.Do(func() error {
		done <- run(&runContext{Stdout: &out, Stderr: &errOut}, []string{"lb", "run", "--iface", v.NameB,
			"--service", "7000/udp", "--vip", "10.199.0.2", "--backend", "10.199.0.2:9999", "--weighted", "10.199.0.2:9000=1", "--duration", testutil.LatencyBound(2 * time.Second).String(),
			"--interval", "100ms"})
		return nil
	})
	deadline := time.Now().Add(testutil.LatencyBound(5 * time.Second))
	for !strings.Contains(out.String(), "balancing") {
		if time.Now().After(deadline) {
			t.Fatalf("lb run did not start:\n%s%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	vip := netip.AddrPortFrom(netip.AddrFrom4([4]byte(v.AddrB.To4())), 7000)
	buf := make([]byte, 256)
	var from netip.AddrPort
	for try := 0; ; try++ {
		cli.WriteToUDPAddrPort([]byte(fmt.Sprint("ping ", try)), vip)
		cli.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var err error
		if _, from, err = cli.ReadFromUDPAddrPort(buf); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reply: %v\n%s", err, out.String())
		}
	}
	if from != vip {
		t.Errorf("reply from %v, want %v", from, vip)
	}
	if code := <-done; code != 0 {
		t.Fatalf("lb run: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	client := cli.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, want := range []string{"attached to veth1", "XDP xdpgeneric", fmt.Sprintf("udp %v -> 10.199.0.2:9000 (via %v)", client, vip)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The last counters: at least the answered packet and its reply.
	m := regexp.MustCompile(`veth1: (\d+) packets \d+ bytes \(.*\), (\d+) replies`).FindAllStringSubmatch(out.String(), -1)
	if len(m) == 0 {
		t.Fatalf("no counters in the output:\n%s", out.String())
	}
	last := m[len(m)-1]
	if pk, _ := strconv.Atoi(last[1]); pk < 1 {
		t.Errorf("packets %s, want at least 1", last[1])
	}
	if rp, _ := strconv.Atoi(last[2]); rp < 1 {
		t.Errorf("replies %s, want at least 1", last[2])
	}
}
