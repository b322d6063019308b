// Package mem generates instruction sequences that zero, fill, copy and initialise memory: stack
// slots, map values and packet bytes. It is the port of clj-ebpf's clj-ebpf.memory namespace.
//
// Every function addresses memory as a base register plus a constant offset: asm.R10 with the
// offset of a slot from [emit.Stack] for the stack (`mem.Zero(asm.R10, key.Off, 16)`), or a
// register holding a map value or packet pointer. Stores and moves use the widest width that is
// naturally aligned at the absolute offset (the verifier insists on aligned stack accesses), so
// sizes need not be multiples of 4 or 8: the remainder is written with narrower moves. Alignment
// is judged from the offset alone, assuming the base register is 8-byte aligned (R10 and map
// values are).
//
// Invalid arguments (an unknown field size, a field outside its struct) cannot be reported by a
// function that returns only instructions; they produce a jump to a label named "invalid: ..."
// that no program defines, so assembling the program fails with an unknown-label error that
// names the problem and the Go line that called the helper.
package mem

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
)

// NoScratch, passed where a function takes a scratch register, tells it to do without one: a
// 64-bit value that does not fit a sign-extended 32-bit immediate is then stored with two 4-byte
// stores instead of a 64-bit immediate load and one 8-byte store.
const NoScratch asm.Register = 0xff

// invalid returns a jump to a label no program defines, so that assembly fails naming the
// problem (see the package documentation).
func invalid(helper, format string, args ...any) asm.Instructions {
	return asm.Attribute(helper, asm.Instructions{
		asm.Ja("invalid: " + helper + ": " + fmt.Sprintf(format, args...)),
	})
}

// width returns the widest access size (at most max bytes, at most n) that is naturally aligned
// at all of the given offsets.
func width(max, n int, offs ...int) int {
	w := max
	for w > n {
		w >>= 1
	}
	for w > 1 {
		ok := true
		for _, o := range offs {
			if o%w != 0 {
				ok = false
				break
			}
		}
		if ok {
			break
		}
		w >>= 1
	}
	return w
}

func sizeOf(n int) asm.Size {
	switch n {
	case 8:
		return asm.DW
	case 4:
		return asm.W
	case 2:
		return asm.H
	}
	return asm.B
}

// wordCount returns how many of the 8-byte aligned words storeBytes writes from image equal v.
func wordCount(image []byte, off int16, v uint64) int {
	ne := asm.NativeEndian()
	n := 0
	for i := 0; i < len(image); {
		w := width(8, len(image)-i, int(off)+i)
		if w == 8 && ne.Uint64(image[i:i+8]) == v {
			n++
		}
		i += w
	}
	return n
}

// storeBytes appends the stores that write image to base+off: immediate stores of the widest
// aligned width; an 8-byte chunk whose value does not fit a sign-extended imm32 goes through
// scratch (loaded once per distinct value) or, with NoScratch, as two 4-byte stores.
func storeBytes(insns asm.Instructions, base asm.Register, off int16, image []byte, scratch asm.Register) asm.Instructions {
	ne := asm.NativeEndian()
	// An 8-byte value that needs a 64-bit immediate load (2 slots) and a register store costs
	// 3 slots the first time and 1 after; two 4-byte immediate stores cost 2. Use scratch for
	// values that repeat at least 3 times.
	if insns == nil {
		insns = make(asm.Instructions, 0, len(image)/8+3)
	}
	var loaded uint64
	haveLoaded := false
	for i := 0; i < len(image); {
		at := int(off) + i
		w := width(8, len(image)-i, at)
		chunk := image[i : i+w]
		switch w {
		case 8:
			v := ne.Uint64(chunk)
			switch {
			case int64(int32(int64(v))) == int64(v):
				insns = append(insns, asm.St(asm.DW, base, int16(at), int32(int64(v))))
			case scratch != NoScratch && (haveLoaded && loaded == v || wordCount(image, off, v) >= 3):
				if !haveLoaded || loaded != v {
					insns = append(insns, asm.LoadImm64(scratch, int64(v)))
					loaded, haveLoaded = v, true
				}
				insns = append(insns, asm.Stx(asm.DW, base, scratch, int16(at)))
			default:
				insns = append(insns,
					asm.St(asm.W, base, int16(at), int32(ne.Uint32(chunk[:4]))),
					asm.St(asm.W, base, int16(at+4), int32(ne.Uint32(chunk[4:]))))
			}
		case 4:
			insns = append(insns, asm.St(asm.W, base, int16(at), int32(ne.Uint32(chunk))))
		case 2:
			insns = append(insns, asm.St(asm.H, base, int16(at), int32(ne.Uint16(chunk))))
		default:
			insns = append(insns, asm.St(asm.B, base, int16(at), int32(chunk[0])))
		}
		i += w
	}
	return insns
}

// StoreBytes writes the bytes b to base+off with immediate stores (BPF_ST), widest aligned first.
// It writes exactly len(b) bytes. An 8-byte chunk whose value does not fit a sign-extended 32-bit
// immediate is written as two 4-byte stores, or, when the same value appears at least 3 times,
// loaded once into scratch (a 64-bit immediate load) and stored from there; pass [NoScratch] to
// never use a register. Stores are not atomic as a whole: a concurrent reader of a map value may
// see a partly written image.
//
// Reads base. Writes memory [base+off, base+off+len(b)). Clobbers scratch (see above).
func StoreBytes(base asm.Register, off int16, b []byte, scratch asm.Register) asm.Instructions {
	return asm.Attribute("mem.StoreBytes", storeBytes(nil, base, off, b, scratch))
}

// Zero writes n zero bytes at base+off (clj-ebpf's build-zero-bytes, which needed n to be a
// multiple of 4; any n works here). It uses 8-byte immediate stores where the offset is 8-byte
// aligned, and narrower stores for the rest: n/8 + (n%8 != 0 ? up to 3 : 0) instructions.
//
// Reads base. Writes memory [base+off, base+off+n). No register is clobbered.
func Zero(base asm.Register, off int16, n int) asm.Instructions {
	if n < 0 {
		return invalid("mem.Zero", "negative size %d", n)
	}
	return asm.Attribute("mem.Zero", storeBytes(nil, base, off, make([]byte, n), NoScratch))
}

// ZeroStruct zeroes a struct of size bytes at base+off together with the tail padding that makes
// its size a multiple of 4, as clj-ebpf's build-zero-struct does: it writes (size+3)&^3 bytes.
//
// Reads base. Writes memory [base+off, base+off+(size+3)&^3). No register is clobbered.
func ZeroStruct(base asm.Register, off int16, size int) asm.Instructions {
	if size < 0 {
		return invalid("mem.ZeroStruct", "negative size %d", size)
	}
	return asm.Attribute("mem.ZeroStruct", storeBytes(nil, base, off, make([]byte, (size+3)&^3), NoScratch))
}

// Memset fills n bytes at base+off with the byte b (clj-ebpf's build-memset). 8-byte stores are
// used only for 0x00 and 0xff, whose pattern is a sign-extended 32-bit immediate; other bytes are
// written with 4-byte stores.
//
// Reads base. Writes memory [base+off, base+off+n). No register is clobbered.
func Memset(base asm.Register, off int16, b byte, n int) asm.Instructions {
	if n < 0 {
		return invalid("mem.Memset", "negative size %d", n)
	}
	img := make([]byte, n)
	for i := range img {
		img[i] = b
	}
	return asm.Attribute("mem.Memset", storeBytes(nil, base, off, img, NoScratch))
}

// Memset64 fills n bytes at base+off with copies of the 64-bit value v as it lies in memory on
// this host (clj-ebpf's build-memset-dw): byte i of the region is byte (off+i) mod 8 of v's
// memory image, so every 8-byte word at an 8-byte aligned offset reads back as v, and with an
// aligned off and n a multiple of 8 the region is n/8 copies of v. A value that does not fit a
// sign-extended 32-bit immediate is written as two 4-byte stores per word, or, from 3 words on,
// loaded once into scratch (a 64-bit immediate load, two slots) and stored from there; pass
// [NoScratch] to never use a register.
//
// Reads base. Writes memory [base+off, base+off+n). Clobbers scratch (see above).
func Memset64(base asm.Register, off int16, v uint64, n int, scratch asm.Register) asm.Instructions {
	if n < 0 {
		return invalid("mem.Memset64", "negative size %d", n)
	}
	var word [8]byte
	asm.NativeEndian().PutUint64(word[:], v)
	img := make([]byte, n)
	for i := range img {
		// The pattern follows the absolute offset so that aligned words read back as v.
		img[i] = word[((int(off)+i)%8+8)%8]
	}
	return asm.Attribute("mem.Memset64", storeBytes(nil, base, off, img, scratch))
}

// StoreImm32 stores the 32-bit value v at base+off (clj-ebpf's build-store-immediate-w): one
// instruction, *(u32 *)(base + off) = v.
//
// Reads base. Writes memory [base+off, base+off+4). No register is clobbered.
func StoreImm32(base asm.Register, off int16, v uint32) asm.Instructions {
	return asm.Attribute("mem.StoreImm32", asm.Instructions{asm.St(asm.W, base, off, int32(v))})
}

// StoreImm64 stores the 64-bit value v at base+off (clj-ebpf's build-store-immediate-dw). A value
// that fits a sign-extended 32-bit immediate takes one store; any other goes through scratch (a
// 64-bit immediate load and a register store), or with [NoScratch] two 4-byte stores.
//
// Reads base. Writes memory [base+off, base+off+8). Clobbers scratch (see above).
func StoreImm64(base asm.Register, off int16, v uint64, scratch asm.Register) asm.Instructions {
	return asm.Attribute("mem.StoreImm64", storeImm64(base, off, v, scratch))
}

func storeImm64(base asm.Register, off int16, v uint64, scratch asm.Register) asm.Instructions {
	switch {
	case int64(int32(int64(v))) == int64(v):
		return asm.Instructions{asm.St(asm.DW, base, off, int32(int64(v)))}
	case scratch != NoScratch:
		return asm.Instructions{asm.LoadImm64(scratch, int64(v)), asm.Stx(asm.DW, base, scratch, off)}
	}
	var b [8]byte
	ne := asm.NativeEndian()
	ne.PutUint64(b[:], v)
	return asm.Instructions{
		asm.St(asm.W, base, off, int32(ne.Uint32(b[:4]))),
		asm.St(asm.W, base, off+4, int32(ne.Uint32(b[4:]))),
	}
}

// copyN appends the moves that copy n bytes from src+srcOff to dst+dstOff through scratch, each
// at most max bytes wide and aligned at both ends.
func copyN(insns asm.Instructions, dst asm.Register, dstOff int16, src asm.Register, srcOff int16, n, max int, scratch asm.Register) asm.Instructions {
	for i := 0; i < n; {
		w := width(max, n-i, int(dstOff)+i, int(srcOff)+i)
		sz := sizeOf(w)
		insns = append(insns,
			asm.Ldx(sz, scratch, src, srcOff+int16(i)),
			asm.Stx(sz, dst, scratch, dstOff+int16(i)))
		i += w
	}
	return insns
}

// Copy8 copies n bytes from src+srcOff to dst+dstOff through scratch with 8-byte moves (a load
// and a store each) where both ends are 8-byte aligned, and 4-, 2- and 1-byte moves for the rest
// (clj-ebpf's build-memcpy-stack-dw, which needed n to be a multiple of 8). The regions must not
// overlap unless dst is below src. Copying 16 aligned bytes takes 4 instructions.
//
// Reads src, dst and memory [src+srcOff, +n). Writes memory [dst+dstOff, +n). Clobbers scratch.
func Copy8(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, n int, scratch asm.Register) asm.Instructions {
	if n < 0 {
		return invalid("mem.Copy8", "negative size %d", n)
	}
	return asm.Attribute("mem.Copy8", copyN(nil, dst, dstOff, src, srcOff, n, 8, scratch))
}

// Copy4 is [Copy8] with moves of at most 4 bytes (clj-ebpf's build-memcpy-stack), for memory
// whose 8-byte loads are unwelcome (packet data on architectures with strict alignment, where the
// kernel offsets packets by NET_IP_ALIGN). Copying 16 aligned bytes takes 8 instructions.
//
// Reads src, dst and memory [src+srcOff, +n). Writes memory [dst+dstOff, +n). Clobbers scratch.
func Copy4(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, n int, scratch asm.Register) asm.Instructions {
	if n < 0 {
		return invalid("mem.Copy4", "negative size %d", n)
	}
	return asm.Attribute("mem.Copy4", copyN(nil, dst, dstOff, src, srcOff, n, 4, scratch))
}

// Field is a field of a struct in BPF memory: its offset from the start of the struct, its size
// (1, 2, 4 or 8 bytes) and, for [InitStruct], the value to store, which is written in the host's
// byte order as a C integer field would be (use [asm.HostToBE16]-style conversions, or put the
// bytes in order yourself, for fields in network order).
type Field struct {
	Name  string // for error messages
	Off   int16
	Size  int
	Value uint64
}

func (f Field) check(helper string) asm.Instructions {
	switch f.Size {
	case 1, 2, 4, 8:
		return nil
	}
	return invalid(helper, "field %q at offset %d: size %d is not 1, 2, 4 or 8", f.Name, f.Off, f.Size)
}

// InitStruct writes a struct of size bytes at base+off: every byte zero except the given fields,
// which hold their values (clj-ebpf's build-init-struct, "zero then set fields"). The struct's
// image is built in Go and written once with the widest aligned immediate stores, so no byte is
// written twice: a 16-byte struct with small field values takes 2 instructions. Fields must lie
// inside the struct; later fields overwrite earlier ones where they overlap. scratch is needed
// only for 8-byte chunks whose value does not fit a sign-extended 32-bit immediate ([NoScratch]
// splits them into 4-byte stores instead).
//
// Reads base. Writes memory [base+off, base+off+size). Clobbers scratch (see above).
func InitStruct(base asm.Register, off int16, size int, fields []Field, scratch asm.Register) asm.Instructions {
	if size < 0 {
		return invalid("mem.InitStruct", "negative size %d", size)
	}
	img := make([]byte, size)
	ne := asm.NativeEndian()
	for _, f := range fields {
		if bad := f.check("mem.InitStruct"); bad != nil {
			return bad
		}
		if f.Off < 0 || int(f.Off)+f.Size > size {
			return invalid("mem.InitStruct", "field %q at offset %d (%d bytes) is outside the %d-byte struct", f.Name, f.Off, f.Size, size)
		}
		b := img[f.Off : int(f.Off)+f.Size]
		switch f.Size {
		case 1:
			b[0] = byte(f.Value)
		case 2:
			ne.PutUint16(b, uint16(f.Value))
		case 4:
			ne.PutUint32(b, uint32(f.Value))
		case 8:
			ne.PutUint64(b, f.Value)
		}
	}
	return asm.Attribute("mem.InitStruct", storeBytes(nil, base, off, img, scratch))
}

// LoadField loads field f of the struct at ptr into dst: dst = *(f.Size *)(ptr + f.Off),
// zero-extended (clj-ebpf's build-load-struct-field-w and -dw, for every size). One instruction.
//
// Reads ptr and memory [ptr+f.Off, +f.Size). Writes dst.
func LoadField(dst, ptr asm.Register, f Field) asm.Instructions {
	if bad := f.check("mem.LoadField"); bad != nil {
		return bad
	}
	return asm.Attribute("mem.LoadField", asm.Instructions{asm.Ldx(sizeOf(f.Size), dst, ptr, f.Off)})
}

// StoreField stores the low f.Size bytes of src into field f of the struct at ptr:
// *(f.Size *)(ptr + f.Off) = src (clj-ebpf's build-store-struct-field-w and -dw). One
// instruction.
//
// Reads ptr and src. Writes memory [ptr+f.Off, +f.Size).
func StoreField(ptr asm.Register, f Field, src asm.Register) asm.Instructions {
	if bad := f.check("mem.StoreField"); bad != nil {
		return bad
	}
	return asm.Attribute("mem.StoreField", asm.Instructions{asm.Stx(sizeOf(f.Size), ptr, src, f.Off)})
}

// StoreFieldImm stores the constant v into field f of the struct at ptr. 8-byte fields whose
// value does not fit a sign-extended 32-bit immediate go through scratch, as in [StoreImm64].
//
// Reads ptr. Writes memory [ptr+f.Off, +f.Size). Clobbers scratch (see above).
func StoreFieldImm(ptr asm.Register, f Field, v uint64, scratch asm.Register) asm.Instructions {
	if bad := f.check("mem.StoreFieldImm"); bad != nil {
		return bad
	}
	if f.Size == 8 {
		return asm.Attribute("mem.StoreFieldImm", storeImm64(ptr, f.Off, v, scratch))
	}
	// St stores the low f.Size bytes of the immediate as an integer of that width.
	return asm.Attribute("mem.StoreFieldImm", asm.Instructions{asm.St(sizeOf(f.Size), ptr, f.Off, int32(uint32(v)))})
}
