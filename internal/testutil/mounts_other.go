//go:build !linux

package testutil

import (
	"errors"
	"runtime"
	"testing"
)

// Default mount points.
const (
	BPFFSPath   = "/sys/fs/bpf"
	TracefsPath = "/sys/kernel/tracing"
)

func kernelRelease() string { return "" }

// EnsureBPFFS skips: bpffs exists only on Linux.
func EnsureBPFFS(t testing.TB) string {
	t.Helper()
	t.Skip("bpffs needs Linux, not " + runtime.GOOS)
	return ""
}

// EnsureTracefs skips: tracefs exists only on Linux.
func EnsureTracefs(t testing.TB) string {
	t.Helper()
	t.Skip("tracefs needs Linux, not " + runtime.GOOS)
	return ""
}

// TempBPFFSDir skips: bpffs exists only on Linux.
func TempBPFFSDir(t testing.TB) string {
	t.Helper()
	return EnsureBPFFS(t)
}

// Cgroup2Root fails: cgroup v2 exists only on Linux.
func Cgroup2Root() (string, error) { return "", errors.New("cgroup2 needs Linux") }

// OpenFDCount returns -1: /proc/self/fd exists only on Linux.
func OpenFDCount() int { return -1 }

// OpenFDs returns nil: /proc/self/fd exists only on Linux.
func OpenFDs() map[int]string { return nil }
