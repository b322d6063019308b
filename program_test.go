package bpf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// retZero is the smallest valid program: return 0.
func retZero() asm.Instructions {
	return asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()}
}

// loadTestProg loads spec and closes the program when t ends.
func loadTestProg(t testing.TB, spec *ProgramSpec) *Program {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_BPF")
	p, err := NewProgram(spec)
	if err != nil {
		t.Fatalf("load %s: %+v", spec.Type, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestProgramTypesLoad loads a minimal program of every type where the kernel allows that
// without an attach target, and checks the kernel's answer where it does not.
func TestProgramTypesLoad(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	tests := []struct {
		typ    ProgramType
		attach AttachType
		flags  uint32
		// loads is false where a minimal load cannot succeed on any kernel (the type needs
		// an attach target); wantErr is the errno the kernel answers then.
		loads   bool
		wantErr error
		// since names when Linux added the type (and the option that builds it in, where
		// distributions leave it out): kernels without it skip, found by HaveProgramType.
		since string
	}{
		{typ: SocketFilter, loads: true},
		{typ: Kprobe, loads: true},
		{typ: SchedCLS, loads: true},
		{typ: SchedACT, loads: true},
		{typ: TracePoint, loads: true},
		{typ: XDP, loads: true},
		{typ: PerfEvent, loads: true},
		{typ: CgroupSKB, loads: true},
		{typ: CgroupSock, loads: true},
		{typ: LWTIn, loads: true},
		{typ: LWTOut, loads: true},
		{typ: LWTXmit, loads: true},
		{typ: SockOps, loads: true},
		{typ: SkSKB, loads: true},
		{typ: CgroupDevice, loads: true},
		{typ: SkMsg, loads: true},
		{typ: RawTracepoint, loads: true},
		{typ: CgroupSockAddr, attach: AttachCgroupInet4Connect, loads: true},
		{typ: CgroupSockAddr, attach: AttachCgroupUnixConnect, loads: true},
		{typ: LWTSeg6Local, loads: true},
		{typ: LircMode2, loads: true, since: "Linux 4.18, CONFIG_BPF_LIRC_MODE2"},
		{typ: SkReuseport, loads: true},
		{typ: FlowDissector, loads: true},
		{typ: CgroupSysctl, loads: true},
		{typ: RawTracepointWritable, loads: true},
		{typ: CgroupSockopt, attach: AttachCgroupSetsockopt, loads: true},
		{typ: SkLookup, attach: AttachSkLookup, loads: true},
		{typ: Syscall, flags: 1 << 4 /* BPF_F_SLEEPABLE */, loads: true},
		{typ: Netfilter, attach: AttachNetfilter, loads: true, since: "Linux 6.4"},
		// Types that need a BTF attach target: the kernel's answer without one.
		{typ: Tracing, attach: AttachTraceRawTp, wantErr: unix.EINVAL},
		{typ: StructOps, wantErr: errnoENOTSUPP},
		// Without a sleepable flag, syscall programs are refused by the verifier.
		{typ: Syscall, wantErr: unix.EINVAL},
		// Without the expected attach type, these are refused before the verifier runs.
		{typ: CgroupSockAddr, wantErr: unix.EINVAL},
		{typ: SkLookup, wantErr: unix.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.attach.KernelName(), func(t *testing.T) {
			spec := &ProgramSpec{Name: "t_" + tt.typ.KernelName(), Type: tt.typ, AttachType: tt.attach,
				Flags: tt.flags, License: "GPL", Instructions: retZero()}
			if tt.attach == AttachCgroupUnixConnect {
				testutil.RequireKernel(t, 6, 7, "cgroup hooks for unix sockets")
			}
			if tt.loads && tt.since != "" {
				feature := fmt.Sprintf("%s programs (%s)", tt.typ.KernelName(), tt.since)
				testutil.RequireFeature(t, feature, func() error { return HaveProgramType(tt.typ) })
			}
			p, err := NewProgram(spec)
			if !tt.loads {
				if err == nil {
					p.Close()
					t.Fatalf("%s loaded without an attach target", tt.typ)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %+v", err)
			}
			defer p.Close()
			if p.Type() != tt.typ {
				t.Errorf("Type() = %v, want %v", p.Type(), tt.typ)
			}
			info, err := p.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != tt.typ || info.Name != spec.Name[:min(len(spec.Name), 15)] {
				t.Errorf("info: type %v name %q, want %v %q", info.Type, info.Name, tt.typ, spec.Name)
			}
			if st := p.VerifierStats(); st == nil || st.Insns != 2 {
				t.Errorf("verifier stats = %v, want 2 insns processed", st)
			}
		})
	}
}

// TestProgramTypesRefused covers the types this kernel refuses by policy or lacks: the test
// goes up to the kernel's answer, and the probe names it.
func TestProgramTypesRefused(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	for _, tt := range []struct {
		typ    ProgramType
		attach AttachType
	}{
		{Tracing, AttachTraceFEntry},
		{Tracing, AttachTraceFExit},
		{LSM, AttachLSMMac},
		{Extension, AttachNone},
	} {
		t.Run(tt.typ.String()+"/"+tt.attach.KernelName(), func(t *testing.T) {
			_, err := NewProgram(&ProgramSpec{Name: "refused", Type: tt.typ, AttachType: tt.attach,
				AttachBTFID: 1, License: "GPL", Instructions: retZero()})
			if err == nil {
				t.Fatal("loaded")
			}
			if errors.Is(err, unix.EPERM) {
				if perr := HaveProgramType(tt.typ); tt.attach != AttachTraceFEntry && tt.attach != AttachTraceFExit &&
					!errors.Is(perr, ErrNotSupported) {
					t.Errorf("load answers EPERM but HaveProgramType(%v) = %v", tt.typ, perr)
				}
				t.Skipf("the kernel refuses %s/%s programs: %v", tt.typ, tt.attach.KernelName(), err)
			}
			// Kernels that allow these programs judge the attach target: BTF id 1 is no
			// function, so any refusal but EPERM is the expected answer.
			t.Logf("the kernel refuses attach BTF id 1: %v", err)
		})
	}
}

func TestProgramSpecValidation(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec *ProgramSpec
		want string
	}{
		{"nil", nil, "nil spec"},
		{"no insns", &ProgramSpec{Type: XDP}, "no instructions"},
		{"no type", &ProgramSpec{Instructions: retZero()}, "no program type"},
		{"bad name", &ProgramSpec{Name: "a-b", Type: XDP, Instructions: retZero()}, "invalid character"},
		{"unknown label", &ProgramSpec{Type: XDP, Instructions: asm.Instructions{asm.Ja("nowhere"), asm.Exit()}}, "nowhere"},
		{"unknown map", &ProgramSpec{Type: XDP, Instructions: asm.Instructions{asm.LoadMapPtr(asm.R1, "counts"), asm.MovImm(asm.R0, 0), asm.Exit()}}, `map "counts": not given`},
		{"unresolved tracing target", &ProgramSpec{Type: Tracing, AttachTo: "tcp_connect", Instructions: retZero()}, "AttachBTFID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewProgram(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProgramNameTruncated(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "a_rather_long_program_name", Type: SocketFilter, License: "GPL", Instructions: retZero()})
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "a_rather_long_p" {
		t.Fatalf("kernel name %q, want the first 15 bytes", info.Name)
	}
}

func TestProgramSpecCopy(t *testing.T) {
	spec := &ProgramSpec{Name: "x", Type: XDP, Instructions: retZero()}
	c := spec.Copy()
	c.Instructions[0] = asm.MovImm(asm.R0, 2)
	c.Name = "y"
	if spec.Instructions[0].Constant != 0 || spec.Name != "x" {
		t.Fatal("Copy shares state with the original")
	}
	if (*ProgramSpec)(nil).Copy() != nil {
		t.Fatal("nil.Copy() != nil")
	}
}

// TestProgramMaps resolves map references by handle and by name, and checks that the program
// really uses the map: it writes 42 into it, read back from user space.
func TestProgramMaps(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	m, err := NewMap(&MapSpec{Name: "progtest", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	body := func(load asm.Instruction) asm.Instructions {
		return asm.Instructions{
			asm.St(asm.W, asm.R10, -4, 0), // key = 0
			load,
			asm.MovReg(asm.R2, asm.R10),
			asm.AddImm(asm.R2, -4),
			asm.Call(asm.FnMapLookupElem),
			asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
			asm.St(asm.DW, asm.R0, 0, 42),
			asm.Label("out"),
			asm.MovImm(asm.R0, 0),
			asm.Exit(),
		}
	}
	for _, tt := range []struct {
		name string
		load asm.Instruction
		opts *ProgramOptions
	}{
		{"handle", asm.LoadMap(asm.R1, m), nil},
		{"name", asm.LoadMapPtr(asm.R1, "counts"), &ProgramOptions{Maps: map[string]asm.MapHandle{"counts": m}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Update(make([]byte, 4), make([]byte, 8), UpdateAny); err != nil {
				t.Fatal(err)
			}
			p, err := NewProgramWithOptions(&ProgramSpec{Name: "maps", Type: SocketFilter, License: "GPL", Instructions: body(tt.load)}, tt.opts)
			if err != nil {
				t.Fatalf("%+v", err)
			}
			defer p.Close()
			if _, err := p.Run(&RunOptions{Data: make([]byte, 64)}); err != nil {
				t.Fatal(err)
			}
			val := make([]byte, 8)
			if err := m.Lookup(make([]byte, 4), val); err != nil {
				t.Fatal(err)
			}
			if val[0] != 42 {
				t.Fatalf("map value %v, want 42 written by the program", val)
			}
			info, err := p.Info()
			if err != nil {
				t.Fatal(err)
			}
			mid, err := m.ID()
			if err != nil {
				t.Fatal(err)
			}
			if len(info.MapIDs) != 1 || info.MapIDs[0] != mid {
				t.Fatalf("info.MapIDs = %v, want [%d]", info.MapIDs, mid)
			}
		})
	}
}

func TestProgramLogLevels(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	spec := &ProgramSpec{Name: "logs", Type: XDP, License: "GPL", Instructions: retZero()}
	for _, tt := range []struct {
		opts      *ProgramOptions
		wantLog   string // a line that must appear in VerifierLog, "" for no log
		wantStats bool
	}{
		{nil, "", true},
		{&ProgramOptions{LogDisabled: true}, "", false},
		{&ProgramOptions{LogLevel: LogLevelStats}, "processed 2 insns", true},
		// Level 1 logs the walk only when verification fails; on success just the statistics.
		{&ProgramOptions{LogLevel: LogLevelBranch}, "processed 2 insns", true},
		{&ProgramOptions{LogLevel: LogLevelInstruction}, "(95) exit", true},
		// A 128-byte buffer is too small for a level-2 log: it must grow.
		{&ProgramOptions{LogLevel: LogLevelInstruction | LogLevelBranch, LogSize: 128}, "(95) exit", true},
	} {
		p, err := NewProgramWithOptions(spec, tt.opts)
		if err != nil {
			t.Fatalf("%+v: %v", tt.opts, err)
		}
		log := strings.Join(p.VerifierLog(), "\n")
		if tt.wantLog == "" && log != "" || !strings.Contains(log, tt.wantLog) {
			t.Errorf("%+v: log %q, want it to contain %q", tt.opts, log, tt.wantLog)
		}
		if (p.VerifierStats() != nil) != tt.wantStats {
			t.Errorf("%+v: stats %v, want present=%v", tt.opts, p.VerifierStats(), tt.wantStats)
		}
		p.Close()
	}
}

func TestProgramCloneClose(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "clone", Type: XDP, License: "GPL", Instructions: retZero()})
	c, err := p.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if c.FD() == p.FD() || c.FD() < 3 {
		t.Fatalf("clone fd %d, original %d", c.FD(), p.FD())
	}
	id1, _ := p.ID()
	id2, _ := c.ID()
	if id1 != id2 || id1 == 0 {
		t.Fatalf("ids %d and %d", id1, id2)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c.FD() != -1 {
		t.Fatalf("FD after Close = %d", c.FD())
	}
	if _, err := c.Run(&RunOptions{Data: make([]byte, 14)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
	var nilProg *Program
	if err := nilProg.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestProgramFDLeak creates and closes 10,000 programs; afterwards the process has exactly
// the fds it had before, each referring to the same thing. Fds an earlier test left for the
// garbage collector are closed first (CheckFDs reports those), so that their cleanups cannot
// run during the loop and disguise or fake a change.
func TestProgramFDLeak(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	if testing.Short() {
		t.Skip("-short: 10,000 program loads")
	}
	spec := &ProgramSpec{Name: "leak", Type: SocketFilter, License: "GPL", Instructions: retZero()}
	testutil.RunCleanups()
	before := testutil.OpenFDs()
	if before == nil {
		t.Fatal("cannot read /proc/self/fd")
	}
	for i := range 10_000 {
		p, err := NewProgram(spec)
		if err != nil {
			t.Fatalf("program %d: %v", i, err)
		}
		if i%1000 == 0 {
			if _, err := p.Info(); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if changes := testutil.FDChanges(before, testutil.OpenFDs()); changes != "" {
		t.Fatalf("open fds changed over 10,000 programs: %s", changes)
	}
}

func BenchmarkNewProgram(b *testing.B) {
	testutil.RequirePrivilege(b, "CAP_BPF")
	spec := &ProgramSpec{Name: "bench", Type: XDP, License: "GPL", Instructions: retZero()}
	b.ReportAllocs()
	for b.Loop() {
		p, err := NewProgram(spec)
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
