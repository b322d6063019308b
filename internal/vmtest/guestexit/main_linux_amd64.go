// Command guestexit ends a qemu guest with an exit status: it writes its
// argument N to the I/O port of qemu's isa-debug-exit device (0xf4, enabled
// with "-device isa-debug-exit,iobase=0xf4,iosize=0x04"), and qemu exits with
// the status (N<<1)|1. It replaces "outb" through /dev/port, which Debian's
// cloud kernels do not have. It must run as root (ioperm needs CAP_SYS_RAWIO).
//
// Usage: guestexit [-port 0xf4] N
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// outb writes val to the I/O port port (the x86 OUT instruction).
func outb(port uint16, val uint8)

func main() {
	port := flag.Uint("port", 0xf4, "I/O port of the isa-debug-exit device")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: guestexit [-port P] N")
		os.Exit(2)
	}
	n, err := strconv.ParseUint(flag.Arg(0), 0, 8)
	if err != nil || *port > 0xffff {
		fmt.Fprintf(os.Stderr, "guestexit: bad status %q or port %#x\n", flag.Arg(0), *port)
		os.Exit(2)
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_IOPERM, uintptr(*port), 1, 1); errno != 0 {
		fmt.Fprintf(os.Stderr, "guestexit: ioperm %#x: %v\n", *port, errno)
		os.Exit(1)
	}
	outb(uint16(*port), uint8(n))
	// Without an isa-debug-exit device the write does nothing: report it.
	fmt.Fprintf(os.Stderr, "guestexit: port %#x did not end the guest\n", *port)
	os.Exit(1)
}
