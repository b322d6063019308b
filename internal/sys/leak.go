//go:build unix

package sys

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

var (
	tracking atomic.Bool

	leakMu sync.Mutex
	leaks  []string
	live   = map[int][]uintptr{} // tracked open FDs: creation stacks
)

// TrackFDs turns on leak tracking for the rest of the process (meant for test
// binaries, see testutil.CheckFDs): every FD created afterwards records its
// creation stack, and an FD closed by its cleanup instead of Close is
// recorded as a leak. Without tracking, FDs record nothing.
func TrackFDs() { tracking.Store(true) }

// FDLeaks returns the leaks recorded since [TrackFDs] and forgets them: one
// entry per FD that was closed by the garbage collector's cleanup rather than
// by Close, with the stack that created it.
func FDLeaks() []string {
	leakMu.Lock()
	defer leakMu.Unlock()
	l := leaks
	leaks = nil
	return l
}

// OpenTrackedFDs returns the creation stacks of tracked FDs that are still
// open (reachable or not yet collected).
func OpenTrackedFDs() []string {
	leakMu.Lock()
	defer leakMu.Unlock()
	var out []string
	for raw, pcs := range live {
		out = append(out, fmt.Sprintf("fd %d created at:\n%s", raw, formatStack(pcs)))
	}
	slices.Sort(out)
	return out
}

type cleanupArg struct {
	raw     int
	tracked bool
}

func newCleanupArg(raw int) cleanupArg {
	if !tracking.Load() {
		return cleanupArg{raw: raw}
	}
	pcs := make([]uintptr, 32)
	pcs = pcs[:runtime.Callers(3, pcs)]
	leakMu.Lock()
	live[raw] = pcs
	leakMu.Unlock()
	return cleanupArg{raw: raw, tracked: true}
}

func forgetTracked(raw int) {
	if !tracking.Load() {
		return
	}
	leakMu.Lock()
	delete(live, raw)
	leakMu.Unlock()
}

// closeForgotten is the cleanup of an unreachable FD.
func closeForgotten(a cleanupArg) {
	if a.tracked {
		leakMu.Lock()
		pcs := live[a.raw]
		delete(live, a.raw)
		leaks = append(leaks, fmt.Sprintf("fd %d was not closed; created at:\n%s", a.raw, formatStack(pcs)))
		leakMu.Unlock()
	}
	unix.Close(a.raw)
}

func formatStack(pcs []uintptr) string {
	if len(pcs) == 0 {
		return "\t(unknown)\n"
	}
	var b strings.Builder
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "\t%s\n\t\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}
