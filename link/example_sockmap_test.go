//go:build linux

package link_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/link"
)

// ExampleAttachSockMap attaches an sk_msg verdict to a sockmap and stores a
// TCP socket in it (made without MPTCP, which sockmap refuses): from then on
// the program decides over every message the socket sends.
func ExampleAttachSockMap() {
	socks, err := bpf.NewMap(&bpf.MapSpec{Name: "socks", Type: bpf.SockMap, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		panic(err)
	}
	defer socks.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "pass", Type: bpf.SkMsg, AttachType: bpf.AttachSkMsgVerdict, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.SKPass), asm.Exit()},
	})
	if err != nil {
		panic(err)
	}
	defer prog.Close()
	// Attach before storing sockets: a socket takes the map's programs when added.
	l, err := link.AttachSockMap(link.SockMapOptions{Map: socks, Program: prog, Attach: bpf.AttachSkMsgVerdict})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	var d net.Dialer
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	key := binary.NativeEndian.AppendUint32(nil, 0)
	if err := socks.UpdateSocket(key, c.(*net.TCPConn), bpf.UpdateAny); err != nil {
		panic(err)
	}
	fmt.Println("socket under the sk_msg verdict")
}

// ExampleAttachTCX_order attaches a second TCX program before the first one,
// guarded by the hook's revision, and lists the hook.
func ExampleAttachTCX_order() {
	const ifindex = 1 // lo
	progs := make([]*bpf.Program, 2)
	for i := range progs {
		p, err := bpf.NewProgram(&bpf.ProgramSpec{
			Name: "next", Type: bpf.SchedCLS, License: "GPL",
			Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.TCActUnspec), asm.Exit()}, // TCX_NEXT
		})
		if err != nil {
			panic(err)
		}
		defer p.Close()
		progs[i] = p
	}
	first, err := link.AttachTCX(link.TCXOptions{Program: progs[0], Interface: ifindex, Direction: link.Ingress})
	if err != nil {
		panic(err)
	}
	defer first.Close()
	res, err := link.QueryTCX(ifindex, link.Ingress)
	if err != nil {
		panic(err)
	}
	second, err := link.AttachTCX(link.TCXOptions{
		Program: progs[1], Interface: ifindex, Direction: link.Ingress,
		Anchor:           link.BeforeLink(first.RawLink),
		ExpectedRevision: res.Revision, // fails with ESTALE if someone changed the hook meanwhile
	})
	if err != nil {
		panic(err)
	}
	defer second.Close()
	if res, err = link.QueryTCX(ifindex, link.Ingress); err != nil {
		panic(err)
	}
	for _, p := range res.Programs {
		fmt.Println("program", p.Program, "link", p.Link)
	}
}
