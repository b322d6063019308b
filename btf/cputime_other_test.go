//go:build !linux

package btf

func processCPU() int64 { return 0 }
