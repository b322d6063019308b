//go:build !linux

package sys

import (
	"runtime"
	"unsafe"
)

var errNotLinux = &FeatureError{Feature: "bpf(2) on " + runtime.GOOS, Err: nil}

// BPF returns an error matching [ErrNotSupported]: bpf(2) exists only on Linux.
func BPF(cmd Cmd, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	return 0, errNotLinux
}

// PerfEventOpen returns an error matching [ErrNotSupported]: perf_event_open(2)
// exists only on Linux.
func PerfEventOpen(attr *PerfEventAttr, pid, cpu, groupFD int, flags uint) (*FD, error) {
	return nil, &FeatureError{Feature: "perf_event_open(2) on " + runtime.GOOS}
}

func bpfSignalsBlocked(cmd Cmd, attr unsafe.Pointer, size uintptr) error {
	_, err := BPF(cmd, attr, size)
	return err
}
