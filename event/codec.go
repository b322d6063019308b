package event

import (
	"fmt"
	"unsafe"
)

// Codec decodes and encodes records whose layout is the Go struct T (see
// [LayoutOf] for the allowed fields). It copies bytes, so it allocates
// nothing and works on unaligned samples.
type Codec[T any] struct {
	layout *Layout
}

// NewCodec checks T once and returns its codec.
func NewCodec[T any]() (*Codec[T], error) {
	l, err := LayoutOf[T]()
	if err != nil {
		return nil, err
	}
	return &Codec[T]{layout: l}, nil
}

// Layout returns the layout of T.
func (c *Codec[T]) Layout() *Layout { return c.layout }

// Decode copies the record at the start of b into v. b may be longer than
// the record (perf samples are padded); a shorter b is an error.
func (c *Codec[T]) Decode(b []byte, v *T) error {
	size := int(unsafe.Sizeof(*v))
	if len(b) < size {
		return fmt.Errorf("decode %T: record of %d bytes, want %d", *v, len(b), size)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(v)), size), b)
	return nil
}

// Parse returns the record at the start of b; it is Decode for use as a
// [Pipeline]'s Parse.
func (c *Codec[T]) Parse(b []byte) (T, error) {
	var v T
	err := c.Decode(b, &v)
	return v, err
}

// Append appends the bytes of v to dst, padding included as it is in v.
func (c *Codec[T]) Append(dst []byte, v *T) []byte {
	return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))...)
}
