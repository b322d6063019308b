// Package mapop generates the in-program side of map access: the instruction sequences that
// call bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem, look a key up or insert
// it, and increment counters — per CPU with a plain load-add-store, or on a shared map with a
// truly atomic add (BPF_ATOMIC | BPF_ADD). It is the port of clj-ebpf's maps.helpers
// namespace.
//
// Maps are referenced symbolically, never by an fd number baked into the instructions: pass a
// live map (a *bpf.Map, or anything with FD() int: [asm.LoadMap] takes the fd when the program
// is loaded) or a [Name] resolved at load time from bpf.ProgramOptions.Maps
// ([asm.LoadMapPtr]).
//
// Keys and values live either in named stack slots ([emit.Slot], the plain functions) or behind
// pointers already held in registers (the *Ptr functions). Every function documents the
// registers it reads, writes and clobbers and the stack bytes it uses; a helper call clobbers
// R1–R5 and sets R0, so values that must survive belong in R6–R9. Jumps inside a sequence are
// relative and need no labels, so a sequence can be used any number of times in one program.
package mapop

import (
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
)

// UpdateFlags selects how bpf_map_update_elem treats an existing key (BPF_ANY, BPF_NOEXIST,
// BPF_EXIST, BPF_F_LOCK).
type UpdateFlags int32

const (
	// UpdateAny creates the element or overwrites it (BPF_ANY).
	UpdateAny UpdateFlags = 0
	// UpdateNoExist creates the element only if the key is absent (BPF_NOEXIST); the helper
	// returns -EEXIST otherwise.
	UpdateNoExist UpdateFlags = 1
	// UpdateExist overwrites the element only if the key exists (BPF_EXIST); the helper
	// returns -ENOENT otherwise.
	UpdateExist UpdateFlags = 2
	// UpdateLock takes the value's bpf_spin_lock during the copy (BPF_F_LOCK); OR it with one
	// of the modes above. Requires Linux 5.1 and a value with a struct bpf_spin_lock described
	// by BTF.
	UpdateLock UpdateFlags = 4
)

// Name refers to a map by name: the loader resolves it against bpf.ProgramOptions.Maps when the
// program is loaded ([asm.LoadMapPtr]). It satisfies [asm.MapHandle] so that it can be passed
// wherever a live map can, but it is a reference, not a map: its FD method returns -1, and only
// this package's [LoadMap] (which every emit helper uses) turns it into a by-name load.
type Name string

// FD returns -1: a Name has no fd of its own.
func (n Name) FD() int { return -1 }

// LoadMap returns the instruction dst = the map m (BPF_PSEUDO_MAP_FD): [asm.LoadMapPtr] for a
// [Name], [asm.LoadMap] for a live map. It takes two instruction slots. Writes dst.
func LoadMap(dst asm.Register, m asm.MapHandle) asm.Instructions {
	return asm.Attribute("mapop.LoadMap", asm.Instructions{loadMap(dst, m)})
}

// The unexported builders below generate without attributing, so that a sequence built from
// several of them is attributed once, to the exported function the user called (attributing
// walks the call stack, which costs more than generating).

func loadMap(dst asm.Register, m asm.MapHandle) asm.Instruction {
	if n, ok := m.(Name); ok {
		return asm.LoadMapPtr(dst, string(n))
	}
	return asm.LoadMap(dst, m)
}

// addr appends dst = R10 + s.Off.
func addr(insns asm.Instructions, dst asm.Register, s emit.Slot) asm.Instructions {
	return append(insns, asm.MovReg(dst, asm.R10), asm.AddImm(dst, int32(s.Off)))
}

func lookup(m asm.MapHandle, key emit.Slot) asm.Instructions {
	insns := addr(asm.Instructions{loadMap(asm.R1, m)}, asm.R2, key)
	return append(insns, asm.Call(asm.FnMapLookupElem))
}

func lookupPtr(m asm.MapHandle, keyPtr asm.Register) asm.Instructions {
	var insns asm.Instructions
	if keyPtr != asm.R2 {
		insns = append(insns, asm.MovReg(asm.R2, keyPtr))
	}
	return append(insns, loadMap(asm.R1, m), asm.Call(asm.FnMapLookupElem))
}

func update(m asm.MapHandle, key, value emit.Slot, flags UpdateFlags) asm.Instructions {
	insns := addr(asm.Instructions{loadMap(asm.R1, m)}, asm.R2, key)
	insns = addr(insns, asm.R3, value)
	return append(insns, asm.MovImm(asm.R4, int32(flags)), asm.Call(asm.FnMapUpdateElem))
}

func updatePtr(m asm.MapHandle, keyPtr, valuePtr asm.Register, flags UpdateFlags) asm.Instructions {
	var insns asm.Instructions
	if valuePtr == asm.R2 && keyPtr != asm.R2 {
		tmp := asm.R5 // not an argument of bpf_map_update_elem
		if keyPtr == asm.R5 {
			tmp = asm.R4 // set to the flags only after the moves
		}
		insns = append(insns, asm.MovReg(tmp, asm.R2))
		valuePtr = tmp
	}
	if keyPtr != asm.R2 {
		insns = append(insns, asm.MovReg(asm.R2, keyPtr))
	}
	if valuePtr != asm.R3 {
		insns = append(insns, asm.MovReg(asm.R3, valuePtr))
	}
	return append(insns, loadMap(asm.R1, m), asm.MovImm(asm.R4, int32(flags)), asm.Call(asm.FnMapUpdateElem))
}

// slots counts the encoded slots of insns, for relative jumps over them.
func slots(insns asm.Instructions) int16 {
	n := 0
	for _, ins := range insns {
		if !ins.IsLabel() {
			n += ins.Slots()
		}
	}
	return int16(n)
}

// Lookup returns the instructions for bpf_map_lookup_elem(m, &key): R0 = a pointer to the
// value, or NULL (0) when the key is absent. Check R0 against 0 before using it; the verifier
// insists. Reads the key slot; writes R0; clobbers R1–R5. 4 instructions (5 slots).
func Lookup(m asm.MapHandle, key emit.Slot) asm.Instructions {
	return asm.Attribute("mapop.Lookup", lookup(m, key))
}

// LookupPtr is [Lookup] with the key pointer already in keyPtr: a pointer to the stack or to a
// map value (the verifier refuses packet pointers as keys). Reads keyPtr; writes R0; clobbers
// R1–R5.
func LookupPtr(m asm.MapHandle, keyPtr asm.Register) asm.Instructions {
	return asm.Attribute("mapop.LookupPtr", lookupPtr(m, keyPtr))
}

// Update returns the instructions for bpf_map_update_elem(m, &key, &value, flags): R0 = 0 on
// success or a negative errno (-EEXIST with [UpdateNoExist], -ENOENT with [UpdateExist],
// -E2BIG when a hash map is full). Reads the key and value slots; writes R0; clobbers R1–R5.
func Update(m asm.MapHandle, key, value emit.Slot, flags UpdateFlags) asm.Instructions {
	return asm.Attribute("mapop.Update", update(m, key, value, flags))
}

// UpdatePtr is [Update] with the key and value pointers already in registers, which may be any
// of R0–R9: the moves into R2 and R3 are ordered (through R4 or R5 when they would cross) so that
// neither pointer is overwritten before it is used. Reads keyPtr and valuePtr; writes R0;
// clobbers R1–R5.
func UpdatePtr(m asm.MapHandle, keyPtr, valuePtr asm.Register, flags UpdateFlags) asm.Instructions {
	return asm.Attribute("mapop.UpdatePtr", updatePtr(m, keyPtr, valuePtr, flags))
}

// Delete returns the instructions for bpf_map_delete_elem(m, &key): R0 = 0 on success or a
// negative errno (-ENOENT when the key is absent; -EINVAL for arrays, whose elements cannot be
// deleted). Reads the key slot; writes R0; clobbers R1–R5.
func Delete(m asm.MapHandle, key emit.Slot) asm.Instructions {
	insns := addr(asm.Instructions{loadMap(asm.R1, m)}, asm.R2, key)
	insns = append(insns, asm.Call(asm.FnMapDeleteElem))
	return asm.Attribute("mapop.Delete", insns)
}

// DeletePtr is [Delete] with the key pointer already in keyPtr. Reads keyPtr; writes R0;
// clobbers R1–R5.
func DeletePtr(m asm.MapHandle, keyPtr asm.Register) asm.Instructions {
	var insns asm.Instructions
	if keyPtr != asm.R2 {
		insns = append(insns, asm.MovReg(asm.R2, keyPtr))
	}
	insns = append(insns, loadMap(asm.R1, m), asm.Call(asm.FnMapDeleteElem))
	return asm.Attribute("mapop.DeletePtr", insns)
}

// LookupOrInit returns the instructions that look key up and, when it is absent, insert the
// value in the init slot (with [UpdateNoExist], so a value another CPU inserted meanwhile is
// kept) and look it up again: R0 = a pointer to the existing or new value, or NULL when the
// insert failed (a full hash map). Reads the key and init slots; writes R0; clobbers R1–R5.
func LookupOrInit(m asm.MapHandle, key, init emit.Slot) asm.Instructions {
	again := append(update(m, key, init, UpdateNoExist), lookup(m, key)...)
	insns := lookup(m, key)
	insns = append(insns, asm.JmpImmOff(asm.JNE, asm.R0, 0, slots(again)))
	insns = append(insns, again...)
	return asm.Attribute("mapop.LookupOrInit", insns)
}

// LookupOrInitPtr is [LookupOrInit] with the key and initial value behind pointers in
// registers. Both must survive helper calls, so keyPtr and initPtr must be among R6–R9 (or
// R10-relative copies in them); the verifier rejects the program otherwise. Reads keyPtr and
// initPtr; writes R0; clobbers R1–R5.
func LookupOrInitPtr(m asm.MapHandle, keyPtr, initPtr asm.Register) asm.Instructions {
	again := append(updatePtr(m, keyPtr, initPtr, UpdateNoExist), lookupPtr(m, keyPtr)...)
	insns := lookupPtr(m, keyPtr)
	insns = append(insns, asm.JmpImmOff(asm.JNE, asm.R0, 0, slots(again)))
	insns = append(insns, again...)
	return asm.Attribute("mapop.LookupOrInitPtr", insns)
}

// zeroSlot stores zeros over the slot, rounded up to 8 bytes (slots are 8-byte aligned and
// padded, so the rounding stays inside the slot's allocation).
func zeroSlot(s emit.Slot) asm.Instructions {
	var insns asm.Instructions
	for off := int16(0); off < s.Size; off += 8 {
		insns = append(insns, asm.St(asm.DW, asm.R10, s.At(off), 0))
	}
	return insns
}

// counter is the shared body of the increments: make sure the key exists (inserting a zeroed
// value from the init slot), then apply add to R0 = the value pointer.
func counter(m asm.MapHandle, key, init emit.Slot, add asm.Instructions) asm.Instructions {
	insert := zeroSlot(init)
	insert = append(insert, update(m, key, init, UpdateNoExist)...)
	insert = append(insert, lookup(m, key)...)
	insert = append(insert, asm.JmpImmOff(asm.JEQ, asm.R0, 0, slots(add)))

	insns := lookup(m, key)
	insns = append(insns, asm.JmpImmOff(asm.JNE, asm.R0, 0, slots(insert)))
	insns = append(insns, insert...)
	return append(insns, add...)
}

// IncrementAtomic returns the instructions that add delta to the 64-bit counter at byte off of
// key's value in m with one atomic instruction (lock *(u64 *)(r0 + off) += delta: BPF_STX |
// BPF_ATOMIC with imm BPF_ADD, the same encoding as the older BPF_XADD, so every eBPF kernel
// accepts it).
// When the key is absent, a zeroed value (init.Size bytes, rounded up to 8) is inserted first
// with [UpdateNoExist] and looked up again, so concurrent first increments on several CPUs
// neither lose counts nor overwrite each other. Use it on maps shared by all CPUs (hash, array,
// LRU hash); on per-CPU maps [IncrementPerCPU] is cheaper. Afterwards R0 = the value pointer,
// or NULL when the insert failed (full hash map) and nothing was counted.
//
// Reads the key slot; writes the init slot (zeroes it) and R0; clobbers R1–R5.
func IncrementAtomic(m asm.MapHandle, key, init emit.Slot, off int16, delta int32) asm.Instructions {
	add := asm.Instructions{
		asm.MovImm(asm.R1, delta),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, off),
	}
	return asm.Attribute("mapop.IncrementAtomic", counter(m, key, init, add))
}

// IncrementPerCPU returns the instructions that add delta to the 64-bit counter at byte off of
// key's value in m with a plain load, add and store — clj-ebpf's build-map-increment. This is
// NOT atomic: on a map shared by all CPUs, concurrent increments lose counts (a kernel test
// shows it). It is right, and cheapest, for per-CPU maps (PerCPUArray, PerCPUHash,
// LRUPerCPUHash), where each CPU owns its copy; sum the copies in user space. A missing key is
// inserted as in [IncrementAtomic]. Afterwards R0 = the value pointer, or NULL when the insert
// failed.
//
// Reads the key slot; writes the init slot (zeroes it) and R0; clobbers R1–R5.
func IncrementPerCPU(m asm.MapHandle, key, init emit.Slot, off int16, delta int32) asm.Instructions {
	add := asm.Instructions{
		asm.Ldx(asm.DW, asm.R1, asm.R0, off),
		asm.AddImm(asm.R1, delta),
		asm.Stx(asm.DW, asm.R0, asm.R1, off),
	}
	return asm.Attribute("mapop.IncrementPerCPU", counter(m, key, init, add))
}
