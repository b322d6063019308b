//go:build linux

package link_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// bpfFIngress is BPF_F_INGRESS (enum in the kernel's uapi bpf.h): a redirect
// queues the data on the target socket's receive side instead of sending it.
const bpfFIngress = 1

// tcpPair connects a TCP client to a server over 127.0.0.1 in ns, without
// MPTCP (sockmap refuses MPTCP sockets), and returns both ends.
func tcpPair(t *testing.T, ns *testutil.NetNS) (client, server *net.TCPConn) {
	t.Helper()
	err := ns.Do(func() error {
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		var d net.Dialer
		d.SetMultipathTCP(false)
		c, err := d.Dial("tcp4", ln.Addr().String())
		if err != nil {
			return err
		}
		s, err := ln.Accept()
		if err != nil {
			c.Close()
			return err
		}
		client, server = c.(*net.TCPConn), s.(*net.TCPConn)
		return nil
	})
	if err != nil {
		t.Fatalf("TCP pair: %v", err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// readFull reads len(want) bytes from c within the latency bound and
// compares them with want.
func expectRead(t *testing.T, c net.Conn, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	c.SetReadDeadline(time.Now().Add(testutil.LatencyBound(netRecvTimeout)))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read %d bytes: %v (got %q)", len(want), err, got)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// expectSilence checks that nothing arrives on c for a short while.
func expectSilence(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(netSilence))
	n, err := c.Read(buf)
	if n > 0 {
		t.Fatalf("unexpected data %q", buf[:n])
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want a timeout", err)
	}
}

// newSockMap creates a SockMap or SockHash with 4-byte keys and 8-byte values.
func newSockMap(t *testing.T, typ bpf.MapType) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "socks", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	if err != nil {
		t.Fatalf("create %v: %v", typ, err)
	}
	closeAll(t, m)
	return m
}

// putSocket stores c under the 4-byte key k.
func putSocket(t *testing.T, m *bpf.Map, k uint32, c *net.TCPConn) {
	t.Helper()
	key := binary.NativeEndian.AppendUint32(nil, k)
	if err := m.UpdateSocket(key, c, bpf.UpdateAny); err != nil {
		t.Fatalf("store socket %d in %v: %v", k, m.Type(), err)
	}
}

// newStats creates an array of n 64-bit counters.
func newStats(t *testing.T, n uint32) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "stats", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: n})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, m)
	return m
}

// stat reads counter i of a map made by newStats.
func stat(t *testing.T, m *bpf.Map, i uint32) uint64 {
	t.Helper()
	var val [8]byte
	if err := m.Lookup(binary.NativeEndian.AppendUint32(nil, i), val[:]); err != nil {
		t.Fatalf("read stat %d: %v", i, err)
	}
	return binary.NativeEndian.Uint64(val[:])
}

// addStat returns instructions that atomically add src (R6..R9, it survives
// the call) to counter idx of stats. Clobbers R0-R5 and the stack word at -4.
func addStat(stats *bpf.Map, idx int32, src asm.Register, label string) asm.Instructions {
	return asm.Instructions{
		asm.St(asm.W, asm.R10, -4, idx),
		asm.LoadMap(asm.R1, stats),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, label),
		asm.AtomicAddReg(asm.DW, asm.R0, src, 0),
		asm.Label(label),
	}
}

// redirectCall returns instructions that call the redirect helper for map
// type typ with target key 1: bpf_msg_redirect_map / bpf_sk_redirect_map
// take the key by value, the _hash variants by pointer. R1 must hold the
// context. The result is left in R0.
func redirectCall(socks *bpf.Map, msg bool, flags int32) asm.Instructions {
	var insns asm.Instructions
	if socks.Type() == bpf.SockHash {
		fn := asm.FnSkRedirectHash
		if msg {
			fn = asm.FnMsgRedirectHash
		}
		return append(insns,
			asm.St(asm.W, asm.R10, -8, 1),
			asm.LoadMap(asm.R2, socks),
			asm.MovReg(asm.R3, asm.R10),
			asm.AddImm(asm.R3, -8),
			asm.MovImm(asm.R4, flags),
			asm.Call(fn),
		)
	}
	fn := asm.FnSkRedirectMap
	if msg {
		fn = asm.FnMsgRedirectMap
	}
	return append(insns,
		asm.LoadMap(asm.R2, socks),
		asm.MovImm(asm.R3, 1),
		asm.MovImm(asm.R4, flags),
		asm.Call(fn),
	)
}

func loadProg(t *testing.T, spec *bpf.ProgramSpec) *bpf.Program {
	t.Helper()
	spec.License = "GPL"
	p, err := bpf.NewProgram(spec)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %s: %+v", spec.Name, err)
	}
	closeAll(t, p)
	return p
}

// msgVerdict loads an sk_msg program that counts its runs and the bytes it
// sees (sk_msg_md.size) in stats[0] and stats[1], then either returns
// SK_DROP or redirects the message to the receive queue of socket 1 of socks.
func msgVerdict(t *testing.T, socks, stats *bpf.Map, drop bool) *bpf.Program {
	t.Helper()
	const skMsgMdSize = 68 // offsetof(struct sk_msg_md, size), from the kernel's BTF
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.MovImm(asm.R7, 1),
		asm.Ldx(asm.W, asm.R8, asm.R6, skMsgMdSize),
	}
	insns = append(insns, addStat(stats, 0, asm.R7, "runs")...)
	insns = append(insns, addStat(stats, 1, asm.R8, "bytes")...)
	if drop {
		insns = append(insns, asm.MovImm(asm.R0, asm.SKDrop), asm.Exit())
	} else {
		insns = append(insns, asm.MovReg(asm.R1, asm.R6))
		insns = append(insns, redirectCall(socks, true, bpfFIngress)...)
		insns = append(insns, asm.Exit())
	}
	return loadProg(t, &bpf.ProgramSpec{Name: "msg_verdict", Type: bpf.SkMsg, AttachType: bpf.AttachSkMsgVerdict, Instructions: insns})
}

// sockMapAttachers attach through BPF_PROG_ATTACH or a sockmap BPF link.
var sockMapAttachers = []struct {
	name   string
	attach func(t *testing.T, opts link.SockMapOptions) link.Link
}{
	{"prog_attach", func(t *testing.T, opts link.SockMapOptions) link.Link {
		l, err := link.AttachSockMap(opts)
		testutil.SkipIfNotSupported(t, err)
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		return l
	}},
	{"link", func(t *testing.T, opts link.SockMapOptions) link.Link {
		testutil.RequireFeature(t, "sockmap BPF link (Linux 6.10)", link.HaveSockMapLink)
		l, err := link.AttachSockMapLink(opts)
		if err != nil {
			t.Fatalf("attach link: %v", err)
		}
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		mid, err := opts.Map.ID()
		if err != nil {
			t.Fatal(err)
		}
		pid, err := opts.Program.ID()
		if err != nil {
			t.Fatal(err)
		}
		if s := info.SockMap(); info.Type != link.SockmapType || s == nil || s.Map != mid || s.Attach != opts.Attach || info.Program != pid {
			t.Errorf("link info %+v, sockmap %+v; want map %d, %v, program %d", info, s, mid, opts.Attach, pid)
		}
		return l
	}},
}

// checkQuery checks that QuerySockMap reports prog (or nothing when prog is nil).
func checkQuery(t *testing.T, m *bpf.Map, a bpf.AttachType, prog *bpf.Program) {
	t.Helper()
	res, err := link.QuerySockMap(m, a)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if prog == nil {
		if len(res.Programs) != 0 {
			t.Errorf("query %v: %+v, want nothing attached", a, res.Programs)
		}
		return
	}
	id, err := prog.ID()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Programs) != 1 || res.Programs[0].Program != id {
		t.Errorf("query %v: %+v, want program %d", a, res.Programs, id)
	}
}

// TestSockMapMsgRedirect attaches an sk_msg verdict that counts and
// redirects: what the client of connection A sends arrives at the server of
// connection B (socket 1 of the map), not at A's server.
func TestSockMapMsgRedirect(t *testing.T) {
	for _, typ := range []bpf.MapType{bpf.SockMap, bpf.SockHash} {
		for _, at := range sockMapAttachers {
			t.Run(fmt.Sprintf("%v/%s", typ, at.name), func(t *testing.T) {
				ns := testutil.NewNetNS(t)
				socks, stats := newSockMap(t, typ), newStats(t, 2)
				prog := msgVerdict(t, socks, stats, false)
				l := at.attach(t, link.SockMapOptions{Map: socks, Program: prog, Attach: bpf.AttachSkMsgVerdict})
				closeAll(t, l)
				checkQuery(t, socks, bpf.AttachSkMsgVerdict, prog)
				// Sockets get the map's programs when they are added to it.
				c1, s1 := tcpPair(t, ns)
				_, s2 := tcpPair(t, ns)
				putSocket(t, socks, 0, c1)
				putSocket(t, socks, 1, s2)
				msg := []byte("redirected by sk_msg")
				if _, err := c1.Write(msg); err != nil {
					t.Fatalf("send: %v", err)
				}
				expectRead(t, s2, msg)
				expectSilence(t, s1)
				if runs, n := stat(t, stats, 0), stat(t, stats, 1); runs != 1 || n != uint64(len(msg)) {
					t.Errorf("verdict ran %d times over %d bytes, want 1 run over %d", runs, n, len(msg))
				}
				if err := l.Close(); err != nil {
					t.Fatalf("detach: %v", err)
				}
				checkQuery(t, socks, bpf.AttachSkMsgVerdict, nil)
				// A socket already in the map keeps the program it was added with.
				if _, err := c1.Write(msg); err != nil {
					t.Fatalf("send after detach: %v", err)
				}
				expectRead(t, s2, msg)
				if runs := stat(t, stats, 0); runs != 2 {
					t.Errorf("verdict ran %d times on a socket added before the detach, want 2", runs)
				}
				// A socket added after the detach runs no program.
				c3, s3 := tcpPair(t, ns)
				putSocket(t, socks, 2, c3)
				if _, err := c3.Write(msg); err != nil {
					t.Fatalf("send after detach: %v", err)
				}
				expectRead(t, s3, msg)
				if runs := stat(t, stats, 0); runs != 2 {
					t.Errorf("verdict ran %d times for a socket added after the detach, want still 2", runs)
				}
			})
		}
	}
}

// TestSockMapMsgDrop attaches an sk_msg verdict returning SK_DROP: the
// sender's write fails with EACCES and nothing arrives.
func TestSockMapMsgDrop(t *testing.T) {
	for _, at := range sockMapAttachers {
		t.Run(at.name, func(t *testing.T) {
			ns := testutil.NewNetNS(t)
			socks, stats := newSockMap(t, bpf.SockMap), newStats(t, 2)
			prog := msgVerdict(t, socks, stats, true)
			closeAll(t, at.attach(t, link.SockMapOptions{Map: socks, Program: prog, Attach: bpf.AttachSkMsgVerdict}))
			c, s := tcpPair(t, ns)
			putSocket(t, socks, 0, c)
			_, err := c.Write([]byte("dropped"))
			if !errors.Is(err, unix.EACCES) {
				t.Errorf("send through a dropping verdict: %v, want EACCES", err)
			}
			expectSilence(t, s)
			if runs := stat(t, stats, 0); runs == 0 {
				t.Error("verdict did not run")
			}
		})
	}
}

// skbVerdict loads an sk_skb verdict program that counts its runs and the
// bytes it sees (__sk_buff.len) in stats[0] and stats[1], then redirects the
// skb out of socket 1 of socks (or, with pass, returns SK_PASS).
func skbVerdict(t *testing.T, socks, stats *bpf.Map, a bpf.AttachType, pass bool) *bpf.Program {
	t.Helper()
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.MovImm(asm.R7, 1),
		asm.Ldx(asm.W, asm.R8, asm.R6, asm.SkBuffLen),
	}
	insns = append(insns, addStat(stats, 0, asm.R7, "runs")...)
	insns = append(insns, addStat(stats, 1, asm.R8, "bytes")...)
	if pass {
		insns = append(insns, asm.MovImm(asm.R0, asm.SKPass), asm.Exit())
	} else {
		insns = append(insns, asm.MovReg(asm.R1, asm.R6))
		insns = append(insns, redirectCall(socks, false, 0)...)
		insns = append(insns, asm.Exit())
	}
	return loadProg(t, &bpf.ProgramSpec{Name: "skb_verdict", Type: bpf.SkSKB, AttachType: a, Instructions: insns})
}

// streamParser loads an sk_skb stream parser returning msgLen, or the
// skb's length when msgLen is 0.
func streamParser(t *testing.T, msgLen int32) *bpf.Program {
	t.Helper()
	insns := asm.Instructions{asm.Ldx(asm.W, asm.R0, asm.R1, asm.SkBuffLen), asm.Exit()}
	if msgLen > 0 {
		insns = asm.Instructions{asm.MovImm(asm.R0, msgLen), asm.Exit()}
	}
	return loadProg(t, &bpf.ProgramSpec{Name: "parser", Type: bpf.SkSKB, AttachType: bpf.AttachSkSKBStreamParser, Instructions: insns})
}

// TestSockMapSkbRedirect attaches a verdict (stream verdict with a parser,
// or the per-skb verdict) that redirects what the server of connection A
// receives out of the client of connection B: B's server reads it, A's
// server does not.
func TestSockMapSkbRedirect(t *testing.T) {
	verdicts := []struct {
		name   string
		attach bpf.AttachType
		parser bool
	}{
		{"stream_verdict", bpf.AttachSkSKBStreamVerdict, true},
		{"skb_verdict", bpf.AttachSkSKBVerdict, false},
	}
	for _, typ := range []bpf.MapType{bpf.SockMap, bpf.SockHash} {
		for _, v := range verdicts {
			for _, at := range sockMapAttachers {
				t.Run(fmt.Sprintf("%v/%s/%s", typ, v.name, at.name), func(t *testing.T) {
					ns := testutil.NewNetNS(t)
					socks, stats := newSockMap(t, typ), newStats(t, 2)
					verdict := skbVerdict(t, socks, stats, v.attach, false)
					var links []link.Link
					if v.parser {
						parser := streamParser(t, 0)
						links = append(links, at.attach(t, link.SockMapOptions{Map: socks, Program: parser, Attach: bpf.AttachSkSKBStreamParser}))
						checkQuery(t, socks, bpf.AttachSkSKBStreamParser, parser)
					}
					links = append(links, at.attach(t, link.SockMapOptions{Map: socks, Program: verdict, Attach: v.attach}))
					for _, l := range links {
						closeAll(t, l)
					}
					checkQuery(t, socks, v.attach, verdict)
					c1, s1 := tcpPair(t, ns)
					c2, s2 := tcpPair(t, ns)
					putSocket(t, socks, 0, s1)
					putSocket(t, socks, 1, c2)
					msg := []byte("redirected by sk_skb")
					if _, err := c1.Write(msg); err != nil {
						t.Fatalf("send: %v", err)
					}
					expectRead(t, s2, msg)
					expectSilence(t, s1)
					if runs, n := stat(t, stats, 0), stat(t, stats, 1); runs == 0 || n != uint64(len(msg)) {
						t.Errorf("verdict ran %d times over %d bytes, want %d bytes", runs, n, len(msg))
					}
				})
			}
		}
	}
}

// TestSockMapStreamParser attaches a parser that cuts the stream into
// messages of a fixed length and a verdict that passes them: 12 bytes sent
// in one write make one verdict run per message, and arrive intact. (The
// verdict sees the whole received skb each time — __sk_buff.len is 12 — as
// strparser keeps the message bounds in its control block, so the runs, not
// the length, show where the parser cut.)
func TestSockMapStreamParser(t *testing.T) {
	parsers := []struct {
		msgLen int32 // 0: the parser returns the skb's length
		runs   uint64
	}{{4, 3}, {6, 2}, {0, 1}}
	for _, at := range sockMapAttachers {
		for _, p := range parsers {
			t.Run(fmt.Sprintf("%s/len_%d", at.name, p.msgLen), func(t *testing.T) {
				ns := testutil.NewNetNS(t)
				socks, stats := newSockMap(t, bpf.SockMap), newStats(t, 2)
				closeAll(t,
					at.attach(t, link.SockMapOptions{Map: socks, Program: streamParser(t, p.msgLen), Attach: bpf.AttachSkSKBStreamParser}),
					at.attach(t, link.SockMapOptions{Map: socks, Program: skbVerdict(t, socks, stats, bpf.AttachSkSKBStreamVerdict, true), Attach: bpf.AttachSkSKBStreamVerdict}),
				)
				c, s := tcpPair(t, ns)
				putSocket(t, socks, 0, s)
				msg := []byte("abcdefghijkl")
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				expectRead(t, s, msg)
				if runs := stat(t, stats, 0); runs != p.runs {
					t.Errorf("verdict ran %d times, want %d messages", runs, p.runs)
				}
			})
		}
	}
}

// TestSockMapUpdateDetach replaces the attached sk_msg program in place,
// detaches by program, and checks the errors for bad input and for a busy
// hook.
func TestSockMapUpdateDetach(t *testing.T) {
	ns := testutil.NewNetNS(t)
	socks, stats1, stats2 := newSockMap(t, bpf.SockMap), newStats(t, 2), newStats(t, 2)
	prog1 := msgVerdict(t, socks, stats1, true)
	prog2 := msgVerdict(t, socks, stats2, false)
	l, err := link.AttachSockMap(link.SockMapOptions{Map: socks, Program: prog1, Attach: bpf.AttachSkMsgVerdict})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, l)
	if err := l.Update(prog2); err != nil {
		t.Fatalf("update: %v", err)
	}
	checkQuery(t, socks, bpf.AttachSkMsgVerdict, prog2)
	c1, _ := tcpPair(t, ns)
	_, s2 := tcpPair(t, ns)
	putSocket(t, socks, 0, c1)
	putSocket(t, socks, 1, s2)
	if _, err := c1.Write([]byte("via prog2")); err != nil {
		t.Fatalf("send after update: %v", err)
	}
	expectRead(t, s2, []byte("via prog2"))
	if r1, r2 := stat(t, stats1, 0), stat(t, stats2, 0); r1 != 0 || r2 != 1 {
		t.Errorf("old program ran %d times, new one %d; want 0 and 1", r1, r2)
	}
	if err := link.DetachSockMap(socks, bpf.AttachSkMsgVerdict, prog1); !errors.Is(err, unix.ENOENT) {
		t.Errorf("detach of a program that is not attached: %v, want ENOENT", err)
	}
	if err := link.DetachSockMap(socks, bpf.AttachSkMsgVerdict, prog2); err != nil {
		t.Fatalf("detach: %v", err)
	}
	checkQuery(t, socks, bpf.AttachSkMsgVerdict, nil)
	if err := l.Close(); err == nil {
		t.Error("Close after an explicit detach succeeded")
	}

	if link.HaveSockMapLink() == nil {
		ln, err := link.AttachSockMapLink(link.SockMapOptions{Map: socks, Program: prog1, Attach: bpf.AttachSkMsgVerdict})
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, ln)
		if _, err := link.AttachSockMap(link.SockMapOptions{Map: socks, Program: prog2, Attach: bpf.AttachSkMsgVerdict}); !errors.Is(err, unix.EBUSY) {
			t.Errorf("prog_attach next to a sockmap link: %v, want EBUSY", err)
		}
		if err := ln.Update(prog2); err != nil {
			t.Errorf("link update: %v", err)
		}
		checkQuery(t, socks, bpf.AttachSkMsgVerdict, prog2)
	}

	hash, err := bpf.NewMap(&bpf.MapSpec{Name: "not_socks", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, hash)
	skb := skbVerdict(t, socks, stats1, bpf.AttachSkSKBStreamVerdict, true)
	bad := []struct {
		name string
		opts link.SockMapOptions
	}{
		{"nil map", link.SockMapOptions{Program: prog1, Attach: bpf.AttachSkMsgVerdict}},
		{"not a socket map", link.SockMapOptions{Map: hash, Program: prog1, Attach: bpf.AttachSkMsgVerdict}},
		{"nil program", link.SockMapOptions{Map: socks, Attach: bpf.AttachSkMsgVerdict}},
		{"wrong hook", link.SockMapOptions{Map: socks, Program: prog1, Attach: bpf.AttachCgroupInetEgress}},
		{"sk_skb program on sk_msg hook", link.SockMapOptions{Map: socks, Program: skb, Attach: bpf.AttachSkMsgVerdict}},
	}
	for _, tc := range bad {
		if l, err := link.AttachSockMap(tc.opts); err == nil {
			l.Close()
			t.Errorf("%s: attach succeeded", tc.name)
		}
		if l, err := link.AttachSockMapLink(tc.opts); err == nil {
			l.Close()
			t.Errorf("%s: link succeeded", tc.name)
		}
	}
	if err := link.DetachSockMap(socks, bpf.AttachSkMsgVerdict, nil); err == nil {
		t.Error("detach without a program succeeded")
	}
}
