package btf

import "syscall"

// processCPU returns the CPU time (user and system) the process has used, in
// nanoseconds, so that benchmarks can report cost independent of other load
// on the machine.
func processCPU() int64 {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return r.Utime.Nano() + r.Stime.Nano()
}
