package ringbuf_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/event"
	"github.com/bpfgo/bpf/ringbuf"
)

// Read records until the context ends; another goroutine may Close the
// reader instead. A program writes the records with bpf_ringbuf_output or
// bpf_ringbuf_reserve/submit (see the package's tests).
func ExampleReader() {
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 1 << 16})
	if err != nil {
		panic(err)
	}
	defer ring.Close()
	rd, err := ringbuf.NewReader(ring)
	if err != nil {
		panic(err)
	}
	defer rd.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		rec, err := rd.Read(ctx) // rec.Sample is valid until the next call
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ringbuf.ErrClosed) {
			return
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("%x\n", rec.Sample)
	}
}

// ReadInto copies into a buffer the loop reuses: no allocation per record.
func ExampleReader_ReadInto() {
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 1 << 16})
	if err != nil {
		panic(err)
	}
	defer ring.Close()
	rd, err := ringbuf.NewReader(ring)
	if err != nil {
		panic(err)
	}
	defer rd.Close()
	rec := ringbuf.Record{Sample: make([]byte, 0, 64)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for rd.ReadInto(ctx, &rec) == nil {
		fmt.Println(len(rec.Sample), "bytes,", rec.Remaining, "more in the ring")
	}
}

// A consumer with statistics, in the background until Stop.
func ExampleReader_consumer() {
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 1 << 16})
	if err != nil {
		panic(err)
	}
	defer ring.Close()
	rd, err := ringbuf.NewReader(ring)
	if err != nil {
		panic(err)
	}
	defer rd.Close()
	layout := event.MustLayout(event.Field{Name: "pid", Kind: event.U32}, event.Field{Name: "ts", Kind: event.U64})
	c := event.NewConsumer(event.RingBufSource(rd), func(sample []byte) error {
		pid, err := layout.Uint(sample, 0)
		fmt.Println("pid", pid)
		return err
	}, nil)
	if err := c.Start(context.Background()); err != nil {
		panic(err)
	}
	time.Sleep(time.Second)
	c.Stop()
	fmt.Println(c.Stats())
}

// Send records to a program that drains them with bpf_user_ringbuf_drain.
func ExampleWriter() {
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "commands", Type: bpf.UserRingBuf, MaxEntries: 1 << 12})
	if err != nil {
		panic(err)
	}
	defer ring.Close()
	w, err := ringbuf.NewWriter(ring)
	if err != nil {
		panic(err)
	}
	defer w.Close()
	if err := w.WriteWait(context.Background(), []byte("hello, program")); err != nil {
		panic(err)
	}
}
