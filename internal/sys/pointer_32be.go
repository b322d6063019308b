//go:build mips || ppc

package sys

import "unsafe"

// On 32-bit big-endian systems the address is the low (second) word of the __u64.
type ptrLayout struct {
	_   uint32
	ptr unsafe.Pointer
}
