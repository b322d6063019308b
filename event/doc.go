// Package event turns the raw records BPF programs emit into values and
// runs them through a pipeline, the way clj-ebpf's events namespace does.
//
// Record layouts come from a field list in the seed's notation,
// ParseLayout("[:u32 :u64 :u32]"), from [Field] values, or from a Go struct
// ([LayoutOf], [Codec]); fields are placed with C's alignment rules, so the
// layout matches the struct the program writes. A [Layout] parses into
// []any and serializes from Go integers with range checks; a [Codec] copies
// records into a Go struct without allocating.
//
// A [Pipeline] chains parse → filter → transform → handle. A [Consumer]
// runs a handler over a [Source] (a ring buffer or perf reader, through
// [RingBufSource] or [PerfSource]) on its own goroutine between Start and
// Stop, and keeps statistics: records processed, per second, filtered,
// errors, batches and lost. [Process] does the same synchronously with a
// maximum count and a timeout, and [Peek] looks at ring buffer records
// without consuming them.
//
// The package never touches the kernel itself; the readers live in
// packages ringbuf and perf.
package event
