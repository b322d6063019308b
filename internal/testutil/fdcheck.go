package testutil

import (
	"fmt"
	"os"
	"runtime"
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
	return sys.FDLeaks()
}
