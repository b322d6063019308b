//go:build !unix

package sys

import "runtime"

// FD owns a kernel file descriptor. On this system there are none to own:
// [NewFD] fails, and a nil *FD behaves as closed.
type FD struct{}

// NewFD returns an error matching [ErrNotSupported].
func NewFD(raw int) (*FD, error) {
	return nil, &FeatureError{Feature: "file descriptors on " + runtime.GOOS}
}

// Int returns -1.
func (fd *FD) Int() int { return -1 }

// Uint returns uint32(-1).
func (fd *FD) Uint() uint32 { return ^uint32(0) }

// Acquire returns [ErrClosed].
func (fd *FD) Acquire() (int, error) { return -1, ErrClosed }

// Release does nothing.
func (fd *FD) Release() {}

// Close returns nil.
func (fd *FD) Close() error { return nil }

// Take returns [ErrClosed].
func (fd *FD) Take() (int, error) { return -1, ErrClosed }

// Disown returns -1.
func (fd *FD) Disown() int { return -1 }

// Dup returns [ErrClosed].
func (fd *FD) Dup() (*FD, error) { return nil, ErrClosed }

// String returns "fd closed".
func (fd *FD) String() string { return "fd closed" }

// TrackFDs does nothing on this system.
func TrackFDs() {}

// FDLeaks returns nil on this system.
func FDLeaks() []string { return nil }

// OpenTrackedFDs returns nil on this system.
func OpenTrackedFDs() []string { return nil }
