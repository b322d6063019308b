//go:build linux

package link

import "golang.org/x/sys/unix"

// reuseportAttachFD attaches progFD to the reuseport group of the socket fd
// (SO_ATTACH_REUSEPORT_EBPF).
func reuseportAttachFD(fd, progFD int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_EBPF, progFD)
}

// reuseportDetachFD detaches the program of the socket's reuseport group
// (SO_DETACH_REUSEPORT_BPF).
func reuseportDetachFD(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DETACH_REUSEPORT_BPF, 0)
}
