package sys

import (
	"errors"
	"fmt"
)

var (
	// ErrNotSupported is matched (errors.Is) by errors for a feature the
	// running kernel or operating system lacks.
	ErrNotSupported = errors.New("not supported")
	// ErrClosed is returned when an operation uses an FD that was closed.
	ErrClosed = errors.New("file descriptor already closed")
)

// FeatureError says that a kernel feature is missing. It matches
// [ErrNotSupported] with errors.Is; Err, if set, is the kernel's answer that
// revealed the absence and is reachable too.
type FeatureError struct {
	// Feature names what is missing, e.g. "BPF ring buffer".
	Feature string
	// Since is the first kernel version that has it, e.g. "5.8"; empty if unknown.
	Since string
	// Err is the underlying cause, possibly nil.
	Err error
}

// Error returns e.g. "BPF ring buffer not supported (requires >= 5.8)".
func (e *FeatureError) Error() string {
	msg := e.Feature + " not supported"
	if e.Since != "" {
		msg += fmt.Sprintf(" (requires >= %s)", e.Since)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is [ErrNotSupported].
func (e *FeatureError) Is(target error) bool { return target == ErrNotSupported }

// Unwrap returns the underlying cause.
func (e *FeatureError) Unwrap() error { return e.Err }
