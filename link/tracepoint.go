package link

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// TracepointOptions are the optional settings of [Tracepoint].
type TracepointOptions struct {
	// Cookie is a value the program reads with bpf_get_attach_cookie; it needs
	// a BPF perf link (Linux 5.15).
	Cookie uint64
}

// Tracepoint attaches prog, a [bpf.TracePoint] program, to the kernel
// tracepoint group/name (for example "syscalls", "sys_enter_getpid"), as a perf
// event (PERF_TYPE_TRACEPOINT with the event id from tracefs). The program
// runs on every CPU. Requires Linux 4.7 and tracefs (/sys/kernel/tracing or
// /sys/kernel/debug/tracing). An unknown tracepoint is an error matching
// os.ErrNotExist. The caller must Close the Link.
func Tracepoint(group, name string, prog *bpf.Program, opts *TracepointOptions) (Link, error) {
	if prog == nil {
		return nil, fmt.Errorf("tracepoint %s/%s: nil program", group, name)
	}
	id, err := tracepointID(group, name)
	if err != nil {
		return nil, err
	}
	var cookie uint64
	if opts != nil {
		cookie = opts.Cookie
	}
	attr := sys.PerfEventAttr{
		Type:         sys.PERF_TYPE_TRACEPOINT,
		Config:       id,
		SamplePeriod: 1,
		WakeupEvents: 1,
	}
	ev, err := sys.PerfEventOpen(&attr, -1, 0, -1, 0)
	if err != nil {
		return nil, fmt.Errorf("tracepoint %s/%s: %w", group, name, err)
	}
	l, err := attachPerfEvent(ev, prog, cookie, nil)
	if err != nil {
		return nil, fmt.Errorf("tracepoint %s/%s: %w", group, name, err)
	}
	return l, nil
}

// tracefsDirs are where tracefs is mounted, in order of preference.
var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// tracefsRoot returns the first mounted tracefs.
func tracefsRoot() (string, error) {
	for _, d := range tracefsDirs {
		if _, err := os.Stat(d + "/events"); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("tracefs not mounted at %s", strings.Join(tracefsDirs, " or "))
}

// validTraceName reports whether s is a safe tracefs group or event name.
func validTraceName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.' && s != "." && s != "..":
		default:
			return false
		}
	}
	return true
}

// tracepointID reads a trace event's id (tracefs events/GROUP/NAME/id).
func tracepointID(group, name string) (uint64, error) {
	if !validTraceName(group) || !validTraceName(name) {
		return 0, fmt.Errorf("tracepoint %q/%q: invalid name", group, name)
	}
	root, err := tracefsRoot()
	if err != nil {
		return 0, fmt.Errorf("tracepoint %s/%s: %w", group, name, err)
	}
	b, err := os.ReadFile(root + "/events/" + group + "/" + name + "/id")
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("tracepoint %s/%s: no such trace event: %w", group, name, os.ErrNotExist)
	}
	if err != nil {
		return 0, fmt.Errorf("tracepoint %s/%s: %w", group, name, err)
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tracepoint %s/%s: id: %w", group, name, err)
	}
	return id, nil
}
