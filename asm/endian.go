package asm

import (
	"encoding/binary"
	"unsafe"
)

var nativeEndian binary.ByteOrder = func() binary.ByteOrder {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// NativeEndian is the host's byte order, the order the kernel expects instructions in.
func NativeEndian() binary.ByteOrder { return nativeEndian }

// HostToBE16 returns the 16-bit value v as it reads when loaded from big-endian bytes (network
// order) on this host: compare the result with a 2-byte load of a packet field, instead of
// hand-swapping constants like 0xDD86.
func HostToBE16(v uint16) int32 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return int32(nativeEndian.Uint16(b[:]))
}

// HostToBE32 returns the 32-bit value v as it reads when loaded from big-endian bytes on this
// host (as an int32 immediate).
func HostToBE32(v uint32) int32 {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return int32(nativeEndian.Uint32(b[:]))
}
