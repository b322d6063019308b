package main

import (
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
)

// verdicts names the return values of the program types whose return value is a verdict.
var verdicts = map[bpf.ProgramType]map[int32]string{
	bpf.XDP: {asm.XDPAborted: "XDP_ABORTED", asm.XDPDrop: "XDP_DROP", asm.XDPPass: "XDP_PASS",
		asm.XDPTx: "XDP_TX", asm.XDPRedirect: "XDP_REDIRECT"},
	bpf.SchedCLS: tcVerdicts,
	bpf.SchedACT: tcVerdicts,
}

var tcVerdicts = map[int32]string{asm.TCActUnspec: "TC_ACT_UNSPEC", asm.TCActOK: "TC_ACT_OK",
	asm.TCActReclassify: "TC_ACT_RECLASSIFY", asm.TCActShot: "TC_ACT_SHOT", asm.TCActPipe: "TC_ACT_PIPE",
	asm.TCActStolen: "TC_ACT_STOLEN", asm.TCActQueued: "TC_ACT_QUEUED", asm.TCActRepeat: "TC_ACT_REPEAT",
	asm.TCActRedirect: "TC_ACT_REDIRECT", asm.TCActTrap: "TC_ACT_TRAP"}

// verdictName names a program's return value ("XDP_PASS", "TC_ACT_SHOT"), or prints the
// number when it has no name (other program types, unknown values).
func verdictName(t bpf.ProgramType, v uint32) string {
	if n, ok := verdicts[t][int32(v)]; ok {
		return n
	}
	if t == bpf.SchedCLS || t == bpf.SchedACT {
		return fmt.Sprintf("%d", int32(v))
	}
	return fmt.Sprintf("%d", v)
}

// xdpVerdict names an XDP program's return value.
func xdpVerdict(v uint32) string { return verdictName(bpf.XDP, v) }

// retvalName is " (NAME)" for a named return value, else "".
func retvalName(t bpf.ProgramType, v uint32) string {
	if n, ok := verdicts[t][int32(v)]; ok {
		return " (" + n + ")"
	}
	return ""
}
