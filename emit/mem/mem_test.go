package mem_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mem"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const regionSize = 64

// pattern is the region's content before a helper runs: distinct bytes, so that a copy from the
// wrong place or a stray write shows.
func pattern() []byte {
	b := make([]byte, regionSize)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}

var ne = asm.NativeEndian()

// memCase is a helper call applied to a 64-byte region at base+regionOff+off, and the bytes it
// should leave there.
type memCase struct {
	name string
	gen  func(base asm.Register, at func(int) int16) asm.Instructions
	want func(b []byte) // applies the expected writes to the region
	// insns is the helper's expected number of instructions (slots) for an 8-aligned region.
	insns int
}

func put64(b []byte, v uint64) { ne.PutUint64(b, v) }

var memCases = []memCase{
	{
		name:  "Zero 16 aligned",
		gen:   func(r asm.Register, at func(int) int16) asm.Instructions { return mem.Zero(r, at(8), 16) },
		want:  func(b []byte) { clear(b[8:24]) },
		insns: 2,
	},
	{
		name:  "Zero 13 misaligned",
		gen:   func(r asm.Register, at func(int) int16) asm.Instructions { return mem.Zero(r, at(3), 13) },
		want:  func(b []byte) { clear(b[3:16]) },
		insns: 3, // 1 + 4 + 8
	},
	{
		name:  "Zero 0",
		gen:   func(r asm.Register, at func(int) int16) asm.Instructions { return mem.Zero(r, at(8), 0) },
		want:  func(b []byte) {},
		insns: 0,
	},
	{
		name:  "ZeroStruct 13 rounds to 16",
		gen:   func(r asm.Register, at func(int) int16) asm.Instructions { return mem.ZeroStruct(r, at(16), 13) },
		want:  func(b []byte) { clear(b[16:32]) },
		insns: 2,
	},
	{
		name: "Memset 0x5c 11 at 2",
		gen:  func(r asm.Register, at func(int) int16) asm.Instructions { return mem.Memset(r, at(2), 0x5c, 11) },
		want: func(b []byte) {
			for i := 2; i < 13; i++ {
				b[i] = 0x5c
			}
		},
		insns: 4, // 2 + 4 + 4 + 1
	},
	{
		name: "Memset 0xff 16 uses 8-byte stores",
		gen:  func(r asm.Register, at func(int) int16) asm.Instructions { return mem.Memset(r, at(24), 0xff, 16) },
		want: func(b []byte) {
			for i := 24; i < 40; i++ {
				b[i] = 0xff
			}
		},
		insns: 2,
	},
	{
		name: "Memset64 with scratch",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Memset64(r, at(8), 0x1122334455667788, 20, asm.R2)
		},
		want: func(b []byte) {
			put64(b[8:], 0x1122334455667788)
			put64(b[16:], 0x1122334455667788)
			var w [8]byte
			put64(w[:], 0x1122334455667788)
			copy(b[24:28], w[:4])
		},
		insns: 5, // two words as 4-byte halves, then the 4-byte tail
	},
	{
		name: "Memset64 without scratch",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Memset64(r, at(32), 0x8000000000000001, 16, mem.NoScratch)
		},
		want: func(b []byte) {
			put64(b[32:], 0x8000000000000001)
			put64(b[40:], 0x8000000000000001)
		},
		insns: 4,
	},
	{
		name:  "StoreImm32",
		gen:   func(r asm.Register, at func(int) int16) asm.Instructions { return mem.StoreImm32(r, at(4), 0xdeadbeef) },
		want:  func(b []byte) { ne.PutUint32(b[4:], 0xdeadbeef) },
		insns: 1,
	},
	{
		name: "StoreImm64 sign-extended",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.StoreImm64(r, at(8), ^uint64(1), asm.R2)
		},
		want:  func(b []byte) { put64(b[8:], ^uint64(1)) },
		insns: 1,
	},
	{
		name: "StoreImm64 wide",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.StoreImm64(r, at(16), 0x0102030405060708, asm.R2)
		},
		want:  func(b []byte) { put64(b[16:], 0x0102030405060708) },
		insns: 3,
	},
	{
		name: "StoreImm64 wide without scratch",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.StoreImm64(r, at(16), 0x0102030405060708, mem.NoScratch)
		},
		want:  func(b []byte) { put64(b[16:], 0x0102030405060708) },
		insns: 2,
	},
	{
		name: "StoreBytes 7 at 3",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.StoreBytes(r, at(3), []byte{1, 2, 3, 4, 5, 6, 7}, asm.R2)
		},
		want:  func(b []byte) { copy(b[3:], []byte{1, 2, 3, 4, 5, 6, 7}) },
		insns: 3, // 1 + 4 + 2
	},
	{
		name: "Copy8 19 bytes aligned",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Copy8(r, at(40), r, at(0), 19, asm.R2)
		},
		want:  func(b []byte) { copy(b[40:59], b[0:19]) },
		insns: 8, // 8 + 8 + 2 + 1
	},
	{
		name: "Copy8 16 bytes misaligned",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Copy8(r, at(44), r, at(4), 16, asm.R2)
		},
		want:  func(b []byte) { copy(b[44:60], b[4:20]) },
		insns: 6, // 4 + 8 + 4
	},
	{
		name: "Copy4 16 bytes",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Copy4(r, at(32), r, at(0), 16, asm.R2)
		},
		want:  func(b []byte) { copy(b[32:48], b[0:16]) },
		insns: 8,
	},
	{
		name: "Copy4 7 bytes",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.Copy4(r, at(33), r, at(1), 7, asm.R2)
		},
		want:  func(b []byte) { copy(b[33:40], b[1:8]) },
		insns: 6, // 1 + 2 + 4
	},
	{
		name: "InitStruct",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			return mem.InitStruct(r, at(8), 24, []mem.Field{
				{Name: "proto", Off: 0, Size: 2, Value: 0x0800},
				{Name: "addr", Off: 4, Size: 4, Value: 0xdeadbeef},
				{Name: "cookie", Off: 8, Size: 8, Value: 0x1122334455667788},
				{Name: "flag", Off: 16, Size: 1, Value: 6},
			}, asm.R2)
		},
		want: func(b []byte) {
			s := b[8:32]
			clear(s)
			ne.PutUint16(s[0:], 0x0800)
			ne.PutUint32(s[4:], 0xdeadbeef)
			put64(s[8:], 0x1122334455667788)
			s[16] = 6
		},
		insns: 5, // proto+addr and cookie as two 4-byte stores each, flag in one st dw
	},
	{
		name: "LoadField and StoreField 4 bytes",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			src := mem.Field{Name: "src", Off: at(4), Size: 4}
			dst := mem.Field{Name: "dst", Off: at(48), Size: 4}
			return append(mem.LoadField(asm.R2, r, src), mem.StoreField(r, dst, asm.R2)...)
		},
		want:  func(b []byte) { copy(b[48:52], b[4:8]) },
		insns: 2,
	},
	{
		name: "LoadField and StoreField 8 and 2 bytes",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			src := mem.Field{Name: "src", Off: at(8), Size: 8}
			dst := mem.Field{Name: "dst", Off: at(50), Size: 2} // low 2 bytes of the u64
			return append(mem.LoadField(asm.R2, r, src), mem.StoreField(r, dst, asm.R2)...)
		},
		want: func(b []byte) {
			v := ne.Uint64(b[8:16])
			ne.PutUint16(b[50:], uint16(v))
		},
		insns: 2,
	},
	{
		name: "StoreFieldImm 2 and 8 bytes",
		gen: func(r asm.Register, at func(int) int16) asm.Instructions {
			a := mem.Field{Name: "port", Off: at(2), Size: 2}
			b := mem.Field{Name: "ts", Off: at(56), Size: 8}
			return append(mem.StoreFieldImm(r, a, 0xabcd, asm.R2), mem.StoreFieldImm(r, b, 0xfedcba9876543210, asm.R2)...)
		},
		want: func(b []byte) {
			ne.PutUint16(b[2:], 0xabcd)
			put64(b[56:], 0xfedcba9876543210)
		},
		insns: 4,
	},
}

func slots(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		n += ins.Slots()
	}
	return n
}

func TestInstructionCounts(t *testing.T) {
	for _, c := range memCases {
		insns := c.gen(asm.R10, func(i int) int16 { return int16(-regionSize + i) })
		if got := slots(insns); got != c.insns {
			t.Errorf("%s: %d slots, want %d:\n%v", c.name, got, c.insns, insns)
		}
	}
}

func newArray(t *testing.T, valueSize uint32) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "region", Type: bpf.Array, KeySize: 4, ValueSize: valueSize, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// lookupValue returns instructions that set R6 to element 0 of m, exiting with XDP_ABORTED when
// the lookup fails. It uses the slot key.
func lookupValue(m *bpf.Map, key emit.Slot) asm.Instructions {
	insns := asm.Instructions{asm.St(asm.W, asm.R10, key.Off, 0), asm.LoadMap(asm.R1, m)}
	insns = append(insns, key.Addr(asm.R2)...)
	return append(insns,
		asm.Call(asm.FnMapLookupElem),
		asm.MovReg(asm.R6, asm.R0),
		asm.JmpImmOff(asm.JNE, asm.R6, 0, 2),
		asm.MovImm(asm.R0, asm.XDPAborted),
		asm.Exit(),
	)
}

func run(t *testing.T, insns asm.Instructions) {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "mem_test", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	defer prog.Close()
	res, err := prog.Run(&bpf.RunOptions{Data: packet.Spec{}.MustBuild()})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != asm.XDPPass {
		t.Fatalf("returned %d, want XDP_PASS", res.ReturnValue)
	}
}

func readRegion(t *testing.T, m *bpf.Map) []byte {
	t.Helper()
	got := make([]byte, regionSize)
	if err := m.Lookup([]byte{0, 0, 0, 0}, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestKernelMapValue applies each helper to a map value (base register R6) prefilled from Go,
// and checks every byte of the value.
func TestKernelMapValue(t *testing.T) {
	testutil.RequireRoot(t)
	for _, c := range memCases {
		t.Run(c.name, func(t *testing.T) {
			m := newArray(t, regionSize)
			if err := m.Update([]byte{0, 0, 0, 0}, pattern(), bpf.UpdateAny); err != nil {
				t.Fatal(err)
			}
			st := emit.NewStack()
			key := st.MustAlloc("key", 4)
			insns := lookupValue(m, key)
			insns = append(insns, c.gen(asm.R6, func(i int) int16 { return int16(i) })...)
			insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
			run(t, insns)
			want := pattern()
			c.want(want)
			if got := readRegion(t, m); !bytes.Equal(got, want) {
				t.Errorf("map value:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestKernelStack applies each helper to a 64-byte stack slot that the program first fills with
// the pattern (byte stores), then copies the slot to a map value with byte moves, independent of
// the package, and checks every byte.
func TestKernelStack(t *testing.T) {
	testutil.RequireRoot(t)
	for _, c := range memCases {
		t.Run(c.name, func(t *testing.T) {
			m := newArray(t, regionSize)
			st := emit.NewStack()
			region := st.MustAlloc("region", regionSize)
			key := st.MustAlloc("key", 4)
			insns := lookupValue(m, key)
			for i, b := range pattern() {
				insns = append(insns, asm.St(asm.B, asm.R10, region.At(int16(i)), int32(b)))
			}
			insns = append(insns, c.gen(asm.R10, func(i int) int16 { return region.At(int16(i)) })...)
			for i := range regionSize {
				insns = append(insns,
					asm.Ldx(asm.B, asm.R1, asm.R10, region.At(int16(i))),
					asm.Stx(asm.B, asm.R6, asm.R1, int16(i)))
			}
			insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
			run(t, insns)
			want := pattern()
			c.want(want)
			if got := readRegion(t, m); !bytes.Equal(got, want) {
				t.Errorf("stack:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestInvalid checks that bad arguments make the program fail to assemble with a message naming
// the problem, instead of panicking or writing the wrong bytes.
func TestInvalid(t *testing.T) {
	cases := []struct {
		name  string
		insns asm.Instructions
		want  string
	}{
		{"field outside", mem.InitStruct(asm.R10, -16, 8, []mem.Field{{Name: "x", Off: 6, Size: 4}}, asm.R2), "outside the 8-byte struct"},
		{"field size", mem.LoadField(asm.R2, asm.R6, mem.Field{Name: "x", Size: 3}), "size 3"},
		{"negative", mem.Zero(asm.R10, -8, -1), "negative size"},
	}
	for _, c := range cases {
		_, err := append(c.insns, asm.Exit()).Encode()
		if !errors.Is(err, asm.ErrUnknownLabel) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want unknown label naming %q", c.name, err, c.want)
		}
		if !strings.Contains(err.Error(), "mem_test.go") {
			t.Errorf("%s: error %v does not name the caller's file", c.name, err)
		}
	}
}

func BenchmarkInitStruct(b *testing.B) {
	fields := []mem.Field{{Off: 0, Size: 2, Value: 0x800}, {Off: 4, Size: 4, Value: 1}, {Off: 8, Size: 8, Value: 1 << 40}}
	b.ReportAllocs()
	for b.Loop() {
		mem.InitStruct(asm.R10, -24, 24, fields, asm.R2)
	}
}

// TestSourcePositions: every instruction points at the caller and names the mem helper, also
// for helpers built from others (StoreFieldImm on an 8-byte field) and for invalid arguments.
func TestSourcePositions(t *testing.T) {
	for name, insns := range map[string]asm.Instructions{
		"mem.InitStruct":    mem.InitStruct(asm.R10, -24, 24, []mem.Field{{Off: 8, Size: 8, Value: 1 << 40}}, asm.R2),
		"mem.StoreFieldImm": mem.StoreFieldImm(asm.R6, mem.Field{Off: 8, Size: 8}, 1<<40, asm.R2),
		"mem.Copy8":         mem.Copy8(asm.R10, -16, asm.R6, 3, 16, asm.R2),
		"mem.LoadField":     mem.LoadField(asm.R2, asm.R6, mem.Field{Size: 5}),
	} {
		for _, ins := range insns {
			pos, ok := ins.Source()
			if !ok || pos.Helper != name || !strings.HasSuffix(pos.File, "mem_test.go") {
				t.Errorf("%s: %v has source %v (ok %v)", name, ins, pos, ok)
			}
		}
	}
}
