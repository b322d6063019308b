//go:build !linux

package perf

import (
	"context"
	"fmt"

	"github.com/bpfgo/bpf"
)

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// PerCPUBuffer is the size in bytes of each CPU's ring.
	PerCPUBuffer int
	// Watermark is the number of bytes that wake a reader.
	Watermark int
	// CPUs are the CPUs to open rings on.
	CPUs []int
}

// Reader reads a perf event array; perf events need Linux, so here every
// method returns an error matching [ErrNotSupported].
type Reader struct{}

// NewReader returns an error matching [ErrNotSupported].
func NewReader(m *bpf.Map, opts *ReaderOptions) (*Reader, error) {
	return nil, fmt.Errorf("perf reader: %w", ErrNotSupported)
}

// CPUs returns nil.
func (r *Reader) CPUs() []int { return nil }

// LostSamples returns 0.
func (r *Reader) LostSamples() uint64 { return 0 }

// Pause returns an error matching [ErrNotSupported].
func (r *Reader) Pause() error { return ErrNotSupported }

// Resume returns an error matching [ErrNotSupported].
func (r *Reader) Resume() error { return ErrNotSupported }

// Read returns an error matching [ErrNotSupported].
func (r *Reader) Read(ctx context.Context) (Record, error) { return Record{}, ErrNotSupported }

// ReadInto returns an error matching [ErrNotSupported].
func (r *Reader) ReadInto(ctx context.Context, rec *Record) error { return ErrNotSupported }

// Drain returns an error matching [ErrNotSupported].
func (r *Reader) Drain(ctx context.Context, fn func(cpu int, sample []byte, lost uint64) bool) (int, error) {
	return 0, ErrNotSupported
}

// Close does nothing.
func (r *Reader) Close() error { return nil }
