package link

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// KprobeOptions are the optional settings of [Kprobe] and [Kretprobe].
type KprobeOptions struct {
	// Offset is a byte offset into the function (kprobes only).
	Offset uint64
	// Cookie is a value the program reads with bpf_get_attach_cookie; it needs
	// a BPF perf link (Linux 5.15).
	Cookie uint64
}

// Kprobe attaches prog, a [bpf.Kprobe] program, to the entry of the kernel
// function symbol (for example "__x64_sys_getpid") through the kprobe PMU
// (/sys/bus/event_source/devices/kprobe, Linux 4.17), or through tracefs
// kprobe_events on older kernels (the event is removed on Close). A kernel without
// CONFIG_KPROBES answers an error matching [ErrNotSupported]; an unknown symbol
// one matching os.ErrNotExist. The caller must Close the Link.
func Kprobe(symbol string, prog *bpf.Program, opts *KprobeOptions) (Link, error) {
	return kprobe(symbol, prog, opts, false)
}

// Kretprobe is [Kprobe] for the function's return (a kretprobe): the program
// sees the return value in the registers' return slot.
func Kretprobe(symbol string, prog *bpf.Program, opts *KprobeOptions) (Link, error) {
	return kprobe(symbol, prog, opts, true)
}

func kprobeKind(ret bool) string {
	if ret {
		return "kretprobe"
	}
	return "kprobe"
}

// errNoKprobes is the answer of a kernel without the kprobe PMU.
func errNoKprobes(err error) error {
	return &sys.FeatureError{Feature: "kprobes (CONFIG_KPROBES, kprobe PMU)", Since: "4.17", Err: err}
}

// HaveKprobes reports whether the kernel offers kprobes, through the kprobe
// PMU or tracefs kprobe_events: nil if so, an error matching [ErrNotSupported] if not.
func HaveKprobes() error {
	if _, err := pmuType("kprobe"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if haveProbeEvents("kprobe_events") {
				return nil
			}
			return errNoKprobes(err)
		}
		return err
	}
	return nil
}

func kprobe(symbol string, prog *bpf.Program, opts *KprobeOptions, ret bool) (Link, error) {
	kind := kprobeKind(ret)
	if prog == nil {
		return nil, fmt.Errorf("%s %q: nil program", kind, symbol)
	}
	if symbol == "" {
		return nil, fmt.Errorf("%s: empty symbol", kind)
	}
	var o KprobeOptions
	if opts != nil {
		o = *opts
	}
	if ret && o.Offset != 0 {
		return nil, fmt.Errorf("%s %q: offset %d: return probes take none", kind, symbol, o.Offset)
	}
	typ, err := pmuType("kprobe")
	if forceTracefsProbes || errors.Is(err, os.ErrNotExist) && haveProbeEvents("kprobe_events") {
		// Kernels before 4.17 have no kprobe PMU, only tracefs kprobe_events.
		target := symbol
		if o.Offset != 0 {
			target = fmt.Sprintf("%s+%d", symbol, o.Offset)
		}
		l, err := attachProbeEvent("kprobe_events", ret, target, prog, o.Cookie)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", kind, symbol, err)
		}
		return l, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s %q: %w", kind, symbol, errNoKprobes(err))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, symbol, err)
	}
	attr := sys.PerfEventAttr{Type: typ, SamplePeriod: 1, WakeupEvents: 1}
	if ret {
		bit, err := pmuRetprobeBit("kprobe")
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", kind, symbol, err)
		}
		attr.Config = 1 << bit
	}
	name := append([]byte(symbol), 0)
	attr.BpAddr = uint64(uintptr(unsafe.Pointer(&name[0]))) // config1: kprobe_func
	attr.BpLen = o.Offset                                   // config2: probe_offset
	ev, err := sys.PerfEventOpen(&attr, -1, 0, -1, 0)
	runtime.KeepAlive(name)
	if errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("%s %q: no such kernel function: %w", kind, symbol, errors.Join(os.ErrNotExist, err))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, symbol, err)
	}
	l, err := attachPerfEvent(ev, prog, o.Cookie, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, symbol, err)
	}
	return l, nil
}

// KprobeMultiOptions are the optional settings of [KprobeMulti].
type KprobeMultiOptions struct {
	// Return attaches at the functions' returns (BPF_F_KPROBE_MULTI_RETURN).
	Return bool
	// Cookies, if not nil, holds one bpf_get_attach_cookie value per symbol.
	Cookies []uint64
}

// KprobeMulti attaches prog, a [bpf.Kprobe] program loaded with AttachType
// [bpf.AttachTraceKprobeMulti], to many kernel functions at once with one
// BPF link (BPF_TRACE_KPROBE_MULTI, fprobe-based). Requires Linux 5.18 with
// CONFIG_FPROBE; without it the error matches [ErrNotSupported]. The caller
// must Close the Link.
func KprobeMulti(symbols []string, prog *bpf.Program, opts *KprobeMultiOptions) (Link, error) {
	if prog == nil {
		return nil, errors.New("kprobe_multi: nil program")
	}
	if len(symbols) == 0 {
		return nil, errors.New("kprobe_multi: no symbols")
	}
	var o KprobeMultiOptions
	if opts != nil {
		o = *opts
	}
	if o.Cookies != nil && len(o.Cookies) != len(symbols) {
		return nil, fmt.Errorf("kprobe_multi: %d cookies for %d symbols", len(o.Cookies), len(symbols))
	}
	// An array of C string pointers; the strings are kept alive by strs.
	strs := make([][]byte, len(symbols))
	ptrs := make([]uintptr, len(symbols))
	for i, s := range symbols {
		if s == "" {
			return nil, fmt.Errorf("kprobe_multi: symbol %d is empty", i)
		}
		strs[i] = append([]byte(s), 0)
		ptrs[i] = uintptr(unsafe.Pointer(&strs[i][0]))
	}
	attr := sys.LinkCreateKprobeMultiAttr{
		ProgFD:     uint32(prog.FD()),
		AttachType: uint32(sys.BPF_TRACE_KPROBE_MULTI),
		Cnt:        uint32(len(symbols)),
		Syms:       sys.NewSlicePointerOf(ptrs),
	}
	if o.Return {
		attr.KprobeMultiFlags = sys.BPF_F_KPROBE_MULTI_RETURN
	}
	if o.Cookies != nil {
		attr.Cookies = sys.NewSlicePointerOf(o.Cookies)
	}
	fd, err := sys.LinkCreate(&attr)
	runtime.KeepAlive(strs)
	if err != nil {
		if errors.Is(err, errENOTSUPP) || errors.Is(err, errEOPNOTSUPP) {
			err = &sys.FeatureError{Feature: "kprobe_multi links (CONFIG_FPROBE)", Since: "5.18", Err: err}
		}
		if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT) {
			err = errors.Join(os.ErrNotExist, err)
		}
		return nil, fmt.Errorf("kprobe_multi %q: attach program %q: %w", symbols, prog.Name(), err)
	}
	return newRawLink(fd), nil
}
