package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// AttachRawTracepoint attaches prog, a [bpf.RawTracepoint] program, to the raw
// tracepoint name ("sys_enter", "sched_switch", ...) with
// BPF_RAW_TRACEPOINT_OPEN. The program sees the tracepoint's raw arguments
// (struct bpf_raw_tracepoint_args). Requires Linux 4.17 (a BPF link since 5.8).
// An unknown tracepoint is an error matching os.ErrNotExist (ENOENT). The caller
// must Close the Link.
func AttachRawTracepoint(name string, prog *bpf.Program) (Link, error) {
	if prog == nil {
		return nil, fmt.Errorf("raw tracepoint %q: nil program", name)
	}
	if name == "" {
		return nil, errors.New("raw tracepoint: empty name")
	}
	attr := sys.RawTracepointOpenAttr{Name: sys.NewStringPointer(name), ProgFD: uint32(prog.FD())}
	fd, err := sys.RawTracepointOpen(&attr)
	if err != nil {
		return nil, fmt.Errorf("raw tracepoint %q: attach program %q: %w", name, prog.Name(), linkErr(err))
	}
	return newRawLink(fd), nil
}

// TracingOptions are the optional settings of [AttachTracing].
type TracingOptions struct {
	// Cookie is a value the program reads with bpf_get_attach_cookie. A
	// non-zero cookie makes the attachment use BPF_LINK_CREATE (Linux 5.19)
	// and needs AttachType.
	Cookie uint64
	// AttachType is the program's expected attach type (AttachTraceFEntry,
	// ...); only needed with a Cookie.
	AttachType bpf.AttachType
}

// AttachTracing attaches a program that was loaded against its target at load
// time: a [bpf.Tracing] program (fentry, fexit, fmod_ret on a kernel function,
// tp_btf on a BTF tracepoint) or a [bpf.LSM] program. The target is the one the
// program was loaded for ([bpf.ProgramSpec.AttachTo]). It uses
// BPF_RAW_TRACEPOINT_OPEN without a name (Linux 5.5; LSM 5.7), or BPF_LINK_CREATE
// when opts carry a cookie. The caller must Close the Link.
func AttachTracing(prog *bpf.Program, opts *TracingOptions) (Link, error) {
	if prog == nil {
		return nil, errors.New("tracing: attach: nil program")
	}
	if opts != nil && opts.Cookie != 0 {
		attr := sys.LinkCreateTracingAttr{
			ProgFD:     uint32(prog.FD()),
			AttachType: uint32(opts.AttachType),
			Cookie:     opts.Cookie,
		}
		fd, err := sys.LinkCreate(&attr)
		if errors.Is(err, unix.EINVAL) {
			err = &sys.FeatureError{Feature: "tracing link with a cookie", Since: "5.19", Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("tracing: attach program %q: %w", prog.Name(), linkErr(err))
		}
		return newRawLink(fd), nil
	}
	attr := sys.RawTracepointOpenAttr{ProgFD: uint32(prog.FD())}
	fd, err := sys.RawTracepointOpen(&attr)
	if err != nil {
		return nil, fmt.Errorf("tracing: attach program %q: %w", prog.Name(), linkErr(err))
	}
	return newRawLink(fd), nil
}
