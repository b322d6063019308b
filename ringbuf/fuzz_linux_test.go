//go:build linux

package ringbuf

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

// fakeReader is a Reader over Go memory laid out like a mapped ring: the
// data area twice in a row, as the kernel maps it.
func fakeReader(ring []byte, prod uint64) (*Reader, []byte) {
	size := len(ring)
	mem := make([]byte, 2*size)
	copy(mem, ring)
	copy(mem[size:], ring)
	var cons, p uint64
	p = prod
	r := &Reader{
		data:    unsafe.Pointer(&mem[0]),
		mask:    uint64(size - 1),
		prod:    prod,
		consPos: &cons,
		prodPos: &p,
		size:    size,
		name:    "fake",
	}
	return r, mem
}

// hdr builds a ring record header.
func hdr(n uint32, flags uint32) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint32(b, n|flags)
	return b
}

func TestNextSkipsDiscardedStopsAtBusy(t *testing.T) {
	var ring []byte
	add := func(n, flags uint32, fill byte) {
		ring = append(ring, hdr(n, flags)...)
		for range (n + 7) &^ 7 {
			ring = append(ring, fill)
		}
	}
	add(5, 0, 'a')
	add(3, discardBit, 'x')
	add(8, 0, 'b')
	add(4, busyBit, 'y')
	add(2, 0, 'c')
	prod := uint64(len(ring))
	ring = append(ring, make([]byte, 256-len(ring))...)
	r, mem := fakeReader(ring, prod)
	_ = mem
	var got []string
	for {
		off, n, ok, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(unsafe.Slice((*byte)(unsafe.Add(r.data, off)), n)))
	}
	if len(got) != 2 || got[0] != "aaaaa" || got[1] != "bbbbbbbb" {
		t.Fatalf("records %q, want aaaaa and bbbbbbbb, then stop at the busy one", got)
	}
	// Peek sees the same without consuming.
	r.cons = 0
	n, err := r.Peek(func([]byte) bool { return true })
	if err != nil || n != 2 {
		t.Fatalf("Peek: %d, %v", n, err)
	}
	// A header claiming more than was produced is an error, not a read
	// past the producer.
	r, _ = fakeReader(append(hdr(100, 0), make([]byte, 248)...), 16)
	if _, _, _, err := r.next(); err == nil {
		t.Fatal("oversized record accepted")
	}
}

// FuzzNext walks arbitrary ring contents: no panic, no record outside the
// produced region.
func FuzzNext(f *testing.F) {
	f.Add(append(append(hdr(5, 0), "abcde\x00\x00\x00"...), hdr(3, discardBit)...), uint16(24))
	f.Add(append(hdr(4, busyBit), "abcd\x00\x00\x00\x00"...), uint16(16))
	f.Add(hdr(0xfffffff0, 0), uint16(8))
	f.Fuzz(func(t *testing.T, in []byte, prod uint16) {
		const size = 512
		ring := make([]byte, size)
		copy(ring, in)
		p := uint64(prod) % (size + 1)
		r, _ := fakeReader(ring, p)
		for i := 0; ; i++ {
			before := r.cons
			off, n, ok, err := r.next()
			if err != nil || !ok {
				break
			}
			if r.cons > r.prod || off < before&r.mask+hdrSize || off+uint64(n) > 2*size {
				t.Fatalf("record at %d+%d outside the ring (cons %d prod %d)", off, n, r.cons, r.prod)
			}
			_ = unsafe.Slice((*byte)(unsafe.Add(r.data, off)), n)
			if i > size {
				t.Fatal("no progress")
			}
		}
		r.cons = 0
		r.Peek(func([]byte) bool { return true })
	})
}
