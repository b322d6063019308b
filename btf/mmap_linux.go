//go:build linux

package btf

import (
	"os"
	"runtime"
	"syscall"
)

// mapFile maps f read-only and private. It returns nil when the file cannot
// be mapped (older kernels do not support mmap of sysfs BTF files), and the
// caller falls back to reading.
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || size > 1<<31 {
		return nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return data
}

// releaseWhenUnreachable unmaps data once s is garbage: no Type decoded from
// s refers to the mapping (names are copied), only s itself.
func releaseWhenUnreachable(s *Spec, data []byte) {
	runtime.AddCleanup(s, func(m []byte) { _ = syscall.Munmap(m) }, data)
}

func unmap(data []byte) { _ = syscall.Munmap(data) }
