package event

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func TestNewLayoutAlignment(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		offsets []int
		size    int
	}{
		{"[:u32 :u64 :u32]", []int{0, 8, 16}, 24},
		{"[:u8 :u16 :u8]", []int{0, 2, 4}, 6},
		{"[:u8 :u8[3] :u32]", []int{0, 1, 4}, 8},
		{"[:u64]", []int{0}, 8},
		{"[:u16 :char[5]]", []int{0, 2}, 8},
		{"pid:u32, comm:u8[16], ts:__u64", []int{0, 4, 24}, 32},
		{"[:i8 :int64_t :uint16_t]", []int{0, 8, 16}, 24},
		{"[:u8[7]]", []int{0}, 7},
	} {
		l, err := ParseLayout(tc.spec)
		if err != nil {
			t.Errorf("ParseLayout(%q): %v", tc.spec, err)
			continue
		}
		var offs []int
		for _, f := range l.Fields() {
			offs = append(offs, f.Offset)
		}
		if !reflect.DeepEqual(offs, tc.offsets) || l.Size() != tc.size {
			t.Errorf("%q: offsets %v size %d, want %v size %d", tc.spec, offs, l.Size(), tc.offsets, tc.size)
		}
		// String round-trips.
		l2, err := ParseLayout(l.String())
		if err != nil || !reflect.DeepEqual(l2.Fields(), l.Fields()) {
			t.Errorf("%q: String %q does not round-trip: %v", tc.spec, l.String(), err)
		}
	}
}

func TestParseLayoutErrors(t *testing.T) {
	for _, spec := range []string{"", "[]", "[:u32", ":u33", ":f32", ":u8[0]", ":u8[x]", ":u32[2]", ":u8[2", "[:u8[9999999999]]"} {
		if l, err := ParseLayout(spec); err == nil {
			t.Errorf("ParseLayout(%q) = %v, want an error", spec, l)
		}
	}
	if _, err := NewLayout(Field{Kind: Kind(99)}); err == nil {
		t.Error("NewLayout accepted an unknown kind")
	}
}

func TestParseSerializeRoundTrip(t *testing.T) {
	l := MustLayout(Field{Name: "pid", Kind: U32}, Field{Name: "ts", Kind: U64}, Field{Name: "count", Kind: U32})
	b, err := l.Serialize(1234, uint64(9876543210), uint32(42))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 24 {
		t.Fatalf("serialized %d bytes, want 24", len(b))
	}
	want := make([]byte, 24)
	binary.NativeEndian.PutUint32(want[0:], 1234)
	binary.NativeEndian.PutUint64(want[8:], 9876543210)
	binary.NativeEndian.PutUint32(want[16:], 42)
	if !bytes.Equal(b, want) {
		t.Fatalf("serialized %x, want %x", b, want)
	}
	vals, err := l.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vals, []any{uint32(1234), uint64(9876543210), uint32(42)}) {
		t.Fatalf("parsed %#v", vals)
	}
	if v, err := l.Uint(b, l.Index("ts")); err != nil || v != 9876543210 {
		t.Fatalf("Uint(ts) = %d, %v", v, err)
	}
	if _, err := l.Parse(b[:23]); err == nil {
		t.Fatal("Parse accepted a short record")
	}
}

func TestSerializeRanges(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		v    any
		ok   bool
	}{
		{U8, 255, true}, {U8, 256, false}, {U8, -1, false},
		{I8, -128, true}, {I8, 127, true}, {I8, 128, false}, {I8, -129, false},
		{U16, uint16(65535), true}, {I16, int16(-32768), true},
		{U32, int64(1) << 32, false}, {I32, int64(-1) << 31, true}, {I32, int64(1) << 31, false},
		{U64, uint64(1<<64 - 1), true}, {U64, -1, false}, {I64, uint64(1 << 63), false}, {I64, int64(-1 << 63), true},
		{U32, "x", false}, {U32, 1.5, false},
	} {
		l := MustLayout(Field{Kind: tc.kind})
		_, err := l.Serialize(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("%v <- %v (%T): err %v, want ok=%v", tc.kind, tc.v, tc.v, err, tc.ok)
		}
	}
	l := MustLayout(Field{Kind: I16}, Field{Kind: Bytes, Len: 4})
	b, err := l.Serialize(-2, "ab")
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := l.Parse(b)
	if vals[0] != int16(-2) || !bytes.Equal(vals[1].([]byte), []byte("ab\x00\x00")) {
		t.Fatalf("parsed %#v", vals)
	}
	if u, _ := l.Uint(b, 0); u != ^uint64(1) {
		t.Fatalf("Uint of -2 = %#x", u)
	}
	if _, err := l.Serialize(1, "abcde"); err == nil {
		t.Fatal("accepted 5 bytes for 4")
	}
	if _, err := l.Serialize(1); err == nil {
		t.Fatal("accepted too few values")
	}
}

type execEvent struct {
	PID   uint32
	_     uint32
	TS    uint64
	Comm  [16]byte
	Flags struct{ A, B uint16 }
	Args  [2]int32
}

type badEvent struct {
	P *int
}

func TestLayoutOf(t *testing.T) {
	l, err := LayoutOf[execEvent]()
	if err != nil {
		t.Fatal(err)
	}
	if l.Size() != 48 {
		t.Fatalf("size %d, want 48", l.Size())
	}
	if got := l.String(); got != "[PID:u32 _:u32 TS:u64 Comm:u8[16] Flags.A:u16 Flags.B:u16 Args[0]:i32 Args[1]:i32]" {
		t.Fatalf("layout %s", got)
	}
	if _, err := LayoutOf[badEvent](); err == nil || !strings.Contains(err.Error(), "P") {
		t.Fatalf("LayoutOf accepted a pointer: %v", err)
	}
	if _, err := LayoutOf[int](); err == nil {
		t.Fatal("LayoutOf accepted an int")
	}
	// Go pads where C does: a u8 before a u64.
	type padded struct {
		A uint8
		B uint64
	}
	if l, err := LayoutOf[padded](); err != nil || l.Size() != 16 || l.Fields()[1].Offset != 8 {
		t.Fatalf("padded: %v, %v", l, err)
	}
}

func TestCodec(t *testing.T) {
	c, err := NewCodec[execEvent]()
	if err != nil {
		t.Fatal(err)
	}
	in := execEvent{PID: 7, TS: 1 << 40, Args: [2]int32{-1, 2}}
	copy(in.Comm[:], "bash")
	b := c.Append(nil, &in)
	// The dynamic layout reads what the codec wrote.
	vals, err := c.Layout().Parse(b)
	if err != nil || vals[0] != uint32(7) || vals[2] != uint64(1<<40) || vals[6] != int32(-1) {
		t.Fatalf("layout parse of codec bytes: %v, %v", vals, err)
	}
	// Unaligned and padded input.
	buf := append([]byte{0xff}, b...)
	buf = append(buf, 1, 2, 3)
	var out execEvent
	if err := c.Decode(buf[1:], &out); err != nil || out != in {
		t.Fatalf("decode: %+v, %v", out, err)
	}
	if _, err := c.Parse(b[:10]); err == nil {
		t.Fatal("decoded a short record")
	}
	if allocs := testing.AllocsPerRun(100, func() { c.Decode(b, &out) }); allocs != 0 {
		t.Fatalf("Decode allocates %v times", allocs)
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	c, _ := NewCodec[execEvent]()
	rec := make([]byte, 48)
	var v execEvent
	b.ReportAllocs()
	b.SetBytes(48)
	for b.Loop() {
		c.Decode(rec, &v)
	}
}

func BenchmarkLayoutUint(b *testing.B) {
	l := MustLayout(Field{Kind: U32}, Field{Kind: U64}, Field{Kind: U32})
	rec := make([]byte, 24)
	b.ReportAllocs()
	for b.Loop() {
		l.Uint(rec, 1)
	}
}
