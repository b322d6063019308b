// Package emit holds what the generated instruction sequences of its subpackages share: a named
// stack-slot allocator, so that helpers and users never hand-pick overlapping stack offsets.
//
// The subpackages (bounds, csum, ipv6, clock, ratelimit, mem, mapop, output) each return
// asm.Instructions and document the registers they read, write and clobber and the stack bytes
// they use.
package emit

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
)

// MaxStack is the size of a BPF program's stack frame (MAX_BPF_STACK).
const MaxStack = 512

// Slot is a named region of the BPF stack, addressed as R10 + Off (Off is negative).
type Slot struct {
	Name string
	Off  int16 // offset from the frame pointer R10; negative
	Size int16 // bytes
}

// At returns the frame-pointer offset of byte i of the slot.
func (s Slot) At(i int16) int16 { return s.Off + i }

// Addr returns the instructions dst = R10 + s.Off: a pointer to the slot, as helper arguments
// (keys, values, buffers) need. Writes dst.
func (s Slot) Addr(dst asm.Register) asm.Instructions {
	return asm.Attribute("emit.Slot.Addr", asm.Instructions{
		asm.MovReg(dst, asm.R10),
		asm.AddImm(dst, int32(s.Off)),
	})
}

func (s Slot) String() string { return fmt.Sprintf("%s[r10%+d, %d bytes]", s.Name, s.Off, s.Size) }

// Stack allocates named, 8-byte aligned slots downward from the frame pointer. The zero value is
// not usable; call NewStack. A Stack is not safe for concurrent use.
type Stack struct {
	used  int
	slots []Slot
}

// NewStack returns an empty allocator for one program (or one bpf-to-bpf function: each has its
// own frame).
func NewStack() *Stack { return &Stack{} }

// Alloc reserves size bytes under name and returns the slot. Slots are 8-byte aligned, so any
// access width up to 8 bytes is aligned within them. It fails when the name is taken or the
// 512-byte frame would overflow.
func (s *Stack) Alloc(name string, size int) (Slot, error) {
	if size <= 0 {
		return Slot{}, fmt.Errorf("emit: stack slot %q: size %d must be positive", name, size)
	}
	for _, o := range s.slots {
		if o.Name == name {
			return Slot{}, fmt.Errorf("emit: stack slot %q allocated twice", name)
		}
	}
	aligned := (size + 7) &^ 7
	if s.used+aligned > MaxStack {
		return Slot{}, fmt.Errorf("emit: stack slot %q (%d bytes): frame would need %d bytes, more than %d",
			name, size, s.used+aligned, MaxStack)
	}
	s.used += aligned
	sl := Slot{Name: name, Off: int16(-s.used), Size: int16(size)}
	s.slots = append(s.slots, sl)
	return sl, nil
}

// MustAlloc is Alloc for layouts fixed in the program's source; it panics where Alloc fails.
func (s *Stack) MustAlloc(name string, size int) Slot {
	sl, err := s.Alloc(name, size)
	if err != nil {
		panic(err)
	}
	return sl
}

// Lookup returns the slot allocated under name.
func (s *Stack) Lookup(name string) (Slot, bool) {
	for _, o := range s.slots {
		if o.Name == name {
			return o, true
		}
	}
	return Slot{}, false
}

// Used returns the number of stack bytes allocated so far.
func (s *Stack) Used() int { return s.used }

// Mark returns the allocator's state, to be restored with Release: slots allocated after Mark
// are scoped to a part of the program (a helper's scratch space) and may be reused after it.
func (s *Stack) Mark() int { return len(s.slots) }

// Release frees every slot allocated since mark. Instructions emitted earlier keep the offsets
// they were given; only later allocations reuse the bytes.
func (s *Stack) Release(mark int) {
	if mark < 0 || mark > len(s.slots) {
		return
	}
	s.slots = s.slots[:mark]
	s.used = 0
	if mark > 0 {
		last := s.slots[mark-1]
		s.used = -int(last.Off)
	}
}

// Slots returns the allocated slots, highest address first.
func (s *Stack) Slots() []Slot { return append([]Slot(nil), s.slots...) }
