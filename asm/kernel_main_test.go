package asm_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

// The kernel tests (kernel_*_test.go) load programs built with the asm builders through the
// verifier and run them with BPF_PROG_TEST_RUN, comparing what they compute with what Go
// computes for the same operation on the same operands. The package asm itself never touches
// the kernel; only these external tests do.

func TestMain(m *testing.M) {
	code := testutil.CheckFDs(m)
	if testing.Verbose() && kernelRuns.Load() > 0 {
		fmt.Printf("kernel tests: %d programs loaded, %d test runs\n", kernelLoads.Load(), kernelRuns.Load())
	}
	os.Exit(code)
}

// kernelLoads and kernelRuns count the syscall programs the kernel accepted and ran.
var kernelLoads, kernelRuns atomic.Int64

// Most kernel tests run syscall programs (BPF_PROG_TYPE_SYSCALL, Linux 5.14): their context is
// plain memory that test-run copies in and back out, so a program gets its operands from it and
// leaves its full 64-bit result in it (test-run's return value has only 32 bits). The context
// is an array of u64 in host order:
const (
	ctxResult = 0  // R0 when the program exits
	ctxA      = 8  // operand a, in R1 when the body starts
	ctxB      = 16 // operand b, in R2
	ctxC      = 24 // operand c, in R3
	ctxOut    = 32 // ctxOuts extra results the body may store through R6
	ctxOuts   = 4
	ctxSize   = ctxOut + 8*ctxOuts
)

var ctxOperand = [3]int16{ctxA, ctxB, ctxC}

// inputMode says how a program gets its operands into R1–R3.
type inputMode int

const (
	// fromContext loads the operands from the context: the verifier knows nothing about them,
	// so it can neither fold constants nor remove branches, and one program runs on many
	// inputs.
	fromContext inputMode = iota
	// fromImmediates bakes the operands into MovImm or LoadImm64 instructions: the verifier
	// tracks them as constants (and hard-wires branches it can decide), the JIT still
	// executes the arithmetic.
	fromImmediates
)

func (m inputMode) String() string {
	if m == fromImmediates {
		return "imm"
	}
	return "ctx"
}

// operands are the values of a, b and c.
type operands [3]uint64

// syscallProg is a loaded syscall program around a body built by a test.
type syscallProg struct {
	p    *bpf.Program
	mode inputMode
}

// result is what a syscall program left in its context.
type result struct {
	r0  uint64
	out [ctxOuts]uint64
}

// progBody describes a test program: body runs with the operands in R1–R3 and the context in
// R6 (which it must keep) and leaves its result in R0, falling through at the end; funcs
// (bpf-to-bpf functions, callbacks) follow the main program's exit.
type progBody struct {
	body, funcs asm.Instructions
	opts        *bpf.ProgramOptions
}

// movConst returns dst = v with the shortest builder: MovImm when v is a sign-extended 32-bit
// value, LoadImm64 otherwise.
func movConst(dst asm.Register, v uint64) asm.Instruction {
	if int64(v) == int64(int32(v)) {
		return asm.MovImm(dst, int32(v))
	}
	return asm.LoadImm64(dst, int64(v))
}

// assemble wraps pb into a complete syscall program.
func (pb progBody) assemble(mode inputMode, in operands) asm.Instructions {
	insns := asm.Instructions{asm.MovReg(asm.R6, asm.R1)}
	for i, r := range []asm.Register{asm.R1, asm.R2, asm.R3} {
		if mode == fromImmediates {
			insns = append(insns, movConst(r, in[i]))
		} else {
			insns = append(insns, asm.Ldx(asm.DW, r, asm.R6, ctxOperand[i]))
		}
	}
	insns = append(insns, pb.body...)
	insns = append(insns, asm.Stx(asm.DW, asm.R6, asm.R0, ctxResult), asm.Exit())
	return append(insns, pb.funcs...)
}

// loadSyscall loads pb as a syscall program. In fromImmediates mode in is baked in; in
// fromContext mode it is ignored and every run passes its own operands.
func loadSyscall(t testing.TB, pb progBody, mode inputMode, in operands) *syscallProg {
	t.Helper()
	p, err := tryLoadSyscall(pb, mode, in)
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	t.Cleanup(func() { p.p.Close() })
	return p
}

func tryLoadSyscall(pb progBody, mode inputMode, in operands) (*syscallProg, error) {
	p, err := bpf.NewProgramWithOptions(&bpf.ProgramSpec{
		Name:         "asm_kernel",
		Type:         bpf.Syscall,
		Flags:        sys.BPF_F_SLEEPABLE, // syscall programs must be sleepable
		License:      "GPL",
		Instructions: pb.assemble(mode, in),
	}, pb.opts)
	if err != nil {
		return nil, err
	}
	kernelLoads.Add(1)
	return &syscallProg{p: p, mode: mode}, nil
}

// run runs the program once on in (ignored in fromImmediates mode, where the operands are
// baked in) and returns what it left in the context.
func (sp *syscallProg) run(t testing.TB, in operands) result {
	t.Helper()
	ctx := make([]byte, ctxSize)
	if sp.mode == fromContext {
		for i, v := range in {
			binary.NativeEndian.PutUint64(ctx[ctxOperand[i]:], v)
		}
	}
	res, err := sp.p.Run(&bpf.RunOptions{Context: ctx})
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	kernelRuns.Add(1)
	if len(res.Context) != ctxSize {
		t.Fatalf("test run: context out has %d bytes, want %d", len(res.Context), ctxSize)
	}
	var r result
	r.r0 = binary.NativeEndian.Uint64(res.Context[ctxResult:])
	for i := range r.out {
		r.out[i] = binary.NativeEndian.Uint64(res.Context[ctxOut+8*i:])
	}
	if res.ReturnValue != uint32(r.r0) {
		t.Fatalf("test run: return value %#x, but R0 stored in the context is %#x", res.ReturnValue, r.r0)
	}
	return r
}

// runImmediate loads pb with in baked into immediates, runs it once and closes it.
func runImmediate(t testing.TB, pb progBody, in operands) result {
	t.Helper()
	sp, err := tryLoadSyscall(pb, fromImmediates, in)
	if err != nil {
		t.Fatalf("load with operands %#x: %+v", in, err)
	}
	defer sp.p.Close()
	return sp.run(t, in)
}

// check runs pb on every input: once through a single fromContext program, and once baked into
// a fromImmediates program of its own. want gives the expected R0; name describes an input in
// failure messages. It reports the first few mismatches of each mode.
func check(t *testing.T, pb progBody, inputs []operands, want func(operands) uint64, name func(operands) string) {
	t.Helper()
	checkWith(t, pb, inputs, name, func(in operands, got result) string {
		if w := want(in); got.r0 != w {
			return fmt.Sprintf("got %#x, want %#x", got.r0, w)
		}
		return ""
	})
}

// checkWith is check with a verify function that describes what is wrong with a result, or
// returns "".
func checkWith(t *testing.T, pb progBody, inputs []operands, name func(operands) string, verify func(operands, result) string) {
	t.Helper()
	sp := loadSyscall(t, pb, fromContext, operands{})
	for _, mode := range []inputMode{fromContext, fromImmediates} {
		bad := 0
		for _, in := range inputs {
			var got result
			if mode == fromContext {
				got = sp.run(t, in)
			} else {
				got = runImmediate(t, pb, in)
			}
			if msg := verify(in, got); msg != "" {
				t.Errorf("%s [%v]: %s", name(in), mode, msg)
				if bad++; bad == 5 {
					t.Fatalf("more mismatches; program:\n%v", pb.assemble(mode, in))
				}
			}
		}
	}
}

// checkProgram runs the loaded fromContext program sp on every input and verifies each result.
func checkProgram(t *testing.T, sp *syscallProg, inputs []operands, name func(operands) string, verify func(operands, result) string) {
	t.Helper()
	for _, in := range inputs {
		if msg := verify(in, sp.run(t, in)); msg != "" {
			t.Errorf("%s: %s", name(in), msg)
		}
	}
}

// requireSyscallRun skips the test when the kernel cannot test-run syscall programs.
func requireSyscallRun(t testing.TB) {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_BPF")
	testutil.RequireFeature(t, "syscall programs (BPF_PROG_TYPE_SYSCALL, Linux 5.14)", func() error {
		return bpf.HaveProgramType(bpf.Syscall)
	})
}

// requireInstructions skips t, naming feature, if the kernel rejects the probe body (run in a
// syscall program with operands from the context) and is older than the version that
// introduced the feature. On a kernel that should have it, a rejection fails the test: a probe
// must not hide a bug in the builders.
func requireInstructions(t testing.TB, feature string, major, minor int, body asm.Instructions) {
	t.Helper()
	p, err := tryLoadSyscall(progBody{body: body}, fromContext, operands{})
	if err == nil {
		p.p.Close()
		return
	}
	ma, mi, _ := testutil.KernelVersion()
	if ma < major || ma == major && mi < minor {
		t.Skipf("kernel %d.%d lacks %s (Linux %d.%d): %v", ma, mi, feature, major, minor, err)
	}
	t.Fatalf("probe %s: the kernel (%d.%d >= %d.%d) rejects it: %+v", feature, ma, mi, major, minor, err)
}

// requireCPUv4 skips t on kernels without the cpu v4 instructions (sign extension, sdiv/smod,
// bswap, gotol: Linux 6.6), probed with one of them.
func requireCPUv4(t testing.TB) {
	t.Helper()
	requireInstructions(t, "cpu v4 instructions (movsx, sdiv, bswap, gotol)", 6, 6,
		asm.Instructions{asm.MovSX(asm.R0, asm.R1, 8)})
}

// wantVerifierError asserts that err is a *bpf.VerifierError that names file:line and contains
// msg.
func wantVerifierError(t testing.TB, err error, file string, line int, msg string) *bpf.VerifierError {
	t.Helper()
	var ve *bpf.VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v (%T), want a *bpf.VerifierError", err, err)
	}
	s := err.Error()
	for _, want := range []string{msg, fmt.Sprintf("%s:%d", file, line)} {
		if !strings.Contains(s, want) {
			t.Errorf("Error() = %q, want it to contain %q", s, want)
		}
	}
	return ve
}

// thisLine returns the line of its caller, so a test can name the line that built an
// instruction.
func thisLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}
