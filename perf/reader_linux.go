//go:build linux

package perf

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/epoll"
	"github.com/bpfgo/bpf/internal/sys"
)

// ReaderOptions configure a [Reader]; the zero value (or nil) means the
// defaults.
type ReaderOptions struct {
	// PerCPUBuffer is the size in bytes of each CPU's ring, rounded up to a
	// power-of-two number of pages; 0 means 64 pages.
	PerCPUBuffer int
	// Watermark is the number of bytes a ring must hold before the kernel
	// wakes a waiting reader (wakeup_watermark); 0 means wake-up on every
	// sample, which gives the lowest latency. A larger watermark saves
	// wake-ups under load, but records below it wait until more arrive.
	Watermark int
	// CPUs are the CPUs to open rings on; nil means every online CPU.
	CPUs []int
}

// Reader reads records from a perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY):
// one ring per CPU, filled by bpf_perf_event_output. Requires Linux 4.3 and
// CAP_PERFMON (or CAP_SYS_ADMIN).
//
// A Reader is a single consumer: Read, ReadInto and Drain must not be called
// concurrently with each other (Pause and Resume may). Close may be called from any
// goroutine at any time; it wakes a blocked read, which returns [ErrClosed].
type Reader struct {
	cur    *ring // the ring being drained, nil between batches
	closed atomic.Bool

	mu      sync.Mutex // serialises the slow path and Close
	rings   []*ring
	next    int // where the next scan for data starts (round robin)
	poll    *epoll.Poller
	m       *bpf.Map
	paused  bool
	lost    atomic.Uint64
	scratch []byte // records that wrap around the end of a ring
	name    string
}

type ring struct {
	cpu  int
	fd   *sys.FD
	mem  []byte         // the whole mapping: the meta page, then the data
	meta unsafe.Pointer // struct perf_event_mmap_page
	data unsafe.Pointer
	mask uint64
	head uint64 // data_head loaded at the start of the batch
	tail uint64 // next record
	pub  uint64 // data_tail last stored
}

// NewReader opens a BPF output perf event on every online CPU (or
// opts.CPUs), maps its ring and stores its fd in the perf event array m at
// the CPU's index. The Reader keeps its own reference to m; the caller must
// Close the Reader, which also removes the fds from the array.
func NewReader(m *bpf.Map, opts *ReaderOptions) (*Reader, error) {
	if m == nil {
		return nil, errors.New("perf: new reader: nil map")
	}
	if m.Type() != bpf.PerfEventArray {
		return nil, fmt.Errorf("map %q: new perf reader: map type is %v, want %v", m.Name(), m.Type(), bpf.PerfEventArray)
	}
	if opts == nil {
		opts = &ReaderOptions{}
	}
	page := os.Getpagesize()
	pages := 64
	if opts.PerCPUBuffer > 0 {
		pages = 1
		for pages*page < opts.PerCPUBuffer {
			pages *= 2
		}
	}
	if opts.Watermark < 0 || opts.Watermark >= pages*page {
		return nil, fmt.Errorf("map %q: new perf reader: watermark %d outside the ring of %d bytes", m.Name(), opts.Watermark, pages*page)
	}
	cpus := opts.CPUs
	if cpus == nil {
		var err error
		if cpus, err = onlineCPUs(); err != nil {
			return nil, fmt.Errorf("map %q: new perf reader: %w", m.Name(), err)
		}
	}
	own, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("map %q: new perf reader: %w", m.Name(), err)
	}
	r := &Reader{m: own, name: m.Name()}
	if err := r.init(cpus, pages, opts.Watermark); err != nil {
		r.release()
		return nil, fmt.Errorf("map %q: new perf reader: %w", m.Name(), err)
	}
	return r, nil
}

func (r *Reader) init(cpus []int, pages, watermark int) error {
	var err error
	if r.poll, err = epoll.New(len(cpus)); err != nil {
		return err
	}
	for i, cpu := range cpus {
		if cpu < 0 || uint32(cpu) >= r.m.MaxEntries() {
			return fmt.Errorf("cpu %d: the array has %d entries", cpu, r.m.MaxEntries())
		}
		rg, err := openRing(cpu, pages, watermark)
		if err != nil {
			return err
		}
		r.rings = append(r.rings, rg)
		if err := r.poll.Add(rg.fd.Int(), unix.EPOLLIN, int32(i)); err != nil {
			return err
		}
	}
	return r.setFDs(true)
}

func openRing(cpu, pages, watermark int) (*ring, error) {
	attr := sys.PerfEventAttr{
		Type:         sys.PERF_TYPE_SOFTWARE,
		Config:       sys.PERF_COUNT_SW_BPF_OUTPUT,
		SampleType:   sys.PERF_SAMPLE_RAW,
		SamplePeriod: 1,
		WakeupEvents: 1,
	}
	if watermark > 0 {
		attr.SetWatermark(1)
		attr.SetWakeupWatermark(uint32(watermark))
	}
	fd, err := sys.PerfEventOpen(&attr, -1, cpu, -1, 0)
	if err != nil {
		return nil, fmt.Errorf("cpu %d: %w", cpu, err)
	}
	page := os.Getpagesize()
	raw, err := fd.Acquire()
	if err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(raw, 0, (1+pages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	fd.Release()
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("cpu %d: mmap ring: %w", cpu, err)
	}
	meta := unsafe.Pointer(&mem[0])
	dataOff := *(*uint64)(unsafe.Add(meta, offDataOffset))
	dataSize := *(*uint64)(unsafe.Add(meta, offDataSize))
	if dataOff == 0 { // kernels before 4.1 leave these fields zero
		dataOff, dataSize = uint64(page), uint64(pages*page)
	}
	rg := &ring{
		cpu:  cpu,
		fd:   fd,
		mem:  mem,
		meta: meta,
		data: unsafe.Add(meta, dataOff),
		mask: dataSize - 1,
	}
	rg.tail = atomic.LoadUint64((*uint64)(unsafe.Add(meta, offDataTail)))
	rg.head, rg.pub = rg.tail, rg.tail
	return rg, nil
}

// setFDs stores (or deletes) every ring's fd in the perf event array.
func (r *Reader) setFDs(on bool) error {
	key, val := make([]byte, 4), make([]byte, 4)
	for _, rg := range r.rings {
		binary.NativeEndian.PutUint32(key, uint32(rg.cpu))
		var err error
		if on {
			binary.NativeEndian.PutUint32(val, rg.fd.Uint())
			err = r.m.Update(key, val, bpf.UpdateAny)
		} else {
			err = r.m.Delete(key)
			if errors.Is(err, bpf.ErrKeyNotExist) {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("cpu %d: %w", rg.cpu, err)
		}
	}
	return nil
}

// onlineCPUs parses /sys/devices/system/cpu/online ("0-3,5").
func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, err
	}
	return parseCPUList(strings.TrimSpace(string(b)))
}

func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("parse cpu list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, fmt.Errorf("parse cpu list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// CPUs returns the CPUs the Reader has rings on.
func (r *Reader) CPUs() []int {
	cpus := make([]int, len(r.rings))
	for i, rg := range r.rings {
		cpus[i] = rg.cpu
	}
	return cpus
}

// LostSamples returns the total of the lost-samples records read so far. It
// may be called from any goroutine.
func (r *Reader) LostSamples() uint64 {
	return r.lost.Load()
}

// Pause removes the rings from the perf event array: until Resume,
// bpf_perf_event_output fails (ENOENT) instead of writing, so nothing is
// recorded as lost. Records already in the rings can still be read.
func (r *Reader) Pause() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.setFDs(false); err != nil {
		return fmt.Errorf("map %q: perf reader: pause: %w", r.name, err)
	}
	r.paused = true
	return nil
}

// Resume puts the rings back into the perf event array after Pause.
func (r *Reader) Resume() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.setFDs(true); err != nil {
		return fmt.Errorf("map %q: perf reader: resume: %w", r.name, err)
	}
	r.paused = false
	return nil
}

// record is the position of one record in the current ring.
type record struct {
	sample []byte // aliases the ring, or r.scratch when it wrapped
	lost   uint64
}

// nextRecord consumes the next record of the current batch. ok is false at
// the end of the batch.
func (r *Reader) nextRecord() (rec record, ok bool, err error) {
	rg := r.cur
	if rg == nil {
		return record{}, false, nil
	}
	if rg.tail-rg.pub > rg.mask>>2 {
		rg.publish() // a long batch: free what the previous calls consumed
	}
	for rg.tail < rg.head {
		avail := rg.head - rg.tail
		if avail < headerSize {
			return record{}, false, r.corrupt(rg, "truncated header")
		}
		off := rg.tail & rg.mask
		// Records are 8-byte aligned, so a header never wraps.
		typ := *(*uint32)(unsafe.Add(rg.data, off))
		size := uint64(*(*uint16)(unsafe.Add(rg.data, off+6)))
		if size < headerSize || size > avail {
			return record{}, false, r.corrupt(rg, "bad record size")
		}
		rg.tail += size
		switch typ {
		case recordSample:
			if size < rawSampleOffset {
				return record{}, false, r.corrupt(rg, "short sample")
			}
			body := r.view(rg, off, size)
			n := uint64(binary.NativeEndian.Uint32(body[headerSize:]))
			if n > size-rawSampleOffset {
				return record{}, false, r.corrupt(rg, "sample larger than its record")
			}
			return record{sample: body[rawSampleOffset : rawSampleOffset+n : rawSampleOffset+n]}, true, nil
		case recordLost:
			if size < lostRecordSize {
				return record{}, false, r.corrupt(rg, "short lost record")
			}
			body := r.view(rg, off, size)
			return record{lost: binary.NativeEndian.Uint64(body[headerSize+8:])}, true, nil
		}
		// Other record types (throttling, ...) carry nothing for us.
	}
	return record{}, false, nil
}

// view returns size bytes of the ring at off, in place unless they wrap
// around the end of the ring, then copied into r.scratch.
func (r *Reader) view(rg *ring, off, size uint64) []byte {
	if off+size <= rg.mask+1 {
		return unsafe.Slice((*byte)(unsafe.Add(rg.data, off)), size)
	}
	if uint64(cap(r.scratch)) < size {
		r.scratch = make([]byte, size)
	}
	b := r.scratch[:size]
	r.copyOut(rg, b, off)
	return b
}

// copyOut copies len(dst) bytes of the ring from off, wrapping around.
func (r *Reader) copyOut(rg *ring, dst []byte, off uint64) {
	ringSize := rg.mask + 1
	first := min(uint64(len(dst)), ringSize-off)
	copy(dst, unsafe.Slice((*byte)(unsafe.Add(rg.data, off)), first))
	if first < uint64(len(dst)) {
		copy(dst[first:], unsafe.Slice((*byte)(rg.data), uint64(len(dst))-first))
	}
}

func (r *Reader) corrupt(rg *ring, what string) error {
	if r.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("map %q: perf ring of cpu %d: %s at position %d", r.name, rg.cpu, what, rg.tail)
}

func (rg *ring) publish() {
	atomic.StoreUint64((*uint64)(unsafe.Add(rg.meta, offDataTail)), rg.tail)
	rg.pub = rg.tail
}

// Read returns the next record of any CPU, waiting until there is one. A
// sample's RawSample aliases the ring (or the Reader's scratch buffer if the
// record wrapped around the end of the ring): it is valid until the next call
// on the Reader. Read allocates nothing in the steady state.
//
// Read returns ctx's error, wrapped, when ctx is done while waiting, and
// [ErrClosed] once the Reader is closed.
func (r *Reader) Read(ctx context.Context) (Record, error) {
	for {
		rec, ok, err := r.nextRecord()
		if err != nil {
			return Record{}, err
		}
		if ok {
			if r.closed.Load() {
				return Record{}, ErrClosed
			}
			if rec.lost != 0 {
				r.lost.Add(rec.lost)
			}
			return Record{CPU: r.cur.cpu, RawSample: rec.sample, LostSamples: rec.lost, Remaining: int(r.cur.head - r.cur.tail)}, nil
		}
		if err := r.refill(ctx); err != nil {
			return Record{}, err
		}
	}
}

// ReadInto reads the next record like [Reader.Read] but copies a sample into
// rec.RawSample, reusing its capacity: a loop that reads into the same
// Record allocates nothing once the buffer is large enough. For a
// lost-samples record rec.RawSample is empty (not nil).
func (r *Reader) ReadInto(ctx context.Context, rec *Record) error {
	for {
		next, ok, err := r.nextRecord()
		if err != nil {
			return err
		}
		if ok {
			rec.RawSample = append(rec.RawSample[:0], next.sample...)
			rec.CPU, rec.LostSamples, rec.Remaining = r.cur.cpu, next.lost, int(r.cur.head-r.cur.tail)
			if next.lost != 0 {
				r.lost.Add(next.lost)
			}
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

// Drain waits until at least one ring holds records, then calls fn with
// every record of that ring, in order, and consumes them: the batch read.
// sample aliases the ring and is valid only during the call of fn; for a
// lost-samples record sample is nil and lost is the count. It stops early,
// after consuming the record, when fn returns false. Drain returns the
// number of records passed to fn.
func (r *Reader) Drain(ctx context.Context, fn func(cpu int, sample []byte, lost uint64) bool) (int, error) {
	for {
		count := 0
		for {
			rec, ok, err := r.nextRecord()
			if err != nil {
				return count, err
			}
			if !ok {
				break
			}
			if r.closed.Load() {
				return count, ErrClosed
			}
			if rec.lost != 0 {
				r.lost.Add(rec.lost)
			}
			count++
			if !fn(r.cur.cpu, rec.sample, rec.lost) {
				break
			}
		}
		if count > 0 {
			r.cur.publish()
			return count, nil
		}
		if err := r.refill(ctx); err != nil {
			return 0, err
		}
	}
}

// refill ends the current batch (stores its ring's data_tail), then finds a
// ring with records, round robin, waiting while all are empty.
func (r *Reader) refill(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		r.cur = nil
		return ErrClosed
	}
	if r.cur != nil {
		r.cur.publish()
		r.cur = nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("map %q: perf read: %w", r.name, err)
	}
	for {
		for i := range r.rings {
			rg := r.rings[(r.next+i)%len(r.rings)]
			head := atomic.LoadUint64((*uint64)(unsafe.Add(rg.meta, offDataHead)))
			if head != rg.tail {
				rg.head = head
				r.cur = rg
				r.next = (r.next + i + 1) % len(r.rings)
				return nil
			}
		}
		if _, err := r.poll.Wait(ctx, &r.closed); err != nil {
			if errors.Is(err, ErrClosed) {
				return ErrClosed
			}
			return fmt.Errorf("map %q: perf read: %w", r.name, err)
		}
	}
}

// Close removes the rings from the perf event array, wakes a blocked read
// (which returns [ErrClosed]) and releases the rings, events and fds. It is
// safe on nil, idempotent, and safe to call concurrently with a read.
func (r *Reader) Close() error {
	if r == nil || r.closed.Swap(true) {
		return nil
	}
	r.poll.Wake()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.release()
}

// release frees everything; with r.mu held (or during construction).
func (r *Reader) release() error {
	var errs []error
	if r.m != nil && !r.paused {
		if err := r.setFDs(false); err != nil && !errors.Is(err, bpf.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, rg := range r.rings {
		// A read on another goroutine may be inside its lock-free part:
		// swap the ring for zero pages instead of unmapping it under its
		// feet; the pages go when the Reader is collected.
		ptr := unsafe.Pointer(&rg.mem[0])
		if _, err := unix.MmapPtr(-1, 0, ptr, uintptr(len(rg.mem)), unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED); err != nil {
			errs = append(errs, fmt.Errorf("cpu %d: retire ring: %w", rg.cpu, err))
		}
		runtime.AddCleanup(r, func(mem []byte) { unix.Munmap(mem) }, rg.mem)
		errs = append(errs, rg.fd.Close())
	}
	if r.poll != nil {
		errs = append(errs, r.poll.Close())
	}
	errs = append(errs, r.m.Close())
	return errors.Join(errs...)
}
