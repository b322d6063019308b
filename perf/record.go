package perf

import "github.com/bpfgo/bpf/internal/sys"

// Record is one record read from a perf ring: a sample, or a count of lost
// samples.
type Record struct {
	// CPU is the CPU whose ring held the record.
	CPU int
	// RawSample is the sample the program sent (PERF_SAMPLE_RAW), nil for a
	// lost-samples record. The kernel pads it so that the record stays
	// 8-byte aligned: it may be up to 7 bytes longer than what the program
	// passed to bpf_perf_event_output, with zeros at the end.
	RawSample []byte
	// LostSamples is non-zero for a PERF_RECORD_LOST record: the number of
	// samples the kernel dropped on this CPU because its ring was full.
	LostSamples uint64
	// Remaining is how many bytes of later records this CPU's ring still
	// held when the record was read.
	Remaining int
}

// Errors returned by this package.
var (
	// ErrClosed is returned by reads on a closed Reader, also by a read that
	// Close woke up. It is the root package's bpf.ErrClosed.
	ErrClosed = sys.ErrClosed
	// ErrNotSupported is returned when the OS lacks perf events. It is the
	// root package's bpf.ErrNotSupported.
	ErrNotSupported = sys.ErrNotSupported
)

// Layout of the perf ring (include/uapi/linux/perf_event.h, checked against
// the kernel's BTF in the tests).
const (
	// Offsets in struct perf_event_mmap_page.
	offDataHead   = 1024
	offDataTail   = 1032
	offDataOffset = 1040
	offDataSize   = 1048
	// struct perf_event_header: __u32 type; __u16 misc; __u16 size.
	headerSize = 8
	// A sample with PERF_SAMPLE_RAW only: header, __u32 size, data.
	rawSampleOffset = headerSize + 4
	// PERF_RECORD_LOST: header, __u64 id, __u64 lost.
	lostRecordSize = headerSize + 16

	recordSample = sys.PERF_RECORD_SAMPLE
	recordLost   = sys.PERF_RECORD_LOST
)
