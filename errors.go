package bpf

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// Sentinel errors that callers branch on with errors.Is. The kernel's errno
// stays reachable through errors.Is as well: a missing key matches both
// ErrKeyNotExist and unix.ENOENT.
var (
	// ErrNotSupported is matched by every error about a feature the running
	// kernel or operating system lacks (see [FeatureError]).
	ErrNotSupported = sys.ErrNotSupported
	// ErrClosed is returned by operations on a closed object.
	ErrClosed = sys.ErrClosed
	// ErrKeyNotExist means the key is not in the map (ENOENT from a lookup,
	// delete or lookup-and-delete), or a queue or stack is empty.
	ErrKeyNotExist = errors.New("key does not exist")
	// ErrKeyExist means an update with UpdateNoExist found the key already
	// present (EEXIST).
	ErrKeyExist = errors.New("key already exists")
	// ErrMapFull means an update could not add an element because the map
	// holds MaxEntries elements already (E2BIG from a hash, queue or stack,
	// ENOSPC from an LPM trie).
	ErrMapFull = errors.New("map is full")
	// ErrIterationAborted means a map walk gave up: keys kept vanishing under
	// it (concurrent deletes) so often that it could not make progress, or it
	// saw more keys than the map can hold.
	ErrIterationAborted = errors.New("iteration aborted")
	// ErrSpecMismatch means a map opened from a pin, an fd or an id does not
	// match the expected MapSpec.
	ErrSpecMismatch = errors.New("map does not match spec")
)

// FeatureError says that a kernel feature is missing; it matches
// [ErrNotSupported] with errors.Is.
type FeatureError = sys.FeatureError

// errnoENOTSUPP is the kernel-internal ENOTSUPP (524), which leaks to user
// space from some bpf commands (unlike EOPNOTSUPP, 95).
const errnoENOTSUPP = unix.Errno(524)

// opError is the error of one operation on a named object. It unwraps to
// both the sentinel (if any) and the errno, so errors.Is matches either.
type opError struct {
	kind     string // "map", "program"
	name     string
	op       string
	sentinel error
	err      error
}

// Error returns `map "name": op: sentinel (errno)`.
func (e *opError) Error() string {
	msg := e.kind
	if e.name != "" {
		msg += fmt.Sprintf(" %q", e.name)
	}
	msg += ": " + e.op + ": "
	switch {
	case e.sentinel != nil && e.err != nil:
		return msg + e.sentinel.Error() + " (" + e.err.Error() + ")"
	case e.sentinel != nil:
		return msg + e.sentinel.Error()
	case e.err != nil:
		return msg + e.err.Error()
	}
	return msg + "unknown error"
}

// Unwrap returns the sentinel and the cause, so errors.Is matches both.
func (e *opError) Unwrap() []error {
	switch {
	case e.sentinel != nil && e.err != nil:
		return []error{e.sentinel, e.err}
	case e.sentinel != nil:
		return []error{e.sentinel}
	}
	return []error{e.err}
}

// isNotSupportedErrno reports whether err is an errno the kernel uses to say
// a command does not apply to a map type.
func isNotSupportedErrno(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, errnoENOTSUPP) || errors.Is(err, unix.EOPNOTSUPP)
}
