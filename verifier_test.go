package bpf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// thisLine returns the line of its caller, so tests can name the line that built an
// instruction.
func thisLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// TestVerifierErrorNamesGoLine loads deliberately bad programs: the error must name the
// failing instruction, the line of this file that built it, and the label before it.
func TestVerifierErrorNamesGoLine(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")

	// Reading a register nobody wrote.
	uninit := asm.Instructions{asm.Label("start"), asm.MovImm(asm.R0, 1)}
	uninitLine := thisLine() + 1
	uninit = append(uninit, asm.AddReg(asm.R0, asm.R3))
	uninit = append(uninit, asm.Exit())

	// Reading packet data without a bounds check against data_end.
	oob := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, 0), // r2 = ctx->data
		asm.Label("parse_eth"),
		asm.MovImm(asm.R0, 2),
	}
	oobLine := thisLine() + 1
	oob = append(oob, asm.Ldx(asm.H, asm.R3, asm.R2, 12))
	oob = append(oob, asm.Exit())

	// A 64-bit immediate before the bad instruction shifts slots against indices.
	wide := asm.Instructions{asm.LoadImm64(asm.R0, 1<<40), asm.Label("after_wide")}
	wideLine := thisLine() + 1
	wide = append(wide, asm.MovReg(asm.R0, asm.R5))
	wide = append(wide, asm.Exit())

	// Instructions an emit helper generated carry the helper's name and the caller's line.
	helperLine := thisLine() + 1
	attributed := asm.Attribute("fake.Helper", asm.Instructions{asm.MovReg(asm.R0, asm.R6), asm.Exit()})

	for _, tt := range []struct {
		name      string
		insns     asm.Instructions
		line      int
		index     int
		slot      int
		label     string
		message   string
		insnText  string
		wantErrno error
	}{
		{"uninitialised register", uninit, uninitLine, 2, 1, "start", "R3 !read_ok", "r0 += r3", unix.EACCES},
		{"packet out of bounds", oob, oobLine, 3, 2, "parse_eth", "invalid access to packet", "r3 = *(u16 *)(r2 + 0xc)", unix.EACCES},
		{"after a wide instruction", wide, wideLine, 2, 2, "after_wide", "R5 !read_ok", "r0 = r5", unix.EACCES},
		{"emit helper", attributed, helperLine, 0, 0, "", "R6 !read_ok", "r0 = r6", unix.EACCES},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewProgram(&ProgramSpec{Name: "bad", Type: XDP, License: "GPL", Instructions: tt.insns})
			var ve *VerifierError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v (%T), want a *VerifierError", err, err)
			}
			if !errors.Is(err, tt.wantErrno) {
				t.Errorf("errors.Is(err, %v) = false; cause %v", tt.wantErrno, ve.Cause)
			}
			if ve.Index != tt.index || ve.Slot != tt.slot {
				t.Errorf("index %d slot %d, want %d %d", ve.Index, ve.Slot, tt.index, tt.slot)
			}
			if ve.Label != tt.label {
				t.Errorf("label %q, want %q", ve.Label, tt.label)
			}
			if filepath.Base(ve.Source.File) != "verifier_test.go" || ve.Source.Line != tt.line {
				t.Errorf("source %s:%d, want verifier_test.go:%d", ve.Source.File, ve.Source.Line, tt.line)
			}
			if ve.Instruction != tt.insnText {
				t.Errorf("instruction %q, want %q", ve.Instruction, tt.insnText)
			}
			msg := err.Error()
			wants := []string{tt.message, fmt.Sprintf("verifier_test.go:%d", tt.line), `program "bad"`}
			if tt.label != "" {
				wants = append(wants, fmt.Sprintf("label %q", tt.label))
			}
			if tt.name == "emit helper" {
				wants = append(wants, "by fake.Helper")
			}
			for _, want := range wants {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, want it to contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("Error() has several lines: %q", msg)
			}
			full := fmt.Sprintf("%+v", err)
			if !strings.Contains(full, "verifier log:") || !strings.Contains(full, "processed ") {
				t.Errorf("%%+v lacks the log:\n%s", full)
			}
			if len(ve.Log) < 3 {
				t.Errorf("log has %d lines", len(ve.Log))
			}
		})
	}
}

// TestVerifierErrorLargeLog makes the retry's log outgrow its first buffer: the error still
// carries the end of the log.
func TestVerifierErrorLargeLog(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	insns := asm.Instructions{asm.MovImm(asm.R0, 0)}
	for range 3000 {
		insns = append(insns, asm.AddImm(asm.R0, 1))
	}
	insns = append(insns, asm.MovReg(asm.R0, asm.R7), asm.Exit())
	_, err := NewProgramWithOptions(&ProgramSpec{Name: "big", Type: XDP, License: "GPL", Instructions: insns},
		&ProgramOptions{LogSize: 256})
	var ve *VerifierError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	if ve.Index != 3001 || !strings.Contains(ve.Message(), "R7 !read_ok") {
		t.Fatalf("index %d message %q", ve.Index, ve.Message())
	}
	if len(ve.Log) < 3000 {
		t.Fatalf("log has only %d lines", len(ve.Log))
	}
}

// Verifier logs captured from Linux 6.18, and their parsed meaning.
var verifierLogTests = []struct {
	file    string
	slot    int
	insn    string
	message string
	stats   *VerifierStats
}{
	{"uninit.log", 0, "r0 = r2", "R2 !read_ok", &VerifierStats{Insns: 1, InsnLimit: 1000000, Time: 51 * time.Microsecond, StackDepth: []int{0}}},
	{"packet_oob.log", 1, "r0 = *(u32 *)(r2 +0)", "invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0); R2 offset is outside of the packet",
		&VerifierStats{Insns: 2, InsnLimit: 1000000, Time: 44 * time.Microsecond, StackDepth: []int{0}}},
	{"ok_subprog.log", -1, "", "", &VerifierStats{Insns: 17, InsnLimit: 1000000, TotalStates: 1, PeakStates: 1, Time: 251 * time.Microsecond, StackDepth: []int{8, 16}}},
	{"no_insn.log", -1, "", "Tracing programs must provide btf_id", &VerifierStats{InsnLimit: 1000000, Time: 6 * time.Microsecond, StackDepth: []int{0}}},
	{"empty.log", -1, "", "", nil},
}

func TestParseVerifierLog(t *testing.T) {
	for _, tt := range verifierLogTests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "verifier", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			log := splitLog(b)
			slot, insn, ok := failingInstruction(log)
			if !ok {
				slot = -1
			}
			if slot != tt.slot || insn != tt.insn {
				t.Errorf("failing instruction %d %q, want %d %q", slot, insn, tt.slot, tt.insn)
			}
			if tt.slot >= 0 || tt.message != "" {
				if got := decisiveLines(log, 3); got != tt.message {
					t.Errorf("message %q, want %q", got, tt.message)
				}
			}
			if st := parseVerifierStats(log); st.String() != tt.stats.String() {
				t.Errorf("stats %v, want %v", st, tt.stats)
			}
		})
	}
}

func TestParseInsnLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		slot int
		text string
		ok   bool
	}{
		{"0: (bf) r0 = r2", 0, "r0 = r2", true},
		{"1234: (61) r0 = *(u32 *)(r2 +0)          ; R0=pkt", 1234, "r0 = *(u32 *)(r2 +0)          ; R0=pkt", true},
		{"0: R1=ctx() R10=fp0", 0, "", false},
		{"from 4 to 6: R0=1", 0, "", false},
		{"R2 !read_ok", 0, "", false},
		{"12: (XY) bogus", 0, "", false},
		{"", 0, "", false},
		{"9999999999: (bf) r0 = r1", 0, "", false},
	} {
		slot, text, ok := parseInsnLine(tt.line)
		if ok != tt.ok || ok && (slot != tt.slot || text != tt.text) {
			t.Errorf("parseInsnLine(%q) = %d %q %v, want %d %q %v", tt.line, slot, text, ok, tt.slot, tt.text, tt.ok)
		}
	}
}

// FuzzParseVerifierLog feeds arbitrary logs to the parsers: they never panic, and a failing
// instruction they report is one of the log's lines.
func FuzzParseVerifierLog(f *testing.F) {
	for _, tt := range verifierLogTests {
		if b, err := os.ReadFile(filepath.Join("testdata", "verifier", tt.file)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("0: (bf) r0 = r2\nR2 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0"))
	f.Add([]byte("stack depth 1+2+x\nverification time usec\nprocessed (limit"))
	f.Fuzz(func(t *testing.T, b []byte) {
		log := splitLog(b)
		_ = parseVerifierStats(log)
		_ = decisiveLines(log, 3)
		slot, _, ok := failingInstruction(log)
		if ok && slot < 0 {
			t.Fatalf("negative slot %d", slot)
		}
		spec := &ProgramSpec{Name: "fuzz", Instructions: retZero()}
		e := newVerifierError(spec, unix.EACCES, log)
		_ = e.Error()
		_ = fmt.Sprintf("%+v", e)
		if e.Index >= len(spec.Instructions) {
			t.Fatalf("index %d out of range", e.Index)
		}
	})
}
