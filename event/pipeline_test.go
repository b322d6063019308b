package event

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeSource hands out batches pushed into it and blocks (honouring ctx)
// when none is queued.
type fakeSource struct {
	mu      sync.Mutex
	batches [][][]byte
	lost    []uint64
	ready   chan struct{}
	closed  bool
}

func newFakeSource() *fakeSource { return &fakeSource{ready: make(chan struct{}, 1)} }

func (s *fakeSource) push(lost uint64, samples ...[]byte) {
	s.mu.Lock()
	s.batches = append(s.batches, samples)
	s.lost = append(s.lost, lost)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

var errSourceClosed = errors.New("source closed")

func (s *fakeSource) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *fakeSource) Drain(ctx context.Context, fn func([]byte) bool) (int, uint64, error) {
	for {
		s.mu.Lock()
		if len(s.batches) > 0 {
			b, lost := s.batches[0], s.lost[0]
			n := 0
			for n < len(b) {
				n++
				if !fn(b[n-1]) {
					break
				}
			}
			if n == len(b) {
				s.batches, s.lost = s.batches[1:], s.lost[1:]
			} else {
				s.batches[0], s.lost[0] = b[n:], 0
			}
			s.mu.Unlock()
			return n, lost, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return 0, 0, errSourceClosed
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-s.ready:
		}
	}
}

var threeU32 = MustLayout(Field{Name: "pid", Kind: U32}, Field{Name: "ts", Kind: U64}, Field{Name: "data", Kind: U32})

type tuple struct {
	PID  uint32
	TS   uint64
	Data uint32
}

func rec(pid uint32, ts uint64, data uint32) []byte {
	b, err := threeU32.Serialize(pid, ts, data)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPipeline(t *testing.T) {
	codec, err := NewCodec[tuple]()
	if err != nil {
		t.Fatal(err)
	}
	var got []tuple
	p := &Pipeline[tuple]{
		Parse:  codec.Parse,
		Filter: func(e tuple) bool { return e.PID > 1000 },
		Transform: func(e tuple) (tuple, error) {
			if e.Data == 13 {
				return e, errors.New("unlucky")
			}
			e.TS /= 1000
			return e, nil
		},
		Handle: func(e tuple) error { got = append(got, e); return nil },
	}
	for _, tc := range []struct {
		in      []byte
		wantErr error
	}{
		{rec(1, 5000, 1), ErrFiltered},
		{rec(2000, 5000, 2), nil},
		{rec(3000, 7000, 13), nil}, // an error, not ErrFiltered
		{[]byte{1, 2}, nil},
	} {
		err := p.Process(tc.in)
		if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
			t.Errorf("%x: %v, want %v", tc.in, err, tc.wantErr)
		}
	}
	if len(got) != 1 || got[0] != (tuple{2000, 5, 2}) {
		t.Fatalf("handled %+v", got)
	}
	if err := (&Pipeline[tuple]{}).Process(nil); err == nil {
		t.Fatal("empty pipeline accepted a record")
	}
}

func TestConsumerLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	src := newFakeSource()
	var mu sync.Mutex
	var pids []uint32
	var onErr []error
	p := &Pipeline[[]any]{
		Parse:  threeU32.Parse,
		Filter: func(v []any) bool { return v[0].(uint32) != 0 },
		Handle: func(v []any) error {
			if v[2].(uint32) == 99 {
				return errors.New("bad data")
			}
			mu.Lock()
			pids = append(pids, v[0].(uint32))
			mu.Unlock()
			return nil
		},
	}
	c := NewConsumer(src, p.Handler(), &ConsumerOptions{OnError: func(err error) { onErr = append(onErr, err) }})
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err == nil {
		t.Fatal("second Start succeeded")
	}
	src.push(0, rec(1, 0, 0), rec(2, 0, 0), rec(0, 0, 0))
	src.push(5, rec(3, 0, 99), rec(4, 0, 0))
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Batches < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	want := Stats{Processed: 3, Filtered: 1, Errors: 1, Batches: 2, Lost: 5, Elapsed: st.Elapsed}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if st.Elapsed <= 0 || st.PerSecond() <= 0 || st.String() == "" {
		t.Fatalf("elapsed %v, rate %v", st.Elapsed, st.PerSecond())
	}
	if fmt.Sprint(pids) != "[1 2 4]" || len(onErr) != 1 {
		t.Fatalf("pids %v, errors %v", pids, onErr)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, before)
}

func TestConsumerSourceFails(t *testing.T) {
	src := newFakeSource()
	c := NewConsumer(src, func([]byte) error { return nil }, nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.close()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("consumer still running after its source closed")
	}
	if err := c.Stop(); !errors.Is(err, errSourceClosed) {
		t.Fatalf("Stop: %v, want the source's error", err)
	}
}

func TestProcess(t *testing.T) {
	src := newFakeSource()
	var n int
	h := func([]byte) error { n++; return nil }
	src.push(0, rec(1, 0, 0), rec(2, 0, 0), rec(3, 0, 0))
	src.push(0, rec(4, 0, 0))
	st, err := Process(context.Background(), src, h, &ProcessOptions{MaxEvents: 2})
	if err != nil || st.Processed != 2 || n != 2 {
		t.Fatalf("max 2: %+v, %v", st, err)
	}
	// The third record was not consumed.
	st, err = Process(context.Background(), src, h, &ProcessOptions{Timeout: 20 * time.Millisecond})
	if err != nil || st.Processed != 2 || st.Batches != 2 {
		t.Fatalf("timeout: %+v, %v", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Process(ctx, src, h, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

type fakePeeker [][]byte

func (p fakePeeker) Peek(fn func([]byte) bool) (int, error) {
	n := 0
	for _, s := range p {
		n++
		if !fn(s) {
			break
		}
	}
	return n, nil
}

func TestPeek(t *testing.T) {
	src := fakePeeker{rec(1, 0, 0), rec(2, 0, 0), rec(3, 0, 0)}
	codec, _ := NewCodec[tuple]()
	got, err := Peek(src, 2, codec.Parse)
	if err != nil || len(got) != 2 || got[1].PID != 2 {
		t.Fatalf("Peek: %+v, %v", got, err)
	}
	if _, err := Peek(fakePeeker{{1}}, 2, codec.Parse); err == nil {
		t.Fatal("Peek hid a parse error")
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), want)
		}
		time.Sleep(time.Millisecond)
	}
}
