package main

import (
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/elfsec"
)

func init() {
	register(&command{
		Name:    "disasm",
		Summary: "disassemble the programs of an ELF object (llvm-objdump notation)",
		Usage:   "disasm FILE.o [SECTION] [--json] [--symbolic]",
		Run:     runDisasm,
	})
}

// disasmSection is one executable section of an object, decoded.
type disasmSection struct {
	Name         string       `json:"section"`
	Size         int          `json:"size"`
	Functions    []disasmFunc `json:"functions"`
	Instructions []disasmInsn `json:"instructions"`
}

// disasmFunc is a function symbol of a section: where a program or subprogram starts.
type disasmFunc struct {
	Name string `json:"name"`
	Slot int    `json:"slot"`
}

// disasmInsn is one instruction in the JSON output. Slot is the kernel's instruction index
// (a 64-bit immediate load takes two); Index counts instructions.
type disasmInsn struct {
	Index    int    `json:"index"`
	Slot     int    `json:"slot"`
	Function string `json:"function,omitempty"`
	Text     string `json:"text"`
	Raw      string `json:"raw"`
	OpCode   uint8  `json:"opcode"`
	Class    string `json:"class"`
	Dst      uint8  `json:"dst"`
	Src      uint8  `json:"src"`
	Offset   int16  `json:"offset"`
	Imm      int64  `json:"imm"`
	// Relocation names the symbol a relocation of this instruction refers to (a map, a global
	// variable's section, a called function), as the ELF loader will resolve it.
	Relocation string `json:"relocation,omitempty"`
}

func runDisasm(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("disasm", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	symbolic := fs.Bool("symbolic", false, "print helper calls by name, as the verifier log does")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return fmt.Errorf("%w: want FILE.o and optionally SECTION", errUsage)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	only := ""
	if len(pos) == 2 {
		only = pos[1]
	}
	secs, err := disassemble(data, only, *symbolic)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if *asJSON {
		enc := json.NewEncoder(rc.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(secs)
	}
	return printDisasm(rc.Stdout, secs)
}

// disassemble decodes the executable sections of the ELF object in data, in file order, or only
// the section named only.
func disassemble(data []byte, only string, symbolic bool) ([]disasmSection, error) {
	f, err := elfsec.OpenBytes(data)
	if err != nil {
		return nil, err
	}
	if f.Machine != elf.EM_BPF {
		return nil, fmt.Errorf("not a BPF object (machine %v)", f.Machine)
	}
	syms, err := f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, fmt.Errorf("symbols: %w", err)
	}
	opts := &asm.FormatOptions{HelperNames: symbolic}
	var secs []disasmSection
	for idx, s := range f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 || s.Size == 0 {
			continue
		}
		if only != "" && s.Name != only {
			continue
		}
		b, err := elfsec.SectionData(s)
		if err != nil {
			return nil, err
		}
		insns, err := asm.Decode(b, f.ByteOrder)
		if err != nil {
			return nil, fmt.Errorf("section %q: %w", s.Name, err)
		}
		relocs, err := relocations(f, idx, syms)
		if err != nil {
			return nil, fmt.Errorf("section %q: %w", s.Name, err)
		}
		sec := disasmSection{Name: s.Name, Size: len(b), Functions: functions(syms, idx)}
		fn := 0
		slot := 0
		for i, ins := range insns {
			for fn+1 < len(sec.Functions) && sec.Functions[fn+1].Slot <= slot {
				fn++
			}
			raw, _ := asm.Instructions{ins}.AppendEncode(nil, &asm.EncodeOptions{ByteOrder: f.ByteOrder})
			text := ins.AppendText(nil, opts)
			rel := relocs[uint64(slot)*asm.InstructionSize]
			if rel != "" {
				text = fmt.Appendf(text, " <%s>", rel)
			}
			di := disasmInsn{
				Index: i, Slot: slot, Text: string(text), Raw: hex.EncodeToString(raw),
				OpCode: uint8(ins.OpCode), Class: ins.OpCode.Class().String(),
				Dst: uint8(ins.Dst), Src: uint8(ins.Src), Offset: ins.Offset, Imm: ins.Constant,
				Relocation: rel,
			}
			if fn < len(sec.Functions) && sec.Functions[fn].Slot <= slot {
				di.Function = sec.Functions[fn].Name
			}
			sec.Instructions = append(sec.Instructions, di)
			slot += ins.Slots()
		}
		secs = append(secs, sec)
	}
	if only != "" && len(secs) == 0 {
		return nil, fmt.Errorf("no executable section %q", only)
	}
	return secs, nil
}

// functions returns the function symbols of section idx, by slot.
func functions(syms []elf.Symbol, idx int) []disasmFunc {
	var fns []disasmFunc
	for _, s := range syms {
		if int(s.Section) == idx && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			fns = append(fns, disasmFunc{Name: s.Name, Slot: int(s.Value / asm.InstructionSize)})
		}
	}
	sort.SliceStable(fns, func(i, j int) bool { return fns[i].Slot < fns[j].Slot })
	return fns
}

// relocations returns the symbol names that the relocations of section idx refer to, by
// byte offset, as the ELF loader resolves them (elfsec reads the REL entries).
func relocations(f *elfsec.File, idx int, syms []elf.Symbol) (map[uint64]string, error) {
	relocs, err := f.Relocations(idx, syms)
	if err != nil {
		return nil, err
	}
	res := make(map[uint64]string, len(relocs))
	for _, r := range relocs {
		res[r.Offset] = f.SymbolName(r.Symbol)
	}
	return res, nil
}

func printDisasm(w io.Writer, secs []disasmSection) error {
	for i, sec := range secs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Disassembly of section %s:\n", sec.Name)
		fn := 0
		width := 4
		if n := len(sec.Instructions); n > 0 {
			width = max(width, len(fmt.Sprint(sec.Instructions[n-1].Slot)))
		}
		for _, in := range sec.Instructions {
			for fn < len(sec.Functions) && sec.Functions[fn].Slot <= in.Slot {
				fmt.Fprintf(w, "\n%s:\n", sec.Functions[fn].Name)
				fn++
			}
			if _, err := fmt.Fprintf(w, "%*d: %s\n", width, in.Slot, in.Text); err != nil {
				return err
			}
		}
	}
	return nil
}
