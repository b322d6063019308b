//go:build unix

package sys

import (
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// closedBit marks an FD as closed in FD.state; the low bits count users
// between Acquire and Release.
const closedBit = 1 << 63

// FD owns a kernel file descriptor (a map, program, link, BTF object, perf
// event, ...). It never holds 0, 1 or 2, and it is close-on-exec when the
// kernel object was created by this package.
//
// Close is idempotent, safe on nil, and safe against concurrent use: callers
// that pass the number to the kernel bracket the call with [FD.Acquire] and
// [FD.Release], and Close waits for them before it closes the number, so a
// racing operation can never act on a reused descriptor. A forgotten FD is
// closed by a runtime cleanup when it becomes unreachable; that is a safety
// net only, and test binaries report it (see [TrackFDs]).
type FD struct {
	raw     int
	state   atomic.Uint64
	cleanup runtime.Cleanup
}

// NewFD takes ownership of raw. If raw is 0, 1 or 2 it is duplicated to a
// number >= 3 (close-on-exec) and the original is closed. On error raw is
// closed.
func NewFD(raw int) (*FD, error) {
	if raw < 0 {
		return nil, fmt.Errorf("new fd %d: %w", raw, unix.EBADF)
	}
	if raw <= 2 {
		dup, err := unix.FcntlInt(uintptr(raw), unix.F_DUPFD_CLOEXEC, 3)
		unix.Close(raw)
		if err != nil {
			return nil, fmt.Errorf("dup fd %d above stdio: %w", raw, err)
		}
		raw = dup
	}
	fd := &FD{raw: raw}
	fd.cleanup = runtime.AddCleanup(fd, closeForgotten, newCleanupArg(raw))
	return fd, nil
}

// Int returns the descriptor number without acquiring it, or -1 if fd is nil
// or closed. Prefer [FD.Acquire] when the number is passed to the kernel while
// another goroutine might call Close.
func (fd *FD) Int() int {
	if fd == nil || fd.state.Load()&closedBit != 0 {
		return -1
	}
	return fd.raw
}

// Uint returns [FD.Int] as a uint32, the type bpf_attr uses for descriptors.
func (fd *FD) Uint() uint32 { return uint32(fd.Int()) }

// Acquire returns the descriptor number and registers a user; the number
// stays valid (Close waits) until the matching [FD.Release]. It returns
// [ErrClosed] if fd is nil or closed, in which case Release must not be
// called. It costs two atomic operations (with Release) and allocates nothing.
// Hold an FD only around syscalls that return promptly: Close waits, polling,
// for every holder.
func (fd *FD) Acquire() (int, error) {
	if fd == nil {
		return -1, ErrClosed
	}
	if fd.state.Add(1)&closedBit != 0 {
		fd.state.Add(^uint64(0))
		return -1, ErrClosed
	}
	return fd.raw, nil
}

// Release ends a use started by a successful [FD.Acquire].
func (fd *FD) Release() {
	fd.state.Add(^uint64(0))
}

// markClosed sets the closed bit, then waits until no user holds the FD.
// It reports false if the FD was already closed. Users hold an FD for the
// length of one syscall, so the wait polls with a growing back-off rather
// than making every Release check for a waiting closer.
func (fd *FD) markClosed() bool {
	if fd.state.Or(closedBit)&closedBit != 0 {
		return false
	}
	for i := 0; fd.state.Load() != closedBit; i++ {
		if i < 100 {
			runtime.Gosched()
			continue
		}
		time.Sleep(min(time.Duration(i-99)*10*time.Microsecond, time.Millisecond))
	}
	return true
}

// Close closes the descriptor after waiting for users between Acquire and
// Release. It is safe on nil; calls after the first return nil.
func (fd *FD) Close() error {
	if fd == nil || !fd.markClosed() {
		return nil
	}
	fd.cleanup.Stop()
	forgetTracked(fd.raw)
	if err := unix.Close(fd.raw); err != nil {
		return fmt.Errorf("close fd %d: %w", fd.raw, err)
	}
	return nil
}

// Take gives up ownership and returns the descriptor number, which the caller
// must close; the FD itself behaves as closed afterwards. It returns -1 and
// [ErrClosed] if fd is nil or already closed.
func (fd *FD) Take() (int, error) {
	if fd == nil || !fd.markClosed() {
		return -1, ErrClosed
	}
	fd.cleanup.Stop()
	forgetTracked(fd.raw)
	return fd.raw, nil
}

// Disown is [FD.Take] for callers that know fd is open; it returns -1 otherwise.
func (fd *FD) Disown() int {
	raw, _ := fd.Take()
	return raw
}

// Dup returns a new FD (close-on-exec, >= 3) for the same kernel object.
// The caller owns both.
func (fd *FD) Dup() (*FD, error) {
	raw, err := fd.Acquire()
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	dup, err := unix.FcntlInt(uintptr(raw), unix.F_DUPFD_CLOEXEC, 3)
	fd.Release()
	if err != nil {
		return nil, fmt.Errorf("dup fd %d: %w", raw, err)
	}
	return NewFD(dup)
}

// String returns "fd 5", or "fd closed".
func (fd *FD) String() string {
	if n := fd.Int(); n >= 0 {
		return "fd " + strconv.Itoa(n)
	}
	return "fd closed"
}
