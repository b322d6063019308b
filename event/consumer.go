package event

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are a consumer's counters.
type Stats struct {
	// Processed counts records the handler accepted (returned nil).
	Processed uint64
	// Filtered counts records the handler returned [ErrFiltered] for.
	Filtered uint64
	// Errors counts records the handler returned another error for.
	Errors uint64
	// Batches counts the batches read from the source (one wait each).
	Batches uint64
	// Lost counts records the source reported lost (perf LOST records).
	Lost uint64
	// Elapsed is the time the consumer has run (until Stop).
	Elapsed time.Duration
}

// PerSecond returns processed records per second of Elapsed.
func (s Stats) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Processed) / s.Elapsed.Seconds()
}

// String summarises the counters.
func (s Stats) String() string {
	return fmt.Sprintf("%d processed (%.0f/s), %d filtered, %d errors, %d batches, %d lost in %v",
		s.Processed, s.PerSecond(), s.Filtered, s.Errors, s.Batches, s.Lost, s.Elapsed.Round(time.Millisecond))
}

// counters are updated by one goroutine and read by any.
type counters struct {
	processed, filtered, errors, batches, lost atomic.Uint64
}

func (c *counters) handle(h Handler, sample []byte) {
	switch err := h(sample); {
	case err == nil:
		c.processed.Add(1)
	case errors.Is(err, ErrFiltered):
		c.filtered.Add(1)
	default:
		c.errors.Add(1)
	}
}

func (c *counters) snapshot(elapsed time.Duration) Stats {
	return Stats{
		Processed: c.processed.Load(),
		Filtered:  c.filtered.Load(),
		Errors:    c.errors.Load(),
		Batches:   c.batches.Load(),
		Lost:      c.lost.Load(),
		Elapsed:   elapsed,
	}
}

// ConsumerOptions configure a [Consumer]; nil means the defaults.
type ConsumerOptions struct {
	// OnError, if set, is called (on the consumer's goroutine) with every
	// error the handler returns other than ErrFiltered. A handler error
	// never stops the consumer.
	OnError func(error)
}

// Consumer reads records from a [Source] on its own goroutine and passes
// each to a [Handler], counting what happens. Start starts it, Stop stops
// it and waits until the goroutine is gone. A Consumer runs once; its
// methods are safe for concurrent use.
type Consumer struct {
	src  Source
	h    Handler
	opts ConsumerOptions

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	err     error // why the goroutine ended, other than Stop
	started time.Time
	stopped time.Time
	c       counters
}

// NewConsumer returns a stopped consumer of src that calls h.
func NewConsumer(src Source, h Handler, opts *ConsumerOptions) *Consumer {
	c := &Consumer{src: src, h: h}
	if opts != nil {
		c.opts = *opts
	}
	return c
}

// Start starts consuming on a new goroutine until ctx is done, Stop is
// called, or the source fails (closed, for example). It fails if the
// consumer was started before.
func (c *Consumer) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return errors.New("event consumer: already started")
	}
	if c.src == nil || c.h == nil {
		return errors.New("event consumer: nil source or handler")
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	c.started = time.Now()
	go c.run(ctx)
	return nil
}

func (c *Consumer) run(ctx context.Context) {
	defer close(c.done)
	fn := func(sample []byte) bool {
		c.c.handle(c.handleErr, sample)
		return true
	}
	for {
		_, lost, err := c.src.Drain(ctx, fn)
		c.c.lost.Add(lost)
		if err != nil {
			c.mu.Lock()
			c.stopped = time.Now()
			if ctx.Err() == nil {
				c.err = err
			}
			c.mu.Unlock()
			return
		}
		c.c.batches.Add(1)
	}
}

// handleErr calls the handler and reports its errors to OnError.
func (c *Consumer) handleErr(sample []byte) error {
	err := c.h(sample)
	if err != nil && c.opts.OnError != nil && !errors.Is(err, ErrFiltered) {
		c.opts.OnError(err)
	}
	return err
}

// Stop stops the consumer and waits until its goroutine has returned; no
// goroutine of the consumer runs afterwards. It returns the error that
// ended the consumer before Stop, if any (a closed source, for example). Stop
// is idempotent and may be called on a consumer that never started.
func (c *Consumer) Stop() error {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	<-done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done returns a channel closed when the consumer's goroutine has returned
// (after Stop, a cancelled context or a failed source); nil before Start.
func (c *Consumer) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Stats returns the counters so far.
func (c *Consumer) Stats() Stats {
	c.mu.Lock()
	var elapsed time.Duration
	switch {
	case c.started.IsZero():
	case !c.stopped.IsZero():
		elapsed = c.stopped.Sub(c.started)
	default:
		elapsed = time.Since(c.started)
	}
	c.mu.Unlock()
	return c.c.snapshot(elapsed)
}

// ProcessOptions limit [Process]; nil means no limits.
type ProcessOptions struct {
	// MaxEvents stops after this many records were handled (processed,
	// filtered or failed); 0 means no limit.
	MaxEvents int
	// Timeout stops after this long; 0 means no timeout.
	Timeout time.Duration
}

// Process consumes records from src synchronously, on the calling
// goroutine, until opts.MaxEvents records were handled or opts.Timeout
// passed — both end it without an error — or ctx is done or the source
// fails, which return the error. It never consumes more than MaxEvents
// records.
func Process(ctx context.Context, src Source, h Handler, opts *ProcessOptions) (Stats, error) {
	if opts == nil {
		opts = &ProcessOptions{}
	}
	start := time.Now()
	var c counters
	stats := func() Stats { return c.snapshot(time.Since(start)) }
	waitCtx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	handled := 0
	fn := func(sample []byte) bool {
		c.handle(h, sample)
		handled++
		return opts.MaxEvents <= 0 || handled < opts.MaxEvents
	}
	for opts.MaxEvents <= 0 || handled < opts.MaxEvents {
		_, lost, err := src.Drain(waitCtx, fn)
		c.lost.Add(lost)
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return stats(), nil // our timeout
			}
			return stats(), err
		}
		c.batches.Add(1)
	}
	return stats(), nil
}
