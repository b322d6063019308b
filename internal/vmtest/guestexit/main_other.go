//go:build !(linux && amd64)

// Command guestexit ends a qemu guest with an exit status through qemu's
// isa-debug-exit device. It works only on linux/amd64.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guestexit: only linux/amd64 guests are supported")
	os.Exit(2)
}
