//go:build linux

package perf

import (
	"context"
	"testing"
	"time"

	"github.com/bpfgo/bpf/event"
)

// TestEventConsumer runs the event pipeline over a perf reader whose ring
// overflows: lost samples show up in the consumer's statistics.
func TestEventConsumer(t *testing.T) {
	r := newRig(t, recordSize)
	rd := newReader(t, r.events, &ReaderOptions{PerCPUBuffer: 1})
	layout, err := event.ParseLayout("[seq:u64 w1:u64 w2:u64 w3:u64 w4:u64 w5:u64 w6:u64 w7:u64]")
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	c := event.NewConsumer(event.PerfSource(rd), func(s []byte) error {
		seq, err := layout.Uint(s, 0)
		last = seq
		return err
	}, nil)
	r.run(t, 1000) // the one-page ring holds ~50: the rest is lost
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The kernel reports the lost count with the first sample that finds room, which it does
	// once the consumer has drained the ring. How long that takes depends on the machine
	// (under emulation, more than 50 ms): until the loss shows, produce one more sample — each
	// one is either lost too (and counted) or delivers the count.
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Lost == 0 && time.Now().Before(deadline) {
		r.run(t, 1)
		time.Sleep(10 * time.Millisecond)
	}
	produced := readCounter(t, r.seq)
	for st := c.Stats(); st.Processed+st.Lost < produced && time.Now().Before(deadline); st = c.Stats() {
		time.Sleep(time.Millisecond)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	t.Logf("stats: %v after %d samples", st, produced)
	if st.Processed+st.Lost != produced || st.Lost == 0 || last != produced-1 {
		t.Fatalf("stats %+v, last %d; want processed+lost = %d, some lost, last %d", st, last, produced, produced-1)
	}
}
