package bpf

import (
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

// TestHaveProgramType checks the probe against loading for real: a type the probe calls
// supported loads (or reaches the verifier), and an unsupported one is a *FeatureError.
func TestHaveProgramType(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	for _, tt := range []struct {
		typ   ProgramType
		want  bool
		since [2]int // the kernel that introduced the type, for older kernels under VMTEST
	}{
		{SocketFilter, true, [2]int{3, 19}},
		{XDP, true, [2]int{4, 8}},
		{SchedCLS, true, [2]int{4, 1}},
		{CgroupSockAddr, true, [2]int{4, 17}}, // needs an expected attach type: the probe gives one
		{SkLookup, true, [2]int{5, 9}},
		{Syscall, true, [2]int{5, 14}}, // needs BPF_F_SLEEPABLE
		{Netfilter, true, [2]int{6, 4}},
		{Tracing, true, [2]int{5, 5}},   // tp_btf and iterators work; the verifier asks for a BTF id
		{StructOps, true, [2]int{5, 6}}, // needs a BTF id; the verifier ran
		{UnspecifiedProgram, false, [2]int{}},
		{ProgramType(1000), false, [2]int{}},
	} {
		t.Run(tt.typ.String(), func(t *testing.T) {
			if tt.want {
				testutil.RequireKernel(t, tt.since[0], tt.since[1], tt.typ.KernelName()+" programs")
			}
			err := HaveProgramType(tt.typ)
			if tt.want && err != nil {
				t.Fatalf("HaveProgramType(%v) = %v, want nil", tt.typ, err)
			}
			if !tt.want {
				var fe *FeatureError
				if !errors.As(err, &fe) || !errors.Is(err, ErrNotSupported) {
					t.Fatalf("HaveProgramType(%v) = %v, want a *FeatureError", tt.typ, err)
				}
				if !strings.Contains(err.Error(), "not supported") {
					t.Fatalf("error %q", err)
				}
			}
			// Cached: the same answer again.
			if err2 := HaveProgramType(tt.typ); (err == nil) != (err2 == nil) {
				t.Fatalf("second answer %v, first %v", err2, err)
			}
		})
	}
	// Every answer is nil or ErrNotSupported, never a bare errno, and agrees with loading.
	for typ := ProgramType(1); typ <= lastProgramType; typ++ {
		err := HaveProgramType(typ)
		if err != nil && !errors.Is(err, ErrNotSupported) {
			t.Errorf("HaveProgramType(%v) = %v: neither nil nor ErrNotSupported", typ, err)
		}
		if err == nil {
			continue
		}
		spec := minimalProgram(typ, nil)
		if p, lerr := NewProgram(spec); lerr == nil {
			p.Close()
			t.Errorf("HaveProgramType(%v) = %v, but a minimal program loads", typ, err)
		}
		t.Logf("%v: %v", typ, err)
	}
}

func TestHaveHelper(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	for _, tt := range []struct {
		typ  ProgramType
		fn   asm.BuiltinFunc
		want bool
	}{
		{XDP, asm.FnMapLookupElem, true},
		{XDP, asm.FnXDPAdjustHead, true},
		{XDP, asm.FnKtimeGetNs, true},
		{SchedCLS, asm.FnSkbStoreBytes, true},
		{XDP, asm.FnSkbStoreBytes, false},       // an skb helper in XDP
		{SocketFilter, asm.FnRedirect, false},   // TC/XDP only
		{XDP, asm.FnOverrideReturn, false},      // kprobe only
		{XDP, asm.BuiltinFunc(100000), false},   // no such helper
		{LircMode2, asm.FnMapLookupElem, false}, // no such program type here
	} {
		t.Run(tt.typ.String()+"/"+tt.fn.String(), func(t *testing.T) {
			err := HaveHelper(tt.typ, tt.fn)
			switch {
			case tt.want && err != nil:
				t.Fatalf("HaveHelper = %v, want nil", err)
			case !tt.want && !errors.Is(err, ErrNotSupported):
				if tt.typ == LircMode2 && err == nil {
					t.Skip("this kernel has lirc_mode2")
				}
				t.Fatalf("HaveHelper = %v, want ErrNotSupported", err)
			}
		})
	}
}

// TestHaveHelperNoAnswer: for program types that need an attach target, the verifier stops
// before the call, so the probe cannot answer; it says so instead of guessing.
func TestHaveHelperNoAnswer(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	err := HaveHelper(Tracing, asm.FnKtimeGetNs)
	if err == nil || errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "stopped before the call") {
		t.Fatalf("HaveHelper(Tracing) = %v", err)
	}
}

func TestHaveMapType(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	// Map types every kernel since 6.1 has; newer ones (cgrp_storage 6.2, arena 6.9) are only
	// checked for a well-formed answer.
	baseline := map[MapType]bool{Hash: true, Array: true, ProgramArray: true, PerfEventArray: true,
		PerCPUHash: true, PerCPUArray: true, LRUHash: true, LPMTrie: true, ArrayOfMaps: true,
		HashOfMaps: true, DevMap: true, SockMap: true, CPUMap: true, XSKMap: true, SockHash: true,
		Queue: true, Stack: true, SkStorage: true, DevMapHash: true, StructOpsMap: true, RingBuf: true,
		InodeStorage: true, TaskStorage: true, BloomFilter: true, UserRingBuf: true}
	ma, mi, _ := testutil.KernelVersion()
	modern := ma > 6 || ma == 6 && mi >= 1
	for typ := MapType(1); !strings.HasPrefix(typ.String(), "MapType("); typ++ {
		err := HaveMapType(typ)
		if err != nil && !errors.Is(err, ErrNotSupported) {
			t.Errorf("HaveMapType(%v) = %v: neither nil nor ErrNotSupported", typ, err)
		}
		if err != nil && modern && baseline[typ] {
			t.Errorf("HaveMapType(%v) = %v on a kernel that has it", typ, err)
		}
		if err == nil {
			continue
		}
		t.Logf("%v: %v", typ, err)
	}
	if err := HaveMapType(UnspecifiedMap); !errors.Is(err, ErrNotSupported) {
		t.Errorf("unspecified: %v", err)
	}
	if err := HaveMapType(MapType(1000)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("MapType(1000): %v", err)
	}
}

func BenchmarkHaveProgramTypeCached(b *testing.B) {
	testutil.RequirePrivilege(b, "CAP_BPF")
	HaveProgramType(XDP)
	b.ReportAllocs()
	for b.Loop() {
		if err := HaveProgramType(XDP); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHaveKfunc probes kfuncs: bpf_task_from_pid for syscall programs (Linux 6.2; a
// not-supported answer must then be about BTF), one no kernel has, and one refused to a
// program type (bpf_task_from_pid is not offered to socket filters).
func TestHaveKfunc(t *testing.T) {
	testutil.RequireRoot(t)
	err := HaveKfunc(Syscall, "bpf_task_from_pid")
	if errors.Is(err, ErrNotSupported) {
		if !errors.Is(err, btf.ErrNotFound) {
			t.Fatalf("bpf_task_from_pid: %v, want found or absent from BTF", err)
		}
		t.Skipf("kernel lacks bpf_task_from_pid (Linux 6.2): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := HaveKfunc(Syscall, "bpf_no_such_kfunc"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("bpf_no_such_kfunc: %v, want ErrNotSupported", err)
	}
	if err := HaveKfunc(SocketFilter, "bpf_task_from_pid"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("bpf_task_from_pid for socket filters: %v, want ErrNotSupported", err)
	}
}

// TestHaveKernelVariable probes typed ksyms: runqueues (in every vmlinux BTF; its address needs
// CONFIG_KALLSYMS_ALL) and a variable no kernel has. The load answer is checked against a real
// program: where the probe says yes, a syscall program reading rq->cpu through bpf_per_cpu_ptr
// loads and returns each CPU's number.
func TestHaveKernelVariable(t *testing.T) {
	testutil.RequireRoot(t)
	if err := HaveKernelVariable("bpf_no_such_variable"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("bpf_no_such_variable: %v, want ErrNotSupported", err)
	}
	err := HaveKernelVariable("runqueues")
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, 0), // the CPU, from the context
		asm.LoadKsym(asm.R1, "runqueues"),
		asm.Call(asm.FnPerCPUPtr),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "null"),
		asm.CoreLoad(asm.W, asm.R0, asm.R0, "rq", "cpu"),
		asm.Exit(),
		asm.Label("null"),
		asm.MovImm(asm.R0, -1),
		asm.Exit(),
	}
	prog, err := NewProgram(&ProgramSpec{Name: "rq_cpu", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer prog.Close()
	for cpu := range uint32(runtime.NumCPU()) {
		res, err := prog.Run(&RunOptions{Context: binary.NativeEndian.AppendUint32(nil, cpu)})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != cpu {
			t.Errorf("rq_cpu(%d) = %d", cpu, int32(res.ReturnValue))
		}
	}
}
