package asm

const haveFramePC = true

// framePC returns the return address of the builder that called callerPC, read from the
// frame-pointer chain (Go keeps frame pointers on amd64). Implemented in pos_amd64.s.
func framePC() uintptr
