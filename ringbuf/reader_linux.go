//go:build linux

package ringbuf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/epoll"
)

// Reader reads records from a ring buffer map (BPF_MAP_TYPE_RINGBUF).
// Requires Linux 5.8.
//
// A Reader is a single consumer: Read, ReadInto, Drain, Peek and
// AvailableBytes must not be called concurrently with each other. Close may be called from any
// goroutine at any time; it wakes a blocked read, which returns [ErrClosed].
type Reader struct {
	// Hot fields, touched for every record.
	cons   uint64         // position of the next record (not yet published)
	prod   uint64         // producer position loaded at the start of the batch
	mask   uint64         // ring size - 1
	pub    uint64         // consumer position last published to the kernel
	data   unsafe.Pointer // data area, mapped twice in a row so records never wrap
	closed atomic.Bool

	mu      sync.Mutex // serialises the slow path (publish, load, wait) with Close
	consPos *uint64    // consumer page: written by us
	prodPos *uint64    // producer page: written by the kernel
	mem     *mapping
	m       *bpf.Map // our own dup of the map
	poll    *epoll.Poller
	size    int
	name    string
}

// NewReader maps the ring buffer m and returns a Reader for it. The Reader
// keeps its own reference to the map (m may be closed afterwards); the
// caller must Close the Reader. Only one Reader should consume a ring at a
// time. Requires Linux 5.8.
func NewReader(m *bpf.Map) (*Reader, error) {
	if m == nil {
		return nil, errors.New("ringbuf: new reader: nil map")
	}
	if m.Type() != bpf.RingBuf {
		return nil, fmt.Errorf("map %q: new ring buffer reader: map type is %v, want %v", m.Name(), m.Type(), bpf.RingBuf)
	}
	size := int(m.MaxEntries())
	page := os.Getpagesize()
	if size <= 0 || size&(size-1) != 0 || size%page != 0 {
		return nil, fmt.Errorf("map %q: new ring buffer reader: size %d is not a power-of-two multiple of the page size", m.Name(), size)
	}
	own, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("map %q: new ring buffer reader: %w", m.Name(), err)
	}
	r := &Reader{m: own, mask: uint64(size - 1), size: size, name: m.Name()}
	if err := r.init(page); err != nil {
		r.mem.unmap()
		if r.poll != nil {
			r.poll.Close()
		}
		own.Close()
		return nil, fmt.Errorf("map %q: new ring buffer reader: %w", m.Name(), err)
	}
	runtime.AddCleanup(r, (*mapping).unmap, r.mem)
	return r, nil
}

func (r *Reader) init(page int) error {
	fd := r.m.FD()
	r.mem = &mapping{}
	// Page 0: the consumer position, the only page user space may write.
	cons, err := unix.MmapPtr(fd, 0, nil, uintptr(page), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap consumer page: %w", err)
	}
	r.mem.add(cons, uintptr(page))
	// Page 1: the producer position; then the data pages, mapped twice.
	n := uintptr(page + 2*r.size)
	prod, err := unix.MmapPtr(fd, int64(page), nil, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap producer and data pages: %w", err)
	}
	r.mem.add(prod, n)
	r.consPos = (*uint64)(cons)
	r.prodPos = (*uint64)(prod)
	r.data = unsafe.Add(prod, page)
	r.cons = atomic.LoadUint64(r.consPos)
	r.prod, r.pub = r.cons, r.cons

	if r.poll, err = epoll.New(1); err != nil {
		return err
	}
	// Edge-triggered: the kernel wakes us when a record is committed at the
	// consumer position we published, also the one a busy record held up.
	// Level-triggered would spin while a record is busy.
	return r.poll.Add(fd, unix.EPOLLIN|unix.EPOLLET, 0)
}

// Size returns the size of the ring's data area in bytes.
func (r *Reader) Size() int { return r.size }

// AvailableBytes returns how many bytes of records the ring holds that the
// Reader has not consumed yet. Like a read, it must not be called
// concurrently with the Reader's reads.
func (r *Reader) AvailableBytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() || r.data == nil {
		return 0
	}
	return int(atomic.LoadUint64(r.prodPos) - r.cons)
}

// next returns the offset and length of the next committed record of the
// current batch, skipping discarded ones, and consumes it. ok is false at the
// end of the batch or at a record still being written.
func (r *Reader) next() (off uint64, n uint32, ok bool, err error) {
	if r.cons-r.pub > r.mask>>2 {
		// A long batch: hand the records before this call back to the
		// producer now rather than at the end of the batch.
		r.publish()
	}
	for r.cons < r.prod {
		off = r.cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, off)))
		if hdr&busyBit != 0 {
			return 0, 0, false, nil
		}
		n = hdr &^ discardBit
		span := recordSpan(n)
		if span > r.prod-r.cons {
			return 0, 0, false, r.corrupt(hdr)
		}
		r.cons += span
		if hdr&discardBit == 0 {
			return off + hdrSize, n, true, nil
		}
	}
	return 0, 0, false, nil
}

func (r *Reader) corrupt(hdr uint32) error {
	if r.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("map %q: ring buffer: record header %#x at position %d exceeds the produced data (%d bytes)",
		r.name, hdr, r.cons, r.prod-r.cons)
}

// Read returns the next record, waiting until one is committed. The
// record's Sample aliases the ring: it is valid until the next call on the
// Reader (Read, ReadInto, Drain, Peek, Close), which may let the producer
// overwrite it. Read allocates nothing.
//
// Read returns ctx's error, wrapped, when ctx is done while waiting, and
// [ErrClosed] once the Reader is closed. While records keep coming, ctx is
// checked once per batch, not per record.
func (r *Reader) Read(ctx context.Context) (Record, error) {
	// Fast path, inline: a committed record in the current batch.
	if r.cons < r.prod && r.cons-r.pub <= r.mask>>2 {
		off := r.cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, off)))
		if span := recordSpan(hdr); hdr&(busyBit|discardBit) == 0 && span <= r.prod-r.cons {
			r.cons += span
			if r.closed.Load() {
				return Record{}, ErrClosed
			}
			return Record{Sample: unsafe.Slice((*byte)(unsafe.Add(r.data, off+hdrSize)), hdr), Remaining: int(r.prod - r.cons)}, nil
		}
	}
	for {
		off, n, ok, err := r.next()
		if err != nil {
			return Record{}, err
		}
		if ok {
			if r.closed.Load() {
				return Record{}, ErrClosed
			}
			return Record{Sample: unsafe.Slice((*byte)(unsafe.Add(r.data, off)), n), Remaining: int(r.prod - r.cons)}, nil
		}
		if err := r.refill(ctx); err != nil {
			return Record{}, err
		}
	}
}

// ReadInto reads the next record like [Reader.Read] but copies its sample
// into rec.Sample, reusing rec.Sample's capacity; a loop that reads into the
// same Record allocates nothing once the buffer is large enough.
func (r *Reader) ReadInto(ctx context.Context, rec *Record) error {
	// Fast path, inline: a committed record in the current batch.
	if r.cons < r.prod && r.cons-r.pub <= r.mask>>2 {
		off := r.cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, off)))
		if span := recordSpan(hdr); hdr&(busyBit|discardBit) == 0 && span <= r.prod-r.cons {
			r.cons += span
			rec.Sample = append(rec.Sample[:0], unsafe.Slice((*byte)(unsafe.Add(r.data, off+hdrSize)), hdr)...)
			rec.Remaining = int(r.prod - r.cons)
			if r.closed.Load() {
				return ErrClosed
			}
			return nil
		}
	}
	for {
		off, n, ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			rec.Sample = append(rec.Sample[:0], unsafe.Slice((*byte)(unsafe.Add(r.data, off)), n)...)
			rec.Remaining = int(r.prod - r.cons)
			if r.closed.Load() {
				return ErrClosed
			}
			return nil
		}
		if err := r.refill(ctx); err != nil {
			return err
		}
	}
}

// Drain waits until at least one record is committed, then calls fn with
// every record available without waiting again, in order, and consumes them:
// the batch read. It stops early, after consuming the record, when fn
// returns false. sample aliases the ring and is valid only during the call
// of fn. Drain returns the number of records passed to fn.
func (r *Reader) Drain(ctx context.Context, fn func(sample []byte) bool) (int, error) {
	for {
		count := 0
		for {
			off, n, ok, err := r.next()
			if err != nil {
				return count, err
			}
			if !ok {
				break
			}
			if r.closed.Load() {
				return count, ErrClosed
			}
			count++
			if !fn(unsafe.Slice((*byte)(unsafe.Add(r.data, off)), n)) {
				break
			}
		}
		if count > 0 {
			r.publish() // the samples were valid only during fn
			return count, nil
		}
		if err := r.refill(ctx); err != nil {
			return 0, err
		}
	}
}

// Peek calls fn with the records the ring holds, oldest first, without
// consuming them, until fn returns false or a record is not committed yet.
// sample aliases the ring and is valid only during the call of fn. Peek
// does not wait; it returns how many records fn saw.
func (r *Reader) Peek(fn func(sample []byte) bool) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() || r.data == nil {
		return 0, ErrClosed
	}
	prod := atomic.LoadUint64(r.prodPos)
	count := 0
	for pos := r.cons; pos < prod; {
		off := pos & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, off)))
		if hdr&busyBit != 0 {
			break
		}
		n := hdr &^ discardBit
		span := recordSpan(n)
		if span > prod-pos {
			return count, fmt.Errorf("map %q: ring buffer: peek: record header %#x at position %d exceeds the produced data", r.name, hdr, pos)
		}
		pos += span
		if hdr&discardBit != 0 {
			continue
		}
		count++
		if !fn(unsafe.Slice((*byte)(unsafe.Add(r.data, off+hdrSize)), n)) {
			break
		}
	}
	return count, nil
}

// refill publishes the consumer position, which frees the consumed records
// for the producer and arms the kernel's wake-up, then loads the producer
// position, waiting while there is no committed record. It runs once per
// batch.
func (r *Reader) refill(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		r.release()
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("map %q: ring buffer: read: %w", r.name, err)
	}
	r.publish()
	for {
		prod := atomic.LoadUint64(r.prodPos)
		if prod > r.cons {
			hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, r.cons&r.mask)))
			if hdr&busyBit == 0 {
				r.prod = prod
				return nil
			}
			// The oldest record is still being written; its commit sees our
			// published position and wakes us.
		}
		if _, err := r.poll.Wait(ctx, &r.closed); err != nil {
			if errors.Is(err, ErrClosed) {
				r.release()
				return ErrClosed
			}
			return fmt.Errorf("map %q: ring buffer: read: %w", r.name, err)
		}
	}
}

// publish stores the consumer position for the kernel: the records before
// it may be overwritten, and a record committed at it wakes the reader.
func (r *Reader) publish() {
	atomic.StoreUint64(r.consPos, r.cons)
	r.pub = r.cons
}

// release drops the mappings after Close; only the reading goroutine calls
// it (with r.mu held), so no read is in flight.
func (r *Reader) release() {
	r.mem.unmap()
	r.data, r.cons, r.prod, r.pub = nil, 0, 0, 0
}

// Close stops the Reader: a blocked read returns [ErrClosed], and so does
// every later call. It releases the ring's memory and fds. Close is safe on
// nil, idempotent, and safe to call concurrently with a read.
func (r *Reader) Close() error {
	if r == nil || r.closed.Swap(true) {
		return nil
	}
	r.poll.Wake()
	r.mu.Lock()
	defer r.mu.Unlock()
	// A read on another goroutine may be inside its lock-free part: swap the
	// ring for zero pages instead of unmapping it under its feet. The reader's
	// next call (or the Reader's cleanup) unmaps them.
	err := r.mem.retire()
	return errors.Join(err, r.poll.Close(), r.m.Close())
}

// mapping is the memory of a Reader or Writer: kept apart from it so that a
// runtime cleanup can unmap it.
type mapping struct {
	mu      sync.Mutex
	regions []region
}

type region struct {
	addr unsafe.Pointer
	n    uintptr
}

func (m *mapping) add(addr unsafe.Pointer, n uintptr) {
	m.mu.Lock()
	m.regions = append(m.regions, region{addr, n})
	m.mu.Unlock()
}

// retire replaces every region with private zero pages at the same address,
// so a racing access reads zeros instead of faulting, and drops the kernel's
// pages.
func (m *mapping) retire() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, reg := range m.regions {
		_, err := unix.MmapPtr(-1, 0, reg.addr, reg.n, unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)
		if err != nil {
			errs = append(errs, fmt.Errorf("retire mapping: %w", err))
		}
	}
	return errors.Join(errs...)
}

// unmap unmaps every region; it is idempotent and safe on nil.
func (m *mapping) unmap() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, reg := range m.regions {
		unix.MunmapPtr(reg.addr, reg.n)
	}
	m.regions = nil
}
