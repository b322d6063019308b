package bpf

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// VerifierError is the kernel verifier's rejection of a program (BPF_PROG_LOAD). It carries
// the errno as its cause (errors.Is(err, unix.EACCES) works), the whole verifier log, and what
// the log says about the failing instruction: its slot in the bytecode, its index in the
// ProgramSpec's Instructions and — for programs built with asm — its text, the Go file:line
// that emitted it and the nearest label before it.
//
// Error returns one line: the decisive last lines of the log and where the instruction came
// from. Format with %+v to print the whole log.
type VerifierError struct {
	// Program is the name of the rejected program.
	Program string
	// Cause is the kernel's errno (EACCES, EINVAL, E2BIG, ...).
	Cause error
	// Log is the verifier log, one line per element.
	Log []string
	// Truncated reports that the log did not fit even the largest buffer.
	Truncated bool
	// Slot is the bytecode slot of the failing instruction as the log numbers it, or -1.
	Slot int
	// Index is the failing instruction's index in ProgramSpec.Instructions, or -1.
	Index int
	// Instruction is the failing instruction's text: asm's rendering when it has one, the
	// verifier's otherwise. Empty when unknown.
	Instruction string
	// Source is the Go position that emitted the failing instruction; Source.File is empty when
	// unknown (bytecode from ELF, decoded instructions).
	Source asm.Position
	// Label is the nearest label at or before the failing instruction, or "".
	Label string
	// SourceText is the text of the failing instruction's source line when the program's BTF
	// carries it (objects clang compiled with -g; Source then names the C file and line).
	SourceText string
	// Hint explains a failure bpfgo recognises (e.g. a reachable call of a weak kfunc the
	// kernel lacks), or is empty.
	Hint string
}

// Error returns a one-line summary, e.g.
// `program "bad": verifier: R2 !read_ok at insn 0 (Instructions[1]) "r0 = r2", emitted at
// bad_test.go:12 after label "start": permission denied`. The insn number is the verifier's
// (bytecode slots); Instructions[i] indexes ProgramSpec.Instructions, which counts labels.
func (e *VerifierError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "program %q: verifier: ", e.Program)
	if msg := e.Message(); msg != "" {
		b.WriteString(msg)
	} else {
		b.WriteString("rejected")
	}
	if e.Slot >= 0 {
		fmt.Fprintf(&b, " at insn %d", e.Slot)
		if e.Index >= 0 && e.Index != e.Slot {
			fmt.Fprintf(&b, " (Instructions[%d])", e.Index)
		}
		if e.Instruction != "" {
			fmt.Fprintf(&b, " %q", e.Instruction)
		}
	}
	if e.Source.File != "" {
		fmt.Fprintf(&b, ", emitted at %s:%d", filepath.Base(e.Source.File), e.Source.Line)
		if e.Source.Helper != "" {
			fmt.Fprintf(&b, " by %s", e.Source.Helper)
		}
	}
	if e.Label != "" {
		fmt.Fprintf(&b, " after label %q", e.Label)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	if e.Truncated {
		b.WriteString(" (log truncated)")
	}
	return b.String()
}

// Message returns the decisive lines of the log: what the verifier said after the last
// instruction it printed, joined with "; " (at most three lines).
func (e *VerifierError) Message() string {
	return decisiveLines(e.Log, 3)
}

// Unwrap returns the errno.
func (e *VerifierError) Unwrap() error { return e.Cause }

// Format implements fmt.Formatter: %v and %s print Error(), %+v adds the whole log and the
// failing instruction's source position.
func (e *VerifierError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintln(f, e.Error())
		if e.Source.File != "" {
			fmt.Fprintf(f, "failing instruction Instructions[%d] emitted at %s", e.Index, e.Source)
			if e.Source.Function != "" {
				fmt.Fprintf(f, " in %s", e.Source.Function)
			}
			fmt.Fprintln(f)
			if e.SourceText != "" {
				fmt.Fprintf(f, "\t%s\n", e.SourceText)
			}
		}
		fmt.Fprintln(f, "verifier log:")
		for _, l := range e.Log {
			fmt.Fprintf(f, "\t%s\n", l)
		}
		if e.Truncated {
			fmt.Fprintln(f, "\t(truncated)")
		}
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

// newVerifierError builds the error for a rejected spec from the kernel's answer and log.
func newVerifierError(spec *ProgramSpec, cause error, log []string) *VerifierError {
	e := &VerifierError{Program: spec.Name, Cause: cause, Log: log, Slot: -1, Index: -1}
	// ENOSPC after the buffer reached its maximum: the kernel kept the log's tail.
	e.Truncated = errors.Is(cause, unix.ENOSPC)
	slot, text, ok := failingInstruction(log)
	if !ok {
		return e
	}
	e.Slot, e.Instruction = slot, text
	idx, ok := spec.Instructions.SlotIndex(slot)
	if !ok {
		return e
	}
	e.Index = idx
	ins := spec.Instructions[idx]
	if s, ok := any(ins).(fmt.Stringer); ok {
		e.Instruction = s.String()
	}
	if pos, ok := ins.Source(); ok {
		e.Source = pos
	} else if spec.BTF != nil {
		e.Source, e.SourceText = objectSourceLine(spec.BTF, slot)
	}
	if l, ok := spec.Instructions.LabelBefore(idx); ok {
		e.Label = l
	}
	if ins.IsKfuncCall() && ins.IsWeak() && strings.Contains(e.Message(), fmt.Sprintf("#%d", asm.PoisonedKfunc)) {
		e.Hint = fmt.Sprintf("the weak kfunc %s is missing from this kernel and this call is reachable: guard it with asm.LoadKfuncExists (bpf_ksym_exists in C)", ins.Reference)
	}
	return e
}

// objectSourceLine returns the source position and text that the line_info records of an
// object's program give the instruction at slot: the last record at or before it.
func objectSourceLine(pb *ProgramBTF, slot int) (asm.Position, string) {
	var best *btf.LineInfo
	for i := range pb.LineInfos {
		li := &pb.LineInfos[i]
		if int(li.InsnOff/asm.InstructionSize) <= slot && (best == nil || li.InsnOff >= best.InsnOff) {
			best = li
		}
	}
	if best == nil || best.FileName == "" {
		return asm.Position{}, ""
	}
	return asm.Position{File: best.FileName, Line: int(best.LineNum)}, strings.TrimSpace(best.Line)
}

// parseInsnLine parses a verifier log line that prints an instruction, "12: (61) r0 = ...",
// and returns the slot and the instruction text.
func parseInsnLine(line string) (slot int, text string, ok bool) {
	colon := strings.IndexByte(line, ':')
	if colon <= 0 || colon > 7 {
		return 0, "", false
	}
	n, err := strconv.Atoi(line[:colon])
	if err != nil || n < 0 {
		return 0, "", false
	}
	rest := line[colon+1:]
	// "(xx) " with two hex digits: the opcode.
	if len(rest) < 6 || rest[0] != ' ' || rest[1] != '(' || rest[4] != ')' || !isHex(rest[2]) || !isHex(rest[3]) {
		return 0, "", false
	}
	return n, strings.TrimSpace(rest[5:]), true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// failingInstruction returns the last instruction the log printed: the one the verifier was
// checking when it gave up.
func failingInstruction(log []string) (slot int, text string, ok bool) {
	for i := len(log) - 1; i >= 0; i-- {
		if s, t, ok := parseInsnLine(log[i]); ok {
			return s, t, true
		}
	}
	return 0, "", false
}

// isStatsLine reports whether line is one of the statistics lines that close every log.
func isStatsLine(line string) bool {
	return strings.HasPrefix(line, "processed ") || strings.HasPrefix(line, "verification time ") ||
		strings.HasPrefix(line, "stack depth ") || strings.HasPrefix(line, "max_states_per_insn")
}

// decisiveLines returns up to max non-statistics lines that follow the last instruction line
// of log (or the last such lines of a log without instructions), joined with "; ".
func decisiveLines(log []string, max int) string {
	end := len(log)
	for end > 0 && (isStatsLine(log[end-1]) || strings.TrimSpace(log[end-1]) == "") {
		end--
	}
	start := end
	for start > 0 && end-start < max {
		if _, _, ok := parseInsnLine(log[start-1]); ok {
			break
		}
		start--
	}
	var parts []string
	for _, l := range log[start:end] {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// VerifierStats are the statistics the verifier prints at the end of its log (BPF_LOG_STATS):
// how much work verifying the program took.
type VerifierStats struct {
	// Insns is the number of instructions processed (with repetitions over paths).
	Insns int
	// InsnLimit is the most the verifier would have processed (1,000,000 for privileged loads).
	InsnLimit int
	// MaxStatesPerInsn, TotalStates and PeakStates count verifier states.
	MaxStatesPerInsn int
	TotalStates      int
	PeakStates       int
	// MarkRead is the number of register read marks (kernels that still print it).
	MarkRead int
	// Time is the verification time (Linux 5.15+), or 0.
	Time time.Duration
	// StackDepth is the stack use of the main program and each subprogram, in bytes.
	StackDepth []int
}

// String returns e.g. "processed 12 insns, 0 states (peak 0), 15µs, stack 8".
func (s *VerifierStats) String() string {
	if s == nil {
		return "<no verifier stats>"
	}
	str := fmt.Sprintf("processed %d insns (limit %d), %d states (peak %d, max %d per insn)",
		s.Insns, s.InsnLimit, s.TotalStates, s.PeakStates, s.MaxStatesPerInsn)
	if s.Time > 0 {
		str += ", verified in " + s.Time.String()
	}
	if len(s.StackDepth) > 0 {
		depths := make([]string, len(s.StackDepth))
		for i, d := range s.StackDepth {
			depths[i] = strconv.Itoa(d)
		}
		str += ", stack depth " + strings.Join(depths, "+")
	}
	return str
}

// parseVerifierStats extracts the statistics from log, or returns nil when it has none.
//
//	processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
//	verification time 9 usec
//	stack depth 0+8
func parseVerifierStats(log []string) *VerifierStats {
	var s VerifierStats
	found := false
	for _, line := range log {
		switch {
		case strings.HasPrefix(line, "processed "):
			f := strings.Fields(line)
			for i := 0; i+1 < len(f); i++ {
				v, err := strconv.Atoi(strings.Trim(f[i+1], "()"))
				if err != nil {
					continue
				}
				switch f[i] {
				case "processed":
					s.Insns, found = v, true
				case "(limit":
					s.InsnLimit = v
				case "max_states_per_insn":
					s.MaxStatesPerInsn = v
				case "total_states":
					s.TotalStates = v
				case "peak_states":
					s.PeakStates = v
				case "mark_read":
					s.MarkRead = v
				}
			}
		case strings.HasPrefix(line, "verification time "):
			f := strings.Fields(line)
			if len(f) >= 3 {
				if v, err := strconv.Atoi(f[2]); err == nil {
					s.Time = time.Duration(v) * time.Microsecond
				}
			}
		case strings.HasPrefix(line, "stack depth "):
			s.StackDepth = s.StackDepth[:0]
			for _, d := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "stack depth ")), "+") {
				if v, err := strconv.Atoi(d); err == nil {
					s.StackDepth = append(s.StackDepth, v)
				}
			}
		}
	}
	if !found {
		return nil
	}
	return &s
}
