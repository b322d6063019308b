//go:build linux

package elfobj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// TestKsymsSpec checks what the loader makes of testdata/ksyms.o's extern
// kernel symbols: kfunc calls by name and a typed per-CPU variable load by name.
func TestKsymsSpec(t *testing.T) {
	spec := mustLoad(t, "testdata/ksyms.o")
	var kfuncs []string
	for _, ins := range spec.Programs["task_pid"].Instructions {
		if ins.IsKfuncCall() {
			kfuncs = append(kfuncs, ins.Reference)
		}
	}
	if got := strings.Join(kfuncs, ","); got != "bpf_task_from_pid,bpf_task_release" {
		t.Errorf("task_pid kfunc calls = %q", got)
	}
	found := false
	for _, ins := range spec.Programs["rq_cpu"].Instructions {
		if ins.IsLoadImm64() && ins.Src == asm.PseudoBTFID && ins.Reference == "runqueues" {
			found = true
		}
	}
	if !found {
		t.Errorf("rq_cpu has no BTF-id load of runqueues:\n%v", spec.Programs["rq_cpu"].Instructions)
	}
}

// TestKsymsRefused loads objects using extern kernel symbols the loader does
// not handle: each is refused with an error naming the symbol and the reason.
func TestKsymsRefused(t *testing.T) {
	for obj, want := range map[string]string{
		"testdata/ksyms_untyped.o": `"bpf_prog_active": untyped (const void) ksyms need kallsyms addresses`,
	} {
		_, err := LoadCollectionSpec(obj)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %s", obj, err, want)
		}
	}
}

// TestKernelKsymWeak runs testdata/ksyms_weak.o: weak kfuncs behind
// bpf_ksym_exists. The object loads on every kernel; the program reports 10
// where the kernel has bpf_rcu_read_lock (by probe) and never 100 (no kernel
// has bpf_no_such_kfunc).
func TestKernelKsymWeak(t *testing.T) {
	testutil.RequireRoot(t)
	want := uint32(10)
	if err := bpf.HaveKfunc(bpf.Syscall, "bpf_rcu_read_lock"); errors.Is(err, bpf.ErrNotSupported) {
		want = 0
	} else if err != nil {
		t.Fatal(err)
	}
	spec := mustLoad(t, "testdata/ksyms_weak.o")
	var weakCalls int
	for _, ins := range spec.Programs["weak_kfuncs"].Instructions {
		if ins.IsKfuncCall() && ins.IsWeak() {
			weakCalls++
		}
	}
	if weakCalls != 3 {
		t.Errorf("%d weak kfunc calls, want 3", weakCalls)
	}
	prog := loadKsymsProgramFrom(t, "testdata/ksyms_weak.o", "weak_kfuncs")
	res, err := prog.Run(&bpf.RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != want {
		t.Errorf("returned %d, want %d", res.ReturnValue, want)
	}
}

// ksymsArgs is the syscall programs' context: struct args { u32 pid, cpu; }.
func ksymsArgs(pid, cpu uint32) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint32(b, pid)
	binary.NativeEndian.PutUint32(b[4:], cpu)
	return b
}

// loadKsymsProgram loads the one program name of testdata/ksyms.o.
func loadKsymsProgram(t *testing.T, name string) *bpf.Program {
	t.Helper()
	return loadKsymsProgramFrom(t, "testdata/ksyms.o", name)
}

// loadKsymsProgramFrom loads the one program name of the object obj.
func loadKsymsProgramFrom(t *testing.T, obj, name string) *bpf.Program {
	t.Helper()
	spec := mustLoad(t, obj)
	for n := range spec.Programs {
		if n != name {
			delete(spec.Programs, n)
		}
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll.Programs[name]
}

// TestKernelKsymKfuncs runs task_pid, which calls the extern kfuncs
// bpf_task_from_pid and bpf_task_release and returns the pid of the task it
// found: this process's, its parent's and a child's, and -1 for a pid nobody
// has.
func TestKernelKsymKfuncs(t *testing.T) {
	testutil.RequireRoot(t)
	for _, kf := range []string{"bpf_task_from_pid", "bpf_task_release"} {
		testutil.RequireFeature(t, kf+" (Linux 6.2)", func() error { return bpf.HaveKfunc(bpf.Syscall, kf) })
	}
	prog := loadKsymsProgram(t, "task_pid")
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	for _, pid := range []uint32{uint32(os.Getpid()), uint32(os.Getppid()), uint32(child.Process.Pid)} {
		res, err := prog.Run(&bpf.RunOptions{Context: ksymsArgs(pid, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != pid {
			t.Errorf("task_pid(%d) = %d", pid, int32(res.ReturnValue))
		}
	}
	if res, err := prog.Run(&bpf.RunOptions{Context: ksymsArgs(1<<30, 0)}); err != nil || int32(res.ReturnValue) != -1 {
		t.Errorf("task_pid(no such pid) = %v, %v; want -1", res, err)
	}
}

// TestKernelKsymVariable runs rq_cpu, which reads runqueues (a typed per-CPU
// ksym) through bpf_per_cpu_ptr and returns rq->cpu, for each CPU. Kernels
// built without CONFIG_KALLSYMS_ALL cannot give the variable's address
// (ENOENT): the probe skips there.
func TestKernelKsymVariable(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireFeature(t, "kernel variable runqueues (typed ksym)", func() error { return bpf.HaveKernelVariable("runqueues") })
	prog := loadKsymsProgram(t, "rq_cpu")
	for cpu := range uint32(runtime.NumCPU()) {
		res, err := prog.Run(&bpf.RunOptions{Context: ksymsArgs(0, cpu)})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != cpu {
			t.Errorf("rq_cpu(%d) = %d", cpu, int32(res.ReturnValue))
		}
	}
}

// TestVerifierErrorCLine loads testdata/bad.c, which reads the packet without a bounds check:
// the VerifierError points at the C file and line of the read and carries the line's text, from
// the object's BTF line info.
func TestVerifierErrorCLine(t *testing.T) {
	testutil.RequireRoot(t)
	spec := mustLoad(t, "testdata/bad.o")
	_, err := bpf.NewProgram(spec.Programs["unchecked"])
	var ve *bpf.VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("load: %v, want a VerifierError", err)
	}
	src, rerr := os.ReadFile("testdata/bad.c")
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "return data[20];") {
			want = i + 1
		}
	}
	if !strings.HasSuffix(ve.Source.File, "bad.c") || ve.Source.Line != want || !strings.Contains(ve.SourceText, "return data[20];") {
		t.Errorf("source %v %q, want bad.c:%d and its text", ve.Source, ve.SourceText, want)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("bad.c:%d", want)) || !strings.Contains(fmt.Sprintf("%+v", err), "return data[20];") {
		t.Errorf("error text: %+v", err)
	}
}
