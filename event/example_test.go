package event_test

import (
	"fmt"

	"github.com/bpfgo/bpf/event"
)

// The seed's record [pid:u32 timestamp:u64 count:u32]: C alignment puts the
// u64 at offset 8, and the record is 24 bytes.
func ExampleParseLayout() {
	l, err := event.ParseLayout("[:u32 :u64 :u32]")
	if err != nil {
		panic(err)
	}
	for _, f := range l.Fields() {
		fmt.Printf("%v at %d\n", f.Kind, f.Offset)
	}
	fmt.Println("size", l.Size())
	// Output:
	// u32 at 0
	// u64 at 8
	// u32 at 16
	// size 24
}

// Serialize and parse a record, as clj-ebpf's make-event-serializer and
// make-event-parser do.
func ExampleLayout_Serialize() {
	l := event.MustLayout(
		event.Field{Name: "pid", Kind: event.U32},
		event.Field{Name: "timestamp", Kind: event.U64},
		event.Field{Name: "count", Kind: event.U32},
	)
	b, err := l.Serialize(1234, uint64(9876543210), 42)
	if err != nil {
		panic(err)
	}
	vals, err := l.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(b), vals)
	// Output: 24 [1234 9876543210 42]
}

// A Go struct is a layout too; a Codec decodes records into it without
// allocating.
func ExampleCodec() {
	type execEvent struct {
		PID  uint32
		_    uint32
		TS   uint64
		Comm [8]byte
	}
	c, err := event.NewCodec[execEvent]()
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Layout())
	in := execEvent{PID: 42, TS: 7}
	copy(in.Comm[:], "sh")
	var out execEvent
	if err := c.Decode(c.Append(nil, &in), &out); err != nil {
		panic(err)
	}
	fmt.Printf("pid=%d ts=%d comm=%s\n", out.PID, out.TS, out.Comm[:2])
	// Output:
	// [PID:u32 _:u32 TS:u64 Comm:u8[8]]
	// pid=42 ts=7 comm=sh
}

// The pipeline parse → filter → transform → handle; with a reader, pass
// p.Handler() to event.NewConsumer or event.Process.
func ExamplePipeline() {
	l := event.MustLayout(event.Field{Name: "pid", Kind: event.U32}, event.Field{Name: "data", Kind: event.U32})
	type ev struct{ PID, Data uint32 }
	p := &event.Pipeline[ev]{
		Parse: func(b []byte) (ev, error) {
			vals, err := l.Parse(b)
			if err != nil {
				return ev{}, err
			}
			return ev{vals[0].(uint32), vals[1].(uint32)}, nil
		},
		Filter:    func(e ev) bool { return e.PID > 1000 }, // skip system pids
		Transform: func(e ev) (ev, error) { e.Data *= 2; return e, nil },
		Handle:    func(e ev) error { fmt.Printf("pid %d data %d\n", e.PID, e.Data); return nil },
	}
	for _, rec := range [][2]uint32{{1, 5}, {4242, 21}} {
		b, _ := l.Serialize(rec[0], rec[1])
		if err := p.Process(b); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// event filtered out
	// pid 4242 data 42
}
