//go:build !linux

package main

import "runtime"

// hostRelease names the host's system; only Linux has kernel releases that
// matter here.
func hostRelease() string { return runtime.GOOS }
