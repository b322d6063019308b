//go:build !linux

package link

import "github.com/bpfgo/bpf/internal/sys"

func netCurrentNS() (*sys.FD, error) { return nil, ErrNotSupported }

func netRunIn(*sys.FD, func() error) error { return ErrNotSupported }
