package testutil

import (
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpfgo/bpf/internal/sys"
)

// CheckFDs runs the tests of m with FD leak tracking on and returns the exit
// code for TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }
//
// After the tests it forces garbage collection so the cleanups of forgotten
// FDs run; if any FD was closed by its cleanup instead of Close — an
// unreachable FD left open — it prints each one with the stack that created
// it and returns a non-zero code.
func CheckFDs(m *testing.M) int {
	sys.TrackFDs()
	code := m.Run()
	leaks := collectLeaks()
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d file descriptor(s) left for the garbage collector to close:\n", len(leaks))
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, l)
		}
		if code == 0 {
			code = 1
		}
	}
	return code
}

// collectLeaks runs the GC until pending cleanups have run, then returns the leaks.
func collectLeaks() []string {
	RunCleanups()
	return sys.FDLeaks()
}

// RunCleanups runs the garbage collector until the cleanups of unreachable objects have run,
// so that FDs an earlier test left for the collector are closed now rather than in the middle
// of a later measurement. CheckFDs still reports each of them as a leak.
func RunCleanups() {
	for range 3 {
		runtime.GC()
		// Cleanups run on a runtime goroutine after GC; wait for a sentinel
		// cleanup queued behind them.
		done := make(chan struct{})
		sentinel := new([64]byte) // not a tiny object: those may never be cleaned up
		runtime.AddCleanup(sentinel, func(ch chan struct{}) { close(ch) }, done)
		sentinel = nil
		runtime.GC()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
}

// FDChanges describes how the open descriptors after differ from those before ("fd 7
// (anon_inode:bpf-prog) opened; fd 5 (...) closed"), or returns "" if they are the same.
func FDChanges(before, after map[int]string) string {
	var changes []string
	for _, fd := range slices.Sorted(maps.Keys(after)) {
		if b, ok := before[fd]; !ok || b != after[fd] {
			changes = append(changes, fmt.Sprintf("fd %d (%s) opened", fd, after[fd]))
		}
	}
	for _, fd := range slices.Sorted(maps.Keys(before)) {
		if a, ok := after[fd]; !ok || a != before[fd] {
			changes = append(changes, fmt.Sprintf("fd %d (%s) closed", fd, before[fd]))
		}
	}
	return strings.Join(changes, "; ")
}
