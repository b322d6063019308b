package bpf

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// RunOptions is the input of [Program.Run] (BPF_PROG_TEST_RUN). Which fields a program type
// accepts is the kernel's choice; the common cases:
//
//   - XDP, SchedCLS, SchedACT, SocketFilter, CgroupSKB, LWT*, FlowDissector: Data is a packet
//     starting with its Ethernet header (at least 14 bytes); Context optionally an xdp_md or
//     __sk_buff; Repeat runs it many times and Duration averages.
//   - RawTracepoint: Context only (the tracepoint's arguments); no Data, no Repeat.
//   - Syscall: Context only (the program's argument), which the program may modify; the
//     modified context comes back in RunResult.Context. No Data, no Repeat.
//   - SkLookup, Netfilter, Tracing (fentry, fmod_ret) and struct_ops have their own rules.
type RunOptions struct {
	// Data is the input packet (data_in).
	Data []byte
	// DataOutSize is the capacity for the output packet; 0 means len(Data)+256, which grows
	// when the kernel answers that it was too small (ENOSPC: the program is run again).
	DataOutSize int
	// DataOut, if not nil, is the buffer for the output packet (its length is the capacity,
	// DataOutSize is ignored), so that repeated runs allocate less; RunResult.Data then aliases
	// it unless the output did not fit.
	DataOut []byte
	// Context is the input context (ctx_in): an xdp_md, a __sk_buff, tracepoint arguments...
	Context []byte
	// ContextOutSize is the capacity for the output context; 0 means len(Context).
	ContextOutSize int
	// Repeat runs the program this many times (0 and 1 both mean once); Duration is the mean.
	Repeat uint32
	// Flags are BPF_F_TEST_* flags (sys.BPF_F_TEST_RUN_ON_CPU, sys.BPF_F_TEST_XDP_LIVE_FRAMES,
	// ...).
	Flags uint32
	// CPU is the CPU to run on with BPF_F_TEST_RUN_ON_CPU (raw tracepoints).
	CPU uint32
	// BatchSize is the batch of live XDP frames (BPF_F_TEST_XDP_LIVE_FRAMES).
	BatchSize uint32
}

// RunResult is the output of [Program.Run].
type RunResult struct {
	// ReturnValue is the program's return value (R0), e.g. an XDP action.
	ReturnValue uint32
	// Data is the packet as the program left it (data_out), nil if none.
	Data []byte
	// Context is the context as the program left it (ctx_out; for syscall programs the
	// context the program modified), nil if none.
	Context []byte
	// Duration is the mean run time per repetition, as the kernel measured it.
	Duration time.Duration
}

// ethHeaderLen is ETH_HLEN: skb-based and XDP test runs need at least an Ethernet header.
const ethHeaderLen = 14

// Run runs the program once (or opts.Repeat times) on the given input in the kernel
// (BPF_PROG_TEST_RUN) and returns what it returned and wrote. Packet-based program types need
// at least 14 bytes of data; the error says so before calling the kernel. If the program grows
// the packet beyond DataOutSize, Run runs it again with a big enough buffer. Requires Linux 4.12
// (XDP, SchedCLS), 5.2 (context), 5.10 (raw tracepoints), 5.14 (syscall).
func (p *Program) Run(opts *RunOptions) (RunResult, error) {
	if opts == nil {
		opts = &RunOptions{}
	}
	if err := p.checkRunOptions(opts); err != nil {
		return RunResult{}, fmt.Errorf("program %q: test run: %w", p.name, err)
	}
	raw, err := p.fd.Acquire()
	if err != nil {
		return RunResult{}, fmt.Errorf("program %q: test run: %w", p.name, err)
	}
	defer p.fd.Release()

	attr := sys.ProgTestRunAttr{
		ProgFD:     uint32(raw),
		DataSizeIn: uint32(len(opts.Data)),
		DataIn:     sys.NewSlicePointer(opts.Data),
		CtxSizeIn:  uint32(len(opts.Context)),
		Flags:      opts.Flags,
		CPU:        opts.CPU,
		BatchSize:  opts.BatchSize,
	}
	if opts.Repeat > 1 {
		attr.Repeat = opts.Repeat
	}
	var ctxIn []byte
	if len(opts.Context) > 0 {
		// The syscall program type writes the context back to ctx_in: never to the caller's slice.
		ctxIn = append([]byte(nil), opts.Context...)
		attr.CtxIn = sys.NewSlicePointer(ctxIn)
	}
	var dataOut, ctxOut []byte
	if p.typ != Syscall && p.typ != RawTracepoint && p.typ != RawTracepointWritable {
		if opts.DataOut != nil {
			dataOut = opts.DataOut
		} else if len(opts.Data) > 0 || opts.DataOutSize > 0 {
			n := opts.DataOutSize
			if n <= 0 {
				n = len(opts.Data) + 256
			}
			dataOut = make([]byte, n)
		}
		if len(opts.Context) > 0 || opts.ContextOutSize > 0 {
			n := opts.ContextOutSize
			if n <= 0 {
				n = len(opts.Context)
			}
			ctxOut = make([]byte, n)
		}
	}

	for {
		attr.DataOut = sys.NewSlicePointer(dataOut)
		attr.DataSizeOut = uint32(len(dataOut))
		attr.CtxOut = sys.NewSlicePointer(ctxOut)
		attr.CtxSizeOut = uint32(len(ctxOut))
		err = sys.ProgTestRun(&attr)
		if errors.Is(err, unix.ENOSPC) {
			// An output buffer was too small; the kernel reports the size it needed.
			grown := false
			if need := int(attr.DataSizeOut); need > len(dataOut) {
				dataOut, grown = make([]byte, need), true
			}
			if need := int(attr.CtxSizeOut); need > len(ctxOut) {
				ctxOut, grown = make([]byte, need), true
			}
			if grown {
				continue
			}
		}
		break
	}
	if errors.Is(err, errnoENOTSUPP) || errors.Is(err, unix.EOPNOTSUPP) {
		return RunResult{}, fmt.Errorf("program %q: %w", p.name,
			&FeatureError{Feature: fmt.Sprintf("BPF_PROG_TEST_RUN of %s programs", p.typ.KernelName()), Err: err})
	}
	if err != nil {
		return RunResult{}, fmt.Errorf("program %q: test run: %w%s", p.name, err, testRunHint(p.typ, err))
	}

	res := RunResult{
		ReturnValue: attr.Retval,
		Duration:    time.Duration(attr.Duration),
	}
	if dataOut != nil {
		res.Data = dataOut[:min(int(attr.DataSizeOut), len(dataOut))]
	}
	switch {
	case p.typ == Syscall && ctxIn != nil:
		res.Context = ctxIn
	case ctxOut != nil:
		res.Context = ctxOut[:min(int(attr.CtxSizeOut), len(ctxOut))]
	}
	return res, nil
}

// checkRunOptions rejects inputs the kernel would answer with a bare EINVAL, with the reason.
func (p *Program) checkRunOptions(o *RunOptions) error {
	switch p.typ {
	case XDP, SchedCLS, SchedACT, SocketFilter, CgroupSKB, LWTIn, LWTOut, LWTXmit, LWTSeg6Local, FlowDissector:
		if len(o.Data) < ethHeaderLen {
			return fmt.Errorf("%s programs need at least %d bytes of data (an Ethernet header), got %d",
				p.typ, ethHeaderLen, len(o.Data))
		}
	case RawTracepoint, RawTracepointWritable, Syscall:
		if len(o.Data) > 0 || o.DataOutSize > 0 || o.DataOut != nil || o.ContextOutSize > 0 || o.Repeat > 1 {
			return fmt.Errorf("%s programs take only a context (no data, output sizes or repeat)", p.typ)
		}
	}
	if o.Flags&sys.BPF_F_TEST_RUN_ON_CPU == 0 && o.CPU != 0 {
		return errors.New("CPU needs the flag BPF_F_TEST_RUN_ON_CPU")
	}
	return nil
}

func testRunHint(t ProgramType, err error) string {
	switch {
	case errors.Is(err, unix.EINVAL):
		return fmt.Sprintf(" (the kernel refused this input for a %s program: check data, context and flags)", t)
	case errors.Is(err, unix.EPERM):
		return " (BPF_PROG_TEST_RUN needs CAP_BPF or CAP_SYS_ADMIN)"
	}
	return ""
}
