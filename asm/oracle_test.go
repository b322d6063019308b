package asm

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/elfsec"
	"github.com/bpfgo/bpf/internal/testutil"
)

// objdumpLine is one instruction of llvm-objdump's listing.
type objdumpLine struct {
	raw  []byte
	text string
}

var (
	objdumpInsn    = regexp.MustCompile(`^\s*(\d+):\t([0-9a-f ]+)\t(.*)$`)
	objdumpSection = regexp.MustCompile(`^Disassembly of section (.*):$`)
	objdumpTarget  = regexp.MustCompile(` <[^<>]*>$`)
	spaces         = regexp.MustCompile(`\s+`)
)

// runObjdump disassembles path with llvm-objdump-19 and returns, per section, the instructions by
// slot. The branch target annotations objdump appends (" <func+0x28>") are dropped; they name
// ELF symbols, not the instruction.
func runObjdump(t *testing.T, tool, path string, extra ...string) map[string]map[int]objdumpLine {
	t.Helper()
	args := append([]string{"-d"}, extra...)
	out, err := exec.Command(tool, append(args, path)...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", tool, path, err)
	}
	res := map[string]map[int]objdumpLine{}
	var cur map[int]objdumpLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := objdumpSection.FindStringSubmatch(line); m != nil {
			cur = map[int]objdumpLine{}
			res[m[1]] = cur
			continue
		}
		m := objdumpInsn.FindStringSubmatch(line)
		if m == nil || cur == nil {
			continue
		}
		slot, _ := strconv.Atoi(m[1])
		raw, err := hex.DecodeString(strings.ReplaceAll(m[2], " ", ""))
		if err != nil {
			t.Fatalf("objdump line %q: %v", line, err)
		}
		text := objdumpTarget.ReplaceAllString(m[3], "")
		cur[slot] = objdumpLine{raw: raw, text: strings.TrimSpace(spaces.ReplaceAllString(text, " "))}
	}
	return res
}

// llvmLossy lists the encodings whose llvm-objdump-19 text loses or misreads fields, with the text
// we print instead. Everything else must match llvm-objdump exactly.
func llvmLossy(ins Instruction) (why string, lossy bool) {
	switch {
	case ins.OpCode.Class() == ClassLD && ins.OpCode.Mode() == ModeIND && ins.Constant != 0:
		return "llvm prints skb[rN] without the immediate", true
	case ins.IsLoadImm64() && ins.Src != 0 && ins.Constant>>32 != 0:
		return "llvm's ld_pseudo drops the second slot's immediate", true
	case ins.OpCode.Class() == ClassSTX && ins.OpCode.Mode() == ModeATOMIC &&
		(AtomicOp(ins.Constant) == AtomicLoadAcq || AtomicOp(ins.Constant) == AtomicStoreRel):
		return "llvm 19 predates load-acquire and store-release (Linux 6.15)", true
	}
	return "", false
}

// TestOracleObjdump decodes every executable section of the objects in testdata and checks, for
// every instruction, that its bytes and its text equal what llvm-objdump-19 shows.
func TestOracleObjdump(t *testing.T) {
	tool := testutil.RequireTool(t, "llvm-objdump-19")
	objs, err := filepath.Glob("testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatalf("no objects in testdata (%v)", err)
	}
	total := 0
	for _, path := range objs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			plain := runObjdump(t, tool, path)
			alu32 := runObjdump(t, tool, path, "--mattr=+alu32")
			f := openObject(t, path)
			for _, sec := range f.Sections {
				if sec.Type != elf.SHT_PROGBITS || sec.Flags&elf.SHF_EXECINSTR == 0 || sec.Size == 0 {
					continue
				}
				data, err := elfsec.SectionData(sec)
				if err != nil {
					t.Fatal(err)
				}
				insns, err := Decode(data, f.ByteOrder)
				if err != nil {
					t.Fatalf("section %s: %v", sec.Name, err)
				}
				again, err := insns.AppendEncode(nil, &EncodeOptions{ByteOrder: f.ByteOrder})
				if err != nil || !bytes.Equal(again, data) {
					t.Fatalf("section %s: re-encoding differs from the section (err %v)", sec.Name, err)
				}
				want, ok := plain[sec.Name]
				if !ok {
					t.Fatalf("llvm-objdump shows no section %s", sec.Name)
				}
				slot := 0
				for _, ins := range insns {
					got := ins.String()
					line, ok := want[slot]
					if !ok {
						t.Errorf("%s slot %d: llvm-objdump shows no instruction (ours: %s)", sec.Name, slot, got)
					} else {
						if line.text == "<unknown>" || isAtomic32(ins) && AtomicOp(ins.Constant) != AtomicAdd {
							// Without alu32, llvm-objdump decodes no 32-bit atomic but the legacy
							// add (BPF_XADD), and reads any other as that add, ignoring imm. With
							// alu32 it decodes them all (and prints w registers).
							line = alu32[sec.Name][slot]
						}
						enc, _ := Instructions{ins}.AppendEncode(nil, &EncodeOptions{ByteOrder: f.ByteOrder})
						if !bytes.Equal(enc, line.raw) {
							t.Errorf("%s slot %d: bytes %x, llvm-objdump %x", sec.Name, slot, enc, line.raw)
						}
						if why, lossy := llvmLossy(ins); lossy {
							t.Logf("%s slot %d: %s: llvm %q, ours %q", sec.Name, slot, why, line.text, got)
						} else if got != line.text {
							t.Errorf("%s slot %d (%x): got %q, llvm-objdump-19 %q", sec.Name, slot, enc, got, line.text)
						}
						total++
					}
					slot += ins.Slots()
				}
			}
		})
	}
	t.Logf("%d instructions compared with llvm-objdump-19", total)
}

func openObject(t *testing.T, path string) *elfsec.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elfsec.OpenBytes(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func isAtomic32(ins Instruction) bool {
	return ins.OpCode == OpCode(uint8(ClassSTX)|uint8(ModeATOMIC)|uint8(W))
}
