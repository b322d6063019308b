//go:build 386 || arm || mipsle

package sys

import "unsafe"

// On 32-bit little-endian systems the address is the low word of the __u64.
type ptrLayout struct {
	ptr unsafe.Pointer
	_   uint32
}
