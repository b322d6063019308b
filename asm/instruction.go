package asm

import (
	"fmt"
	"runtime"
	"sync"
)

// Instruction is one eBPF instruction, or a zero-width label (see Label).
//
// A 64-bit immediate load (BPF_LD | BPF_IMM | BPF_DW) is one Instruction that encodes to two
// 8-byte slots; Constant then holds the full 64-bit value. Jumps and calls may name their target
// in Reference instead of giving Offset/Constant; Assemble resolves the name. Map loads name
// their map in Reference (or carry a MapHandle) and get the map's fd filled in at load time.
//
// Instruction is a small value type: copy it freely. Source positions and references are
// metadata that the encoded bytes do not carry.
type Instruction struct {
	OpCode OpCode   // operation code: class, size or source, operation or mode
	Dst    Register // destination register
	Src    Register // source register, or a pseudo source (PseudoMapFD, PseudoCall, ...)
	kind   insnKind
	Offset int16 // signed offset: memory displacement, jump offset in slots, or an op variant
	// Constant is the immediate: 32 bits sign-extended for ordinary instructions, the whole
	// 64-bit value for a 64-bit immediate load (its second slot's imm in the upper half).
	Constant int64
	// Reference names the target: the label of a jump or bpf-to-bpf call, the map of a map
	// load, the kernel function of a kfunc call, or the label a Label instruction defines.
	Reference string
	pc        uintptr
	ext       *extra
}

type insnKind uint8

const (
	kindInsn insnKind = iota
	kindLabel
)

// extra holds rarely used metadata, so that the common Instruction stays small.
type extra struct {
	mapHandle   MapHandle
	helper      string    // name of the emit helper that generated the instruction
	core        *CoreRelo // CO-RE relocation resolved when the program is loaded (core.go)
	weak        bool      // a weak kernel symbol reference (weak.go)
	kfuncExists bool      // LoadKfuncExists (weak.go)
}

// extraCopy returns a copy of ins's metadata (empty when it has none), for the With* methods:
// Instruction is a value, so two copies must never share one extra that one of them changes.
func (ins Instruction) extraCopy() *extra {
	e := extra{}
	if ins.ext != nil {
		e = *ins.ext
	}
	return &e
}

// MapHandle is a live map that a map-load instruction refers to. The loader asks it for its fd
// when the program is loaded, so no fd number is baked into the instructions. *bpf.Map
// implements it.
type MapHandle interface {
	FD() int
}

// IsLabel reports whether ins is a zero-width label rather than an instruction.
func (ins Instruction) IsLabel() bool { return ins.kind == kindLabel }

// Label returns a zero-width pseudo-instruction that names the next real instruction. Jumps and
// bpf-to-bpf calls refer to it by name; it takes up no slot in the encoded program.
//
//go:noinline
func Label(name string) Instruction {
	return Instruction{kind: kindLabel, Reference: name, pc: callerPC()}
}

// IsLoadImm64 reports whether ins is a 64-bit immediate load that occupies two slots.
func (ins Instruction) IsLoadImm64() bool {
	return ins.kind == kindInsn && ins.OpCode == OpCode(uint8(ClassLD)|uint8(ModeIMM)|uint8(DW))
}

// Slots is the number of 8-byte slots ins occupies when encoded: 0 for a label, 2 for a 64-bit
// immediate load, 1 otherwise.
func (ins Instruction) Slots() int {
	switch {
	case ins.kind == kindLabel:
		return 0
	case ins.IsLoadImm64():
		return 2
	}
	return 1
}

// MapHandle returns the live map a map-load instruction carries, or nil.
func (ins Instruction) MapHandle() MapHandle {
	if ins.ext == nil {
		return nil
	}
	return ins.ext.mapHandle
}

// IsMapLoad reports whether ins loads a map pointer or a pointer into a map value, whose fd the
// loader fills in.
func (ins Instruction) IsMapLoad() bool {
	return ins.IsLoadImm64() && (ins.Src == PseudoMapFD || ins.Src == PseudoMapValue)
}

// IsCall reports whether ins is a call (helper, bpf-to-bpf or kfunc).
func (ins Instruction) IsCall() bool {
	return ins.kind == kindInsn && ins.OpCode.Class() == ClassJMP && ins.OpCode.JumpOp() == call
}

// IsExit reports whether ins is an exit instruction.
func (ins Instruction) IsExit() bool {
	return ins.kind == kindInsn && ins.OpCode.Class() == ClassJMP && ins.OpCode.JumpOp() == exit
}

// IsJump reports whether ins is a jump (conditional or not, including gotol), not a call or
// exit.
func (ins Instruction) IsJump() bool {
	if ins.kind != kindInsn || !ins.OpCode.Class().IsJump() {
		return false
	}
	op := ins.OpCode.JumpOp()
	return op != call && op != exit
}

// IsBuiltinCall reports whether ins calls a helper function.
func (ins Instruction) IsBuiltinCall() bool { return ins.IsCall() && ins.Src == PseudoHelperCall }

// IsFunctionCall reports whether ins is a bpf-to-bpf call.
func (ins Instruction) IsFunctionCall() bool { return ins.IsCall() && ins.Src == PseudoCall }

// IsKfuncCall reports whether ins calls a kernel function by BTF id.
func (ins Instruction) IsKfuncCall() bool { return ins.IsCall() && ins.Src == PseudoKfuncCall }

// WithReference returns a copy of ins referring to name.
func (ins Instruction) WithReference(name string) Instruction {
	ins.Reference = name
	return ins
}

// WithMapHandle returns a copy of a map-load instruction carrying m; the loader takes the fd from
// m when the program is loaded.
func (ins Instruction) WithMapHandle(m MapHandle) Instruction {
	e := ins.extraCopy()
	e.mapHandle = m
	ins.ext = e
	return ins
}

// Source returns the Go source position that emitted ins, and the name of the emit helper that
// generated it ("" when a builder was called directly). ok is false when no position was recorded
// (decoded instructions, for example).
func (ins Instruction) Source() (pos Position, ok bool) {
	if ins.pc == 0 {
		return Position{}, false
	}
	pos = framePosition(ins.pc)
	if ins.ext != nil {
		pos.Helper = ins.ext.helper
	}
	return pos, true
}

// frames caches the position of each pc: a program repeats few call sites (loops, emit
// helpers), and the loader asks for every instruction's position.
var frames struct {
	sync.RWMutex
	m map[uintptr]Position
}

// framePosition returns the file, line and function of pc.
func framePosition(pc uintptr) Position {
	frames.RLock()
	pos, ok := frames.m[pc]
	frames.RUnlock()
	if ok {
		return pos
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	pos = Position{File: f.File, Line: f.Line, Function: f.Function}
	frames.Lock()
	if frames.m == nil {
		frames.m = make(map[uintptr]Position)
	}
	frames.m[pc] = pos
	frames.Unlock()
	return pos
}

// Position is a Go source position that emitted an instruction.
type Position struct {
	File     string
	Line     int
	Function string
	Helper   string // emit helper that generated the instruction, if any
}

// String returns "file:line", followed by the emit helper's name in parentheses if any.
func (p Position) String() string {
	s := fmt.Sprintf("%s:%d", p.File, p.Line)
	if p.Helper != "" {
		s += " (" + p.Helper + ")"
	}
	return s
}

// Instructions is a sequence of instructions and labels: a program or a part of one.
type Instructions []Instruction
