package btf

import (
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// BenchmarkCOREObject applies the 28 relocations (all 13 kinds) of testdata/core_kernel.o
// against the running kernel's BTF, as loading that object would.
func BenchmarkCOREObject(b *testing.B) {
	target := mustLoadKernel(b)
	local, es, insns := loadObject(b, "testdata/core_kernel.o", "raw_tp/sys_enter")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyCORERelos(insns, local, es.CORERelos, target); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCOREByName resolves a Go-built program's relocations (a core read through
// real_parent and three constants) against the running kernel's BTF.
func BenchmarkCOREByName(b *testing.B) {
	target := mustLoadKernel(b)
	insns := asm.Instructions{
		asm.CoreFieldOffset(asm.R1, "task_struct", "pid"),
		asm.CoreTypeSize(asm.R2, "task_struct"),
		asm.CoreEnumValue(asm.R3, "pid_type", "PIDTYPE_TGID"),
	}
	insns = append(insns, asm.CoreRead(asm.R0, asm.R6, -8, "task_struct", "real_parent", "tgid")...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyCORE(insns, target); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCOREColdFieldOffset measures a Go program's first CO-RE load in a process: parsing
// the kernel's BTF, then resolving task_struct.pid.
func BenchmarkCOREColdFieldOffset(b *testing.B) {
	requireKernelBTF(b)
	insns := asm.Instructions{asm.CoreFieldOffset(asm.R1, "task_struct", "pid")}
	b.ReportAllocs()
	for b.Loop() {
		target, err := LoadKernelSpec()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ApplyCORE(insns, target); err != nil {
			b.Fatal(err)
		}
	}
}
