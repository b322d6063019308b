//go:build !linux

package btf

import "os"

func mapFile(*os.File, int64) []byte       { return nil }
func releaseWhenUnreachable(*Spec, []byte) {}
func unmap([]byte)                         {}
