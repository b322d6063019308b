package link

import (
	"debug/elf"
	"debug/gosym"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// Executable is an ELF binary or shared library whose functions can be
// probed with uprobes. It remembers the file offsets of the binary's function
// symbols, read once by [OpenExecutable]; it holds no file descriptor.
type Executable struct {
	path    string
	offsets map[string]uint64
}

// OpenExecutable reads the function symbols of the ELF file at path (the
// static symbol table, the dynamic one and, in Go binaries, the function
// table .gopclntab, which survives stripping) and turns their addresses into
// file offsets, which is what the kernel's uprobes take.
func OpenExecutable(path string) (*Executable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("executable %q: %w", path, err)
	}
	defer f.Close()
	offs, err := symbolOffsets(f)
	if err != nil {
		return nil, fmt.Errorf("executable %q: %w", path, err)
	}
	return &Executable{path: path, offsets: offs}, nil
}

// Path returns the file name the Executable was opened with.
func (ex *Executable) Path() string { return ex.path }

// Offset returns the file offset of the function symbol, as uprobes use it.
// An unknown symbol is an error matching os.ErrNotExist.
func (ex *Executable) Offset(symbol string) (uint64, error) {
	off, ok := ex.offsets[symbol]
	if !ok {
		return 0, fmt.Errorf("executable %q: symbol %q: %w", ex.path, symbol, os.ErrNotExist)
	}
	return off, nil
}

// symbolOffsets maps each defined function symbol of the ELF file in r to
// its file offset: its address, minus the virtual address of the loadable
// segment that holds it, plus that segment's file offset. It is a pure
// function of the bytes in r.
func symbolOffsets(r io.ReaderAt) (map[string]uint64, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var syms []elf.Symbol
	for _, read := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		s, err := read()
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return nil, fmt.Errorf("read symbols: %w", err)
		}
		syms = append(syms, s...)
	}
	offs := make(map[string]uint64)
	add := func(name string, addr uint64) {
		if _, dup := offs[name]; dup || name == "" || addr == 0 {
			return
		}
		for _, p := range f.Progs {
			if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 {
				continue
			}
			if addr >= p.Vaddr && addr-p.Vaddr < p.Memsz {
				offs[name] = addr - p.Vaddr + p.Off
				return
			}
		}
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			add(s.Name, s.Value)
		}
	}
	// Go binaries linked with -s (as go test and go run build them) have no
	// symbol table, but their function table (.gopclntab) names every function.
	if err := goFuncs(f, add); err != nil {
		return nil, err
	}
	if len(offs) == 0 {
		return nil, errors.New("no function symbols in executable segments")
	}
	return offs, nil
}

// goFuncs calls add for each function in a Go binary's .gopclntab, if the
// file has one.
func goFuncs(f *elf.File, add func(name string, addr uint64)) (err error) {
	// debug/gosym trusts the table's offsets and can panic on a corrupt one.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parse .gopclntab: corrupt table: %v", r)
		}
	}()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil || pcln.Type == elf.SHT_NOBITS {
		return nil
	}
	data, err := pcln.Data()
	if err != nil {
		return fmt.Errorf("read .gopclntab: %w", err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return fmt.Errorf("parse .gopclntab: %w", err)
	}
	for _, fn := range tab.Funcs {
		add(fn.Name, fn.Entry)
	}
	return nil
}

// UprobeOptions are the optional settings of [Executable.Uprobe] and
// [Executable.Uretprobe].
type UprobeOptions struct {
	// Offset, if not zero, is the file offset to probe; the symbol then only
	// names the probe in errors. It is added to nothing: it replaces the
	// symbol's offset.
	Offset uint64
	// PID restricts the probe to one process; 0 means every process that runs
	// the file.
	PID int
	// Cookie is a value the program reads with bpf_get_attach_cookie; it needs
	// a BPF perf link (Linux 5.15).
	Cookie uint64
}

// Uprobe attaches prog, a [bpf.Kprobe] program, to the entry of the function
// symbol in the executable, through the uprobe PMU
// (/sys/bus/event_source/devices/uprobe, Linux 4.17), or through tracefs
// uprobe_events on older kernels (not with a PID; the event is removed on
// Close). The caller must Close the Link.
func (ex *Executable) Uprobe(symbol string, prog *bpf.Program, opts *UprobeOptions) (Link, error) {
	return ex.uprobe(symbol, prog, opts, false)
}

// Uretprobe is [Executable.Uprobe] at the function's return. The kernel
// replaces the return address on the user stack while the function runs, so
// avoid it on functions of runtimes that walk or move stacks (Go functions that
// can grow their stack or be preempted).
func (ex *Executable) Uretprobe(symbol string, prog *bpf.Program, opts *UprobeOptions) (Link, error) {
	return ex.uprobe(symbol, prog, opts, true)
}

func uprobeKind(ret bool) string {
	if ret {
		return "uretprobe"
	}
	return "uprobe"
}

func (ex *Executable) uprobe(symbol string, prog *bpf.Program, opts *UprobeOptions, ret bool) (Link, error) {
	kind := uprobeKind(ret)
	if prog == nil {
		return nil, fmt.Errorf("%s %s:%s: nil program", kind, ex.path, symbol)
	}
	var o UprobeOptions
	if opts != nil {
		o = *opts
	}
	off := o.Offset
	if off == 0 {
		var err error
		if off, err = ex.Offset(symbol); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
	}
	typ, err := pmuType("uprobe")
	if (forceTracefsProbes || errors.Is(err, os.ErrNotExist) && haveProbeEvents("uprobe_events")) && o.PID <= 0 {
		// Kernels before 4.17 have no uprobe PMU, only tracefs uprobe_events.
		l, err := attachProbeEvent("uprobe_events", ret, fmt.Sprintf("%s:%#x", ex.path, off), prog, o.Cookie)
		if err != nil {
			return nil, fmt.Errorf("%s %s:%s: %w", kind, ex.path, symbol, err)
		}
		return l, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		err = &sys.FeatureError{Feature: "uprobes (CONFIG_UPROBE_EVENTS, uprobe PMU)", Since: "4.17", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s: %w", kind, ex.path, symbol, err)
	}
	attr := sys.PerfEventAttr{Type: typ, SamplePeriod: 1, WakeupEvents: 1}
	if ret {
		bit, err := pmuRetprobeBit("uprobe")
		if err != nil {
			return nil, fmt.Errorf("%s %s:%s: %w", kind, ex.path, symbol, err)
		}
		attr.Config = 1 << bit
	}
	path := append([]byte(ex.path), 0)
	attr.BpAddr = uint64(uintptr(unsafe.Pointer(&path[0]))) // config1: uprobe_path
	attr.BpLen = off                                        // config2: probe_offset
	pid, cpu := -1, 0
	if o.PID > 0 {
		pid, cpu = o.PID, -1
	}
	ev, err := sys.PerfEventOpen(&attr, pid, cpu, -1, 0)
	runtime.KeepAlive(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s (offset %#x): %w", kind, ex.path, symbol, off, err)
	}
	l, err := attachPerfEvent(ev, prog, o.Cookie, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s:%s: %w", kind, ex.path, symbol, err)
	}
	return l, nil
}

// UprobeMultiOptions are the optional settings of [Executable.UprobeMulti].
type UprobeMultiOptions struct {
	// Return attaches at the functions' returns (BPF_F_UPROBE_MULTI_RETURN).
	Return bool
	// PID restricts the probes to one process; 0 means every process.
	PID int
	// Cookies, if not nil, holds one bpf_get_attach_cookie value per symbol.
	Cookies []uint64
}

// UprobeMulti attaches prog, a [bpf.Kprobe] program loaded with AttachType
// [bpf.AttachTraceUprobeMulti], to several functions of the executable with one
// BPF link (BPF_TRACE_UPROBE_MULTI). Requires Linux 6.6; older kernels answer
// an error matching [ErrNotSupported]. The caller must Close the Link.
func (ex *Executable) UprobeMulti(symbols []string, prog *bpf.Program, opts *UprobeMultiOptions) (Link, error) {
	if prog == nil {
		return nil, fmt.Errorf("uprobe_multi %s: nil program", ex.path)
	}
	if len(symbols) == 0 {
		return nil, fmt.Errorf("uprobe_multi %s: no symbols", ex.path)
	}
	var o UprobeMultiOptions
	if opts != nil {
		o = *opts
	}
	if o.Cookies != nil && len(o.Cookies) != len(symbols) {
		return nil, fmt.Errorf("uprobe_multi %s: %d cookies for %d symbols", ex.path, len(o.Cookies), len(symbols))
	}
	offs := make([]uint64, len(symbols))
	for i, s := range symbols {
		off, err := ex.Offset(s)
		if err != nil {
			return nil, fmt.Errorf("uprobe_multi: %w", err)
		}
		offs[i] = off
	}
	path := append([]byte(ex.path), 0)
	attr := sys.LinkCreateUprobeMultiAttr{
		ProgFD:     uint32(prog.FD()),
		AttachType: uint32(sys.BPF_TRACE_UPROBE_MULTI),
		Path:       sys.NewSlicePointer(path),
		Offsets:    sys.NewSlicePointerOf(offs),
		Cnt:        uint32(len(offs)),
		Pid:        uint32(max(o.PID, 0)),
	}
	if o.Return {
		attr.UprobeMultiFlags = sys.BPF_F_UPROBE_MULTI_RETURN
	}
	if o.Cookies != nil {
		attr.Cookies = sys.NewSlicePointerOf(o.Cookies)
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil && !errors.Is(err, unix.ENOENT) && HaveUprobeMulti() != nil {
		err = &sys.FeatureError{Feature: "uprobe_multi links", Since: "6.6", Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("uprobe_multi %s %q: attach program %q: %w", ex.path, symbols, prog.Name(), linkErr(err))
	}
	return newRawLink(fd), nil
}

// HaveUprobeMulti reports whether the kernel has uprobe_multi links
// (BPF_TRACE_UPROBE_MULTI, Linux 6.6): nil if so, an error matching
// [ErrNotSupported] if not. It loads a tiny program and asks for a link on a
// directory, which a kernel with the feature rejects with EBADF and one without
// with EINVAL.
func HaveUprobeMulti() error {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:         "probe_upm",
		Type:         bpf.Kprobe,
		AttachType:   bpf.AttachTraceUprobeMulti,
		License:      "GPL",
		Instructions: returnZero,
	})
	if err != nil {
		return fmt.Errorf("uprobe_multi probe: load: %w", err)
	}
	defer prog.Close()
	path := []byte("/\x00")
	offs := []uint64{0}
	attr := sys.LinkCreateUprobeMultiAttr{
		ProgFD:     uint32(prog.FD()),
		AttachType: uint32(sys.BPF_TRACE_UPROBE_MULTI),
		Path:       sys.NewSlicePointer(path),
		Offsets:    sys.NewSlicePointerOf(offs),
		Cnt:        1,
	}
	fd, err := sys.LinkCreate(&attr)
	switch {
	case err == nil:
		fd.Close()
		return nil
	case errors.Is(err, unix.EBADF):
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, errEOPNOTSUPP), errors.Is(err, errENOTSUPP):
		// EOPNOTSUPP: a kernel without uprobe_multi hands the request to
		// kprobe_multi, which may be compiled out.
		return &sys.FeatureError{Feature: "uprobe_multi links", Since: "6.6", Err: err}
	default:
		return fmt.Errorf("uprobe_multi probe: %w", linkErr(err))
	}
}
