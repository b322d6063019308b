//go:build !linux

package link

func reuseportAttachFD(fd, progFD int) error { return ErrNotSupported }

func reuseportDetachFD(fd int) error { return ErrNotSupported }
