//go:build !linux

package ringbuf

import (
	"context"
	"errors"
	"fmt"

	"github.com/bpfgo/bpf"
)

// Reader reads records from a ring buffer map; ring buffers need Linux, so
// here every method returns an error matching [ErrNotSupported].
type Reader struct{}

// NewReader returns an error matching [ErrNotSupported]: ring buffers need Linux 5.8.
func NewReader(m *bpf.Map) (*Reader, error) {
	return nil, fmt.Errorf("ring buffer reader: %w", ErrNotSupported)
}

// Size returns 0.
func (r *Reader) Size() int { return 0 }

// AvailableBytes returns 0.
func (r *Reader) AvailableBytes() int { return 0 }

// Read returns an error matching [ErrNotSupported].
func (r *Reader) Read(ctx context.Context) (Record, error) { return Record{}, ErrNotSupported }

// ReadInto returns an error matching [ErrNotSupported].
func (r *Reader) ReadInto(ctx context.Context, rec *Record) error { return ErrNotSupported }

// Drain returns an error matching [ErrNotSupported].
func (r *Reader) Drain(ctx context.Context, fn func(sample []byte) bool) (int, error) {
	return 0, ErrNotSupported
}

// Peek returns an error matching [ErrNotSupported].
func (r *Reader) Peek(fn func(sample []byte) bool) (int, error) { return 0, ErrNotSupported }

// Close does nothing.
func (r *Reader) Close() error { return nil }

// ErrFull is returned when a user ring buffer has no room.
var ErrFull = errors.New("ring buffer full")

// Writer produces records into a user ring buffer; here every method
// returns an error matching [ErrNotSupported].
type Writer struct{}

// NewWriter returns an error matching [ErrNotSupported]: user ring buffers need Linux 6.1.
func NewWriter(m *bpf.Map) (*Writer, error) {
	return nil, fmt.Errorf("user ring buffer writer: %w", ErrNotSupported)
}

// Size returns 0.
func (w *Writer) Size() int { return 0 }

// Reservation is room for one record in a user ring buffer.
type Reservation struct{}

// Bytes returns nil.
func (r Reservation) Bytes() []byte { return nil }

// Submit does nothing.
func (r Reservation) Submit() {}

// Discard does nothing.
func (r Reservation) Discard() {}

// Reserve returns an error matching [ErrNotSupported].
func (w *Writer) Reserve(n int) (Reservation, error) { return Reservation{}, ErrNotSupported }

// Write returns an error matching [ErrNotSupported].
func (w *Writer) Write(p []byte) error { return ErrNotSupported }

// WriteWait returns an error matching [ErrNotSupported].
func (w *Writer) WriteWait(ctx context.Context, p []byte) error { return ErrNotSupported }

// Close does nothing.
func (w *Writer) Close() error { return nil }
