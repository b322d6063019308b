//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/tour"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 65,
		Name:  "CO-RE: Go-built programs relocated against this kernel's types",
		Run:   tourCORE,
	})
}

// tourCORE builds raw tracepoint programs that read the current task through CO-RE relocations
// (field offsets, field existence, type sizes, enum values), which the loader resolves against
// /sys/kernel/btf/vmlinux. BPF_PROG_TEST_RUN runs a raw tracepoint program on the calling thread,
// so the values can be checked against what Go sees.
func tourCORE(ctx context.Context, w io.Writer) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	run := func(name string, insns asm.Instructions) (uint32, error) {
		p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: bpf.RawTracepoint, License: "GPL", Instructions: insns})
		if err != nil {
			return 0, err
		}
		defer p.Close()
		res, err := p.Run(&bpf.RunOptions{Context: make([]byte, 8)})
		if err != nil {
			return 0, fmt.Errorf("program %q: run: %w", name, err)
		}
		return res.ReturnValue, nil
	}
	read := func(chain ...string) asm.Instructions {
		insns := asm.Instructions{
			asm.Call(asm.FnGetCurrentTask),
			asm.MovReg(asm.R6, asm.R0),
		}
		insns = append(insns, asm.CoreRead(asm.R0, asm.R6, -16, "task_struct", chain...)...)
		return append(insns, asm.Exit())
	}
	one := func(ins asm.Instruction) asm.Instructions { return asm.Instructions{ins, asm.Exit()} }

	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return fmt.Errorf("kernel BTF: %w", err)
	}
	id, _, err := btf.Find[*btf.Struct](spec, "task_struct")
	if err != nil {
		return err
	}
	size, err := spec.Sizeof(id)
	if err != nil {
		return err
	}

	rows := []struct {
		what  string
		insns asm.Instructions
		want  int
	}{
		{"task_struct->pid (thread id)", read("pid"), unix.Gettid()},
		{"task_struct->tgid (process id)", read("tgid"), unix.Getpid()},
		{"task_struct->real_parent->tgid", read("real_parent", "tgid"), unix.Getppid()},
		{"field exists: task_struct.pid", one(asm.CoreFieldExists(asm.R0, "task_struct", "pid")), 1},
		{"field exists: task_struct.no_such_field", one(asm.CoreFieldExists(asm.R0, "task_struct", "no_such_field")), 0},
		{"sizeof(struct task_struct)", one(asm.CoreTypeSize(asm.R0, "task_struct")), size},
	}
	fmt.Fprintf(w, "%-40s %12s %12s\n", "relocated read", "program", "Go / BTF")
	for _, r := range rows {
		got, err := run("core_tour", r.insns)
		if err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		fmt.Fprintf(w, "%-40s %12d %12d\n", r.what, got, r.want)
		if int(got) != r.want {
			return fmt.Errorf("%s: program read %d, want %d", r.what, got, r.want)
		}
	}
	return nil
}
