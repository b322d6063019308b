package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestCIdentifier(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"sum", "sum"},
		{"my-func.v2", "my_func_v2"},
		{"2nd", "_2nd"},
		{"", "_"},
		{"größe", "gr____e"},
		{"ok_123", "ok_123"},
	} {
		if got := cIdentifier(tt.in); got != tt.want {
			t.Errorf("cIdentifier(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// multiFunc is a program with a bpf-to-bpf call and a callback: main calls "add-one" and
// passes "cb" to bpf_loop.
func multiFunc() (asm.Instructions, map[string]int) {
	lines := map[string]int{}
	insns := asm.Instructions{
		asm.MovImm(asm.R1, 41),
		asm.CallLabel("add-one"),
	}
	lines["call"] = thisLine() - 2
	insns = append(insns,
		asm.MovReg(asm.R6, asm.R0),
		asm.MovImm(asm.R1, 1),
		asm.LoadFunc(asm.R2, "cb"),
		asm.MovImm(asm.R3, 0),
		asm.MovImm(asm.R4, 0),
		asm.Call(asm.FnLoop), // bpf_loop(1, cb, NULL, 0)
		asm.MovReg(asm.R0, asm.R6),
		asm.Exit(),
		asm.Label("add-one"),
		asm.MovReg(asm.R0, asm.R1),
	)
	lines["add"] = thisLine() - 2 // see the append above
	insns = append(insns,
		asm.AddImm(asm.R0, 1),
		asm.Exit(),
		asm.Label("cb"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	)
	return insns, lines
}

// TestBuildProgBTF checks the generated BTF, func_info and line_info without a kernel.
func TestBuildProgBTF(t *testing.T) {
	insns, lines := multiFunc()
	code, err := insns.Encode()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := buildProgBTF("entry", insns, code)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.LoadSpecFromBytes(pb.raw)
	if err != nil {
		t.Fatal(err)
	}
	// Functions: entry at 0, add_one at slot 11 (the LoadFunc is two slots), cb at 14.
	wantFuncs := []struct {
		off  uint32
		name string
	}{{0, "entry"}, {11, "add_one"}, {14, "cb"}}
	if pb.nFunc != len(wantFuncs) {
		t.Fatalf("%d func_info records, want %d", pb.nFunc, len(wantFuncs))
	}
	for i, w := range wantFuncs {
		off := binary.NativeEndian.Uint32(pb.funcInfo[8*i:])
		id := binary.NativeEndian.Uint32(pb.funcInfo[8*i+4:])
		name, err := spec.NameOf(btf.TypeID(id))
		if err != nil || off != w.off || name != w.name {
			t.Errorf("func_info %d = {%d, %q} (%v), want {%d, %q}", i, off, name, err, w.off, w.name)
		}
		if k, _ := spec.KindOf(btf.TypeID(id)); k != btf.KindFunc {
			t.Errorf("func_info %d: kind %s", i, k)
		}
	}
	// Line info: slots and lines; the call line's text is the Go source line.
	type rec struct {
		off, line  uint32
		file, text string
	}
	var recs []rec
	for i := 0; i < pb.nLine; i++ {
		b := pb.lineInfo[16*i:]
		file, _ := spec.StringAt(binary.NativeEndian.Uint32(b[4:]))
		text, _ := spec.StringAt(binary.NativeEndian.Uint32(b[8:]))
		recs = append(recs, rec{binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[12:]) >> 10, file, text})
	}
	found := map[string]bool{}
	for _, r := range recs {
		if !strings.HasSuffix(r.file, "progbtf_test.go") {
			t.Errorf("line_info %+v: file is not this test file", r)
		}
		if r.off == 1 && r.line == uint32(lines["call"]) && r.text == `asm.CallLabel("add-one"),` {
			found["call"] = true
		}
		if r.off == 11 && r.line == uint32(lines["add"]) {
			found["add"] = true
		}
	}
	if !found["call"] || !found["add"] {
		t.Errorf("line_info lacks the call (slot 1, line %d) or the function entry (slot 11, line %d): %+v", lines["call"], lines["add"], recs)
	}

	// A lone instruction without a position gets no BTF at all.
	raw := asm.Instructions{{OpCode: 0xb7}, {OpCode: 0x95}}
	rc, _ := raw.Encode()
	if pb, err := buildProgBTF("x", raw, rc); pb != nil || err != nil {
		t.Errorf("no positions: got %v, %v; want nothing", pb, err)
	}
}

// progFuncNames returns the kernel's func_info of p as "slot:name".
func progFuncNames(t *testing.T, p *Program) []string {
	t.Helper()
	funcs, err := p.Functions()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range funcs {
		names = append(names, fmt.Sprintf("%d:%s", f.Insn, f.Name))
	}
	return names
}

// TestProgramFuncAndLineInfo loads a program with three functions and checks what the
// kernel and bpftool report: the function names, and this file's lines for the
// instructions.
func TestProgramFuncAndLineInfo(t *testing.T) {
	insns, lines := multiFunc()
	// SocketFilter has no callback-taking helper; take the address only in a syscall program
	// (any type accepts bpf-to-bpf calls and BPF_PSEUDO_FUNC loads with func_info).
	p := loadTestProg(t, &ProgramSpec{Name: "multi", Type: SocketFilter, License: "GPL", Instructions: insns})
	// Offsets are those of the translated program, where the kernel inlined bpf_loop.
	got := progFuncNames(t, p)
	var names []string
	for _, g := range got {
		names = append(names, g[strings.IndexByte(g, ':')+1:])
	}
	if strings.Join(names, " ") != "multi add_one cb" || !strings.HasPrefix(got[0], "0:") {
		t.Errorf("kernel func_info = %v, want multi at 0, add_one, cb", got)
	}
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.BTFID == 0 {
		t.Fatal("program has no BTF")
	}
	bpftool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(bpftool, "prog", "dump", "xlated", "id", fmt.Sprint(info.ID), "linum").CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool: %v\n%s", err, out)
	}
	for _, want := range []string{
		fmt.Sprintf("progbtf_test.go line_num:%d", lines["call"]),
		fmt.Sprintf("progbtf_test.go line_num:%d", lines["add"]),
		`asm.CallLabel("add-one"),`,
		"add_one(", "cb(",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bpftool prog dump xlated linum lacks %q:\n%s", want, out)
		}
	}
	t.Logf("bpftool prog dump xlated id %d linum:\n%s", info.ID, out)
}

// TestProgramBTFOptions covers NoBTF and the fallback when the kernel refuses the BTF.
func TestProgramBTFOptions(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	spec := &ProgramSpec{Name: "plain", Type: SocketFilter, License: "GPL", Instructions: retZero()}
	load := func(opts *ProgramOptions) uint32 {
		t.Helper()
		p, err := NewProgramWithOptions(spec, opts)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer p.Close()
		info, err := p.Info()
		if err != nil {
			t.Fatal(err)
		}
		return info.BTFID
	}
	if load(nil) == 0 {
		t.Error("default load: no BTF")
	}
	p := loadTestProg(t, spec)
	if funcs, err := p.Functions(); err != nil || len(funcs) != 1 || funcs[0] != (ProgramFunc{0, "plain"}) {
		t.Errorf("Functions() = %v, %v", funcs, err)
	}
	if id := load(&ProgramOptions{NoBTF: true}); id != 0 {
		t.Errorf("NoBTF: program has BTF %d", id)
	}
	forceBadProgBTF = true
	defer func() { forceBadProgBTF = false }()
	if id := load(nil); id != 0 {
		t.Errorf("refused BTF: program has BTF %d, want the load without", id)
	}
}

// TestProgramLineInfoInVerifierLog checks that a rejection still names the Go line, and that
// the kernel's log carries the Go source lines.
func TestProgramLineInfoInVerifierLog(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	insns := asm.Instructions{asm.MovImm(asm.R0, 0)}
	bad := thisLine() + 1
	insns = append(insns, asm.Ldx(asm.DW, asm.R0, asm.R3, 0), asm.Exit()) // R3 is not initialised
	_, err := NewProgram(&ProgramSpec{Name: "bad", Type: SocketFilter, License: "GPL", Instructions: insns})
	var ve *VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a verifier error", err)
	}
	if ve.Source.Line != bad || !strings.HasSuffix(ve.Source.File, "progbtf_test.go") {
		t.Errorf("source = %v, want progbtf_test.go:%d", ve.Source, bad)
	}
	log := strings.Join(ve.Log, "\n")
	// Every kernel quotes the source line above the instruction; since Linux 6.8 it appends
	// " @ file:line" (older kernels, such as Debian's 6.1, print the line's text alone).
	wants := []string{"; insns = append(insns, asm.Ldx(asm.DW, asm.R0, asm.R3, 0), asm.Exit()) // R3 is not initialised"}
	if major, minor, _ := testutil.KernelVersion(); major > 6 || major == 6 && minor >= 8 {
		wants = append(wants, fmt.Sprintf("progbtf_test.go:%d", bad))
	}
	for _, want := range wants {
		if !strings.Contains(log, want) {
			t.Errorf("verifier log lacks %q:\n%s", want, log)
		}
	}
}

// TestLoadFuncCallback loads a bpf_loop callback through NewProgram (it needs func_info)
// and runs it.
func TestLoadFuncCallback(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	testutil.RequireFeature(t, "bpf_loop (Linux 5.17)", func() error { return HaveHelper(Syscall, asm.FnLoop) })
	insns := asm.Instructions{
		asm.St(asm.DW, asm.R10, -8, 0),
		asm.MovImm(asm.R1, 10),
		asm.LoadFunc(asm.R2, "sum"),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, -8),
		asm.MovImm(asm.R4, 0),
		asm.Call(asm.FnLoop),
		asm.Ldx(asm.DW, asm.R0, asm.R10, -8),
		asm.Exit(),
		asm.Label("sum"), // long sum(u64 i, u64 *acc)
		asm.Ldx(asm.DW, asm.R3, asm.R2, 0),
		asm.AddReg(asm.R3, asm.R1),
		asm.Stx(asm.DW, asm.R2, asm.R3, 0),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	p := loadTestProg(t, &ProgramSpec{Name: "loop", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: insns})
	res, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 45 {
		t.Errorf("sum of 0..9 = %d, want 45", res.ReturnValue)
	}
	// The kernel inlines bpf_loop, so the callback's offset moves in the translated program.
	if got := progFuncNames(t, p); len(got) != 2 || !strings.HasPrefix(got[0], "0:loop") || !strings.HasSuffix(got[1], ":sum") {
		t.Errorf("func_info = %v", got)
	}
}

// TestKfuncByNameDefault calls kfuncs by name without a resolver: NewProgram finds them in
// vmlinux BTF.
func TestKfuncByNameDefault(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	ks, err := kernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	if _, _, err := ks.TypeByName("bpf_rcu_read_lock", btf.KindFunc); err != nil {
		t.Skip("kernel BTF lacks the kfunc bpf_rcu_read_lock (Linux 6.2)")
	}
	insns := asm.Instructions{
		asm.CallKfuncByName("bpf_rcu_read_lock"),
		asm.MovImm(asm.R7, 7),
		asm.CallKfuncByName("bpf_rcu_read_unlock"),
		asm.MovReg(asm.R0, asm.R7),
		asm.Exit(),
	}
	p := loadTestProg(t, &ProgramSpec{Name: "kfunc", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: insns})
	res, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 7 {
		t.Errorf("returned %d, want 7", res.ReturnValue)
	}

	insns[0] = asm.CallKfuncByName("bpf_no_such_kfunc")
	_, err = NewProgram(&ProgramSpec{Name: "kfunc", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: insns})
	if err == nil || !strings.Contains(err.Error(), `kfunc "bpf_no_such_kfunc"`) {
		t.Errorf("unknown kfunc: got %v, want an error naming it", err)
	}
}

// TestAttachToResolution resolves AttachTo names in the kernel's BTF: tp_btf and iterator
// programs load; fentry and LSM load where the kernel allows trampoline programs (Debian's
// 6.1 and 6.12) and get as far as the kernel's EPERM where it refuses them by policy (the
// host), which also shows that the name resolved. Which of the two to expect comes from a
// probe: HaveProgramType(LSM) answers the policy's EPERM as ErrNotSupported.
func TestAttachToResolution(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	if _, err := kernelSpec(); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	// Trampoline programs (fentry, LSM) load, or the kernel refuses them by policy with EPERM.
	var trampolineErr error
	switch err := HaveProgramType(LSM); {
	case err == nil:
	case errors.Is(err, ErrNotSupported) && errors.Is(err, unix.EPERM):
		trampolineErr = unix.EPERM
	default:
		t.Fatalf("probe LSM programs: %v", err)
	}
	tests := []struct {
		name     string
		typ      ProgramType
		attach   AttachType
		to       string
		wantErr  error  // errno from the kernel, nil for success
		wantText string // error text when resolution fails
	}{
		{name: "tp_btf", typ: Tracing, attach: AttachTraceRawTp, to: "sys_enter"},
		{name: "tp_btf prefixed", typ: Tracing, attach: AttachTraceRawTp, to: "btf_trace_sched_switch"},
		{name: "iterator", typ: Tracing, attach: AttachTraceIter, to: "task"},
		{name: "fentry", typ: Tracing, attach: AttachTraceFEntry, to: "do_unlinkat", wantErr: trampolineErr},
		{name: "lsm", typ: LSM, attach: AttachLSMMac, to: "file_open", wantErr: trampolineErr},
		{name: "unknown tracepoint", typ: Tracing, attach: AttachTraceRawTp, to: "no_such_tp", wantText: "btf_trace_no_such_tp"},
		{name: "unknown function", typ: Tracing, attach: AttachTraceFEntry, to: "no_such_fn_xyz", wantText: "no_such_fn_xyz"},
		{name: "tracing without attach type", typ: Tracing, to: "sys_enter", wantText: "AttachType"},
		{name: "struct_ops without member", typ: StructOps, to: "tcp_congestion_ops", wantText: "type:member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewProgram(&ProgramSpec{Name: "attach_to", Type: tt.typ, AttachType: tt.attach, AttachTo: tt.to, License: "GPL", Instructions: retZero()})
			if err == nil {
				t.Cleanup(func() { p.Close() }) // also when an assertion below fails
			}
			switch {
			case tt.wantText != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("got %v, want an error mentioning %q", err, tt.wantText)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v from the kernel", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("%+v", err)
				}
				info, err := p.Info()
				if err != nil {
					t.Fatal(err)
				}
				if info.AttachBTFID == 0 {
					t.Error("no attach BTF id")
				}
			}
		})
	}

	// struct_ops "type:member" resolves to the struct and the member's index.
	id, at, err := resolveAttachTo(&ProgramSpec{Type: StructOps, AttachTo: "tcp_congestion_ops:ssthresh"})
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := kernelSpec()
	if name, _ := ks.NameOf(btf.TypeID(id)); name != "tcp_congestion_ops" {
		t.Errorf("struct_ops id %d names %q", id, name)
	}
	_, st, _ := btf.Find[*btf.Struct](ks, "tcp_congestion_ops")
	if int(at) >= len(st.Members) || st.Members[at].Name != "ssthresh" {
		t.Errorf("member index %d is not ssthresh", at)
	}
}

// TestAttachToTargetProgram resolves AttachTo in the BTF of a loaded program (freplace, and
// fentry on a BPF program). This kernel answers EPERM to both program types, after the
// name resolved; an unknown name fails before the kernel is asked.
func TestAttachToTargetProgram(t *testing.T) {
	insns, _ := multiFunc()
	target := loadTestProg(t, &ProgramSpec{Name: "target", Type: SocketFilter, License: "GPL", Instructions: insns})
	id, _, err := resolveAttachTo(&ProgramSpec{Type: Extension, AttachTo: "add_one", AttachTarget: target})
	if err != nil || id == 0 {
		t.Fatalf("resolve add_one in the target's BTF: %d, %v", id, err)
	}
	for _, tt := range []struct {
		name   string
		typ    ProgramType
		attach AttachType
		to     string
		want   string
	}{
		{"freplace", Extension, AttachNone, "add_one", ""},
		{"fentry on a program", Tracing, AttachTraceFEntry, "add_one", ""},
		{"unknown function", Extension, AttachNone, "no_such_func", `"no_such_func": no function of that name in program "target"'s BTF`},
		{"extension without target", Extension, AttachNone, "add_one", "needs AttachTarget"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := &ProgramSpec{Name: "ext", Type: tt.typ, AttachType: tt.attach, AttachTo: tt.to, AttachTarget: target, License: "GPL", Instructions: retZero()}
			if tt.want == "needs AttachTarget" {
				spec.AttachTarget = nil
			}
			p, err := NewProgram(spec)
			if err == nil {
				p.Close() // a kernel that allows it: fine
				return
			}
			if tt.want != "" {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want %q", err, tt.want)
				}
				return
			}
			if strings.Contains(err.Error(), "attach target") {
				t.Fatalf("resolution failed: %v", err)
			}
			t.Logf("kernel's answer: %v", err)
		})
	}
}

// FuzzBuildProgBTF builds program BTF for decoded arbitrary bytes: it must not panic, and
// what it builds must parse.
func FuzzBuildProgBTF(f *testing.F) {
	insns, _ := multiFunc()
	code, _ := insns.Encode()
	f.Add(code)
	f.Add([]byte{0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		insns, err := asm.DecodeNative(b)
		if err != nil {
			return
		}
		code, err := insns.Encode()
		if err != nil {
			return
		}
		pb, err := buildProgBTF("fuzz", insns, code)
		if err != nil || pb == nil {
			return
		}
		if _, err := btf.LoadSpecFromBytes(pb.raw); err != nil {
			t.Fatalf("generated BTF does not parse: %v", err)
		}
	})
}

// BenchmarkBuildProgBTF measures what generating BTF adds to loading a 1000-instruction
// program with 10 functions.
func BenchmarkBuildProgBTF(b *testing.B) {
	var insns asm.Instructions
	for f := range 10 {
		if f > 0 {
			insns = append(insns, asm.Label(fmt.Sprintf("f%d", f)))
		}
		for range 98 {
			insns = append(insns, asm.AddImm(asm.R0, 1))
		}
		if f < 9 {
			insns = append(insns, asm.CallLabel(fmt.Sprintf("f%d", f+1)))
		}
		insns = append(insns, asm.Exit())
	}
	code, err := insns.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildProgBTF("bench", insns, code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewProgramBTF compares loading a small program with and without generated BTF.
func BenchmarkNewProgramBTF(b *testing.B) {
	testutil.RequirePrivilege(b, "CAP_BPF")
	insns := asm.Instructions{
		asm.MovImm(asm.R1, 1),
		asm.CallLabel("inc"),
		asm.AddImm(asm.R0, 2),
		asm.Exit(),
		asm.Label("inc"),
		asm.MovReg(asm.R0, asm.R1),
		asm.AddImm(asm.R0, 1),
		asm.Exit(),
	}
	spec := &ProgramSpec{Name: "bench", Type: SocketFilter, License: "GPL", Instructions: insns}
	for _, noBTF := range []bool{false, true} {
		b.Run(fmt.Sprintf("NoBTF=%v", noBTF), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := NewProgramWithOptions(spec, &ProgramOptions{NoBTF: noBTF})
				if err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
	}
}

// TestWeakKfunc loads programs that use kfuncs weakly: a missing kfunc behind a LoadKfuncExists
// test loads (the verifier drops the dead call) and the tests return 0 for it and 1 for
// bpf_rcu_read_lock where the kernel has it (Linux 6.2, by probe); an unguarded call of the
// missing kfunc is refused with a hint that names it.
func TestWeakKfunc(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	var have uint32
	switch err := HaveKfunc(Syscall, "bpf_rcu_read_lock"); {
	case err == nil:
		have = 1
	case !errors.Is(err, ErrNotSupported):
		t.Fatal(err)
	}
	insns := asm.Instructions{
		asm.MovImm(asm.R8, 0),
		asm.LoadKfuncExists(asm.R6, "bpf_no_such_kfunc"),
		asm.JmpImm(asm.JEQ, asm.R6, 0, "no_such"),
		asm.CallKfuncByName("bpf_no_such_kfunc").Weak(),
		asm.MovImm(asm.R8, 100),
		asm.Label("no_such"),
		asm.LoadKfuncExists(asm.R7, "bpf_rcu_read_lock"),
		asm.JmpImm(asm.JEQ, asm.R7, 0, "out"),
		asm.CallKfuncByName("bpf_rcu_read_lock").Weak(),
		asm.CallKfuncByName("bpf_rcu_read_unlock").Weak(),
		asm.Label("out"),
		asm.MovReg(asm.R0, asm.R6),
		asm.MulImm(asm.R0, 10),
		asm.AddReg(asm.R0, asm.R7),
		asm.AddReg(asm.R0, asm.R8),
		asm.Exit(),
	}
	p := loadTestProg(t, &ProgramSpec{Name: "weak", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: insns})
	res, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != have {
		t.Errorf("returned %d, want %d (missing kfunc 0, bpf_rcu_read_lock %d)", res.ReturnValue, have, have)
	}

	unguarded := asm.Instructions{
		asm.CallKfuncByName("bpf_no_such_kfunc").Weak(),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	_, err = NewProgram(&ProgramSpec{Name: "weak_bad", Type: Syscall, Flags: sys.BPF_F_SLEEPABLE, License: "GPL", Instructions: unguarded})
	var ve *VerifierError
	if !errors.As(err, &ve) || !strings.Contains(ve.Hint, "weak kfunc bpf_no_such_kfunc is missing") || ve.Index != 0 {
		t.Errorf("unguarded weak call: %v, want a VerifierError at Instructions[0] with a hint naming the kfunc", err)
	}
	if !strings.Contains(err.Error(), "progbtf_test.go") {
		t.Errorf("error does not name the Go line: %v", err)
	}
}
