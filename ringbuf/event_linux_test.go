//go:build linux

package ringbuf

import (
	"context"
	"testing"
	"time"

	"github.com/bpfgo/bpf/event"
)

// record64 is the test record as a Go struct.
type record64 struct {
	Seq   uint64
	Words [7]uint64
}

// TestEventConsumer runs the event pipeline over a ring buffer reader:
// parse, filter odd records, transform, handle; then stops it.
func TestEventConsumer(t *testing.T) {
	r := newRig(t, 1<<16, recordSize, emitOutput)
	rd := newReader(t, r.ring)
	codec, err := event.NewCodec[record64]()
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	p := &event.Pipeline[record64]{
		Parse:     codec.Parse,
		Filter:    func(e record64) bool { return e.Seq%2 == 0 },
		Transform: func(e record64) (record64, error) { e.Seq *= 10; return e, nil },
		Handle:    func(e record64) error { got = append(got, e.Seq); return nil },
	}
	c := event.NewConsumer(event.RingBufSource(rd), p.Handler(), nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.run(t, 100)
	deadline := time.Now().Add(5 * time.Second)
	for st := c.Stats(); st.Processed+st.Filtered < 100 && time.Now().Before(deadline); st = c.Stats() {
		time.Sleep(time.Millisecond)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	t.Logf("stats: %v", st)
	if st.Processed != 50 || st.Filtered != 50 || st.Errors != 0 || st.Batches == 0 {
		t.Fatalf("stats %+v", st)
	}
	for i, v := range got {
		if v != uint64(i)*20 {
			t.Fatalf("record %d: %d", i, v)
		}
	}
	// Peek, then synchronous processing of at most 5 records.
	r.run(t, 10)
	peeked, err := event.Peek(rd, 3, codec.Parse)
	if err != nil || len(peeked) != 3 || peeked[0].Seq != 100 {
		t.Fatalf("peek: %+v, %v", peeked, err)
	}
	n := 0
	st, err = event.Process(context.Background(), event.RingBufSource(rd), func(s []byte) error {
		var e record64
		if err := codec.Decode(s, &e); err != nil {
			return err
		}
		if e.Seq != uint64(100+n) {
			t.Errorf("processed record %d, want %d", e.Seq, 100+n)
		}
		n++
		return nil
	}, &event.ProcessOptions{MaxEvents: 5, Timeout: 5 * time.Second})
	if err != nil || st.Processed != 5 {
		t.Fatalf("process: %+v, %v", st, err)
	}
	st, err = event.Process(context.Background(), event.RingBufSource(rd), func([]byte) error { n++; return nil },
		&event.ProcessOptions{Timeout: 50 * time.Millisecond})
	if err != nil || st.Processed != 5 || n != 10 {
		t.Fatalf("process with timeout: %+v, %v (n=%d)", st, err, n)
	}
}
