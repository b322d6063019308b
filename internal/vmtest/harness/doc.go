// Package harness runs Go test binaries on Debian's kernels under qemu: it
// fetches and caches the kernel packages (apt-get download, dpkg-deb -x),
// builds an initramfs in the newc cpio format (busybox-static, an /init of
// its own, the kernel modules tests need, the test binaries with their
// testdata), boots qemu with software emulation and brings back the test
// output (second serial port) and the exit status (isa-debug-exit).
//
// The command github.com/bpfgo/bpf/internal/vmtest drives it; see there for
// the command line.
package harness
