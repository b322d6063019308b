package event

import (
	"context"
	"errors"
	"fmt"
)

// Handler handles one raw record. sample is valid only during the call (it
// may alias a ring buffer). A handler that returns [ErrFiltered] counts the
// record as filtered out, any other error as an error.
type Handler func(sample []byte) error

// ErrFiltered is returned by [Pipeline.Process] for a record its Filter
// rejects; consumers count such records as filtered, not as errors.
var ErrFiltered = errors.New("event filtered out")

// Pipeline processes records in four steps: Parse turns the raw bytes into a
// T, Filter drops the records it returns false for, Transform changes the
// value, and Handle consumes it. Only Parse and Handle are required.
//
// A Pipeline is plain data; Process may be called concurrently if its
// functions allow it.
type Pipeline[T any] struct {
	// Parse decodes a raw record: a [Codec.Parse], or a closure over a
	// [Layout].
	Parse func(sample []byte) (T, error)
	// Filter keeps the records it returns true for; nil keeps all.
	Filter func(T) bool
	// Transform maps a kept record to the value handed to Handle; nil
	// leaves it as it is.
	Transform func(T) (T, error)
	// Handle consumes the record.
	Handle func(T) error
}

// Process runs sample through the pipeline.
func (p *Pipeline[T]) Process(sample []byte) error {
	if p.Parse == nil || p.Handle == nil {
		return errors.New("event pipeline: Parse and Handle are required")
	}
	v, err := p.Parse(sample)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if p.Filter != nil && !p.Filter(v) {
		return ErrFiltered
	}
	if p.Transform != nil {
		if v, err = p.Transform(v); err != nil {
			return fmt.Errorf("transform: %w", err)
		}
	}
	return p.Handle(v)
}

// Handler returns p.Process as a [Handler] for a [Consumer] or [Process].
func (p *Pipeline[T]) Handler() Handler { return p.Process }

// Source is where records come from: a ring buffer or perf reader, through
// [RingBufSource] or [PerfSource].
type Source interface {
	// Drain waits until records are available, then calls fn with each,
	// in place and in order, until fn returns false or none is left. It
	// returns the number of records passed to fn and the number the source
	// reported lost meanwhile.
	Drain(ctx context.Context, fn func(sample []byte) bool) (n int, lost uint64, err error)
}

// RingBufDrainer is what [RingBufSource] needs: a *ringbuf.Reader.
type RingBufDrainer interface {
	Drain(ctx context.Context, fn func(sample []byte) bool) (int, error)
}

// PerfDrainer is what [PerfSource] needs: a *perf.Reader.
type PerfDrainer interface {
	Drain(ctx context.Context, fn func(cpu int, sample []byte, lost uint64) bool) (int, error)
}

// RingBufSource adapts a *ringbuf.Reader. A ring buffer reports no losses:
// count failed reservations in the program.
func RingBufSource(rd RingBufDrainer) Source { return ringSource{rd} }

// PerfSource adapts a *perf.Reader; lost-samples records become the lost
// count and are not passed to fn.
func PerfSource(rd PerfDrainer) Source { return perfSource{rd} }

type ringSource struct{ rd RingBufDrainer }

func (s ringSource) Drain(ctx context.Context, fn func([]byte) bool) (int, uint64, error) {
	n, err := s.rd.Drain(ctx, fn)
	return n, 0, err
}

type perfSource struct{ rd PerfDrainer }

func (s perfSource) Drain(ctx context.Context, fn func([]byte) bool) (int, uint64, error) {
	var lost uint64
	n := 0
	_, err := s.rd.Drain(ctx, func(_ int, sample []byte, l uint64) bool {
		if l != 0 {
			lost += l
			return true
		}
		n++
		return fn(sample)
	})
	return n, lost, err
}

// Peeker is a source that can show records without consuming them: a
// *ringbuf.Reader.
type Peeker interface {
	Peek(fn func(sample []byte) bool) (int, error)
}

// Peek returns up to limit of the records src holds, parsed, without
// consuming them; it does not wait.
func Peek[T any](src Peeker, limit int, parse func([]byte) (T, error)) ([]T, error) {
	var out []T
	var perr error
	_, err := src.Peek(func(sample []byte) bool {
		if len(out) >= limit {
			return false
		}
		v, err := parse(sample)
		if err != nil {
			perr = fmt.Errorf("peek: parse record %d: %w", len(out), err)
			return false
		}
		out = append(out, v)
		return len(out) < limit
	})
	return out, errors.Join(err, perr)
}
