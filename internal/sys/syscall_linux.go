package sys

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BPF calls bpf(2) with cmd and the size bytes at attr, retrying EINTR. The
// error is the bare unix.Errno. attr must stay valid for the call; Go keeps
// it alive because it is converted in the syscall's argument list.
func BPF(cmd Cmd, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return r, errno
		}
		return r, nil
	}
}

// bpfSignalsBlocked calls bpf(2) once, on a locked thread with every signal
// blocked, so that a long-running command is not cut short with EINTR. Blocked
// signals stay pending and are delivered when the mask is restored.
func bpfSignalsBlocked(cmd Cmd, attr unsafe.Pointer, size uintptr) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^all.Val[i]
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &all, &old); err != nil {
		return fmt.Errorf("block signals: %w", err)
	}
	_, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil); err != nil {
		return fmt.Errorf("restore signal mask: %w", err)
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// PerfEventOpen calls perf_event_open(2) and returns the new event, which the
// caller owns. If attr.Size is zero it is set to the size of [PerfEventAttr].
// PERF_FLAG_FD_CLOEXEC is always added to flags. Pointers hidden in attr's
// __u64 fields (config1 as uprobe_path, for example) must be kept alive by
// the caller until PerfEventOpen returns.
func PerfEventOpen(attr *PerfEventAttr, pid, cpu, groupFD int, flags uint) (*FD, error) {
	if attr.Size == 0 {
		attr.Size = uint32(unsafe.Sizeof(*attr))
	}
	flags |= unix.PERF_FLAG_FD_CLOEXEC
	for {
		r, _, errno := unix.Syscall6(unix.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(attr)),
			uintptr(pid), uintptr(cpu), uintptr(groupFD), uintptr(flags), 0)
		runtime.KeepAlive(attr)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return nil, fmt.Errorf("perf_event_open: %w", errno)
		}
		return NewFD(int(r))
	}
}
