//go:build !linux

package bpf

import (
	"fmt"
	"time"
)

// Check reports that BPF needs Linux: the report is empty and the error matches
// [ErrNotSupported].
func Check() (*SystemReport, error) {
	r := &SystemReport{Problems: []string{"BPF needs Linux"}, UnprivilegedBPFDisabled: -1,
		JIT: JITStatus{Enabled: -1, Harden: -1, Kallsyms: -1, Limit: -1}}
	return r, fmt.Errorf("system check: %w", ErrNotSupported)
}

// MountBPFFS needs Linux; it returns an error matching [ErrNotSupported].
func MountBPFFS(path string) error {
	return fmt.Errorf("mount bpffs: %w", ErrNotSupported)
}

func bootTimeToWall(ns uint64) time.Time { return time.Time{} }
