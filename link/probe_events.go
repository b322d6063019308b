package link

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// forceTracefsProbes makes kprobes and uprobes use tracefs kprobe_events and
// uprobe_events even when the kernel has the kprobe and uprobe PMUs; tests
// set it to cover the path of kernels before 4.17.
var forceTracefsProbes bool

// probeEventGroup is the tracefs group of the probe events this package
// creates; each event is named after the process and a counter.
const probeEventGroup = "bpfgo"

var probeEventSeq atomic.Uint64

// haveProbeEvents reports whether tracefs has the file (kprobe_events or
// uprobe_events).
func haveProbeEvents(file string) bool {
	root, err := tracefsRoot()
	if err != nil {
		return false
	}
	_, err = os.Stat(root + "/" + file)
	return err == nil
}

// writeProbeEvents appends line to tracefs's file (kprobe_events, uprobe_events).
func writeProbeEvents(root, file, line string) error {
	f, err := os.OpenFile(root+"/"+file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// attachProbeEvent creates a trace event in tracefs (file is kprobe_events or
// uprobe_events; ret makes it a return probe; target is "symbol+offset" or
// "/path:0xoffset"), opens it as a perf tracepoint and attaches prog. Closing
// the link removes the event.
func attachProbeEvent(file string, ret bool, target string, prog *bpf.Program, cookie uint64) (*perfEventLink, error) {
	if strings.ContainsAny(target, " \t\n") {
		return nil, fmt.Errorf("tracefs %s: target %q has white space", file, target)
	}
	root, err := tracefsRoot()
	if err != nil {
		return nil, fmt.Errorf("tracefs %s: %w", file, err)
	}
	kind := "p"
	if ret {
		kind = "r"
	}
	event := fmt.Sprintf("%s_%d_%d", strings.TrimSuffix(file, "_events"), os.Getpid(), probeEventSeq.Add(1))
	err = writeProbeEvents(root, file, fmt.Sprintf("%s:%s/%s %s", kind, probeEventGroup, event, target))
	if errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("tracefs %s: %s: %w", file, target, errors.Join(os.ErrNotExist, err))
	}
	if err != nil {
		return nil, fmt.Errorf("tracefs %s: add %s: %w", file, target, err)
	}
	remove := func() error {
		if err := writeProbeEvents(root, file, fmt.Sprintf("-:%s/%s", probeEventGroup, event)); err != nil {
			return fmt.Errorf("tracefs %s: remove %s: %w", file, event, err)
		}
		return nil
	}
	id, err := tracepointID(probeEventGroup, event)
	if err != nil {
		return nil, errors.Join(err, remove())
	}
	attr := sys.PerfEventAttr{
		Type:         sys.PERF_TYPE_TRACEPOINT,
		Config:       id,
		SamplePeriod: 1,
		WakeupEvents: 1,
	}
	ev, err := sys.PerfEventOpen(&attr, -1, 0, -1, 0)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("tracefs %s: %s: %w", file, event, err), remove())
	}
	return attachPerfEvent(ev, prog, cookie, remove)
}
