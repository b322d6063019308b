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

// ErrFull is returned by [Writer.Write] and [Writer.Reserve] when the user
// ring buffer has no room for the record; [Writer.WriteWait] waits instead.
var ErrFull = errors.New("ring buffer full")

// Writer produces records into a user ring buffer (BPF_MAP_TYPE_USER_RINGBUF),
// which a program consumes with bpf_user_ringbuf_drain. Requires Linux 6.1.
//
// A Writer is safe for concurrent use; records appear in the order they
// were reserved. Close wakes a WriteWait that waits for room.
type Writer struct {
	mu      sync.Mutex // the producer position
	waitMu  sync.Mutex // one waiter on the poller at a time
	closed  atomic.Bool
	prod    uint64 // our producer position
	mask    uint64
	data    unsafe.Pointer
	consPos *uint64 // written by the kernel
	prodPos *uint64 // written by us
	mem     *mapping
	m       *bpf.Map
	poll    *epoll.Poller
	size    int
}

// NewWriter maps the user ring buffer m and returns a Writer for it. The
// Writer keeps its own reference to m; the caller must Close the Writer.
// Only one Writer should produce into a ring at a time.
func NewWriter(m *bpf.Map) (*Writer, error) {
	if m == nil {
		return nil, errors.New("ringbuf: new writer: nil map")
	}
	if m.Type() != bpf.UserRingBuf {
		return nil, fmt.Errorf("map %q: new user ring buffer writer: map type is %v, want %v", m.Name(), m.Type(), bpf.UserRingBuf)
	}
	size := int(m.MaxEntries())
	page := os.Getpagesize()
	if size <= 0 || size&(size-1) != 0 || size%page != 0 {
		return nil, fmt.Errorf("map %q: new user ring buffer writer: size %d is not a power-of-two multiple of the page size", m.Name(), size)
	}
	own, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("map %q: new user ring buffer writer: %w", m.Name(), err)
	}
	w := &Writer{m: own, mask: uint64(size - 1), size: size, mem: &mapping{}}
	if err := w.init(page); err != nil {
		w.mem.unmap()
		if w.poll != nil {
			w.poll.Close()
		}
		own.Close()
		return nil, fmt.Errorf("map %q: new user ring buffer writer: %w", m.Name(), err)
	}
	runtime.AddCleanup(w, (*mapping).unmap, w.mem)
	return w, nil
}

func (w *Writer) init(page int) error {
	fd := w.m.FD()
	// Page 0, the consumer position, is the kernel's: read-only for us.
	cons, err := unix.MmapPtr(fd, 0, nil, uintptr(page), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap consumer page: %w", err)
	}
	w.mem.add(cons, uintptr(page))
	n := uintptr(page + 2*w.size)
	prod, err := unix.MmapPtr(fd, int64(page), nil, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap producer and data pages: %w", err)
	}
	w.mem.add(prod, n)
	w.consPos = (*uint64)(cons)
	w.prodPos = (*uint64)(prod)
	w.data = unsafe.Add(prod, page)
	w.prod = atomic.LoadUint64(w.prodPos)
	if w.poll, err = epoll.New(1); err != nil {
		return err
	}
	// Level-triggered EPOLLOUT: ready while the ring is not full.
	return w.poll.Add(fd, unix.EPOLLOUT, 0)
}

// Size returns the size of the ring's data area in bytes.
func (w *Writer) Size() int { return w.size }

// Reservation is room for one record in a user ring buffer, returned by
// [Writer.Reserve]. Fill Bytes, then Submit or Discard it exactly once; the
// program sees records only up to the first one still reserved.
type Reservation struct {
	w   *Writer
	hdr *uint32
	buf []byte
}

// Bytes returns the record's memory, valid until Submit or Discard.
func (r Reservation) Bytes() []byte { return r.buf }

// Submit makes the record visible to the program.
func (r Reservation) Submit() { r.commit(0) }

// Discard releases the room without passing a record to the program.
func (r Reservation) Discard() { r.commit(discardBit) }

func (r Reservation) commit(flags uint32) {
	if r.hdr == nil || r.w.closed.Load() {
		return
	}
	atomic.StoreUint32(r.hdr, uint32(len(r.buf))|flags)
}

// Reserve reserves room for a record of n bytes. It returns [ErrFull] when
// the ring has no room now (the program has not drained enough yet).
func (w *Writer) Reserve(n int) (Reservation, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return Reservation{}, ErrClosed
	}
	if n < 0 || recordSpan(uint32(min(n, 1<<30))) > uint64(w.size) || n >= 1<<30 {
		return Reservation{}, fmt.Errorf("map %q: user ring buffer: record of %d bytes does not fit in %d", w.m.Name(), n, w.size)
	}
	span := recordSpan(uint32(n))
	cons := atomic.LoadUint64(w.consPos)
	if w.prod+span-cons > uint64(w.size) {
		return Reservation{}, ErrFull
	}
	off := w.prod & w.mask
	hdr := (*uint32)(unsafe.Add(w.data, off))
	atomic.StoreUint32(hdr, uint32(n)|busyBit)
	*(*uint32)(unsafe.Add(w.data, off+4)) = 0 // pg_off, unused for user rings
	w.prod += span
	atomic.StoreUint64(w.prodPos, w.prod)
	return Reservation{w: w, hdr: hdr, buf: unsafe.Slice((*byte)(unsafe.Add(w.data, off+hdrSize)), n)}, nil
}

// Write copies p into the ring as one record. It returns [ErrFull] when the
// ring has no room now.
func (w *Writer) Write(p []byte) error {
	r, err := w.Reserve(len(p))
	if err != nil {
		return err
	}
	copy(r.buf, p)
	r.Submit()
	return nil
}

// WriteWait is Write that waits while the ring is full, until the program
// drains it, ctx is done (its error, wrapped) or the Writer is closed
// ([ErrClosed]).
func (w *Writer) WriteWait(ctx context.Context, p []byte) error {
	for {
		err := w.Write(p)
		if !errors.Is(err, ErrFull) {
			return err
		}
		w.waitMu.Lock()
		_, err = w.poll.Wait(ctx, &w.closed)
		w.waitMu.Unlock()
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return ErrClosed
			}
			return fmt.Errorf("map %q: user ring buffer: write: %w", w.m.Name(), err)
		}
	}
}

// Close releases the ring and wakes a waiting WriteWait. Records submitted
// before stay in the ring for the program. It is safe on nil and idempotent.
func (w *Writer) Close() error {
	if w == nil || w.closed.Swap(true) {
		return nil
	}
	w.poll.Wake()
	w.waitMu.Lock() // a waiting WriteWait returns ErrClosed
	defer w.waitMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	return errors.Join(w.mem.retire(), w.poll.Close(), w.m.Close())
}
