package mem_test

import (
	"bytes"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/mem"
)

// sim runs the straight-line memory instructions the package emits (st, stx, ldx and 64-bit
// immediate loads) on a 128-byte stack in Go, checking that every stack access is naturally
// aligned, as the verifier does. R10 points at the end of the stack.
type sim struct {
	t     testing.TB
	stack [128]byte
	regs  [11]uint64
}

func (s *sim) addr(base asm.Register, off int16, n int) []byte {
	if base != asm.R10 {
		s.t.Fatalf("access through %v: only the stack is simulated", base)
	}
	at := len(s.stack) + int(off)
	if at < 0 || at+n > len(s.stack) {
		s.t.Fatalf("access at r10%+d size %d outside the stack", off, n)
	}
	if at%n != 0 {
		s.t.Fatalf("misaligned stack access at r10%+d size %d", off, n)
	}
	return s.stack[at : at+n]
}

func put(b []byte, v uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(v)
	case 2:
		ne.PutUint16(b, uint16(v))
	case 4:
		ne.PutUint32(b, uint32(v))
	case 8:
		ne.PutUint64(b, v)
	}
}

func get(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(ne.Uint16(b))
	case 4:
		return uint64(ne.Uint32(b))
	}
	return ne.Uint64(b)
}

func (s *sim) run(insns asm.Instructions) {
	for _, ins := range insns {
		op := ins.OpCode
		n := op.Size().Sizeof()
		switch {
		case ins.IsLoadImm64():
			s.regs[ins.Dst] = uint64(ins.Constant)
		case op.Class() == asm.ClassST:
			put(s.addr(ins.Dst, ins.Offset, n), uint64(ins.Constant))
		case op.Class() == asm.ClassSTX:
			put(s.addr(ins.Dst, ins.Offset, n), s.regs[ins.Src])
		case op.Class() == asm.ClassLDX:
			s.regs[ins.Dst] = get(s.addr(ins.Src, ins.Offset, n))
		default:
			s.t.Fatalf("unexpected instruction %v", ins)
		}
	}
}

// FuzzStoreBytes: StoreBytes writes exactly its bytes, at any offset, with aligned stores only.
func FuzzStoreBytes(f *testing.F) {
	f.Add(int8(-64), []byte{1, 2, 3})
	f.Add(int8(-61), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(int8(-40), bytes.Repeat([]byte{0x80, 1, 2, 3, 4, 5, 6, 7}, 4))
	f.Fuzz(func(t *testing.T, off int8, b []byte) {
		if off >= 0 || int(off)+len(b) > 0 || -int(off) > 128 {
			return
		}
		for _, scratch := range []asm.Register{asm.R2, mem.NoScratch} {
			s := &sim{t: t}
			for i := range s.stack {
				s.stack[i] = 0xaa
			}
			s.run(mem.StoreBytes(asm.R10, int16(off), b, scratch))
			want := bytes.Repeat([]byte{0xaa}, 128)
			copy(want[128+int(off):], b)
			if !bytes.Equal(s.stack[:], want) {
				t.Fatalf("StoreBytes(r10%+d, %x): stack %x, want %x", off, b, s.stack, want)
			}
		}
	})
}

// FuzzCopy: Copy8 and Copy4 copy exactly n bytes between any two non-overlapping offsets with
// aligned moves.
func FuzzCopy(f *testing.F) {
	f.Add(int8(-64), int8(-32), uint8(19))
	f.Add(int8(-61), int8(-27), uint8(16))
	f.Add(int8(-128), int8(-8), uint8(8))
	f.Fuzz(func(t *testing.T, src, dst int8, n uint8) {
		s0, d0, ln := 128+int(src), 128+int(dst), int(n)
		if src >= 0 || dst >= 0 || s0+ln > 128 || d0+ln > 128 || (s0 < d0+ln && d0 < s0+ln) {
			return
		}
		for name, gen := range map[string]func(asm.Register, int16, asm.Register, int16, int, asm.Register) asm.Instructions{
			"Copy8": mem.Copy8, "Copy4": mem.Copy4,
		} {
			s := &sim{t: t}
			for i := range s.stack {
				s.stack[i] = byte(i)
			}
			want := s.stack
			copy(want[d0:d0+ln], want[s0:s0+ln])
			s.run(gen(asm.R10, int16(dst), asm.R10, int16(src), ln, asm.R2))
			if s.stack != want {
				t.Fatalf("%s(r10%+d <- r10%+d, %d): stack %x, want %x", name, dst, src, ln, s.stack, want)
			}
		}
	})
}

// FuzzMemset64: aligned words read back as v; nothing outside [off, off+n) changes.
func FuzzMemset64(f *testing.F) {
	f.Add(int8(-64), uint64(0x1122334455667788), uint8(20))
	f.Add(int8(-13), uint64(7), uint8(13))
	f.Fuzz(func(t *testing.T, off int8, v uint64, n uint8) {
		if off >= 0 || int(off)+int(n) > 0 || -int(off) > 128 {
			return
		}
		s := &sim{t: t}
		s.run(mem.Memset64(asm.R10, int16(off), v, int(n), asm.R2))
		for i := range 128 {
			rel := i - (128 + int(off))
			inside := rel >= 0 && rel < int(n)
			var w [8]byte
			ne.PutUint64(w[:], v)
			want := byte(0)
			if inside {
				want = w[i%8] // the stack's end is 8-byte aligned: absolute position mod 8
			}
			if s.stack[i] != want {
				t.Fatalf("Memset64(r10%+d, %#x, %d): byte %d is %#x, want %#x", off, v, n, i-128, s.stack[i], want)
			}
		}
	})
}
