// Package perf reads the records BPF programs send with
// bpf_perf_event_output into a perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY,
// Linux 4.3): the per-CPU alternative to the ring buffer of package
// [github.com/bpfgo/bpf/ringbuf], for kernels older than 5.8 and programs
// written for them.
//
// [NewReader] opens a PERF_COUNT_SW_BPF_OUTPUT event on every online CPU
// (perf_event_open(2)), maps its ring into memory and stores its fd in the
// array at the CPU's index. Reads walk the rings in place and wait with epoll
// when all are empty; a cancelled context or [Reader.Close] wakes a blocked
// read at once (an eventfd in the wait set, no polling tick). The kernel's
// data_head is loaded and data_tail stored once per batch, not per record.
//
// A record is either a sample (PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW) or a
// report that the kernel dropped samples because the ring was full
// (PERF_RECORD_LOST), which [Record.LostSamples] surfaces. Records of one CPU
// come out in order; records of different CPUs are not ordered.
package perf
