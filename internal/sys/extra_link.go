//go:build linux

package sys

import (
	"golang.org/x/sys/unix"
)

// perf_event ioctls (include/uapi/linux/perf_event.h): _IO('$', 0), _IO('$', 1)
// and _IOW('$', 8, __u32).
const (
	perfEventIOCEnable  = 0x2400
	perfEventIOCDisable = 0x2401
	perfEventIOCSetBPF  = 0x40042408
)

func perfIoctl(fd *FD, req uint, arg uintptr) error {
	raw, err := fd.Acquire()
	if err != nil {
		return err
	}
	defer fd.Release()
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(raw), uintptr(req), arg)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// PerfEventSetBPF attaches the program progFD to the perf event fd
// (PERF_EVENT_IOC_SET_BPF); closing the event detaches it. fd is held for the
// call; the caller keeps progFD valid. Requires Linux 4.1 (kprobes), 4.7
// (tracepoints), 4.9 (perf events).
func PerfEventSetBPF(fd *FD, progFD int) error {
	return perfIoctl(fd, perfEventIOCSetBPF, uintptr(progFD))
}

// PerfEventEnable enables the perf event fd (PERF_EVENT_IOC_ENABLE).
func PerfEventEnable(fd *FD) error { return perfIoctl(fd, perfEventIOCEnable, 0) }

// PerfEventDisable disables the perf event fd (PERF_EVENT_IOC_DISABLE).
func PerfEventDisable(fd *FD) error { return perfIoctl(fd, perfEventIOCDisable, 0) }
