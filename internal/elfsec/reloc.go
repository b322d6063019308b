package elfsec

import (
	"debug/elf"
	"fmt"
)

// RelocType is a BPF relocation type (the low 32 bits of r_info), as LLVM's
// BPF backend documents them (llvm/docs/BPFRelocations or "BPF relocations"
// in the kernel's Documentation/bpf/llvm_reloc.rst).
type RelocType uint32

// BPF relocation types.
const (
	RelocNone     RelocType = 0  // R_BPF_NONE
	Reloc64_64    RelocType = 1  // R_BPF_64_64: a 64-bit immediate load (ld_imm64) of a map or variable
	RelocABS64    RelocType = 2  // R_BPF_64_ABS64: a 64-bit data address
	RelocABS32    RelocType = 3  // R_BPF_64_ABS32: a 32-bit data address
	RelocNoDyld32 RelocType = 4  // R_BPF_64_NODYLD32: a 32-bit address in DWARF/BTF sections
	Reloc64_32    RelocType = 10 // R_BPF_64_32: a bpf-to-bpf call's target
)

// relSize is the size of an Elf64_Rel entry (r_offset, r_info). BPF objects
// use REL, not RELA, sections.
const relSize = 16

// Reloc is one relocation entry (Elf64_Rel) of a BPF object.
type Reloc struct {
	// Offset is r_offset: the byte offset, in the section the relocation
	// applies to, of the instruction or data it patches.
	Offset uint64
	// Type is the relocation type: R_BPF_64_64 for 64-bit immediate loads
	// (map and global variable references), R_BPF_64_32 for bpf-to-bpf
	// calls, R_BPF_64_ABS64/ABS32 for data (e.g. map-in-map initial values).
	Type RelocType
	// Symbol is the symbol the entry refers to.
	Symbol elf.Symbol
}

// SymbolName returns the name the relocation refers to: the symbol's name,
// or for an unnamed section symbol (clang's references to .data, .rodata,
// ...) the section's name.
func (f *File) SymbolName(sym elf.Symbol) string {
	if sym.Name == "" && sym.Section != elf.SHN_UNDEF && int(sym.Section) < len(f.Sections) {
		return f.Sections[sym.Section].Name
	}
	return sym.Name
}

// Relocations returns the entries of every SHT_REL section that applies to
// the section with header index idx (its sh_info is idx), in file order. syms
// is the symbol table as [elf.File.Symbols] returns it (without the null
// symbol). An entry naming a symbol outside syms is an error.
func (f *File) Relocations(idx int, syms []elf.Symbol) ([]Reloc, error) {
	var out []Reloc
	for _, rs := range f.Sections {
		if rs.Type != elf.SHT_REL || int(rs.Info) != idx {
			continue
		}
		b, err := SectionData(rs)
		if err != nil {
			return nil, err
		}
		if len(b)%relSize != 0 {
			return nil, fmt.Errorf("section %q: size %d is not a multiple of %d", rs.Name, len(b), relSize)
		}
		bo := f.ByteOrder
		for i := 0; i+relSize <= len(b); i += relSize {
			off, info := bo.Uint64(b[i:]), bo.Uint64(b[i+8:])
			si := int(info >> 32)
			if si < 1 || si > len(syms) {
				return nil, fmt.Errorf("section %q: entry %d: symbol index %d out of range (%d symbols)", rs.Name, i/relSize, si, len(syms))
			}
			out = append(out, Reloc{Offset: off, Type: RelocType(uint32(info)), Symbol: syms[si-1]})
		}
	}
	return out, nil
}
