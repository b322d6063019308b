//go:build linux

package perf

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

// fakeReader is a Reader over one ring in Go memory.
func fakeReader(data []byte, head uint64) *Reader {
	meta := make([]byte, 4096)
	rg := &ring{
		meta: unsafe.Pointer(&meta[0]),
		data: unsafe.Pointer(&data[0]),
		mask: uint64(len(data) - 1),
		head: head,
	}
	return &Reader{cur: rg, rings: []*ring{rg}, name: "fake"}
}

func perfRecord(typ uint32, body []byte) []byte {
	size := (headerSize + len(body) + 7) &^ 7
	b := make([]byte, size)
	binary.NativeEndian.PutUint32(b, typ)
	binary.NativeEndian.PutUint16(b[6:], uint16(size))
	copy(b[headerSize:], body)
	return b
}

func rawSample(data []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(len(data)))
	return perfRecord(recordSample, append(b, data...))
}

func lostRecord(n uint64) []byte {
	b := binary.NativeEndian.AppendUint64(nil, 1) // id
	return perfRecord(recordLost, binary.NativeEndian.AppendUint64(b, n))
}

func TestNextRecordWraps(t *testing.T) {
	// A 64-byte ring read from position 48: the sample wraps around its end.
	data := make([]byte, 64)
	stream := append(rawSample([]byte("wrap-around!")), lostRecord(7)...) // 24 + 24 bytes
	const start = 48
	for i, b := range stream {
		data[(start+i)%64] = b
	}
	r := fakeReader(data, start+uint64(len(stream)))
	r.cur.tail = start
	var got []string
	var lostN uint64
	for {
		rec, ok, err := r.nextRecord()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lostN += rec.lost
		if rec.lost == 0 {
			got = append(got, string(rec.sample))
		}
	}
	if len(got) != 1 || got[0] != "wrap-around!" || lostN != 7 {
		t.Fatalf("samples %q, lost %d", got, lostN)
	}
	// A record claiming more than the produced bytes is an error.
	bad := make([]byte, 64)
	copy(bad, perfRecord(recordSample, make([]byte, 40)))
	if _, _, err := fakeReader(bad, 16).nextRecord(); err == nil {
		t.Fatal("truncated record accepted")
	}
}

// FuzzNextRecord walks arbitrary ring contents: no panic, samples within
// their records.
func FuzzNextRecord(f *testing.F) {
	f.Add(append(rawSample([]byte("hello")), lostRecord(3)...), uint16(48))
	f.Add(rawSample(make([]byte, 100)), uint16(112))
	f.Add(perfRecord(99, []byte("x")), uint16(16))
	f.Fuzz(func(t *testing.T, in []byte, head uint16) {
		const size = 256
		data := make([]byte, size)
		copy(data, in)
		r := fakeReader(data, uint64(head)%(size+1))
		for i := 0; ; i++ {
			rec, ok, err := r.nextRecord()
			if err != nil || !ok {
				break
			}
			if len(rec.sample) > size {
				t.Fatalf("sample of %d bytes from a %d-byte ring", len(rec.sample), size)
			}
			if r.cur.tail > r.cur.head {
				t.Fatalf("tail %d past head %d", r.cur.tail, r.cur.head)
			}
			if i > size {
				t.Fatal("no progress")
			}
		}
	})
}
