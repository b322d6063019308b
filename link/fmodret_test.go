//go:build linux

package link_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// Slots of the results map of TestFmodRet.
const (
	fmrFentryArg   = iota // fentry: argument a of bpf_modify_return_test
	fmrFentryRuns         // fentry: runs
	fmrFexitRet           // fexit: the return value it saw
	fmrFexitRuns          // fexit: runs
	fmrInput              // fmod_ret: the value to return (written from Go)
	fmrFmodRetRuns        // fmod_ret: runs
	fmrSlots
)

// storeStat returns instructions that store src into slot idx of stats.
// Clobbers R0-R5 and the stack word at -4.
func storeStat(stats *bpf.Map, idx int32, src asm.Register, label string) asm.Instructions {
	return asm.Instructions{
		asm.St(asm.W, asm.R10, -4, idx),
		asm.LoadMap(asm.R1, stats),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, label),
		asm.Stx(asm.DW, asm.R0, src, 0),
		asm.Label(label),
	}
}

// loadTrampoline loads a tracing program on bpf_modify_return_test and skips
// t where the kernel refuses trampoline programs with EPERM (this CI host's
// 6.18 policy). In a vmtest guest EPERM fails the test.
func loadTrampoline(t *testing.T, name string, at bpf.AttachType, insns asm.Instructions) *bpf.Program {
	t.Helper()
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: bpf.Tracing, AttachType: at, AttachTo: "bpf_modify_return_test", License: "GPL", Instructions: insns})
	if errors.Is(err, unix.EPERM) && testutil.VMKernel() == "" {
		t.Skipf("kernel refuses trampoline programs (%v on bpf_modify_return_test: load answers EPERM): %v", at, err)
	}
	if at == bpf.AttachModifyReturn && errors.Is(err, unix.EINVAL) && strings.Contains(err.Error(), "is not modifiable") {
		// The verifier decides which functions fmod_ret may modify;
		// Debian's 6.1 cloud kernel refuses this one (measured under vmtest).
		t.Skipf("kernel does not allow fmod_ret on bpf_modify_return_test: %v", err)
	}
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %s: %+v", name, err)
	}
	closeAll(t, p)
	return p
}

// TestFmodRet attaches fentry, fexit and fmod_ret programs to
// bpf_modify_return_test, which BPF_PROG_TEST_RUN of an fmod_ret program
// calls: the kernel returns (side_effect << 16) | sum of the return values,
// where side_effect counts the function's writes to its pointer argument.
// With the fmod_ret program returning 0 the function runs; returning 100 it
// is skipped, its return value is 100 (also for fexit), and its side effect
// is gone.
func TestFmodRet(t *testing.T) {
	testutil.RequireRoot(t)
	res := newStats(t, fmrSlots)
	one := func(insns asm.Instructions) asm.Instructions {
		return append(asm.Instructions{asm.MovReg(asm.R6, asm.R1), asm.MovImm(asm.R7, 1)}, insns...)
	}
	fentry := one(asm.Instructions{asm.Ldx(asm.DW, asm.R8, asm.R6, 0)}) // a
	fentry = append(fentry, storeStat(res, fmrFentryArg, asm.R8, "arg")...)
	fentry = append(fentry, addStat(res, fmrFentryRuns, asm.R7, "runs")...)
	fentry = append(fentry, asm.MovImm(asm.R0, 0), asm.Exit())
	fexit := one(asm.Instructions{asm.Ldx(asm.DW, asm.R8, asm.R6, 16)}) // ret, after a and b
	fexit = append(fexit, storeStat(res, fmrFexitRet, asm.R8, "ret")...)
	fexit = append(fexit, addStat(res, fmrFexitRuns, asm.R7, "runs")...)
	fexit = append(fexit, asm.MovImm(asm.R0, 0), asm.Exit())
	fmodRet := one(addStat(res, fmrFmodRetRuns, asm.R7, "runs"))
	fmodRet = append(fmodRet,
		asm.St(asm.W, asm.R10, -4, fmrInput),
		asm.LoadMap(asm.R1, res),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.Ldx(asm.DW, asm.R0, asm.R0, 0),
		asm.Exit(),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	)
	pm := loadTrampoline(t, "fmod_ret", bpf.AttachModifyReturn, fmodRet)
	pe := loadTrampoline(t, "fentry", bpf.AttachTraceFEntry, fentry)
	px := loadTrampoline(t, "fexit", bpf.AttachTraceFExit, fexit)
	for _, p := range []*bpf.Program{pe, px, pm} {
		l, err := link.AttachTracing(p, nil)
		if err != nil {
			t.Fatalf("attach %s: %v", p.Name(), err)
		}
		closeAll(t, l)
	}
	setInput := func(v uint64) {
		t.Helper()
		key := binary.NativeEndian.AppendUint32(nil, fmrInput)
		if err := res.Update(key, binary.NativeEndian.AppendUint64(nil, v), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	run := func() (side uint16, ret int16) {
		t.Helper()
		r, err := pm.Run(&bpf.RunOptions{})
		if err != nil {
			t.Fatalf("test run: %v", err)
		}
		return uint16(r.ReturnValue >> 16), int16(r.ReturnValue)
	}

	setInput(0)
	side0, ret0 := run()
	natural := int32(stat(t, res, fmrFexitRet))
	if a := stat(t, res, fmrFentryArg); a != 1 {
		t.Errorf("fentry saw a = %d, want 1 (the test runner calls bpf_modify_return_test(1, &b))", a)
	}
	if side0 == 0 || natural == 0 {
		t.Errorf("with fmod_ret returning 0: side effect %d, function returned %d; want the function to run", side0, natural)
	}

	const override = 100
	setInput(override)
	side1, ret1 := run()
	if got := int32(stat(t, res, fmrFexitRet)); got != override {
		t.Errorf("fexit saw %d, want the fmod_ret value %d", got, override)
	}
	if side1 != side0-1 {
		t.Errorf("side effects %d -> %d: the function ran despite fmod_ret", side0, side1)
	}
	if int32(ret1)-int32(ret0) != override-natural {
		t.Errorf("test run returned %d, then %d; want a change of %d - %d", ret0, ret1, override, natural)
	}
	for _, slot := range []uint32{fmrFentryRuns, fmrFexitRuns, fmrFmodRetRuns} {
		if n := stat(t, res, slot); n != 2 {
			t.Errorf("slot %d: %d runs, want 2", slot, n)
		}
	}
}
