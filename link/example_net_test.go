package link_test

import (
	"fmt"
	"net"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/link"
)

// Attach an XDP program to an interface with a BPF link; closing the link
// detaches it.
func ExampleAttachXDP() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "pass", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.XDPPass), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifc.Index, Mode: link.XDPGeneric})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	info, err := l.Info()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("XDP link %d on ifindex %d\n", info.ID, info.XDP().Interface)
}

// Drop every packet eth0 receives, with a cls_bpf filter on the clsact qdisc.
func ExampleAttachTC() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "drop", Type: bpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.TCActShot), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := link.AttachTC(link.TCOptions{Program: prog, Interface: ifc.Index, Direction: link.Ingress})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Printf("filter priority %d handle %#x\n", f.Priority(), f.Handle())
}

// Forbid outgoing IPv4 connections from a cgroup: connect() gets EPERM.
func ExampleAttachCgroup() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "no_connect", Type: bpf.CgroupSockAddr, AttachType: bpf.AttachCgroupInet4Connect, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.AttachCgroup(link.CgroupOptions{
		Path: "/sys/fs/cgroup/sandbox", Attach: bpf.AttachCgroupInet4Connect, Program: prog,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// Pin a link so it outlives the process, and reopen it later.
func ExampleRawLink_Pin() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "pass", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.XDPPass), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: lo.Index, Mode: link.XDPGeneric})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := l.Pin("/sys/fs/bpf/my_xdp"); err != nil {
		fmt.Println(err)
	}
	l.Close() // still attached: the pin holds it

	again, err := link.LoadPinnedLink("/sys/fs/bpf/my_xdp")
	if err != nil {
		fmt.Println(err)
		return
	}
	again.Unpin()
	again.Close() // now detached
}

// XDP modes print with iproute2's names.
func ExampleXDPMode_String() {
	fmt.Println(link.XDPGeneric, link.XDPDriver)
	// Output: xdpgeneric xdpdrv
}
