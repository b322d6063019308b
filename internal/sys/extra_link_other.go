//go:build !linux

package sys

import "runtime"

var errNoPerf = &FeatureError{Feature: "perf_event ioctls on " + runtime.GOOS}

// PerfEventSetBPF returns an error matching [ErrNotSupported] off Linux.
func PerfEventSetBPF(fd *FD, progFD int) error { return errNoPerf }

// PerfEventEnable returns an error matching [ErrNotSupported] off Linux.
func PerfEventEnable(fd *FD) error { return errNoPerf }

// PerfEventDisable returns an error matching [ErrNotSupported] off Linux.
func PerfEventDisable(fd *FD) error { return errNoPerf }
