package elfobj

import (
	"cmp"
	"debug/elf"
	"fmt"
	"slices"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/elfsec"
)

// funcKey identifies a function by section index and byte offset.
type funcKey struct {
	sec int
	off uint64
}

// function is one function symbol of an executable section, with its
// instructions and resolved references.
type function struct {
	name    string
	label   string
	sec     int
	secName string
	start   uint64 // byte offsets in the section
	end     uint64
	global  bool
	insns   asm.Instructions
	calls   []funcKey // functions it calls or references, in order
}

// loadFunctions decodes every executable section, splits it at its function
// symbols and resolves the relocations of each instruction.
func (l *loader) loadFunctions() error {
	l.funcs = map[funcKey]*function{}
	names := map[string]int{}
	type pending struct {
		fn   *function
		offs []uint64 // byte offset of each instruction in the section
	}
	var all []pending
	for idx, s := range l.f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 || s.Size == 0 {
			continue
		}
		b, err := elfsec.SectionData(s)
		if err != nil {
			return err
		}
		insns, err := asm.Decode(b, l.bo)
		if err != nil {
			return fmt.Errorf("section %q: %w", s.Name, err)
		}
		offs := make([]uint64, len(insns))
		var off uint64
		for i, ins := range insns {
			offs[i] = off
			off += uint64(ins.Slots()) * asm.InstructionSize
		}
		var syms []elf.Symbol
		for _, sym := range l.syms {
			if int(sym.Section) == idx && elf.ST_TYPE(sym.Info) == elf.STT_FUNC {
				syms = append(syms, sym)
			}
		}
		slices.SortStableFunc(syms, func(a, b elf.Symbol) int { return cmp.Compare(a.Value, b.Value) })
		// Aliases share an offset: keep the first symbol of each.
		syms = slices.CompactFunc(syms, func(a, b elf.Symbol) bool { return a.Value == b.Value })
		if len(syms) == 0 || syms[0].Value != 0 {
			return fmt.Errorf("section %q: instructions at offset 0 belong to no function symbol", s.Name)
		}
		for i, sym := range syms {
			end := off
			if i+1 < len(syms) {
				end = syms[i+1].Value
			}
			if sym.Value%asm.InstructionSize != 0 || end > off || sym.Value >= end {
				return fmt.Errorf("section %q: function %q at bytes %d..%d does not fit the section's %d bytes of instructions", s.Name, sym.Name, sym.Value, end, off)
			}
			lo, ok1 := slices.BinarySearch(offs, sym.Value)
			hi, ok2 := slices.BinarySearch(offs, end)
			if !ok1 || (!ok2 && end != off) {
				return fmt.Errorf("section %q: function %q starts or ends inside an instruction", s.Name, sym.Name)
			}
			fn := &function{
				name: sym.Name, sec: idx, secName: s.Name, start: sym.Value, end: end,
				global: elf.ST_BIND(sym.Info) != elf.STB_LOCAL,
				insns:  slices.Clone(insns[lo:hi]),
			}
			names[fn.name]++
			l.funcs[funcKey{idx, sym.Value}] = fn
			all = append(all, pending{fn, offs[lo:hi]})
		}
	}
	for _, fn := range l.funcs {
		fn.label = fn.name
		if names[fn.name] > 1 {
			fn.label = fmt.Sprintf("%s@%s", fn.name, fn.secName)
		}
	}
	for _, p := range all {
		if err := l.resolve(p.fn, p.offs); err != nil {
			return fmt.Errorf("program %q: %w", p.fn.name, err)
		}
	}
	return nil
}

// resolve turns the relocated and pc-relative references of fn into symbolic
// ones: map loads naming maps, global variable loads naming their section's
// map, calls naming the called function's label.
func (l *loader) resolve(fn *function, offs []uint64) error {
	relocs, err := l.f.Relocations(fn.sec, l.syms)
	if err != nil {
		return fmt.Errorf("section %q: %w", fn.secName, err)
	}
	relocated := map[int]bool{}
	for _, r := range relocs {
		if r.Offset < fn.start || r.Offset >= fn.end {
			continue
		}
		i, ok := slices.BinarySearch(offs, r.Offset)
		if !ok {
			return fmt.Errorf("relocation at byte %d of %q is not at an instruction", r.Offset, fn.secName)
		}
		if err := l.relocate(fn, &fn.insns[i], r); err != nil {
			return fmt.Errorf("instruction %d: %w", (r.Offset-fn.start)/asm.InstructionSize, err)
		}
		relocated[i] = true
	}
	// Calls within a section that need no relocation (static functions).
	for i := range fn.insns {
		ins := &fn.insns[i]
		if relocated[i] || !(ins.IsFunctionCall() || ins.IsLoadImm64() && ins.Src == asm.PseudoFunc) {
			continue
		}
		target := int64(offs[i]) + int64(ins.Slots()+int(int32(ins.Constant)))*asm.InstructionSize
		if err := l.callTo(fn, ins, fn.sec, target); err != nil {
			return fmt.Errorf("instruction %d: %w", (offs[i]-fn.start)/asm.InstructionSize, err)
		}
	}
	return nil
}

func (l *loader) relocate(fn *function, ins *asm.Instruction, r elfsec.Reloc) error {
	sym := r.Symbol
	name := l.f.SymbolName(sym)
	sec := l.section(sym.Section)
	if sec == nil {
		if v, ok := l.kconfigVar(name); ok && ins.IsLoadImm64() {
			*ins = asm.LoadMapValue(ins.Dst, ".kconfig", v.Offset+uint32(ins.Constant))
			return nil
		}
		if k, ok := l.ksyms[name]; ok {
			return l.relocateKsym(ins, name, k)
		}
		return fmt.Errorf("reference to %q: an extern symbol that is neither a .kconfig variable nor a .ksyms kernel symbol", name)
	}
	secIdx := int(sym.Section)
	switch {
	case ins.IsFunctionCall():
		if r.Type != elfsec.Reloc64_32 {
			return fmt.Errorf("call of %q: relocation type %d, want R_BPF_64_32", name, r.Type)
		}
		target := int64(sym.Value) + (int64(int32(ins.Constant))+1)*asm.InstructionSize
		return l.callTo(fn, ins, secIdx, target)
	case !ins.IsLoadImm64():
		return fmt.Errorf("reference to %q: relocation on %v, which is neither a call nor a 64-bit load", name, ins)
	case sec.Flags&elf.SHF_EXECINSTR != 0:
		// A callback: dst = &function.
		target := int64(sym.Value) + int64(int32(ins.Constant))
		ins.Src = asm.PseudoFunc
		return l.callTo(fn, ins, secIdx, target)
	case l.mapSecs[secIdx]:
		mapName := sym.Name
		if mapName == "" || elf.ST_TYPE(sym.Info) == elf.STT_SECTION {
			off := sym.Value + uint64(uint32(ins.Constant))
			mapName = ""
			for _, s := range l.syms {
				if int(s.Section) == secIdx && s.Value == off && s.Name != "" && elf.ST_TYPE(s.Info) != elf.STT_SECTION {
					mapName = s.Name
				}
			}
		}
		if _, ok := l.maps[mapName]; !ok {
			return fmt.Errorf("reference to map %q in %s: no such map", mapName, sec.Name)
		}
		*ins = asm.LoadMapPtr(ins.Dst, mapName)
		return nil
	case l.dataSecs[secIdx] != "":
		off := sym.Value + uint64(uint32(ins.Constant))
		if off >= sec.Size {
			return fmt.Errorf("reference to %q: offset %d outside section %s (%d bytes)", name, off, sec.Name, sec.Size)
		}
		*ins = asm.LoadMapValue(ins.Dst, l.dataSecs[secIdx], uint32(off))
		return nil
	}
	return fmt.Errorf("reference to %q in section %s, which is neither code, maps nor global data", name, sec.Name)
}

// callTo makes ins (a call or callback load) refer to the function at byte
// offset target of section sec.
func (l *loader) callTo(fn *function, ins *asm.Instruction, sec int, target int64) error {
	if target < 0 {
		return fmt.Errorf("call target %d before the section", target)
	}
	callee, ok := l.funcs[funcKey{sec, uint64(target)}]
	if !ok {
		return fmt.Errorf("call target at byte %d of section %q is not the start of a function", target, l.f.Sections[sec].Name)
	}
	ins.Reference = callee.label
	ins.Constant = -1
	if ins.IsLoadImm64() {
		ins.Constant = 0
	}
	fn.calls = append(fn.calls, funcKey{callee.sec, callee.start})
	return nil
}

// buildPrograms makes a ProgramSpec of every global function outside .text:
// its instructions followed by every function it reaches through calls.
func (l *loader) buildPrograms() error {
	l.progs = map[string]*bpf.ProgramSpec{}
	keys := make([]funcKey, 0, len(l.funcs))
	for k := range l.funcs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b funcKey) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.off, b.off))
	})
	for _, k := range keys {
		fn := l.funcs[k]
		if !fn.global || fn.secName == ".text" {
			continue
		}
		if _, dup := l.progs[fn.name]; dup {
			return fmt.Errorf("program %q: defined twice", fn.name)
		}
		ps, err := l.program(fn)
		if err != nil {
			return fmt.Errorf("program %q: %w", fn.name, err)
		}
		l.progs[fn.name] = ps
	}
	return nil
}

func (l *loader) program(entry *function) (*bpf.ProgramSpec, error) {
	kind, _ := ClassifySection(entry.secName)
	ps := &bpf.ProgramSpec{
		Name:          entry.name,
		Type:          kind.Type,
		Section:       entry.secName,
		AttachType:    kind.AttachType,
		AttachTo:      kind.AttachTo,
		Flags:         kind.Flags,
		License:       l.license,
		KernelVersion: l.version,
	}
	var pb *bpf.ProgramBTF
	if l.btf != nil && l.ext != nil {
		pb = &bpf.ProgramBTF{Spec: l.btf}
	}
	// Breadth-first over the call graph, in call order.
	order := []*function{entry}
	seen := map[*function]bool{entry: true}
	for i := 0; i < len(order); i++ {
		for _, k := range order[i].calls {
			callee := l.funcs[k]
			if !seen[callee] {
				seen[callee] = true
				order = append(order, callee)
			}
		}
	}
	var off uint32 // byte offset of the current function in the program
	for _, fn := range order {
		ps.Instructions = append(ps.Instructions, asm.Label(fn.label))
		ps.Instructions = append(ps.Instructions, fn.insns...)
		if pb != nil {
			if es := l.ext.Section(fn.secName); es != nil {
				in := func(o uint32) bool { return uint64(o) >= fn.start && uint64(o) < fn.end }
				shift := func(o uint32) uint32 { return off + o - uint32(fn.start) }
				for _, r := range es.FuncInfos {
					if in(r.InsnOff) {
						r.InsnOff = shift(r.InsnOff)
						pb.FuncInfos = append(pb.FuncInfos, r)
					}
				}
				for _, r := range es.LineInfos {
					if in(r.InsnOff) {
						r.InsnOff = shift(r.InsnOff)
						pb.LineInfos = append(pb.LineInfos, r)
					}
				}
				for _, r := range es.CORERelos {
					if in(r.InsnOff) {
						r.InsnOff = shift(r.InsnOff)
						pb.CORERelos = append(pb.CORERelos, r)
					}
				}
			}
		}
		off += uint32(fn.end - fn.start)
	}
	ps.BTF = pb
	return ps, nil
}

// relocateKsym rewrites a use of the extern kernel symbol name (.ksyms): a
// call of a kfunc becomes a kfunc call by name, a load of its address
// (bpf_ksym_exists) a 1-or-0 constant decided at load, a load of a typed
// kernel variable a BPF_PSEUDO_BTF_ID load by name; NewProgram resolves them
// in the running kernel's BTF. __weak externs the kernel lacks are a call the
// verifier refuses only if reached, and a NULL address.
func (l *loader) relocateKsym(ins *asm.Instruction, name string, k ksym) error {
	switch {
	case k.fn && ins.IsFunctionCall():
		*ins = asm.CallKfuncByName(name)
		if k.weak {
			*ins = ins.Weak()
		}
		return nil
	case k.fn && ins.IsLoadImm64() && ins.Constant == 0:
		// Its address: bpf_ksym_exists(kfunc), 1 or 0 at load.
		*ins = asm.LoadKfuncExists(ins.Dst, name)
		return nil
	case k.fn:
		return fmt.Errorf("reference to kfunc %q: relocation on %v, which is neither a call nor a load of its address", name, ins)
	case !ins.IsLoadImm64():
		return fmt.Errorf("reference to kernel variable %q: relocation on %v, which is not a 64-bit load", name, ins)
	case !k.typed:
		return fmt.Errorf("reference to kernel variable %q: untyped (const void) ksyms need kallsyms addresses and are not supported; declare it with its type", name)
	case ins.Constant != 0:
		return fmt.Errorf("reference to kernel variable %q: offset %d into it is not supported", name, ins.Constant)
	}
	*ins = asm.LoadKsym(ins.Dst, name)
	if k.weak {
		*ins = ins.Weak()
	}
	return nil
}
