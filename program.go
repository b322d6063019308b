package bpf

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
)

// ProgramSpec describes a BPF program before it is loaded: plain data that can be built in Go,
// parsed from an ELF object, copied and printed. [NewProgram] turns it into a live [*Program].
// Loading never modifies the spec.
type ProgramSpec struct {
	// Name is the program's name as the kernel shows it (bpftool's "name"). The kernel keeps at
	// most 15 bytes of letters, digits, '_' and '.'; longer names are truncated, other
	// characters are an error.
	Name string
	// Type is the program type (BPF_PROG_TYPE_*).
	Type ProgramType
	// Section is the ELF section a program parsed from an object came from ("xdp",
	// "kprobe/do_unlinkat"), which gave it its type; "" for programs built in Go.
	Section string
	// AttachType is the expected attach type (expected_attach_type), which some program types
	// need at load time: CgroupSockAddr (AttachCgroupInet4Connect, ...), CgroupSockopt,
	// SkLookup, Netfilter, Tracing (AttachTraceFEntry, ...), LSM (AttachLSMMac), ...
	AttachType AttachType
	// AttachTo names the attach target of tracing, LSM and struct_ops programs. When
	// AttachBTFID is 0, NewProgram resolves it in the kernel's BTF: a kernel function for
	// fentry/fexit/fmod_ret, a tracepoint for tp_btf ("sys_enter" → btf_trace_sys_enter), an
	// iterator for AttachTraceIter ("task" → bpf_iter_task), an LSM hook ("file_open" →
	// bpf_lsm_file_open), and "type:member" for struct_ops ("tcp_congestion_ops:ssthresh",
	// which also sets the member index as expected attach type).
	AttachTo string
	// AttachBTFID is the BTF type id of the attach target (attach_btf_id), in vmlinux BTF, or
	// in AttachTarget's BTF for extension programs.
	AttachBTFID uint32
	// AttachTarget is the program an extension (freplace) or fentry/fexit on a BPF program
	// attaches to (attach_prog_fd). The spec does not own it.
	AttachTarget *Program
	// License is the program's license; "GPL" (or a GPL-compatible one) unlocks GPL-only helpers.
	License string
	// KernelVersion is kern_version, which only kprobe programs on kernels before 5.0 check.
	KernelVersion uint32
	// Flags are BPF_F_* load flags (prog_flags), e.g. sys.BPF_F_SLEEPABLE.
	Flags uint32
	// Ifindex is prog_ifindex: the device of an offloaded or device-bound XDP program.
	Ifindex uint32
	// Instructions is the program. Map loads refer to maps by handle ([asm.LoadMap]) or by name
	// ([asm.LoadMapPtr], resolved through [ProgramOptions.Maps]).
	Instructions asm.Instructions
	// BTF is the BTF of the ELF object the program was parsed from, with its func_info,
	// line_info and CO-RE records (see [ProgramBTF]); nil for programs built in Go. Copy
	// shares it (it is read-only).
	BTF *ProgramBTF
}

// Copy returns a deep copy of the spec (the instruction slice is copied; AttachTarget is
// shared, as the spec does not own it). Copy of nil is nil.
func (s *ProgramSpec) Copy() *ProgramSpec {
	if s == nil {
		return nil
	}
	c := *s
	c.Instructions = append(asm.Instructions(nil), s.Instructions...)
	return &c
}

// String returns a short description, e.g. `XDP("filter", 27 instructions)`.
func (s *ProgramSpec) String() string {
	if s == nil {
		return "<nil ProgramSpec>"
	}
	n := 0
	for _, ins := range s.Instructions {
		if !ins.IsLabel() {
			n++
		}
	}
	return fmt.Sprintf("%s(%q, %d instructions)", s.Type, s.Name, n)
}

// LogLevel selects the verifier log (log_level of BPF_PROG_LOAD). Levels combine with |.
type LogLevel uint32

// Verifier log levels.
const (
	// LogLevelBranch logs the instructions the verifier walks and the error (BPF_LOG_LEVEL1).
	LogLevelBranch LogLevel = 1
	// LogLevelInstruction also logs the register state at every instruction (BPF_LOG_LEVEL2).
	LogLevelInstruction LogLevel = 2
	// LogLevelStats logs only the statistics: instructions processed, states, time, stack depth
	// (BPF_LOG_STATS). Requires Linux 5.2.
	LogLevelStats LogLevel = 4
)

// ProgramOptions controls [NewProgramWithOptions]. The zero value (or nil) means: resolve maps
// carried by handle, collect the verifier's statistics, and on failure load again with a
// verifier log to explain the rejection.
type ProgramOptions struct {
	// Maps resolves map references by name: an [asm.LoadMapPtr] or [asm.LoadMapValue] naming
	// "counts" gets the fd of Maps["counts"] (a *Map, or anything with FD() int). Instructions
	// from [asm.LoadMap] carry their map and need no entry.
	Maps map[string]asm.MapHandle
	// LogLevel requests a verifier log even when loading succeeds; [Program.VerifierLog]
	// returns it. LogLevelStats is always added when the kernel supports it.
	LogLevel LogLevel
	// LogSize is the initial size of the log buffer in bytes; it grows when the kernel says it
	// was too small (ENOSPC). 0 means 64 KiB when a log is requested.
	LogSize int
	// LogDisabled turns off every verifier log: no statistics, no retry with a log on failure.
	LogDisabled bool
	// KfuncID resolves kfunc calls by name ([asm.CallKfuncByName]) to a BTF id and fd_array
	// index. nil means: look the name up among the functions of the kernel's BTF (vmlinux,
	// parsed once per process).
	KfuncID func(name string) (id int32, btfIndex int16, err error)
	// KsymID resolves loads of kernel variables by name ([asm.LoadKsym], typed .ksyms externs
	// of ELF objects) to a BTF id and the fd of its BTF object. nil means: look the name up
	// among the variables of the kernel's BTF (vmlinux).
	KsymID func(name string) (id int32, btfFD int32, err error)
	// KernelBTF is the BTF that CO-RE relocations ([asm.CoreFieldOffset] and the other
	// asm.Core* builders) are resolved against. nil means the running kernel's
	// (/sys/kernel/btf/vmlinux, parsed once per process).
	KernelBTF *btf.Spec
	// NoBTF turns off the BTF that NewProgram generates for programs built with asm
	// (func_info naming each function, line_info giving each instruction's Go file:line).
	// Without it, programs whose callbacks are referenced with [asm.LoadFunc] do not load.
	NoBTF bool
}

const (
	defaultLogSize = 64 << 10
	statsLogSize   = 1 << 10
	maxLogSize     = (1 << 30) - 1 // the kernel refuses log_size > UINT_MAX >> 2
	minLogSize     = 128           // the kernel refuses smaller log buffers
)

// Program is a BPF program loaded into the kernel. It owns a file descriptor; Close releases
// it (the kernel frees the program when nothing else — a pin, a link, an attachment — holds
// it). The methods are safe for concurrent use.
type Program struct {
	fd    *sys.FD
	name  string
	typ   ProgramType
	log   []string
	stats *VerifierStats
}

// NewProgram loads spec into the kernel (BPF_PROG_LOAD) with default options. A program the
// verifier rejects returns a [*VerifierError]. The caller must Close the Program.
func NewProgram(spec *ProgramSpec) (*Program, error) {
	return NewProgramWithOptions(spec, nil)
}

// NewProgramWithOptions is [NewProgram] with options; opts may be nil.
//
// Loading resolves labels, map references, kfunc names, AttachTo and CO-RE relocations (see
// [asm.CoreFieldOffset]; unresolvable ones poison their instruction, as libbpf does), then
// asks the kernel to verify and load the program. Unless [ProgramOptions.NoBTF] is set, it also passes BTF
// func_info and line_info generated from the instructions' Go source positions, so that the
// verifier log and `bpftool prog dump xlated ... linum` show the Go file:line of each
// instruction; if the kernel refuses that BTF, the program is loaded without it.
//
// If the kernel refuses the program, the load is repeated with a verifier log (growing the
// buffer while the kernel answers ENOSPC) so the error can say why: a rejection by the
// verifier is a [*VerifierError] whose Error names the failing instruction and, for
// instructions built with asm, the Go file:line that emitted it. Other failures wrap the
// errno (errors.Is works).
func NewProgramWithOptions(spec *ProgramSpec, opts *ProgramOptions) (*Program, error) {
	if spec == nil {
		return nil, errors.New("program: nil spec")
	}
	if opts == nil {
		opts = &ProgramOptions{}
	}
	name, err := programName(spec.Name)
	if err != nil {
		return nil, fmt.Errorf("program %q: %w", spec.Name, err)
	}
	if len(spec.Instructions) == 0 {
		return nil, fmt.Errorf("program %q: no instructions", spec.Name)
	}
	if spec.Type == UnspecifiedProgram {
		return nil, fmt.Errorf("program %q: no program type", spec.Name)
	}
	attachBTFID, attachType, err := resolveAttachTo(spec)
	if err != nil {
		return nil, fmt.Errorf("program %q: %w", spec.Name, err)
	}

	kfuncID := opts.KfuncID
	if kfuncID == nil {
		kfuncID = resolveKfunc
	}
	ksymID := opts.KsymID
	if ksymID == nil {
		ksymID = resolveKsym
	}
	if spec.Instructions.HasCoreRelos() {
		// Relocate a copy, so that the caller's spec stays as it is and what follows
		// (BTF line info, verifier errors) sees the instructions the kernel gets.
		relocated := *spec
		if relocated.Instructions, err = applyCORE(spec.Instructions, opts.KernelBTF); err != nil {
			return nil, fmt.Errorf("program %q: %w", spec.Name, err)
		}
		spec = &relocated
	}
	if spec.BTF != nil && len(spec.BTF.CORERelos) > 0 {
		relocated := *spec // object CO-RE records (ProgramBTF); see progbtf_object.go
		if relocated.Instructions, err = objectCORE(spec.Instructions, spec.BTF, opts.KernelBTF); err != nil {
			return nil, fmt.Errorf("program %q: %w", spec.Name, err)
		}
		spec = &relocated
	}
	insns := spec.Instructions
	code, err := insns.AppendEncode(nil, &asm.EncodeOptions{
		MapFD:   mapFDResolver(opts.Maps),
		KfuncID: kfuncID,
		KsymID:  ksymID,
	})
	if err != nil {
		return nil, fmt.Errorf("program %q: %w", spec.Name, err)
	}

	attr := sys.ProgLoadAttr{
		ProgType:           uint32(spec.Type),
		InsnCnt:            uint32(len(code) / asm.InstructionSize),
		Insns:              sys.NewSlicePointer(code),
		License:            sys.NewStringPointer(spec.License),
		KernVersion:        spec.KernelVersion,
		ProgFlags:          spec.Flags,
		ProgIfindex:        spec.Ifindex,
		ExpectedAttachType: uint32(attachType),
		AttachBTFID:        attachBTFID,
	}
	copy(attr.ProgName[:], name)
	if spec.AttachTarget != nil {
		raw, err := spec.AttachTarget.fd.Acquire()
		if err != nil {
			return nil, fmt.Errorf("program %q: attach target: %w", spec.Name, err)
		}
		defer spec.AttachTarget.fd.Release()
		attr.AttachProgFD = uint32(raw)
	}

	var pb *progBTF
	if !opts.NoBTF && spec.BTF != nil {
		if pb, err = buildObjectProgBTF(spec.BTF); err != nil { // progbtf_object.go
			return nil, fmt.Errorf("program %q: %w", spec.Name, err)
		}
	} else if !opts.NoBTF {
		if pb, err = buildProgBTF(name, insns, code); err != nil {
			return nil, fmt.Errorf("program %q: %w", spec.Name, err)
		}
	}
	fd, log, err := loadProgram(&attr, opts, pb)
	if err != nil {
		return nil, loadError(spec, err, log)
	}
	p := &Program{fd: fd, name: spec.Name, typ: spec.Type}
	if len(log) > 0 {
		p.stats = parseVerifierStats(log)
		if opts.LogLevel != 0 {
			p.log = log
		}
	}
	return p, nil
}

// loadWithLog runs BPF_PROG_LOAD. Unless logs are disabled, the first attempt collects the
// verifier's statistics (plus what opts.LogLevel asks for); a failure is retried with a full
// log, and ENOSPC (log buffer too small) with a bigger buffer. It returns the log lines of the
// last attempt.
func loadWithLog(attr *sys.ProgLoadAttr, opts *ProgramOptions) (*sys.FD, []string, error) {
	if opts.LogDisabled {
		fd, err := sys.ProgLoad(attr)
		return fd, nil, err
	}
	level := opts.LogLevel | LogLevelStats
	size := opts.LogSize
	if size <= 0 {
		size = statsLogSize
		if opts.LogLevel&^LogLevelStats != 0 {
			size = defaultLogSize
		}
	}
	var buf []byte
	statsOnly := level == LogLevelStats
	for {
		size = max(min(size, maxLogSize), minLogSize)
		if len(buf) != size {
			buf = make([]byte, size)
		}
		attr.LogLevel = uint32(level)
		attr.LogSize = uint32(size)
		attr.LogBuf = sys.NewSlicePointer(buf)
		attr.LogTrueSize = 0
		fd, err := sys.ProgLoad(attr)
		if err == nil {
			return fd, splitLog(buf), nil
		}
		switch {
		case errors.Is(err, unix.ENOSPC) && size < maxLogSize:
			// The log did not fit. Linux 6.4+ says how big it would have been.
			if need := int(attr.LogTrueSize); need > size {
				size = need + 1
			} else {
				size *= 4
			}
		case statsOnly && errors.Is(err, unix.EINVAL) && logEmpty(buf):
			// Either a kernel before 5.2 that refuses BPF_LOG_STATS, or a failure before the
			// verifier ran: try once more without a log to get the real answer.
			if fd, err2 := sys.ProgLoad(withoutLog(attr)); err2 == nil {
				return fd, nil, nil
			}
			fallthrough
		case statsOnly:
			// Explain the failure with a full log.
			statsOnly = false
			level |= LogLevelBranch
			size = max(size, opts.LogSize, defaultLogSize)
		default:
			return nil, splitLog(buf), err
		}
	}
}

func withoutLog(attr *sys.ProgLoadAttr) *sys.ProgLoadAttr {
	a := *attr
	a.LogLevel, a.LogSize, a.LogBuf = 0, 0, sys.Pointer{}
	return &a
}

func logEmpty(buf []byte) bool { return len(buf) == 0 || buf[0] == 0 }

// splitLog returns the NUL-terminated log in buf as lines, without a trailing empty line.
func splitLog(buf []byte) []string {
	n := 0
	for n < len(buf) && buf[n] != 0 {
		n++
	}
	s := strings.TrimRight(string(buf[:n]), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// loadError turns a failed load into the error NewProgram returns.
func loadError(spec *ProgramSpec, err error, log []string) error {
	if hasVerifierMessage(log) {
		return newVerifierError(spec, err, log)
	}
	hint := ""
	switch {
	case errors.Is(err, unix.EPERM):
		if privileged() == nil {
			hint = fmt.Sprintf(" (other programs load, so the kernel refuses %s programs by policy, or the request needs more privileges)", spec.Type)
		} else {
			hint = " (loading BPF programs needs CAP_BPF or CAP_SYS_ADMIN)"
		}
	case errors.Is(err, unix.E2BIG):
		hint = " (the kernel does not know a field of this load request or the program is too large)"
	case errors.Is(err, unix.EINVAL) && spec.Type > lastProgramType:
		hint = fmt.Sprintf(" (unknown program type %d)", uint32(spec.Type))
	}
	if len(log) > 0 {
		return fmt.Errorf("program %q: load: %w%s: %s", spec.Name, err, hint, strings.Join(log, "; "))
	}
	return fmt.Errorf("program %q: load: %w%s", spec.Name, err, hint)
}

// hasVerifierMessage reports whether log holds more than the statistics lines.
func hasVerifierMessage(log []string) bool {
	for _, l := range log {
		if !isStatsLine(l) && strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

// mapFDResolver returns the asm.EncodeOptions.MapFD callback that fills in map fds.
func mapFDResolver(maps map[string]asm.MapHandle) func(ins *asm.Instruction) (int32, error) {
	return func(ins *asm.Instruction) (int32, error) {
		m := ins.MapHandle()
		if m == nil && ins.Reference != "" {
			var ok bool
			if m, ok = maps[ins.Reference]; !ok || m == nil {
				return 0, fmt.Errorf("map %q: not given in ProgramOptions.Maps", ins.Reference)
			}
		}
		if m == nil {
			return int32(uint32(ins.Constant)), nil // a raw fd the caller put there
		}
		fd := m.FD()
		if fd < 0 {
			return 0, fmt.Errorf("map %q: %w", ins.Reference, ErrClosed)
		}
		return int32(fd), nil
	}
}

// programName checks a program name against the kernel's rules and truncates it to
// BPF_OBJ_NAME_LEN-1 bytes.
func programName(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return "", fmt.Errorf("invalid character %q in name (the kernel allows letters, digits, '_' and '.')", c)
		}
	}
	if len(name) > sys.BPF_OBJ_NAME_LEN-1 {
		name = name[:sys.BPF_OBJ_NAME_LEN-1]
	}
	return name, nil
}

// newProgramFromFD wraps fd, reading name and type from the kernel.
func newProgramFromFD(fd *sys.FD) (*Program, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(fd, &info); err != nil {
		fd.Close()
		return nil, fmt.Errorf("program info: %w", err)
	}
	return &Program{fd: fd, name: cString(info.Name[:]), typ: ProgramType(info.Type)}, nil
}

// NewProgramFromFD adopts a program file descriptor; it takes ownership of fd (the Program
// closes it). Name and type are read from the kernel. Requires Linux 4.13.
func NewProgramFromFD(fd int) (*Program, error) {
	f, err := sys.NewFD(fd)
	if err != nil {
		return nil, fmt.Errorf("program from fd: %w", err)
	}
	if err := checkFDKind(f, "bpf-prog"); err != nil {
		f.Close()
		return nil, fmt.Errorf("program from fd %d: %w", fd, err)
	}
	p, err := newProgramFromFD(f)
	if err != nil {
		return nil, fmt.Errorf("program from fd %d: %w", fd, err)
	}
	return p, nil
}

// NewProgramFromID opens the loaded program with the given id (BPF_PROG_GET_FD_BY_ID). It
// needs CAP_SYS_ADMIN. A missing id matches os.ErrNotExist / unix.ENOENT. Requires Linux 4.13.
func NewProgramFromID(id ProgramID) (*Program, error) {
	attr := sys.GetIDAttr{StartID: uint32(id)}
	fd, err := sys.ProgGetFDByID(&attr)
	if errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("program id %d: no such program: %w", id, err)
	}
	if err != nil {
		return nil, fmt.Errorf("program id %d: %w", id, err)
	}
	p, err := newProgramFromFD(fd)
	if err != nil {
		return nil, fmt.Errorf("program id %d: %w", id, err)
	}
	return p, nil
}

// checkFDKind reports an error unless fd is a BPF object of the given kind ("bpf-prog",
// "bpf-map", "bpf_link"), as /proc/self/fd shows it (anon_inode:bpf-prog).
func checkFDKind(fd *sys.FD, kind string) error {
	raw, err := fd.Acquire()
	if err != nil {
		return err
	}
	defer fd.Release()
	var buf [64]byte
	n, err := unix.Readlink(fmt.Sprintf("/proc/self/fd/%d", raw), buf[:])
	if err != nil {
		return nil // no procfs: let the kernel judge
	}
	if got := string(buf[:n]); got != "anon_inode:"+kind {
		return fmt.Errorf("not a BPF program: fd is %s", got)
	}
	return nil
}

// FD returns the program's file descriptor, or -1 once the program is closed. The Program
// still owns it.
func (p *Program) FD() int { return p.fd.Int() }

// Name returns the name the program was loaded with (or, for programs opened by id, pin or fd,
// the kernel's possibly truncated name).
func (p *Program) Name() string { return p.name }

// Type returns the program type.
func (p *Program) Type() ProgramType { return p.typ }

// String returns e.g. `XDP(xdp_filter)#fd 5`.
func (p *Program) String() string {
	return fmt.Sprintf("%s(%s)#%v", p.typ, p.name, p.fd)
}

// VerifierStats returns the verifier's statistics for this load (instructions processed,
// states, verification time, stack depth), or nil when they are unknown: opened from an fd,
// id or pin, loaded with LogDisabled, or a kernel before 5.2.
func (p *Program) VerifierStats() *VerifierStats { return p.stats }

// VerifierLog returns the verifier log of a successful load, one line per entry, when
// [ProgramOptions.LogLevel] asked for one; otherwise nil.
func (p *Program) VerifierLog() []string { return p.log }

// Clone returns a new Program for the same kernel program with its own file descriptor. The
// caller must Close both.
func (p *Program) Clone() (*Program, error) {
	fd, err := p.fd.Dup()
	if err != nil {
		return nil, fmt.Errorf("program %q: clone: %w", p.name, err)
	}
	c := *p
	c.fd = fd
	return &c, nil
}

// Close releases the program's file descriptor. It is safe on nil and when called twice.
func (p *Program) Close() error {
	if p == nil {
		return nil
	}
	if err := p.fd.Close(); err != nil {
		return fmt.Errorf("program %q: %w", p.name, err)
	}
	return nil
}
