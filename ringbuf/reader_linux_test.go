//go:build linux

package ringbuf

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// readMode reads one record with one of the Reader's read paths and returns
// a copy of it.
type readMode struct {
	name string
	read func(ctx context.Context, rd *Reader, rec *Record, got *[][]byte) error
}

var readModes = []readMode{
	{"Read", func(ctx context.Context, rd *Reader, _ *Record, got *[][]byte) error {
		rec, err := rd.Read(ctx)
		if err == nil {
			*got = append(*got, append([]byte(nil), rec.Sample...))
		}
		return err
	}},
	{"ReadInto", func(ctx context.Context, rd *Reader, rec *Record, got *[][]byte) error {
		err := rd.ReadInto(ctx, rec)
		if err == nil {
			*got = append(*got, append([]byte(nil), rec.Sample...))
		}
		return err
	}},
	{"Drain", func(ctx context.Context, rd *Reader, _ *Record, got *[][]byte) error {
		_, err := rd.Drain(ctx, func(s []byte) bool { *got = append(*got, append([]byte(nil), s...)); return true })
		return err
	}},
}

// TestReadAllInOrder produces records in rounds while a consumer reads them
// concurrently: the ring wraps several times, and every record arrives
// exactly once, in order, intact.
func TestReadAllInOrder(t *testing.T) {
	const rounds, perRound = 6, 3000
	for _, size := range []int{64, 61, 4} {
		for _, mode := range []emitMode{emitOutput, emitReserve} {
			for _, rm := range readModes {
				t.Run(fmt.Sprintf("%s/size=%d/mode=%d", rm.name, size, mode), func(t *testing.T) {
					r := newRig(t, 1<<18, size, mode) // 256 KiB: 3000 records of 72 bytes fit
					rd := newReader(t, r.ring)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					done := make(chan error, 1)
					var got [][]byte
					var count atomic.Int64
					go func() {
						var rec Record
						for {
							if err := rm.read(ctx, rd, &rec, &got); err != nil {
								done <- err
								return
							}
							count.Store(int64(len(got)))
						}
					}()
					// The program counts what it produced (test-runs with Repeat are
					// not retried on EINTR), and the test reads that count.
					var produced uint64
					for range rounds {
						r.run(t, perRound)
						produced = readCounter(t, r.seq)
						// Let the consumer catch up so that no record is dropped.
						for count.Load() < int64(produced) && ctx.Err() == nil {
							time.Sleep(100 * time.Microsecond)
						}
					}
					cancel()
					if err := <-done; !errors.Is(err, context.Canceled) {
						t.Fatal(err)
					}
					if d := readCounter(t, r.drops); d != 0 {
						t.Fatalf("%d reservations failed", d)
					}
					if uint64(len(got)) != produced || produced < rounds*perRound {
						t.Fatalf("read %d records, produced %d (asked for %d)", len(got), produced, rounds*perRound)
					}
					for i, s := range got {
						if _, err := checkRecord(s, size, int64(i)); err != nil {
							t.Fatalf("record %d: %v", i, err)
						}
					}
				})
			}
		}
	}
}

// TestDiscardedSkipped: the program discards every odd record; the reader
// returns only the even ones.
func TestDiscardedSkipped(t *testing.T) {
	r := newRig(t, 1<<16, recordSize, emitDiscard)
	rd := newReader(t, r.ring)
	r.run(t, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := int64(0); i < 100; i += 2 {
		rec, err := rd.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := checkRecord(rec.Sample, recordSize, i); err != nil {
			t.Fatal(err)
		}
	}
	// Only the discarded record 99 is left: skipped, so the next Read waits.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if rec, err := rd.Read(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read after the last kept record: %x, %v", rec.Sample, err)
	}
}

// TestOverload runs a producer much faster than the ring drains: records
// are dropped, never torn, and produced = read + dropped.
func TestOverload(t *testing.T) {
	r := newRig(t, 1<<14, recordSize, emitOutput) // 16 KiB: ~227 records
	rd := newReader(t, r.ring)
	const runs = 200_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	var read atomic.Int64 // records the consumer has read so far
	go func() {
		n, last := 0, int64(-1)
		for {
			rec, err := rd.Read(ctx)
			if errors.Is(err, context.Canceled) {
				done <- result{n, nil}
				return
			}
			if err != nil {
				done <- result{n, err}
				return
			}
			seq, err := checkRecord(rec.Sample, recordSize, -1)
			if err == nil && int64(seq) <= last {
				err = errors.New("records out of order")
			}
			if err != nil {
				done <- result{n, err}
				return
			}
			last = int64(seq)
			n++
			read.Store(int64(n))
			if n%64 == 0 {
				time.Sleep(10 * time.Microsecond) // a slow consumer
			}
		}
	}()
	r.run(t, runs)
	// Wait until the consumer has drained the ring (~227 records): every record produced is
	// read or dropped. How long that takes depends on the machine (under emulation it can
	// exceed 100 ms); the deadline only bounds a broken test.
	want := readCounter(t, r.seq)
	for deadline := time.Now().Add(10 * time.Second); uint64(read.Load())+readCounter(t, r.drops) < want && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	drops := readCounter(t, r.drops)
	produced := readCounter(t, r.seq) // >= runs: an interrupted test run is retried
	t.Logf("produced %d, read %d, dropped %d", produced, res.n, drops)
	if uint64(res.n)+drops != produced {
		t.Fatalf("read %d + dropped %d != produced %d", res.n, drops, produced)
	}
	if drops == 0 {
		t.Fatal("no record was dropped: the test did not overload the ring")
	}
}

// TestCancelBlockedRead: cancelling the context of a blocked Read returns
// context.Canceled within 100 ms (testutil.LatencyBound: more under emulation),
// and no goroutine is left behind.
func TestCancelBlockedRead(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	rd := newReader(t, r.ring)
	for _, rm := range readModes {
		t.Run(rm.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				var rec Record
				var got [][]byte
				done <- rm.read(ctx, rd, &rec, &got)
			}()
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Second):
				t.Fatal("Read still blocked 1s after cancel")
			}
			// 100 ms on hardware; more under emulation, where wake-ups wait for the vCPU.
			if took, bound := time.Since(start), testutil.LatencyBound(100*time.Millisecond); took > bound {
				t.Errorf("Read returned %v after cancel, want < %v", took, bound)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			waitGoroutines(t, before)
		})
	}
	// The reader still works after cancelled reads.
	r.run(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := rd.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkRecord(rec.Sample, recordSize, 0); err != nil {
		t.Fatal(err)
	}
}

func TestDeadline(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	rd := newReader(t, r.ring)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := rd.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCloseWakesBlockedRead: Close during a blocked Read makes it return
// ErrClosed; later calls return ErrClosed too.
func TestCloseWakesBlockedRead(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	rd, err := NewReader(r.ring)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rd.Read(context.Background())
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(time.Second):
		t.Fatal("Read still blocked 1s after Close")
	}
	t.Logf("Read returned %v after %v", err, time.Since(start))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, bpf.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
	if _, err := rd.Read(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if err := rd.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestCloseAfterPartialRead closes a Reader in the middle of a batch, then
// reads again: ErrClosed, no fault.
func TestCloseAfterPartialRead(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	rd, err := NewReader(r.ring)
	if err != nil {
		t.Fatal(err)
	}
	r.run(t, 10)
	if _, err := rd.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := rd.Read(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	}
	var nilReader *Reader
	if err := nilReader.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPeek(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	rd := newReader(t, r.ring)
	r.run(t, 5)
	var seen []uint64
	n, err := rd.Peek(func(s []byte) bool {
		seq, err := checkRecord(s, recordSize, int64(len(seen)))
		if err != nil {
			t.Error(err)
		}
		seen = append(seen, seq)
		return len(seen) < 3
	})
	if err != nil || n != 3 {
		t.Fatalf("Peek: %d, %v; want 3 records", n, err)
	}
	for i := range int64(5) {
		rec, err := rd.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := checkRecord(rec.Sample, recordSize, i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewReaderErrors(t *testing.T) {
	r := newRig(t, 1<<12, recordSize, emitOutput)
	if _, err := NewReader(r.seq); err == nil {
		t.Fatal("NewReader accepted an array")
	}
	if _, err := NewReader(nil); err == nil {
		t.Fatal("NewReader accepted nil")
	}
}

// TestCloseWhileReading closes the Reader while another goroutine reads a
// full ring as fast as it can: the read returns ErrClosed, nothing faults,
// and no record it returned before was torn.
func TestCloseWhileReading(t *testing.T) {
	r := newRig(t, 1<<20, recordSize, emitOutput)
	for i := range 20 {
		rd, err := NewReader(r.ring)
		if err != nil {
			t.Fatal(err)
		}
		r.run(t, 10_000)
		done := make(chan error, 1)
		go func() {
			var rec Record
			for {
				var err error
				if i%2 == 0 {
					rec, err = rd.Read(context.Background())
				} else {
					err = rd.ReadInto(context.Background(), &rec)
				}
				if err != nil {
					done <- err
					return
				}
				if _, err := checkRecord(rec.Sample, recordSize, -1); err != nil && !rd.closed.Load() {
					done <- err
					return
				}
			}
		}()
		time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}
