package link_test

import (
	"fmt"
	"io"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/link"
)

// Uprobes take file offsets; Executable turns symbols into them.
func ExampleExecutable_Offset() {
	ex, err := link.OpenExecutable("testdata/tiny.elf")
	if err != nil {
		fmt.Println(err)
		return
	}
	off, err := ex.Offset("tiny_mul")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("tiny_mul at file offset %#x\n", off)
	// Output: tiny_mul at file offset 0x1010
}

// Run a program on every system call entry of the machine.
func ExampleAttachRawTracepoint() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.RawTracepoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.AttachRawTracepoint("sys_enter", prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close() // detaches
}

// Attach to a tracepoint listed in tracefs (events/syscalls/sys_enter_openat).
func ExampleTracepoint() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.TracePoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.Tracepoint("syscalls", "sys_enter_openat", prog, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// Kprobes need CONFIG_KPROBES; HaveKprobes says whether the kernel has them.
func ExampleKprobe() {
	if err := link.HaveKprobes(); err != nil {
		fmt.Println(err) // matches link.ErrNotSupported
		return
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.Kprobe,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.Kprobe("do_sys_openat2", prog, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// Probe a function of a binary by its symbol.
func ExampleExecutable_Uprobe() {
	ex, err := link.OpenExecutable("/bin/bash")
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.Kprobe, // uprobes run kprobe programs
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := ex.Uprobe("readline", prog, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// An iterator over every BPF map: the program writes each map's id, and each
// Open walks the maps again.
func ExampleAttachIter() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:       bpf.Tracing,
		AttachType: bpf.AttachTraceIter,
		AttachTo:   "bpf_map", // ctx: struct bpf_iter__bpf_map { meta; map; }
		License:    "GPL",
		Instructions: asm.Instructions{
			asm.Ldx(asm.DW, asm.R6, asm.R1, 0), // meta
			asm.Ldx(asm.DW, asm.R7, asm.R1, 8), // map, NULL at the end
			asm.JmpImm(asm.JEQ, asm.R7, 0, "out"),
			asm.CoreLoad(asm.W, asm.R2, asm.R7, "bpf_map", "id"),
			asm.Stx(asm.W, asm.R10, asm.R2, -8),
			asm.Ldx(asm.DW, asm.R1, asm.R6, 0), // meta->seq
			asm.MovReg(asm.R2, asm.R10),
			asm.AddImm(asm.R2, -8),
			asm.MovImm(asm.R3, 4),
			asm.Call(asm.FnSeqWrite),
			asm.Label("out"),
			asm.MovImm(asm.R0, 0),
			asm.Exit(),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer it.Close()
	r, err := it.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	ids, err := io.ReadAll(r)
	fmt.Println(len(ids)/4, "maps", err)
}

// Sample CPU 0 every millisecond of CPU time (software cpu-clock).
func ExampleAttachPerfEvent() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.PerfEvent,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.AttachPerfEvent(prog, &link.PerfEventOptions{CPU: 0, SamplePeriod: 1_000_000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// Deny nothing, but see every file open (the bpf LSM must be active:
// lsm=...,bpf on the kernel command line).
func ExampleAttachLSM() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.LSM,
		AttachType:   bpf.AttachLSMMac,
		AttachTo:     "file_open",
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()}, // 0: allow
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	l, err := link.AttachLSM(prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
}

// A TCP congestion control written in BPF: sockets choose it with
// setsockopt(TCP_CONGESTION, "bpf_cc").
func ExampleAttachStructOps() {
	progs := map[string]*bpf.Program{}
	for member, ret := range map[string]int32{"ssthresh": 2, "undo_cwnd": 10, "cong_avoid": 0} {
		p, err := bpf.NewProgram(&bpf.ProgramSpec{
			Type:         bpf.StructOps,
			AttachTo:     "tcp_congestion_ops:" + member,
			License:      "GPL",
			Instructions: asm.Instructions{asm.MovImm(asm.R0, ret), asm.Exit()},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer p.Close()
		progs[member] = p
	}
	so, err := link.AttachStructOps(&link.StructOpsSpec{
		Type:     "tcp_congestion_ops",
		Programs: progs,
		Data:     map[string][]byte{"name": []byte("bpf_cc")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer so.Close() // unregisters bpf_cc
}
