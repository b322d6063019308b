//go:build linux

package bpf

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// runRawTP loads insns as a raw tracepoint program and test-runs it once on the calling
// thread (BPF_PROG_TEST_RUN runs raw tracepoints synchronously in the caller's context), and
// returns R0.
func runRawTP(t *testing.T, insns asm.Instructions) uint32 {
	t.Helper()
	p := loadTestProg(t, &ProgramSpec{Name: "core", Type: RawTracepoint, License: "GPL", Instructions: insns})
	res, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	return res.ReturnValue
}

// TestCOREKernelTaskFields reads the current task's pid, tgid and real_parent->tgid through
// CO-RE offsets resolved against the running kernel, and compares them with the test thread's
// own ids.
func TestCOREKernelTaskFields(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// The seed's style: an offset in a register added to the pointer, then a probe read.
	viaOffset := func(field string) asm.Instructions {
		return asm.Instructions{
			asm.Call(asm.FnGetCurrentTask),
			asm.MovReg(asm.R3, asm.R0),
			asm.CoreFieldOffset(asm.R4, "task_struct", field),
			asm.AddReg(asm.R3, asm.R4),
			asm.MovReg(asm.R1, asm.R10),
			asm.AddImm(asm.R1, -8),
			asm.CoreFieldSize(asm.R2, "task_struct", field),
			asm.Call(asm.FnProbeReadKernel),
			asm.Ldx(asm.W, asm.R0, asm.R10, -8),
			asm.Exit(),
		}
	}
	// The core-read sequence through a pointer chain.
	viaRead := func(chain ...string) asm.Instructions {
		insns := asm.Instructions{
			asm.Call(asm.FnGetCurrentTask),
			asm.MovReg(asm.R6, asm.R0),
		}
		insns = append(insns, asm.CoreRead(asm.R0, asm.R6, -16, "task_struct", chain...)...)
		return append(insns, asm.Exit())
	}
	tests := []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"pid via offset", viaOffset("pid"), unix.Gettid()},
		{"tgid via offset", viaOffset("tgid"), unix.Getpid()},
		{"pid via core read", viaRead("pid"), unix.Gettid()},
		{"tgid via core read", viaRead("tgid"), unix.Getpid()},
		{"real_parent->tgid", viaRead("real_parent", "tgid"), unix.Getppid()},
		{"group_leader->pid", viaRead("group_leader", "pid"), unix.Getpid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.LockOSThread() // subtests run on their own goroutine
			defer runtime.UnlockOSThread()
			want := tt.want
			if tt.name[:3] == "pid" {
				want = unix.Gettid()
			}
			if got := runRawTP(t, tt.insns); int(got) != want {
				t.Fatalf("got %d, want %d", got, want)
			}
		})
	}
}

// bpftoolRaw returns bpftool's raw dump of the kernel's BTF.
func bpftoolRaw(t *testing.T) []byte {
	t.Helper()
	bpftool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(bpftool, "btf", "dump", "file", btf.KernelBTFPath, "format", "raw").Output()
	if err != nil {
		t.Fatalf("bpftool: %v", err)
	}
	return out
}

// bpftoolFind finds "[id] KIND 'name' ..." in a raw dump and returns the id, the header line
// and the indented lines that follow it.
func bpftoolFind(t *testing.T, raw []byte, kind, name string) (int, string, []string) {
	t.Helper()
	re := regexp.MustCompile(`^\[(\d+)\] ` + kind + ` '` + regexp.QuoteMeta(name) + `' `)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	id := -1
	var head string
	var body []string
	for sc.Scan() {
		line := sc.Text()
		if id >= 0 {
			if !strings.HasPrefix(line, "\t") {
				break
			}
			body = append(body, strings.TrimSpace(line))
			continue
		}
		if m := re.FindStringSubmatch(line); m != nil {
			id, _ = strconv.Atoi(m[1])
			head = line
		}
	}
	if id < 0 {
		t.Fatalf("bpftool: no %s %q", kind, name)
	}
	return id, head, body
}

func rawAttr(t *testing.T, s, key string) int64 {
	t.Helper()
	m := regexp.MustCompile(`\b` + key + `=(-?\d+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s= in %q", key, s)
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

// TestCOREKernelValues checks field-exists, type size, type id, enumerator value and field
// offset relocations in the kernel against what bpftool reports for the kernel's BTF.
func TestCOREKernelValues(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	raw := bpftoolRaw(t)

	taskID, taskHead, taskBody := bpftoolFind(t, raw, "STRUCT", "task_struct")
	var pidOff, commBits int64 = -1, -1
	for _, l := range taskBody {
		if strings.HasPrefix(l, "'pid' ") {
			pidOff = rawAttr(t, l, "bits_offset") / 8
		}
		if strings.HasPrefix(l, "'comm' ") {
			commBits = rawAttr(t, l, "bits_offset")
		}
	}
	_, _, pidTypeBody := bpftoolFind(t, raw, "ENUM", "pid_type")
	var tgidVal, maxVal int64 = -1, -1
	for _, l := range pidTypeBody {
		if strings.HasPrefix(l, "'PIDTYPE_TGID' ") {
			tgidVal = rawAttr(t, l, "val")
		}
		if strings.HasPrefix(l, "'PIDTYPE_MAX' ") {
			maxVal = rawAttr(t, l, "val")
		}
	}
	_, bpfMapHead, _ := bpftoolFind(t, raw, "STRUCT", "bpf_map")
	if pidOff < 0 || commBits < 0 || tgidVal < 0 || maxVal < 0 {
		t.Fatalf("bpftool dump lacks a field: pid %d comm %d tgid %d max %d", pidOff, commBits, tgidVal, maxVal)
	}

	ret := func(ins asm.Instruction) asm.Instructions { return asm.Instructions{ins, asm.Exit()} }
	tests := []struct {
		name  string
		insns asm.Instructions
		want  int64
	}{
		{"field exists", ret(asm.CoreFieldExists(asm.R0, "task_struct", "pid")), 1},
		{"nested field exists", ret(asm.CoreFieldExists(asm.R0, "task_struct", "thread", "sp")), 1},
		{"invented field", ret(asm.CoreFieldExists(asm.R0, "task_struct", "no_such_field_xyz")), 0},
		{"invented field of a flavour", ret(asm.CoreFieldExists(asm.R0, "task_struct___mine", "invented")), 0},
		{"invented type", ret(asm.CoreFieldExists(asm.R0, "no_such_struct_xyz", "pid")), 0},
		{"field offset", ret(asm.CoreFieldOffset(asm.R0, "task_struct", "pid")), pidOff},
		{"flavoured field offset", ret(asm.CoreFieldOffset(asm.R0, "task_struct___v99", "comm")), commBits / 8},
		{"array element offset", ret(asm.CoreFieldOffset(asm.R0, "task_struct", "comm", "[3]")), commBits/8 + 3},
		{"field size", ret(asm.CoreFieldSize(asm.R0, "task_struct", "comm")), 16},
		{"field signed", ret(asm.CoreFieldSigned(asm.R0, "task_struct", "pid")), 1},
		{"type exists", ret(asm.CoreTypeExists(asm.R0, "struct bpf_map")), 1},
		{"type missing", ret(asm.CoreTypeExists(asm.R0, "struct no_such_struct_xyz")), 0},
		{"type size task_struct", ret(asm.CoreTypeSize(asm.R0, "task_struct")), rawAttr(t, taskHead, "size")},
		{"type size bpf_map", ret(asm.CoreTypeSize(asm.R0, "struct bpf_map")), rawAttr(t, bpfMapHead, "size")},
		{"type id", ret(asm.CoreTypeID(asm.R0, "struct task_struct")), int64(taskID)},
		{"enum value", ret(asm.CoreEnumValue(asm.R0, "pid_type", "PIDTYPE_TGID")), tgidVal},
		{"enum value of a flavour", ret(asm.CoreEnumValue(asm.R0, "enum pid_type___x", "PIDTYPE_MAX")), maxVal},
		{"enum exists", ret(asm.CoreEnumExists(asm.R0, "pid_type", "PIDTYPE_PGID")), 1},
		{"enum missing", ret(asm.CoreEnumExists(asm.R0, "pid_type", "PIDTYPE_NO_SUCH")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runRawTP(t, tt.insns); int64(got) != tt.want {
				t.Fatalf("got %d, want %d (bpftool)", got, tt.want)
			}
		})
	}
}

// TestCOREKernelPoison checks that an unresolvable relocation poisons its instruction: the
// verifier rejects it, naming the invalid helper, when it is reachable, and ignores it when an
// existence check makes it dead code.
func TestCOREKernelPoison(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	_, err := NewProgram(&ProgramSpec{Name: "poison", Type: RawTracepoint, License: "GPL", Instructions: asm.Instructions{
		asm.CoreFieldOffset(asm.R0, "task_struct", "no_such_field_xyz"),
		asm.Exit(),
	}})
	var ve *VerifierError
	if !errors.As(err, &ve) || !strings.Contains(strings.Join(ve.Log, "\n"), "195896080") {
		t.Fatalf("reachable poisoned instruction: %+v", err)
	}
	// The poisoned instruction keeps the Go position of the builder that emitted it.
	if !strings.Contains(err.Error(), "core_test.go") {
		t.Fatalf("error does not name the Go line: %v", err)
	}
	t.Logf("reachable poison: %v", err)

	// Guarded by an existence check, as the seed's conditional program does.
	got := runRawTP(t, asm.Instructions{
		asm.CoreFieldExists(asm.R0, "task_struct", "no_such_field_xyz"),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "fallback"),
		asm.CoreFieldOffset(asm.R0, "task_struct", "no_such_field_xyz"),
		asm.Ja("out"),
		asm.Label("fallback"),
		asm.CoreFieldOffset(asm.R0, "task_struct", "pid"),
		asm.Label("out"),
		asm.Exit(),
	})
	spec, err := kernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := spec.TypeByName("task_struct", btf.KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	f, err := spec.Field(id, "pid")
	if err != nil {
		t.Fatal(err)
	}
	if got != f.Offset/8 {
		t.Fatalf("fallback offset %d, want %d", got, f.Offset/8)
	}

	// A 64-bit immediate load keeps its two slots when poisoned, so raw jump offsets hold.
	p := loadTestProg(t, &ProgramSpec{Name: "poison64", Type: RawTracepoint, License: "GPL", Instructions: asm.Instructions{
		asm.MovImm(asm.R0, 0),
		asm.JmpImmOff(asm.JEQ, asm.R0, 0, 2),
		asm.CoreEnumValue(asm.R0, "pid_type", "PIDTYPE_NO_SUCH"),
		asm.Exit(),
	}})
	res, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("dead poisoned 64-bit load: %v %v", res, err)
	}
}

// TestCOREKernelDirectLoad loads a tp_btf program that reads task_struct fields directly from
// bpf_get_current_task_btf's pointer at CO-RE offsets, the verifier checking each access
// against the kernel's BTF. real_parent is built as a 4-byte load that CO-RE resizes to the
// member's 8 bytes; only a whole pointer member read at its exact offset yields a pointer the
// program may dereference, which it then does.
func TestCOREKernelDirectLoad(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	spec := &ProgramSpec{Name: "core_load", Type: Tracing, AttachType: AttachTraceRawTp, AttachTo: "sys_enter", License: "GPL",
		Instructions: asm.Instructions{
			asm.Call(asm.FnGetCurrentTaskBTF),
			asm.MovReg(asm.R6, asm.R0),
			asm.CoreLoad(asm.W, asm.R1, asm.R6, "task_struct", "tgid"),
			asm.CoreLoad(asm.W, asm.R2, asm.R6, "task_struct", "real_parent"), // becomes a u64 load
			// Only a whole pointer member read at its exact offset gives a pointer the
			// verifier lets the program dereference.
			asm.CoreLoad(asm.W, asm.R4, asm.R2, "task_struct", "tgid"),
			asm.CoreLoad(asm.B, asm.R3, asm.R6, "task_struct", "comm", "[2]"),
			asm.MovImm(asm.R0, 0),
			asm.Exit(),
		}}
	p, err := NewProgram(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	p.Close()

	// Control: the same dereference after a 4-byte read of real_parent (no CO-RE resize) is
	// rejected, so the check above can fail.
	ks, err := kernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	taskID, _, err := ks.TypeByName("task_struct", btf.KindStruct)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := ks.Field(taskID, "real_parent")
	if err != nil {
		t.Fatal(err)
	}
	control := *spec
	control.Instructions = asm.Instructions{
		asm.Call(asm.FnGetCurrentTaskBTF),
		asm.Ldx(asm.W, asm.R2, asm.R0, int16(rp.Offset/8)),
		asm.CoreLoad(asm.W, asm.R4, asm.R2, "task_struct", "tgid"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	if p, err := NewProgram(&control); err == nil {
		p.Close()
		t.Fatal("verifier accepted a dereference of half a pointer")
	}

	// A signed field read with another size is poisoned rather than misread.
	spec.Instructions = asm.Instructions{
		asm.Call(asm.FnGetCurrentTaskBTF),
		asm.CoreLoad(asm.DW, asm.R1, asm.R0, "task_struct", "pid"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	_, err = NewProgram(spec)
	var ve *VerifierError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "195896080") {
		t.Fatalf("resized signed load: %v", err)
	}
}
