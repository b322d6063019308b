//go:build linux

package link

import "golang.org/x/sys/unix"

// socketSetBPF attaches the program progFD to the socket fd (SO_ATTACH_BPF).
func socketSetBPF(fd, progFD int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, progFD)
}

// socketClearBPF detaches the socket's filter (SO_DETACH_BPF).
func socketClearBPF(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DETACH_BPF, 0)
}
