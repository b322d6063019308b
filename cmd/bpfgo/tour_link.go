//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"runtime"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/link"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 70,
		Name:  "attach points: tracepoints, uprobes, iterators, XDP on loopback",
		Run:   tourLink,
	})
}

func tourLink(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "Programs attached to the kernel with package link; every count below is read from a map.\n")
	for _, part := range []func(context.Context, io.Writer) error{tourRawTracepoint, tourTaskIter, tourUprobe, tourXDPLoopback} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := part(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// linkCounter loads a program of type typ that adds one to a one-slot array map each time it
// runs, when tgid is non-zero only in that process. The caller closes both.
func linkCounter(typ bpf.ProgramType, tgid int, ret int32) (*bpf.Program, *bpf.Map, error) {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "tour_count", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		return nil, nil, err
	}
	st := emit.NewStack()
	key, init := st.MustAlloc("key", 4), st.MustAlloc("init", 8)
	var insns asm.Instructions
	if tgid != 0 {
		insns = append(insns,
			asm.Call(asm.FnGetCurrentPidTgid),
			asm.RshImm(asm.R0, 32),
			asm.JmpImm(asm.JNE, asm.R0, int32(tgid), "out"))
	}
	insns = append(insns, asm.St(asm.W, asm.R10, key.Off, 0))
	insns = append(insns, mapop.IncrementAtomic(m, key, init, 0, 1)...)
	insns = append(insns, asm.Label("out"), asm.MovImm(asm.R0, ret), asm.Exit())
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_count", Type: typ, License: "GPL", Instructions: insns})
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("load %v counter: %w", typ, err)
	}
	return prog, m, nil
}

func linkCount(m *bpf.Map) (uint64, error) {
	var v [8]byte
	if err := m.Lookup([]byte{0, 0, 0, 0}, v[:]); err != nil {
		return 0, fmt.Errorf("map %q: lookup: %w", "tour_count", err)
	}
	return binary.NativeEndian.Uint64(v[:]), nil
}

// tourRawTracepoint counts the system calls of this process on the raw tracepoint sys_enter.
func tourRawTracepoint(_ context.Context, w io.Writer) error {
	fmt.Fprintf(w, "\nraw tracepoint sys_enter: count the system calls of this process (tgid %d)\n", os.Getpid())
	prog, m, err := linkCounter(bpf.RawTracepoint, os.Getpid(), 0)
	if err != nil {
		return err
	}
	defer m.Close()
	defer prog.Close()
	l, err := link.AttachRawTracepoint("sys_enter", prog)
	if err != nil {
		return err
	}
	defer l.Close()
	before, err := linkCount(m)
	if err != nil {
		return err
	}
	const calls = 10
	for range calls {
		unix.Getpid()
	}
	after, err := linkCount(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  syscalls counted: %d, after %d getpid calls: %d\n", before, calls, after)
	if after < before+calls {
		return fmt.Errorf("raw tracepoint sys_enter: count rose by %d over %d getpid calls", after-before, calls)
	}
	return nil
}

// tourTaskIter walks every task with a task iterator that writes tgid, pid and comm.
func tourTaskIter(_ context.Context, w io.Writer) error {
	fmt.Fprintf(w, "\ntask iterator: the program writes tgid, pid and comm of every task with bpf_seq_write\n")
	const rec = 24 // tgid u32, pid u32, comm [16]byte
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R6, asm.R1, 0), // meta
		asm.Ldx(asm.DW, asm.R7, asm.R1, 8), // task, NULL at the end of the walk
		asm.JmpImm(asm.JEQ, asm.R7, 0, "out"),
		asm.CoreLoad(asm.W, asm.R2, asm.R7, "task_struct", "tgid"),
		asm.Stx(asm.W, asm.R10, asm.R2, -rec),
		asm.CoreLoad(asm.W, asm.R2, asm.R7, "task_struct", "pid"),
		asm.Stx(asm.W, asm.R10, asm.R2, -rec+4),
		asm.CoreFieldOffset(asm.R3, "task_struct", "comm"),
		asm.AddReg(asm.R3, asm.R7),
		asm.MovReg(asm.R1, asm.R10),
		asm.AddImm(asm.R1, -rec+8),
		asm.MovImm(asm.R2, 16),
		asm.Call(asm.FnProbeReadKernel),
		asm.Ldx(asm.DW, asm.R1, asm.R6, 0), // meta->seq
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -rec),
		asm.MovImm(asm.R3, rec),
		asm.Call(asm.FnSeqWrite),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_tasks", Type: bpf.Tracing, AttachType: bpf.AttachTraceIter,
		AttachTo: "task", License: "GPL", Instructions: insns})
	if err != nil {
		return fmt.Errorf("load task iterator: %w", err)
	}
	defer prog.Close()
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		return err
	}
	defer it.Close()
	r, err := it.Open()
	if err != nil {
		return err
	}
	out, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return fmt.Errorf("iter: read: %w", err)
	}
	if len(out)%rec != 0 {
		return fmt.Errorf("task iterator wrote %d bytes, not a multiple of %d", len(out), rec)
	}
	type task struct {
		tgid, pid uint32
		comm      string
	}
	var procs []task
	var self *task
	for b := out; len(b) > 0; b = b[rec:] {
		t := task{binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:]), string(bytes.TrimRight(b[8:rec], "\x00"))}
		if t.pid != t.tgid {
			continue // a thread, not the main task of a process
		}
		procs = append(procs, t)
		if t.tgid == uint32(os.Getpid()) {
			self = &procs[len(procs)-1]
		}
	}
	fmt.Fprintf(w, "  %d tasks, %d processes; the first ones and this tour:\n", len(out)/rec, len(procs))
	for _, t := range procs[:min(4, len(procs))] {
		fmt.Fprintf(w, "  pid %7d  %s\n", t.pid, t.comm)
	}
	if self == nil {
		return fmt.Errorf("task iterator: this process (pid %d) not among %d processes", os.Getpid(), len(procs))
	}
	fmt.Fprintf(w, "  pid %7d  %s  <- this tour\n", self.pid, self.comm)
	return nil
}

// tourUprobeTarget is the function of this binary the uprobe part probes.
//
//go:noinline
func tourUprobeTarget(n int) int { return n * 3 }

// tourUprobe counts the calls of a Go function of this very binary with a uprobe.
func tourUprobe(_ context.Context, w io.Writer) error {
	sym := runtime.FuncForPC(reflect.ValueOf(tourUprobeTarget).Pointer()).Name()
	fmt.Fprintf(w, "\nuprobe on %s, a function of this binary\n", sym)
	path, err := os.Executable()
	if err != nil {
		return fmt.Errorf("uprobe: find this binary: %w", err)
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return err
	}
	prog, m, err := linkCounter(bpf.Kprobe, os.Getpid(), 0)
	if err != nil {
		return err
	}
	defer m.Close()
	defer prog.Close()
	l, err := ex.Uprobe(sym, prog, nil)
	if errors.Is(err, bpf.ErrNotSupported) {
		fmt.Fprintf(w, "  skipped: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer l.Close()
	const calls = 5
	sum := 0
	for i := range calls {
		sum += tourUprobeTarget(i)
	}
	n, err := linkCount(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  called %d times (sum %d), uprobe hits counted: %d\n", calls, sum, n)
	if n != calls {
		return fmt.Errorf("uprobe %s: counted %d calls, want %d", sym, n, calls)
	}
	return nil
}

// tourXDPLoopback attaches a counting XDP program in generic mode to lo of a fresh network
// namespace and sends UDP datagrams over it. The namespace lives on a locked OS thread that is
// discarded afterwards, so the rest of the process never sees it.
func tourXDPLoopback(_ context.Context, w io.Writer) error {
	fmt.Fprintf(w, "\nXDP (generic mode) on lo of a fresh network namespace: count the frames it receives\n")
	prog, m, err := linkCounter(bpf.XDP, 0, asm.XDPPass)
	if err != nil {
		return err
	}
	defer m.Close()
	defer prog.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		errc <- xdpInFreshNetNS(w, prog, m)
	}()
	return <-errc
}

func xdpInFreshNetNS(w io.Writer, prog *bpf.Program, m *bpf.Map) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netns: find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("netns: bring lo up: %w", err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: lo.Attrs().Index, Mode: link.XDPGeneric})
	if err != nil {
		return err
	}
	defer l.Close()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("netns: listen: %w", err)
	}
	defer rx.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return fmt.Errorf("netns: dial: %w", err)
	}
	defer tx.Close()
	const sent = 8
	buf := make([]byte, 64)
	for i := range sent {
		if _, err := tx.Write([]byte(fmt.Sprintf("datagram %d", i))); err != nil {
			return fmt.Errorf("netns: send: %w", err)
		}
		if _, err := rx.Read(buf); err != nil { // XDP_PASS: every datagram arrives
			return fmt.Errorf("netns: receive: %w", err)
		}
	}
	n, err := linkCount(m)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  ifindex %d, %d UDP datagrams sent and received, frames counted by XDP: %d\n", lo.Attrs().Index, sent, n)
	if n < sent {
		return fmt.Errorf("XDP on lo: counted %d frames, want at least %d", n, sent)
	}
	return nil
}
