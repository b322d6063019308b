package elfobj

import (
	"bytes"
	"fmt"
	"strings"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/elfsec"
)

// isStructOpsSection reports whether s holds struct_ops tables:
// .struct_ops and .struct_ops.link (also with a suffix, ".struct_ops.link.x").
func isStructOpsSection(name string) bool {
	return name == ".struct_ops" || strings.HasPrefix(name, ".struct_ops.")
}

// loadStructOps reads the struct_ops tables of the object: each variable of
// a .struct_ops* section is a kernel ops struct whose function-pointer
// members are relocated to programs. The members are matched to the kernel's
// struct by name when the table is registered (package link), so only names
// and the object's own bytes are kept here. The programs it names get
// AttachTo "<struct>:<member>".
func (l *loader) loadStructOps() (map[string]*bpf.StructOpsVar, error) {
	var out map[string]*bpf.StructOpsVar
	for idx, s := range l.f.Sections {
		if !isStructOpsSection(s.Name) {
			continue
		}
		if l.btf == nil {
			return nil, fmt.Errorf("section %s: struct_ops tables need the object's BTF (compile with -g)", s.Name)
		}
		_, ds, err := btf.Find[*btf.Datasec](l.btf, s.Name)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		data, err := elfsec.SectionData(s)
		if err != nil {
			return nil, err
		}
		relocs, err := l.f.Relocations(idx, l.syms)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		funcs := make(map[uint64]string, len(relocs)) // byte offset → program
		for _, r := range relocs {
			if r.Type != elfsec.RelocABS64 {
				return nil, fmt.Errorf("section %s: relocation type %d at byte %d, want R_BPF_64_ABS64", s.Name, r.Type, r.Offset)
			}
			name := l.f.SymbolName(r.Symbol)
			if _, ok := l.progs[name]; !ok {
				return nil, fmt.Errorf("section %s: byte %d points at %q, which is not a program", s.Name, r.Offset, name)
			}
			funcs[r.Offset] = name
		}
		for _, v := range ds.Vars {
			name, so, err := l.structOpsVar(s.Name, data, v, funcs)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = map[string]*bpf.StructOpsVar{}
			}
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("struct_ops %q: defined twice", name)
			}
			so.Link = strings.HasPrefix(s.Name, ".struct_ops.link")
			out[name] = so
		}
	}
	for name, so := range out {
		for member, prog := range so.Programs {
			ps := l.progs[prog]
			if ps.Type != bpf.StructOps {
				return nil, fmt.Errorf("struct_ops %q: member %s: program %q is a %v program, not struct_ops (SEC(\"struct_ops/...\"))", name, member, prog, ps.Type)
			}
			target := so.Type + ":" + member
			if ps.AttachTo != "" && ps.AttachTo != target {
				return nil, fmt.Errorf("struct_ops %q: program %q implements both %s and %s; a program can implement one member only", name, prog, ps.AttachTo, target)
			}
			ps.AttachTo = target
		}
	}
	return out, nil
}

// structOpsVar reads one table: the variable described by v in the section
// bytes data, with funcs giving the programs its pointers are relocated to.
func (l *loader) structOpsVar(sec string, data []byte, v btf.VarSecinfo, funcs map[uint64]string) (string, *bpf.StructOpsVar, error) {
	vt, err := l.btf.TypeByID(v.Type)
	if err != nil {
		return "", nil, fmt.Errorf("section %s: %w", sec, err)
	}
	vv, ok := vt.(*btf.Var)
	if !ok {
		return "", nil, fmt.Errorf("section %s: %v is not a variable", sec, vt)
	}
	_, st, err := l.btf.Underlying(vv.Type)
	if err != nil {
		return "", nil, fmt.Errorf("struct_ops %q: %w", vv.Name, err)
	}
	s, ok := st.(*btf.Struct)
	if !ok || s.Name == "" {
		return "", nil, fmt.Errorf("struct_ops %q: type %v is not a named struct", vv.Name, st)
	}
	if uint64(v.Offset)+uint64(s.Size) > uint64(len(data)) {
		return "", nil, fmt.Errorf("struct_ops %q: %d bytes at offset %d overrun section %s (%d bytes)", vv.Name, s.Size, v.Offset, sec, len(data))
	}
	so := &bpf.StructOpsVar{Type: s.Name, Programs: map[string]string{}, Data: map[string][]byte{}}
	for _, m := range s.Members {
		if m.BitfieldSize != 0 || m.BitOffset%8 != 0 {
			return "", nil, fmt.Errorf("struct_ops %q: member %s is a bitfield", vv.Name, m.Name)
		}
		if m.Name == "" {
			return "", nil, fmt.Errorf("struct_ops %q: anonymous members are not supported", vv.Name)
		}
		off := uint64(v.Offset) + uint64(m.BitOffset/8)
		size, err := l.btf.Sizeof(m.Type)
		if err != nil {
			return "", nil, fmt.Errorf("struct_ops %q: member %s: %w", vv.Name, m.Name, err)
		}
		if off+uint64(size) > uint64(v.Offset)+uint64(s.Size) {
			return "", nil, fmt.Errorf("struct_ops %q: member %s overruns the struct", vv.Name, m.Name)
		}
		if prog, ok := funcs[off]; ok {
			if !l.isFuncPointer(m.Type) {
				return "", nil, fmt.Errorf("struct_ops %q: member %s points at program %q but is not a function pointer", vv.Name, m.Name, prog)
			}
			so.Programs[m.Name] = prog
			continue
		}
		b := data[off : off+uint64(size)]
		if !bytes.Equal(b, make([]byte, len(b))) {
			if l.isFuncPointer(m.Type) {
				return "", nil, fmt.Errorf("struct_ops %q: member %s holds an address that is not a program", vv.Name, m.Name)
			}
			so.Data[m.Name] = bytes.Clone(b)
		}
	}
	return vv.Name, so, nil
}

// isFuncPointer reports whether id is a pointer to a function prototype.
func (l *loader) isFuncPointer(id btf.TypeID) bool {
	_, t, err := l.btf.Underlying(id)
	if err != nil {
		return false
	}
	p, ok := t.(*btf.Pointer)
	if !ok {
		return false
	}
	_, t, err = l.btf.Underlying(p.Target)
	_, isProto := t.(*btf.FuncProto)
	return err == nil && isProto
}
