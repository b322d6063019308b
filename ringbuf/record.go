package ringbuf

import "github.com/bpfgo/bpf/internal/sys"

// Record is one record read from a ring buffer.
type Record struct {
	// Sample is the record's payload, exactly as long as the program wrote
	// it. From [Reader.Read] it aliases the ring and is valid until the
	// next call on the Reader; from [Reader.ReadInto] it is the caller's
	// buffer.
	Sample []byte
	// Remaining is how many bytes of later records the ring still held
	// when this record was read (as of the last producer position the
	// reader loaded).
	Remaining int
}

// Errors returned by this package.
var (
	// ErrClosed is returned by reads and writes on a closed Reader or
	// Writer, also by a Read that Close woke up. It is the root package's
	// bpf.ErrClosed.
	ErrClosed = sys.ErrClosed
	// ErrNotSupported is returned when the kernel (or OS) lacks ring
	// buffers. It is the root package's bpf.ErrNotSupported.
	ErrNotSupported = sys.ErrNotSupported
)

// Header bits of a ring buffer record (struct bpf_ringbuf_hdr, its len field).
const (
	busyBit    = uint32(sys.BPF_RINGBUF_BUSY_BIT & 0xffffffff) // record reserved, not yet committed
	discardBit = uint32(sys.BPF_RINGBUF_DISCARD_BIT)           // record discarded by the producer
	hdrSize    = sys.BPF_RINGBUF_HDR_SZ                        // header bytes before each sample
)

// recordSpan returns the bytes a record with a sample of n bytes takes in the
// ring: header plus sample, rounded up to 8.
func recordSpan(n uint32) uint64 {
	return (uint64(n) + hdrSize + 7) &^ 7
}
