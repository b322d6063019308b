//go:build linux

package sys_test

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

func newFile(t *testing.T) *sys.FD {
	t.Helper()
	raw, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := sys.NewFD(raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return fd
}

func TestNewFDDupsAboveStdio(t *testing.T) {
	saved, err := unix.FcntlInt(0, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		unix.Dup3(saved, 0, 0)
		unix.Close(saved)
	}()
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup3(null, 0, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(null)

	fd, err := sys.NewFD(0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if fd.Int() < 3 {
		t.Fatalf("NewFD(0) kept fd %d, want >= 3", fd.Int())
	}
	if _, err := unix.FcntlInt(0, unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("fd 0 still open after NewFD(0): %v", err)
	}
	flags, err := unix.FcntlInt(uintptr(fd.Int()), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("dup'ed fd flags %#x, %v: want FD_CLOEXEC", flags, err)
	}
}

func TestNewFDInvalid(t *testing.T) {
	if _, err := sys.NewFD(-1); !errors.Is(err, unix.EBADF) {
		t.Fatalf("NewFD(-1): %v, want EBADF", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	fd := newFile(t)
	raw := fd.Int()
	if err := fd.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := fd.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("fd %d still open after Close: %v", raw, err)
	}
	if fd.Int() != -1 || fd.String() != "fd closed" {
		t.Fatalf("closed fd: Int %d, String %q", fd.Int(), fd.String())
	}
	var nilFD *sys.FD
	if err := nilFD.Close(); err != nil {
		t.Fatalf("nil Close: %v", err)
	}
	if _, err := nilFD.Acquire(); !errors.Is(err, sys.ErrClosed) {
		t.Fatalf("nil Acquire: %v", err)
	}
}

func TestAcquireAfterClose(t *testing.T) {
	fd := newFile(t)
	raw, err := fd.Acquire()
	if err != nil || raw != fd.Int() {
		t.Fatalf("Acquire: %d, %v", raw, err)
	}
	fd.Release()
	fd.Close()
	if _, err := fd.Acquire(); !errors.Is(err, sys.ErrClosed) {
		t.Fatalf("Acquire after Close: %v, want ErrClosed", err)
	}
	if _, err := fd.Dup(); !errors.Is(err, sys.ErrClosed) {
		t.Fatalf("Dup after Close: %v, want ErrClosed", err)
	}
}

func TestCloseWaitsForUsers(t *testing.T) {
	fd := newFile(t)
	raw, err := fd.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		fd.Close()
		close(closed)
	}()
	// Close must not finish, and the number must stay open, while held.
	select {
	case <-closed:
		t.Fatal("Close returned while the FD was acquired")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); err != nil {
		t.Fatalf("held fd closed under its user: %v", err)
	}
	if _, err := fd.Acquire(); !errors.Is(err, sys.ErrClosed) {
		t.Fatalf("Acquire while closing: %v, want ErrClosed", err)
	}
	fd.Release()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after Release")
	}
}

// TestConcurrentCloseAcquire races users against Close while other goroutines
// open files, so a closed number would be reused at once: a user holding the
// FD must always see the original file (same inode).
func TestConcurrentCloseAcquire(t *testing.T) {
	var churn atomic.Bool
	churn.Store(true)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // reuse freed numbers as fast as possible
		defer wg.Done()
		for churn.Load() {
			if raw, err := unix.Open("/proc/self/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
				unix.Close(raw)
			}
		}
	}()
	defer func() { churn.Store(false); wg.Wait() }()

	for round := range 200 {
		raw, err := unix.MemfdCreate("fdtest", unix.MFD_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		var want unix.Stat_t
		unix.Fstat(raw, &want)
		fd, err := sys.NewFD(raw)
		if err != nil {
			t.Fatal(err)
		}
		var users sync.WaitGroup
		var bad atomic.Int32
		for range 4 {
			users.Add(1)
			go func() {
				defer users.Done()
				for {
					n, err := fd.Acquire()
					if errors.Is(err, sys.ErrClosed) {
						return
					}
					var st unix.Stat_t
					if unix.Fstat(n, &st) != nil || st.Ino != want.Ino {
						bad.Add(1)
					}
					fd.Release()
				}
			}()
		}
		if round%2 == 0 {
			runtime.Gosched()
		}
		if err := fd.Close(); err != nil {
			t.Fatal(err)
		}
		users.Wait()
		if bad.Load() != 0 {
			t.Fatalf("round %d: %d uses saw a different file behind the fd", round, bad.Load())
		}
	}
}

func TestTakeAndDup(t *testing.T) {
	fd := newFile(t)
	dup, err := fd.Dup()
	if err != nil {
		t.Fatal(err)
	}
	defer dup.Close()
	if dup.Int() == fd.Int() || dup.Int() < 3 {
		t.Fatalf("Dup gave %d for %d", dup.Int(), fd.Int())
	}
	raw, err := fd.Take()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(raw)
	if fd.Int() != -1 {
		t.Fatal("FD still usable after Take")
	}
	if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); err != nil {
		t.Fatalf("Take closed the fd: %v", err)
	}
	if _, err := fd.Take(); !errors.Is(err, sys.ErrClosed) {
		t.Fatalf("second Take: %v", err)
	}
	if err := fd.Close(); err != nil {
		t.Fatalf("Close after Take: %v", err)
	}
}

// TestLeakTracking drops an FD without Close and expects the cleanup to close
// it and record the leak with its creation stack.
func TestLeakTracking(t *testing.T) {
	var raw int
	func() {
		r, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := sys.NewFD(r)
		if err != nil {
			t.Fatal(err)
		}
		raw = fd.Int()
	}()
	deadline := time.Now().Add(5 * time.Second)
	var leaks []string
	for len(leaks) == 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		leaks = append(leaks, sys.FDLeaks()...)
	}
	if len(leaks) != 1 {
		t.Fatalf("leaks recorded: %q, want one", leaks)
	}
	if !strings.Contains(leaks[0], "TestLeakTracking") {
		t.Errorf("leak report lacks the creating function:\n%s", leaks[0])
	}
	if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Errorf("cleanup did not close fd %d: %v", raw, err)
	}
}

func TestAcquireAllocs(t *testing.T) {
	fd := newFile(t)
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := fd.Acquire(); err == nil {
			fd.Release()
		}
	}); n != 0 {
		t.Fatalf("Acquire/Release allocates %v times", n)
	}
}

func TestFeatureError(t *testing.T) {
	err := &sys.FeatureError{Feature: "BPF ring buffer", Since: "5.8"}
	if got, want := err.Error(), "BPF ring buffer not supported (requires >= 5.8)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, sys.ErrNotSupported) {
		t.Error("FeatureError does not match ErrNotSupported")
	}
	wrapped := &sys.FeatureError{Feature: "kprobes", Err: unix.ENOENT}
	if !errors.Is(wrapped, unix.ENOENT) || !errors.Is(wrapped, sys.ErrNotSupported) {
		t.Error("wrapped FeatureError loses its cause")
	}
}
