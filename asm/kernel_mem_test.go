package asm_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
)

// slot is the 8 bytes of memory a memory test works on, in the machine's byte order.
type slot [8]byte

func slotOf(v uint64) slot {
	var s slot
	binary.NativeEndian.PutUint64(s[:], v)
	return s
}

func (s slot) u64() uint64 { return binary.NativeEndian.Uint64(s[:]) }

// get returns the n bytes at k as an unsigned number in host order.
func (s slot) get(k, n int) uint64 {
	var b [8]byte
	copy(b[:], s[k:k+n])
	switch n {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b[:]))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b[:]))
	}
	return binary.NativeEndian.Uint64(b[:])
}

// put stores the low n bytes of v at k in host order.
func (s slot) put(k, n int, v uint64) slot {
	var b [8]byte
	switch n {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(b[:], uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(b[:], uint32(v))
	default:
		binary.NativeEndian.PutUint64(b[:], v)
	}
	copy(s[k:k+n], b[:n])
	return s
}

func signExtend(v uint64, n int) uint64 {
	shift := 64 - 8*uint(n)
	return uint64(int64(v<<shift) >> shift)
}

var sizes = []asm.Size{asm.B, asm.H, asm.W, asm.DW}

// memBase is memory a test program works on: the stack or the value of an array map.
type memBase struct {
	name string
	reg  asm.Register // the base register
	off  int16        // the slot's offset from it
	// setup runs first and leaves the base in reg with R1–R3 unchanged.
	setup asm.Instructions
	// readBack reads the slot from user space after a run, or is nil.
	readBack func() (slot, error)
}

// memBases returns the stack and the first element of a 16-byte array map, loaded by handle.
func memBases(t *testing.T) []memBase {
	t.Helper()
	m := newArrayMap(t, "asm_kernel_mem", 16, 1)
	return []memBase{
		{name: "stack", reg: asm.R10, off: -16},
		{name: "map", reg: asm.R9, off: 8, setup: lookupSetup(m), readBack: func() (slot, error) {
			var v [16]byte
			err := m.Lookup(make([]byte, 4), v[:])
			return slot(v[8:]), err
		}},
	}
}

// newArrayMap creates an array map that t closes.
func newArrayMap(t testing.TB, name string, valueSize, maxEntries uint32) *bpf.Map {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: name, Type: bpf.Array, KeySize: 4, ValueSize: valueSize, MaxEntries: maxEntries})
	if err != nil {
		t.Fatalf("create map: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// lookupSetup returns instructions that put a pointer to element 0 of m in R9 (by a map
// handle, asm.LoadMap), keeping R1–R3; a failed lookup makes the program return 0xbad.
func lookupSetup(m *bpf.Map) asm.Instructions {
	return asm.Instructions{
		asm.Stx(asm.DW, asm.R10, asm.R1, -24),
		asm.Stx(asm.DW, asm.R10, asm.R2, -32),
		asm.Stx(asm.DW, asm.R10, asm.R3, -40),
		asm.St(asm.W, asm.R10, -4, 0),
		asm.LoadMap(asm.R1, m),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.MovReg(asm.R9, asm.R0),
		asm.MovImm(asm.R0, 0xbad),
		asm.JmpImm(asm.JEQ, asm.R9, 0, "end"),
		asm.Ldx(asm.DW, asm.R1, asm.R10, -24),
		asm.Ldx(asm.DW, asm.R2, asm.R10, -32),
		asm.Ldx(asm.DW, asm.R3, asm.R10, -40),
	}
}

// memCase is a test of memory instructions on an 8-byte slot initialised to c (R3): body
// works on the slot at base+off with a in R1 and b in R2 and leaves a result in R0; want says
// what R0 and the slot hold afterwards.
type memCase struct {
	name   string
	body   func(base asm.Register, off int16) asm.Instructions
	want   func(in operands) (r0 uint64, mem slot)
	inputs []operands
}

// run checks mc on base: the program reports the slot in out[0]; for a map it is also read
// back from user space.
func (mc memCase) run(t *testing.T, base memBase) {
	t.Helper()
	body := append(asm.Instructions{}, base.setup...)
	body = append(body, asm.Stx(asm.DW, base.reg, asm.R3, base.off))
	body = append(body, mc.body(base.reg, base.off)...)
	body = append(body,
		asm.Ldx(asm.DW, asm.R5, base.reg, base.off),
		asm.Stx(asm.DW, asm.R6, asm.R5, ctxOut),
		asm.Label("end"),
	)
	checkWith(t, progBody{body: body}, mc.inputs,
		func(in operands) string {
			return fmt.Sprintf("%s on %s (a=%#x b=%#x c=%#x)", mc.name, base.name, in[0], in[1], in[2])
		},
		func(in operands, got result) string {
			r0, mem := mc.want(in)
			if got.r0 != r0 || got.out[0] != mem.u64() {
				return fmt.Sprintf("R0 %#x memory %#x, want %#x and %#x", got.r0, got.out[0], r0, mem.u64())
			}
			if base.readBack != nil {
				v, err := base.readBack()
				if err != nil {
					return fmt.Sprintf("read back: %v", err)
				}
				if v != mem {
					return fmt.Sprintf("map value % x read from user space, want % x", v[:], mem[:])
				}
			}
			return ""
		})
}

// TestKernelLoadStore covers ldx, stx and st of every size and the sign-extending loads at both
// ends of an 8-byte slot on the stack and in a map value.
func TestKernelLoadStore(t *testing.T) {
	requireSyscallRun(t)
	var inputs []operands
	for _, a := range aluValues {
		for _, c := range []uint64{0, ^uint64(0), 0x0123_4567_89ab_cdef, 0x8080_8080_8080_8080} {
			inputs = append(inputs, operands{a, 0, c})
		}
	}
	var cases []memCase
	for _, size := range sizes {
		n := size.Sizeof()
		for _, k := range []int{0, 8 - n} {
			if n == 8 && k != 0 {
				continue
			}
			at := func(off int16) int16 { return off + int16(k) }
			cases = append(cases,
				memCase{
					name: fmt.Sprintf("stx %v +%d", size, k),
					body: func(b asm.Register, off int16) asm.Instructions {
						return asm.Instructions{asm.Stx(size, b, asm.R1, at(off)), asm.MovImm(asm.R0, 0)}
					},
					want: func(in operands) (uint64, slot) { return 0, slotOf(in[2]).put(k, n, in[0]) },
				},
				memCase{
					name: fmt.Sprintf("ldx %v +%d", size, k),
					body: func(b asm.Register, off int16) asm.Instructions {
						return asm.Instructions{asm.Ldx(size, asm.R0, b, at(off))}
					},
					want: func(in operands) (uint64, slot) { return slotOf(in[2]).get(k, n), slotOf(in[2]) },
				})
			if n < 8 {
				cases = append(cases, memCase{
					name: fmt.Sprintf("ldxsx %v +%d", size, k),
					body: func(b asm.Register, off int16) asm.Instructions {
						return asm.Instructions{asm.LdxSX(size, asm.R0, b, at(off))}
					},
					want: func(in operands) (uint64, slot) {
						return signExtend(slotOf(in[2]).get(k, n), n), slotOf(in[2])
					},
				})
			}
			for _, imm := range []int32{0x7f, -1, -0x8000_0000, 0x1234_5678} {
				cases = append(cases, memCase{
					name: fmt.Sprintf("st %v +%d imm %d", size, k, imm),
					body: func(b asm.Register, off int16) asm.Instructions {
						return asm.Instructions{asm.St(size, b, at(off), imm), asm.MovImm(asm.R0, 0)}
					},
					want: func(in operands) (uint64, slot) {
						return 0, slotOf(in[2]).put(k, n, uint64(int64(imm)))
					},
				})
			}
		}
	}
	for _, base := range memBases(t) {
		for _, mc := range cases {
			t.Run(base.name+"/"+mc.name, func(t *testing.T) {
				if strings.HasPrefix(mc.name, "ldxsx") {
					requireCPUv4(t)
				}
				mc.inputs = inputs
				mc.run(t, base)
			})
		}
	}
}

// atomicOps are the read-modify-write operations with their fetching and non-fetching
// builders.
var atomicOps = []struct {
	name         string
	op           asm.AtomicOp
	plain, fetch func(asm.Size, asm.Register, asm.Register, int16) asm.Instruction
	f            func(old, a uint64) uint64
}{
	{"add", asm.AtomicAdd, asm.AtomicAddReg, asm.AtomicFetchAdd, func(old, a uint64) uint64 { return old + a }},
	{"or", asm.AtomicOr, asm.AtomicOrReg, asm.AtomicFetchOr, func(old, a uint64) uint64 { return old | a }},
	{"and", asm.AtomicAnd, asm.AtomicAndReg, asm.AtomicFetchAnd, func(old, a uint64) uint64 { return old & a }},
	{"xor", asm.AtomicXor, asm.AtomicXorReg, asm.AtomicFetchXor, func(old, a uint64) uint64 { return old ^ a }},
	{"xchg", asm.AtomicXchg, nil, asm.Xchg, func(old, a uint64) uint64 { return a }},
}

// TestKernelAtomics covers the atomic operations, 32- and 64-bit, on the stack and in a map
// value: the memory afterwards, the fetched old value, the untouched source of the
// non-fetching forms, and cmpxchg that succeeds and fails.
func TestKernelAtomics(t *testing.T) {
	requireSyscallRun(t)
	values := []uint64{0, 1, 0xff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0001, ^uint64(0), 0xdead_beef_cafe_f00d}
	olds := []uint64{0, ^uint64(0), 0x0123_4567_89ab_cdef}
	var inputs []operands
	for _, a := range values {
		for _, c := range olds {
			inputs = append(inputs, operands{a, 0, c})
		}
	}
	var cases []memCase
	for _, size := range []asm.Size{asm.W, asm.DW} {
		n := size.Sizeof()
		for _, op := range atomicOps {
			apply := func(in operands) slot {
				old := slotOf(in[2])
				return old.put(0, n, op.f(old.get(0, n), in[0]))
			}
			if op.plain != nil {
				sameEncoding(t, op.plain(size, asm.R9, asm.R4, 8), asm.Atomic(op.op, size, asm.R9, asm.R4, 8))
				cases = append(cases, memCase{
					name: fmt.Sprintf("%s %v", op.name, size),
					body: func(b asm.Register, off int16) asm.Instructions {
						return asm.Instructions{asm.MovReg(asm.R4, asm.R1), op.plain(size, b, asm.R4, off), asm.MovReg(asm.R0, asm.R4)}
					},
					// The source register keeps a.
					want: func(in operands) (uint64, slot) { return in[0], apply(in) },
				})
			}
			fetchOp := op.op | asm.AtomicFetch
			sameEncoding(t, op.fetch(size, asm.R9, asm.R4, 8), asm.Atomic(fetchOp, size, asm.R9, asm.R4, 8))
			cases = append(cases, memCase{
				name: fmt.Sprintf("%v %v", fetchOp, size),
				body: func(b asm.Register, off int16) asm.Instructions {
					return asm.Instructions{asm.MovReg(asm.R4, asm.R1), op.fetch(size, b, asm.R4, off), asm.MovReg(asm.R0, asm.R4)}
				},
				// The source register receives the old value, zero-extended.
				want: func(in operands) (uint64, slot) { return slotOf(in[2]).get(0, n), apply(in) },
			})
		}

		// cmpxchg: R0 is the expected value and receives the old one; memory becomes a if it
		// held R0 (compared on the access width).
		var cmpInputs []operands
		for _, a := range values {
			for _, c := range olds {
				for _, b := range []uint64{c, c ^ 1, c ^ 1<<40} {
					cmpInputs = append(cmpInputs, operands{a, b, c})
				}
			}
		}
		cases = append(cases, memCase{
			name: fmt.Sprintf("cmpxchg %v", size),
			body: func(b asm.Register, off int16) asm.Instructions {
				return asm.Instructions{asm.MovReg(asm.R0, asm.R2), asm.CmpXchg(size, b, asm.R1, off)}
			},
			want: func(in operands) (uint64, slot) {
				old := slotOf(in[2])
				if old.get(0, n) == in[1]&(^uint64(0)>>(64-8*n)) {
					return old.get(0, n), old.put(0, n, in[0])
				}
				return old.get(0, n), old
			},
			inputs: cmpInputs,
		})
	}
	for _, base := range memBases(t) {
		for _, mc := range cases {
			t.Run(base.name+"/"+mc.name, func(t *testing.T) {
				if mc.inputs == nil {
					mc.inputs = inputs
				}
				mc.run(t, base)
			})
		}
	}
}

// TestKernelLoadAcquireStoreRelease covers load-acquire and store-release of every size
// (Linux 6.15).
func TestKernelLoadAcquireStoreRelease(t *testing.T) {
	requireSyscallRun(t)
	requireInstructions(t, "load-acquire and store-release (BPF_LOAD_ACQ, BPF_STORE_REL)", 6, 15, asm.Instructions{
		asm.Stx(asm.DW, asm.R10, asm.R1, -8),
		asm.StoreRelease(asm.W, asm.R10, asm.R1, -8),
		asm.LoadAcquire(asm.W, asm.R0, asm.R10, -8),
	})
	var inputs []operands
	for _, a := range aluValues {
		for _, c := range []uint64{0, ^uint64(0), 0x0123_4567_89ab_cdef} {
			inputs = append(inputs, operands{a, 0, c})
		}
	}
	var cases []memCase
	for _, size := range sizes {
		n := size.Sizeof()
		k := 8 - n // the top end of the slot: the bytes below must stay
		cases = append(cases,
			memCase{
				name: fmt.Sprintf("load_acquire %v", size),
				body: func(b asm.Register, off int16) asm.Instructions {
					return asm.Instructions{asm.LoadAcquire(size, asm.R0, b, off+int16(k))}
				},
				want: func(in operands) (uint64, slot) { return slotOf(in[2]).get(k, n), slotOf(in[2]) },
			},
			memCase{
				name: fmt.Sprintf("store_release %v", size),
				body: func(b asm.Register, off int16) asm.Instructions {
					return asm.Instructions{asm.StoreRelease(size, b, asm.R1, off+int16(k)), asm.MovImm(asm.R0, 0)}
				},
				want: func(in operands) (uint64, slot) { return 0, slotOf(in[2]).put(k, n, in[0]) },
			})
	}
	for _, base := range memBases(t) {
		for _, mc := range cases {
			t.Run(base.name+"/"+mc.name, func(t *testing.T) {
				mc.inputs = inputs
				mc.run(t, base)
			})
		}
	}
}
