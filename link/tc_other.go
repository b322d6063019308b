//go:build !linux

package link

import "github.com/bpfgo/bpf/internal/sys"

func tcParent(TCDirection) (uint32, error) { return 0, ErrNotSupported }

func (f *TCFilter) add(TCOptions) error { return ErrNotSupported }

func (f *TCFilter) del(*sys.FD) error { return ErrNotSupported }
