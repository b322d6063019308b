//go:build linux

package link_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// TestPerfEventCPUClock samples this process with a software cpu-clock event
// and sees the program tick while the test burns CPU.
func TestPerfEventCPUClock(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.PerfEvent})
	closeAll(t, prog, m)
	// Every 100µs of this thread's CPU time, on any CPU. perf_event_open
	// follows a thread, so the goroutine stays on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l, err := link.AttachPerfEvent(prog, &link.PerfEventOptions{SamplePeriod: 100_000, PID: unix.Gettid(), CPU: -1})
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, l)
	// Burn CPU until at least 3 samples arrived; 10 s of real time bounds the
	// wait (3 samples need about 300µs of CPU).
	deadline := time.Now().Add(10 * time.Second)
	var got uint64
	for got < 3 && time.Now().Before(deadline) {
		spin(time.Millisecond)
		got = count(t, m)
	}
	if got < 3 {
		t.Fatalf("cpu-clock program ran %d times in 10 s of spinning", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	before := count(t, m)
	spin(5 * time.Millisecond)
	if after := count(t, m); after != before {
		t.Errorf("counter moved from %d to %d after Close", before, after)
	}
}

// TestPerfEventSystemWide samples CPU 0 system-wide (the default options).
func TestPerfEventSystemWide(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.PerfEvent})
	closeAll(t, prog, m)
	l, err := link.AttachPerfEvent(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, l)
	// The default period is 1 ms of CPU time on CPU 0; the spinning keeps
	// the machine busy (the timer also ticks on an idle CPU).
	deadline := time.Now().Add(10 * time.Second)
	var got uint64
	for got == 0 && time.Now().Before(deadline) {
		spin(2 * time.Millisecond)
		got = count(t, m)
	}
	if got == 0 {
		t.Fatal("cpu-clock on CPU 0 never ran in 10 s")
	}
	if _, err := link.AttachPerfEvent(prog, &link.PerfEventOptions{CPU: -1, SamplePeriod: 1}); err == nil {
		t.Error("system-wide event on CPU -1: no error")
	}
}

// spin burns CPU for d of real time.
func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		x++
	}
	_ = x
}
