//go:build linux

package link_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// sk_reuseport_md field offsets (struct sk_reuseport_md in the kernel's BTF):
// data and data_end are pointers, then u32 len, eth_protocol, ip_protocol,
// bind_inany, hash, and the pointers sk (40) and migrating_sk (48).
const (
	reuseportMDData        = 0
	reuseportMDDataEnd     = 8
	reuseportMDMigratingSk = 48
)

// reuseportSel says how a test program picks the socket index.
type reuseportSel int

const (
	selConfig  reuseportSel = iota // index in slot 0 of the config array
	selPayload                     // index in the first UDP payload byte (ctx->data + 8)
	selNone                        // no selection: return ret as is
)

// reuseportProg is a loaded sk_reuseport test program with its maps.
type reuseportProg struct {
	prog   *bpf.Program
	stats  *bpf.Map // key 0: u64 runs at 0, u64 failed selections at 8, u64 migrations at 16
	config *bpf.Map // key 0: u32 socket index (selConfig)
}

// newReuseportProg loads an SkReuseport program that counts its runs, picks
// an index by sel, selects socks[index] with bpf_sk_select_reuseport
// (counting failures) and returns ret.
func newReuseportProg(t *testing.T, socks *bpf.Map, sel reuseportSel, attach bpf.AttachType, ret int32) *reuseportProg {
	t.Helper()
	p := &reuseportProg{}
	var err error
	if p.stats, err = bpf.NewMap(&bpf.MapSpec{Name: "rp_stats", Type: bpf.Array, KeySize: 4, ValueSize: 24, MaxEntries: 1}); err != nil {
		t.Fatal(err)
	}
	closeAll(t, p.stats)
	if p.config, err = bpf.NewMap(&bpf.MapSpec{Name: "rp_config", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}); err != nil {
		t.Fatal(err)
	}
	closeAll(t, p.config)

	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 24)
	idx := st.MustAlloc("idx", 4)
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.St(asm.W, asm.R10, key.Off, 0),
	}
	insns = append(insns, mapop.IncrementAtomic(p.stats, key, init, 0, 1)...)
	if attach == bpf.AttachSkReuseportSelectOrMigrate {
		insns = append(insns,
			asm.Ldx(asm.DW, asm.R1, asm.R6, reuseportMDMigratingSk),
			asm.JmpImm(asm.JEQ, asm.R1, 0, "not_migrating"),
		)
		insns = append(insns, mapop.IncrementAtomic(p.stats, key, init, 16, 1)...)
		insns = append(insns, asm.Label("not_migrating"))
	}
	switch sel {
	case selConfig:
		insns = append(insns, mapop.Lookup(p.config, key)...)
		insns = append(insns,
			asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
			asm.Ldx(asm.W, asm.R1, asm.R0, 0),
			asm.Stx(asm.W, asm.R10, asm.R1, idx.Off),
		)
	case selPayload:
		insns = append(insns,
			asm.Ldx(asm.DW, asm.R2, asm.R6, reuseportMDData),
			asm.Ldx(asm.DW, asm.R3, asm.R6, reuseportMDDataEnd),
			asm.MovReg(asm.R4, asm.R2),
			asm.AddImm(asm.R4, 9), // UDP header + one payload byte
			asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"),
			asm.Ldx(asm.B, asm.R1, asm.R2, 8),
			asm.Stx(asm.W, asm.R10, asm.R1, idx.Off),
		)
	}
	if sel != selNone {
		insns = append(insns,
			asm.MovReg(asm.R1, asm.R6),
			asm.LoadMap(asm.R2, socks),
			asm.MovReg(asm.R3, asm.R10),
			asm.AddImm(asm.R3, int32(idx.Off)),
			asm.MovImm(asm.R4, 0),
			asm.Call(asm.FnSkSelectReuseport),
			asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
			asm.St(asm.W, asm.R10, key.Off, 0),
		)
		insns = append(insns, mapop.IncrementAtomic(p.stats, key, init, 8, 1)...)
	}
	insns = append(insns, asm.Label("out"), asm.MovImm(asm.R0, ret), asm.Exit())
	p.prog, err = bpf.NewProgram(&bpf.ProgramSpec{
		Name:         "reuseport_sel",
		Type:         bpf.SkReuseport,
		AttachType:   attach,
		License:      "GPL",
		Instructions: insns,
	})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load sk_reuseport program: %+v", err)
	}
	closeAll(t, p.prog)
	return p
}

// stat reads the u64 at off of the stats value: 0 runs, 8 failed
// selections, 16 migrations.
func (p *reuseportProg) stat(t *testing.T, off int) uint64 {
	t.Helper()
	var key [4]byte
	var val [24]byte
	if err := p.stats.Lookup(key[:], val[:]); err != nil {
		t.Fatalf("read stats: %v", err)
	}
	return binary.NativeEndian.Uint64(val[off:])
}

// choose stores index in the program's config map.
func (p *reuseportProg) choose(t *testing.T, index uint32) {
	t.Helper()
	var key [4]byte
	var val [4]byte
	binary.NativeEndian.PutUint32(val[:], index)
	if err := p.config.Update(key[:], val[:], bpf.UpdateAny); err != nil {
		t.Fatalf("choose socket %d: %v", index, err)
	}
}

// newSockArray creates a ReusePortSockArray with an 8-byte value (so that
// lookups return socket cookies) and stores conns at their indexes.
func newSockArray(t *testing.T, conns ...syscall.Conn) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "rp_socks", Type: bpf.ReusePortSockArray, KeySize: 4, ValueSize: 8, MaxEntries: uint32(len(conns))})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, m)
	for i, c := range conns {
		key := binary.NativeEndian.AppendUint32(nil, uint32(i))
		if err := m.UpdateSocket(key, c, bpf.UpdateAny); err != nil {
			t.Fatalf("store socket %d in reuseport sockarray: %v", i, err)
		}
		rc, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var cookie uint64
		var cerr error
		if err := rc.Control(func(fd uintptr) {
			cookie, cerr = unix.GetsockoptUint64(int(fd), unix.SOL_SOCKET, unix.SO_COOKIE)
		}); err != nil || cerr != nil {
			t.Fatal(err, cerr)
		}
		// The kernel answers a lookup with the socket's cookie.
		got, err := m.LookupSocketCookie(key)
		if err != nil {
			t.Fatalf("lookup socket %d: %v", i, err)
		}
		if got != cookie {
			t.Fatalf("sockarray[%d] holds cookie %d, the socket's is %d", i, got, cookie)
		}
	}
	return m
}

// reuseportListenConfig sets SO_REUSEPORT before bind and makes plain TCP
// (not MPTCP) listeners.
func reuseportListenConfig() *net.ListenConfig {
	lc := &net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	lc.SetMultipathTCP(false)
	return lc
}

// udpGroup opens n UDP sockets with SO_REUSEPORT on one loopback port in ns.
func udpGroup(t *testing.T, ns *testutil.NetNS, n int) []*net.UDPConn {
	t.Helper()
	lc := reuseportListenConfig()
	var rxs []*net.UDPConn
	err := ns.Do(func() error {
		addr := "127.0.0.1:0"
		for range n {
			pc, err := lc.ListenPacket(context.Background(), "udp4", addr)
			if err != nil {
				return err
			}
			rx := pc.(*net.UDPConn)
			t.Cleanup(func() { rx.Close() })
			rxs = append(rxs, rx)
			addr = rx.LocalAddr().String()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("open reuseport UDP group: %v", err)
	}
	return rxs
}

// udpSenders opens n UDP sockets in ns connected to addr (n source ports, so
// the kernel's 4-tuple hash spreads them over the group).
func udpSenders(t *testing.T, ns *testutil.NetNS, addr net.Addr, n int) []*net.UDPConn {
	t.Helper()
	var txs []*net.UDPConn
	err := ns.Do(func() error {
		for range n {
			tx, err := net.DialUDP("udp4", nil, addr.(*net.UDPAddr))
			if err != nil {
				return err
			}
			t.Cleanup(func() { tx.Close() })
			txs = append(txs, tx)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("open UDP senders: %v", err)
	}
	return txs
}

// udpDelivery records which socket of the group received a datagram and
// the datagram's first byte.
type udpDelivery struct{ rx, first int }

// spread sends n datagrams round-robin from txs (connected, or unconnected
// ones to the group's address; datagram i starts with byte first(i)), waits until want of them arrived (or netRecvTimeout), then
// netSilence more for strays, and returns what each socket of rxs received.
func spread(t *testing.T, rxs, txs []*net.UDPConn, n, want int, first func(i int) byte) []udpDelivery {
	t.Helper()
	ch := make(chan udpDelivery, 4*n+16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, rx := range rxs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256)
			for {
				rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
				k, err := rx.Read(buf)
				if err == nil && k > 0 {
					ch <- udpDelivery{rx: i, first: int(buf[0])}
					continue
				}
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("receive on socket %d: %v", i, err)
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	for i := range n {
		msg := fmt.Appendf([]byte{first(i)}, "reuseport-%d", i)
		tx := txs[i%len(txs)]
		var err error
		if tx.RemoteAddr() != nil {
			_, err = tx.Write(msg)
		} else {
			_, err = tx.WriteTo(msg, rxs[0].LocalAddr())
		}
		if err != nil {
			close(stop) // no reader may outlive the test
			wg.Wait()
			t.Fatalf("send datagram %d: %v", i, err)
		}
	}
	var got []udpDelivery
	timeout := time.After(netRecvTimeout)
wait:
	for len(got) < want {
		select {
		case d := <-ch:
			got = append(got, d)
		case <-timeout:
			break wait
		}
	}
	strays := time.After(netSilence)
linger:
	for {
		select {
		case d := <-ch:
			got = append(got, d)
		case <-strays:
			break linger
		}
	}
	close(stop)
	wg.Wait()
	close(ch)
	for d := range ch {
		got = append(got, d)
	}
	return got
}

// perSocket counts deliveries per socket index.
func perSocket(ds []udpDelivery, n int) []int {
	c := make([]int, n)
	for _, d := range ds {
		c[d.rx]++
	}
	return c
}

func constByte(b byte) func(int) byte { return func(int) byte { return b } }

// TestReuseportUDP steers every datagram for a group of four UDP sockets to
// the socket whose index sits in a config map: all land there and none
// elsewhere; changing the index from Go moves the traffic; Update to an
// SK_DROP program drops them all; after Close the kernel's hash spreads them
// again and the program no longer runs.
func TestReuseportUDP(t *testing.T) {
	ns := testutil.NewNetNS(t)
	const nsocks, nsend, n = 4, 16, 32
	rxs := udpGroup(t, ns, nsocks)
	conns := make([]syscall.Conn, nsocks)
	for i, rx := range rxs {
		conns[i] = rx
	}
	socks := newSockArray(t, conns...)
	sel := newReuseportProg(t, socks, selConfig, bpf.AttachSkReuseportSelect, asm.SKPass)
	txs := udpSenders(t, ns, rxs[0].LocalAddr(), nsend)

	r, err := link.AttachReuseport(rxs[3], sel.prog)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for round, index := range []uint32{2, 0, 3} {
		sel.choose(t, index)
		c := perSocket(spread(t, rxs, txs, n, n, constByte(0)), nsocks)
		want := make([]int, nsocks)
		want[index] = n
		if fmt.Sprint(c) != fmt.Sprint(want) {
			t.Errorf("choice %d: datagrams per socket %v, want %v", index, c, want)
		}
		if runs := sel.stat(t, 0); runs != uint64((round+1)*n) {
			t.Errorf("choice %d: program ran %d times, want %d", index, runs, (round+1)*n)
		}
	}
	if f := sel.stat(t, 8); f != 0 {
		t.Errorf("%d selections failed", f)
	}

	// An index beyond the array makes bpf_sk_select_reuseport fail; SK_PASS
	// then falls back to the hash: every datagram still arrives.
	sel.choose(t, nsocks)
	if got := len(spread(t, rxs, txs, n, n, constByte(0))); got != n {
		t.Errorf("failed selection with SK_PASS: %d of %d datagrams arrived", got, n)
	}
	if f := sel.stat(t, 8); f != n {
		t.Errorf("selection of index %d failed %d times, want %d", nsocks, f, n)
	}

	drop := newReuseportProg(t, socks, selNone, bpf.AttachSkReuseportSelect, asm.SKDrop)
	if err := r.Update(drop.prog); err != nil {
		t.Fatal(err)
	}
	// SK_DROP makes the lookup find no socket: the kernel answers ICMP port
	// unreachable, so a connected sender's next write fails with
	// ECONNREFUSED. Send from an unconnected socket, which ignores ICMP errors.
	var loose *net.UDPConn
	if err := ns.Do(func() (err error) {
		loose, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer loose.Close()
	if got := spread(t, rxs, []*net.UDPConn{loose}, n, 0, constByte(0)); len(got) != 0 {
		t.Errorf("SK_DROP program: %d datagrams arrived, per socket %v", len(got), perSocket(got, nsocks))
	}
	if runs := drop.stat(t, 0); runs != n {
		t.Errorf("SK_DROP program ran %d times for %d datagrams", runs, n)
	}
	if _, err := txs[0].Write([]byte("refused")); err != nil {
		t.Fatalf("connected send: %v", err)
	}
	time.Sleep(testutil.LatencyBound(50 * time.Millisecond)) // the ICMP error comes back through loopback
	if _, err := txs[0].Write([]byte("refused")); !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("connected send after a datagram SK_DROP dropped: %v, want ECONNREFUSED", err)
	}
	if runs := drop.stat(t, 0); runs != n+1 {
		t.Errorf("SK_DROP program ran %d times for %d datagrams", runs, n+1)
	}
	runsBefore := sel.stat(t, 0)

	if _, err := r.Info(); !errors.Is(err, link.ErrNotSupported) {
		t.Errorf("Info: %v, want ErrNotSupported", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := r.Update(sel.prog); !errors.Is(err, link.ErrClosed) {
		t.Errorf("Update after Close: %v, want ErrClosed", err)
	}
	got := spread(t, rxs, txs, n, n, constByte(0))
	c := perSocket(got, nsocks)
	if len(got) != n {
		t.Fatalf("after Close: %d of %d datagrams arrived", len(got), n)
	}
	busy := 0
	for _, k := range c {
		if k > 0 {
			busy++
		}
	}
	// 16 source ports over 4 sockets: the hash leaves all on one socket with
	// probability 4^-15.
	if busy < 2 {
		t.Errorf("after Close the hash should spread datagrams from %d source ports, got per socket %v", nsend, c)
	}
	if runs := drop.stat(t, 0); runs != n+1 {
		t.Errorf("SK_DROP program ran %d times after Close", runs-n-1)
	}
	if runs := sel.stat(t, 0); runs != runsBefore {
		t.Errorf("replaced program ran %d times after Update/Close", runs-runsBefore)
	}
}

// TestReuseportPayload picks the socket from the first payload byte
// (ctx->data points at the UDP header): every socket receives exactly the
// datagrams carrying its index.
func TestReuseportPayload(t *testing.T) {
	ns := testutil.NewNetNS(t)
	const nsocks, n = 3, 30
	rxs := udpGroup(t, ns, nsocks)
	socks := newSockArray(t, rxs[0], rxs[1], rxs[2])
	sel := newReuseportProg(t, socks, selPayload, bpf.AttachSkReuseportSelect, asm.SKPass)
	txs := udpSenders(t, ns, rxs[0].LocalAddr(), 1) // one flow: the hash alone would pick one socket
	r, err := link.AttachReuseport(rxs[0], sel.prog)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := spread(t, rxs, txs, n, n, func(i int) byte { return byte((i * 7) % nsocks) })
	if len(got) != n {
		t.Fatalf("%d of %d datagrams arrived", len(got), n)
	}
	for _, d := range got {
		if d.rx != d.first {
			t.Errorf("datagram starting with byte %d arrived at socket %d", d.first, d.rx)
		}
	}
	if c := perSocket(got, nsocks); c[0] != n/nsocks || c[1] != n/nsocks || c[2] != n/nsocks {
		t.Errorf("datagrams per socket %v, want %d each", c, n/nsocks)
	}
	if runs, f := sel.stat(t, 0), sel.stat(t, 8); runs != n || f != 0 {
		t.Errorf("program ran %d times (want %d), %d selections failed", runs, n, f)
	}
}

// tcpGroup opens n TCP listeners with SO_REUSEPORT on one loopback port in ns.
func tcpGroup(t *testing.T, ns *testutil.NetNS, n int) []*net.TCPListener {
	t.Helper()
	lc := reuseportListenConfig()
	var ls []*net.TCPListener
	err := ns.Do(func() error {
		addr := "127.0.0.1:0"
		for range n {
			l, err := lc.Listen(context.Background(), "tcp4", addr)
			if err != nil {
				return err
			}
			t.Cleanup(func() { l.Close() })
			ls = append(ls, l.(*net.TCPListener))
			addr = l.Addr().String()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("open reuseport TCP group: %v", err)
	}
	return ls
}

// dialN opens n TCP connections to addr from ns.
func dialN(t *testing.T, ns *testutil.NetNS, addr net.Addr, n int) {
	t.Helper()
	d := &net.Dialer{Timeout: netRecvTimeout}
	d.SetMultipathTCP(false)
	err := ns.Do(func() error {
		for range n {
			c, err := d.Dial("tcp4", addr.String())
			if err != nil {
				return err
			}
			t.Cleanup(func() { c.Close() })
		}
		return nil
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
}

// acceptAll accepts, on every listener, the connections already in its
// accept queue and returns how many each had.
func acceptAll(t *testing.T, ls []*net.TCPListener) []int {
	t.Helper()
	c := make([]int, len(ls))
	for i, l := range ls {
		for {
			l.SetDeadline(time.Now().Add(50 * time.Millisecond))
			conn, err := l.Accept()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatalf("accept on listener %d: %v", i, err)
			}
			conn.Close()
			c[i]++
		}
	}
	return c
}

// TestReuseportTCP steers the connections to a group of three TCP listeners
// to the one chosen in the config map (the handshake completes before
// Dial returns, so every connection already sits in an accept queue), then
// to another one; after Close the program stops running.
func TestReuseportTCP(t *testing.T) {
	ns := testutil.NewNetNS(t)
	const nl, n = 3, 8
	ls := tcpGroup(t, ns, nl)
	socks := newSockArray(t, ls[0], ls[1], ls[2])
	sel := newReuseportProg(t, socks, selConfig, bpf.AttachSkReuseportSelect, asm.SKPass)
	r, err := link.AttachReuseport(ls[0], sel.prog)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for round, index := range []uint32{1, 2} {
		sel.choose(t, index)
		dialN(t, ns, ls[0].Addr(), n)
		c := acceptAll(t, ls)
		want := make([]int, nl)
		want[index] = n
		if fmt.Sprint(c) != fmt.Sprint(want) {
			t.Errorf("choice %d: connections per listener %v, want %v", index, c, want)
		}
		if runs := sel.stat(t, 0); runs != uint64((round+1)*n) {
			t.Errorf("choice %d: program ran %d times for %d connections", index, runs, (round+1)*n)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	dialN(t, ns, ls[0].Addr(), n)
	if c := acceptAll(t, ls); c[0]+c[1]+c[2] != n {
		t.Errorf("after Close: accepted %v, want %d in all", c, n)
	}
	if runs := sel.stat(t, 0); runs != 2*n {
		t.Errorf("program ran %d times after Close", runs-2*n)
	}
}

// TestReuseportBadInput checks the errors for a socket without SO_REUSEPORT,
// a program of the wrong type, and nil arguments; and that a socket
// filter program (the classic alternative, an index into the group) attaches.
func TestReuseportBadInput(t *testing.T) {
	ns := testutil.NewNetNS(t)
	sel := newReuseportProg(t, nil, selNone, bpf.AttachSkReuseportSelect, asm.SKPass)
	var plain *net.UDPConn
	if err := ns.Do(func() (err error) {
		plain, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := link.AttachReuseport(plain, sel.prog); !errors.Is(err, unix.EINVAL) {
		t.Errorf("attach to a socket without SO_REUSEPORT: %v, want EINVAL", err)
	}
	xdp, counts := newCounter(t, counterSpec{typ: bpf.XDP, ret: asm.XDPPass})
	closeAll(t, xdp, counts)
	rxs := udpGroup(t, ns, 2)
	if _, err := link.AttachReuseport(rxs[0], xdp); err == nil {
		t.Error("attached an XDP program as reuseport program")
	}
	if _, err := link.AttachReuseport(nil, sel.prog); err == nil {
		t.Error("attached to a nil socket")
	}
	if _, err := link.AttachReuseport(rxs[0], nil); err == nil {
		t.Error("attached a nil program")
	}

	// A socket filter returns the index of the receiving socket in the group.
	filter, runs := newCounter(t, counterSpec{typ: bpf.SocketFilter, ret: 1})
	closeAll(t, filter, runs)
	r, err := link.AttachReuseport(rxs[0], filter)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	txs := udpSenders(t, ns, rxs[0].LocalAddr(), 8)
	const n = 16
	if c := perSocket(spread(t, rxs, txs, n, n, constByte(0)), 2); c[1] != n {
		t.Errorf("socket filter returning 1: datagrams per socket %v, want all %d at socket 1", c, n)
	}
	if c := count(t, runs); c != n {
		t.Errorf("socket filter ran %d times for %d datagrams", c, n)
	}
	// Closing the attaching socket first: Close still succeeds.
	rxs[0].Close()
	if err := r.Close(); err != nil {
		t.Errorf("close after the socket closed: %v", err)
	}
}

// TestReuseportMigrate closes a listener with connections waiting in its
// accept queue while net.ipv4.tcp_migrate_req is on: the kernel runs the
// SelectOrMigrate program with ctx->migrating_sk set for each of them, and
// they move to the listener it picks (the last of three, not the hash's
// choice between the two left).
func TestReuseportMigrate(t *testing.T) {
	ns := testutil.NewNetNS(t)
	err := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv4/tcp_migrate_req", []byte("1"), 0)
	})
	if errors.Is(err, os.ErrNotExist) {
		testutil.RequireKernel(t, 5, 14, "net.ipv4.tcp_migrate_req")
	}
	if err != nil {
		t.Fatalf("enable tcp_migrate_req: %v", err)
	}
	const nl, n = 3, 6
	ls := tcpGroup(t, ns, nl)
	socks := newSockArray(t, ls[0], ls[1], ls[2])
	sel := newReuseportProg(t, socks, selConfig, bpf.AttachSkReuseportSelectOrMigrate, asm.SKPass)
	r, err := link.AttachReuseport(ls[1], sel.prog)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sel.choose(t, 0)
	dialN(t, ns, ls[0].Addr(), n)
	if runs, m := sel.stat(t, 0), sel.stat(t, 16); runs != n || m != 0 {
		t.Fatalf("after %d connections: %d runs, %d migrations", n, runs, m)
	}
	sel.choose(t, 2)
	if err := ls[0].Close(); err != nil {
		t.Fatal(err)
	}
	if m := sel.stat(t, 16); m != n {
		t.Errorf("program saw %d migrations for %d queued connections", m, n)
	}
	if c := acceptAll(t, ls[1:]); c[0] != 0 || c[1] != n {
		t.Errorf("connections per remaining listener %v, want [0 %d]", c, n)
	}
	if f := sel.stat(t, 8); f != 0 {
		t.Errorf("%d selections failed", f)
	}
}

// ExampleAttachReuseport steers the datagrams of a SO_REUSEPORT group: prog
// (an SkReuseport program calling bpf_sk_select_reuseport on a
// ReusePortSockArray holding the group's sockets) picks the receiver.
func ExampleAttachReuseport() {
	var (
		conn *net.UDPConn // bound with SO_REUSEPORT set (net.ListenConfig.Control)
		prog *bpf.Program // Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelect
	)
	r, err := link.AttachReuseport(conn, prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close() // SO_DETACH_REUSEPORT_BPF
}
