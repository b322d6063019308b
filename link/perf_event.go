package link

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// PerfEventOptions describes a perf event for [AttachPerfEvent]
// (perf_event_open(2) with a BPF_PROG_TYPE_PERF_EVENT program run on each
// overflow). The zero value is a software cpu-clock event on CPU 0 sampling
// every millisecond of CPU time.
type PerfEventOptions struct {
	// Type is perf_event_attr.type: PERF_TYPE_SOFTWARE (1) or another PMU
	// type. Type and Config both zero (which would be hardware CPU cycles)
	// mean the default, software cpu-clock. Hardware events need a PMU the
	// machine may lack (virtual machines often do).
	Type uint32
	// Config is perf_event_attr.config, e.g. sys.PERF_COUNT_SW_CPU_CLOCK (0).
	Config uint64
	// SamplePeriod runs the program every SamplePeriod events (nanoseconds for
	// cpu-clock). Zero means 1,000,000 unless Frequency is set.
	SamplePeriod uint64
	// Frequency, when not zero, asks for this many samples per second instead
	// of a fixed period (perf_event_attr.freq).
	Frequency uint64
	// PID restricts the event to one task: perf_event_open's pid argument,
	// which names a thread (a process id measures only the main thread of
	// that process; Go code that wants its own samples locks its goroutine to
	// a thread and passes unix.Gettid()). 0 means every task on CPU.
	PID int
	// CPU is the CPU to sample; with PID set, -1 means any CPU.
	CPU int
	// Cookie is a value the program reads with bpf_get_attach_cookie; it needs
	// a BPF perf link (Linux 5.15).
	Cookie uint64
}

// AttachPerfEvent opens a perf event described by opts and runs prog, a
// [bpf.PerfEvent] program, on each of its overflows. Requires Linux 4.9. The
// caller must Close the returned Link, which closes the event too.
func AttachPerfEvent(prog *bpf.Program, opts *PerfEventOptions) (Link, error) {
	if prog == nil {
		return nil, errors.New("perf event: attach: nil program")
	}
	var o PerfEventOptions
	if opts != nil {
		o = *opts
	}
	attr := sys.PerfEventAttr{Type: o.Type, Config: o.Config}
	if opts == nil || (o.Type == 0 && o.Config == 0) {
		attr.Type = sys.PERF_TYPE_SOFTWARE
		attr.Config = sys.PERF_COUNT_SW_CPU_CLOCK
	}
	switch {
	case o.Frequency != 0:
		attr.SetSampleFreq(o.Frequency)
		attr.SetFreq(1)
	case o.SamplePeriod != 0:
		attr.SamplePeriod = o.SamplePeriod
	default:
		attr.SamplePeriod = 1_000_000
	}
	pid, cpu := -1, o.CPU
	if o.PID != 0 {
		pid = o.PID
	} else if cpu < 0 {
		return nil, fmt.Errorf("perf event: attach program %q: a system-wide event needs a CPU, not %d", prog.Name(), cpu)
	}
	ev, err := sys.PerfEventOpen(&attr, pid, cpu, -1, 0)
	if err != nil {
		return nil, fmt.Errorf("perf event: open type %d config %d: %w", attr.Type, attr.Config, err)
	}
	l, err := attachPerfEvent(ev, prog, o.Cookie, nil)
	if err != nil {
		return nil, fmt.Errorf("perf event: %w", err)
	}
	return l, nil
}

// perfEventLink is a perf event with a program attached: through a BPF perf
// link when the kernel has one (Linux 5.15), else through
// PERF_EVENT_IOC_SET_BPF. Closing it closes the event, which detaches the
// program; cleanup (removing a tracefs probe, for example) runs last.
type perfEventLink struct {
	event   *sys.FD
	link    *RawLink // nil with PERF_EVENT_IOC_SET_BPF
	cleanup func() error
}

// forceSetBPF makes attachPerfEvent skip the BPF perf link and use
// PERF_EVENT_IOC_SET_BPF, the path of kernels before 5.15; tests set it.
var forceSetBPF bool

// attachPerfEvent attaches prog to ev and takes ownership of ev (closed on
// error). cleanup, if not nil, runs after the event is closed.
func attachPerfEvent(ev *sys.FD, prog *bpf.Program, cookie uint64, cleanup func() error) (*perfEventLink, error) {
	pl := &perfEventLink{event: ev, cleanup: cleanup}
	if forceSetBPF && cookie == 0 {
		return pl.setBPF(prog)
	}
	raw, err := ev.Acquire()
	if err != nil {
		pl.Close()
		return nil, fmt.Errorf("attach program %q: %w", prog.Name(), err)
	}
	attr := sys.LinkCreatePerfEventAttr{
		ProgFD:     uint32(prog.FD()),
		TargetFD:   uint32(raw),
		AttachType: uint32(sys.BPF_PERF_EVENT),
		BpfCookie:  cookie,
	}
	fd, err := sys.LinkCreate(&attr)
	ev.Release()
	if err == nil {
		pl.link = newRawLink(fd)
		return pl, nil
	}
	// Kernels before 5.15 have no perf link: EINVAL for the unknown attach type.
	if !errors.Is(err, unix.EINVAL) || cookie != 0 {
		pl.Close()
		if cookie != 0 && errors.Is(err, unix.EINVAL) {
			err = &sys.FeatureError{Feature: "BPF perf link with a cookie", Since: "5.15", Err: err}
		}
		return nil, fmt.Errorf("attach program %q: %w", prog.Name(), linkErr(err))
	}
	return pl.setBPF(prog)
}

// setBPF attaches prog with PERF_EVENT_IOC_SET_BPF and enables the event.
func (pl *perfEventLink) setBPF(prog *bpf.Program) (*perfEventLink, error) {
	if err := sys.PerfEventSetBPF(pl.event, prog.FD()); err != nil {
		pl.Close()
		return nil, fmt.Errorf("attach program %q: PERF_EVENT_IOC_SET_BPF: %w", prog.Name(), err)
	}
	if err := sys.PerfEventEnable(pl.event); err != nil {
		pl.Close()
		return nil, fmt.Errorf("attach program %q: PERF_EVENT_IOC_ENABLE: %w", prog.Name(), err)
	}
	return pl, nil
}

// Close detaches the program (unless the perf link is pinned) and closes the
// event. It is safe on nil and when called twice.
func (pl *perfEventLink) Close() error {
	if pl == nil {
		return nil
	}
	errs := []error{pl.link.Close(), pl.event.Close()}
	if pl.cleanup != nil {
		errs = append(errs, pl.cleanup())
		pl.cleanup = nil
	}
	return errors.Join(errs...)
}

func (pl *perfEventLink) errNoLink(op string) error {
	return fmt.Errorf("perf event: %s: attached with PERF_EVENT_IOC_SET_BPF, not a BPF link (requires >= 5.15): %w", op, ErrNotSupported)
}

// Pin pins the BPF perf link. The perf event itself stays open only as long
// as the link does.
func (pl *perfEventLink) Pin(path string) error {
	if pl.link == nil {
		return pl.errNoLink("pin")
	}
	return pl.link.Pin(path)
}

// Unpin removes the pin made by Pin.
func (pl *perfEventLink) Unpin() error {
	if pl.link == nil {
		return pl.errNoLink("unpin")
	}
	return pl.link.Unpin()
}

// Update is not supported by the kernel for perf links.
func (pl *perfEventLink) Update(*bpf.Program) error {
	return fmt.Errorf("perf event: update: %w", ErrNotSupported)
}

// Info reports the perf link's info.
func (pl *perfEventLink) Info() (*Info, error) {
	if pl.link == nil {
		return nil, pl.errNoLink("info")
	}
	return pl.link.Info()
}

// pmuDir is where the kernel lists its dynamic PMUs (kprobe, uprobe, ...).
var pmuDir = "/sys/bus/event_source/devices"

// pmuType reads the perf_event_attr.type of a dynamic PMU
// (/sys/bus/event_source/devices/NAME/type).
func pmuType(name string) (uint32, error) {
	b, err := os.ReadFile(pmuDir + "/" + name + "/type")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("PMU %s: type: %w", name, err)
	}
	return uint32(v), nil
}

// pmuRetprobeBit reads the config bit that turns a kprobe or uprobe PMU event
// into a return probe (format/retprobe, "config:0").
func pmuRetprobeBit(name string) (uint, error) {
	b, err := os.ReadFile(pmuDir + "/" + name + "/format/retprobe")
	if err != nil {
		return 0, fmt.Errorf("PMU %s: retprobe format: %w", name, err)
	}
	return parseConfigBit(string(b))
}

// parseConfigBit parses a PMU format file of one bit ("config:0").
func parseConfigBit(s string) (uint, error) {
	s = strings.TrimSpace(s)
	v, ok := strings.CutPrefix(s, "config:")
	if !ok {
		return 0, fmt.Errorf("PMU format %q: want config:N", s)
	}
	n, err := strconv.ParseUint(v, 10, 6)
	if err != nil {
		return 0, fmt.Errorf("PMU format %q: %w", s, err)
	}
	return uint(n), nil
}
