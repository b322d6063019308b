package asm_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

// TestKernelVerifierErrorNamesLine loads deliberately bad programs built in this file: the
// *bpf.VerifierError names this file and the line that built the bad instruction, and the
// nearest label — also inside a bpf-to-bpf function and after 64-bit immediates, whose second
// slot shifts the verifier's instruction numbers against Instructions indexes.
func TestKernelVerifierErrorNamesLine(t *testing.T) {
	requireSyscallRun(t)

	// Reading a register nobody wrote, in the main program.
	uninit := asm.Instructions{asm.Label("compute"), asm.MovImm(asm.R0, 1)}
	uninitLine := thisLine() + 1
	uninit = append(uninit, asm.AddReg(asm.R0, asm.R8))

	// Reading above the frame pointer, in a function called after a LoadImm64.
	callee := asm.Instructions{
		asm.LoadImm64(asm.R0, 1<<40),
		asm.CallLabel("helper"),
	}
	var fn asm.Instructions
	fn = append(fn, asm.Label("helper"), asm.LoadImm64(asm.R1, -1))
	calleeLine := thisLine() + 1
	fn = append(fn, asm.Ldx(asm.DW, asm.R0, asm.R10, 8))
	fn = append(fn, asm.Exit())

	for _, tt := range []struct {
		name  string
		pb    progBody
		line  int
		label string
		msg   string
		text  string
	}{
		{"uninitialised register", progBody{body: uninit}, uninitLine, "compute", "R8 !read_ok", "r0 += r8"},
		{"stack above the frame", progBody{body: callee, funcs: fn}, calleeLine, "helper", "invalid read from stack", "r0 = *(u64 *)(r10 + 0x8)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryLoadSyscall(tt.pb, fromContext, operands{})
			ve := wantVerifierError(t, err, "kernel_verifier_test.go", tt.line, tt.msg)
			if filepath.Base(ve.Source.File) != "kernel_verifier_test.go" || ve.Source.Line != tt.line {
				t.Errorf("source %s:%d, want kernel_verifier_test.go:%d", ve.Source.File, ve.Source.Line, tt.line)
			}
			if ve.Label != tt.label {
				t.Errorf("label %q, want %q", ve.Label, tt.label)
			}
			if ve.Instruction != tt.text {
				t.Errorf("instruction %q, want %q", ve.Instruction, tt.text)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("label %q", tt.label)) {
				t.Errorf("Error() = %q does not name label %q", err, tt.label)
			}
			if full := fmt.Sprintf("%+v", err); !strings.Contains(full, "verifier log:") {
				t.Errorf("%%+v lacks the log:\n%s", full)
			}
		})
	}
}
