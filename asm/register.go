package asm

import "fmt"

// Register is one of the eleven eBPF registers. R0 holds return values, R1–R5 arguments,
// R6–R9 are callee-saved, R10 is the read-only frame pointer.
type Register uint8

// The registers.
const (
	R0 Register = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
	RFP = R10 // frame pointer alias
)

// Registers that carry helper arguments, the return value and the context in their usual roles.
const (
	RCtx    = R1 // the context pointer on program entry
	RReturn = R0
)

// String returns the register's name in llvm's notation, "r0" ... "r10".
func (r Register) String() string {
	if r <= R10 {
		return fmt.Sprintf("r%d", uint8(r))
	}
	return fmt.Sprintf("Register(%d)", uint8(r))
}
