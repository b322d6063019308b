//go:build !linux

package link

func socketSetBPF(fd, progFD int) error { return ErrNotSupported }

func socketClearBPF(fd int) error { return ErrNotSupported }
