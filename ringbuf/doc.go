// Package ringbuf reads records that BPF programs write into a ring buffer
// (BPF_MAP_TYPE_RINGBUF, Linux 5.8) and writes records that programs drain
// from a user ring buffer (BPF_MAP_TYPE_USER_RINGBUF, Linux 6.1).
//
// A [Reader] maps the ring into memory and reads records in place: there is
// no copy and no system call per record. It waits with epoll when the ring is
// empty, and a cancelled context or [Reader.Close] wakes it at once (an
// eventfd sits in the wait set; there is no polling tick). The consumer
// position is published to the kernel once per drained batch, and the
// producer position is loaded once per batch, so synchronisation costs are
// paid per batch, not per record.
//
// Three ways to read, from most to least convenient:
//
//   - [Reader.Read] returns a record whose Sample aliases the ring; it stays
//     valid until the next call on the Reader.
//   - [Reader.ReadInto] copies the sample into a caller's buffer, which is
//     reused, so a steady-state loop allocates nothing.
//   - [Reader.Drain] waits for records and hands every available one to a
//     callback, in place: the batch read.
//
// Records the program discarded (bpf_ringbuf_discard) are skipped; a record
// still being written (the busy bit) ends a batch and the reader waits for
// its commit. On a single producer records come out in the order they were
// reserved.
//
// A [Writer] produces records for a user ring buffer, which a program
// consumes with bpf_user_ringbuf_drain.
package ringbuf
