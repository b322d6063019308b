package sys

import "unsafe"

// Pointer is a user-space address inside a bpf attr (a __u64 in the kernel's
// layout). It holds an unsafe.Pointer, not an integer, so the garbage
// collector keeps the pointee alive (and updates it if a stack moves) for as
// long as the attr is reachable. It is 8 bytes on every architecture.
type Pointer struct {
	ptrLayout
}

// NewPointer wraps p.
func NewPointer(p unsafe.Pointer) Pointer {
	var v Pointer
	v.ptr = p
	return v
}

// NewSlicePointer points at the first byte of buf, or is nil when buf is empty.
func NewSlicePointer(buf []byte) Pointer {
	if len(buf) == 0 {
		return Pointer{}
	}
	return NewPointer(unsafe.Pointer(&buf[0]))
}

// NewSlicePointerOf points at the first element of s, or is nil when s is empty.
func NewSlicePointerOf[T any](s []T) Pointer {
	if len(s) == 0 {
		return Pointer{}
	}
	return NewPointer(unsafe.Pointer(&s[0]))
}

// NewStringPointer points at a NUL-terminated copy of s. It allocates.
// A string containing a NUL byte is truncated there, as the kernel would read it.
func NewStringPointer(s string) Pointer {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return NewPointer(unsafe.Pointer(&b[0]))
}

// UnsafePointer returns the wrapped pointer.
func (p Pointer) UnsafePointer() unsafe.Pointer { return p.ptr }

// IsNil reports whether p is the null pointer.
func (p Pointer) IsNil() bool { return p.ptr == nil }
