package link

import "github.com/bpfgo/bpf/asm"

// returnZero is the smallest valid program body: r0 = 0; exit.
var returnZero = asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()}
