package bpf

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// Programs parsed from ELF objects carry the object's BTF (ProgramSpec.BTF); NewProgram passes
// it to the kernel instead of the BTF it generates for programs built with asm.

// objectCORE applies the CO-RE relocations of an object's program against target (nil: the
// running kernel's BTF).
func objectCORE(insns asm.Instructions, pb *ProgramBTF, target *btf.Spec) (asm.Instructions, error) {
	if target == nil {
		var err error
		if target, err = kernelSpec(); err != nil {
			return nil, fmt.Errorf("CO-RE: kernel BTF: %w", err)
		}
	}
	out, err := btf.ApplyCORERelos(insns, pb.Spec, pb.CORERelos, target)
	if err != nil {
		return nil, fmt.Errorf("CO-RE: %w", err)
	}
	return out, nil
}

// buildObjectProgBTF marshals the object's BTF with the program's func_info and line_info
// records (offsets converted from bytes to instruction slots, strings re-added).
func buildObjectProgBTF(pb *ProgramBTF) (*progBTF, error) {
	if pb.Spec == nil {
		return nil, nil
	}
	b, err := pb.Spec.Builder()
	if err != nil {
		return nil, fmt.Errorf("program btf: %w", err)
	}
	funcs := make([]btf.ProgFuncInfo, 0, len(pb.FuncInfos))
	for _, fi := range pb.FuncInfos {
		funcs = append(funcs, btf.ProgFuncInfo{InsnOff: fi.InsnOff / asm.InstructionSize, TypeID: fi.TypeID})
	}
	lines := make([]btf.ProgLineInfo, 0, len(pb.LineInfos))
	for _, li := range pb.LineInfos {
		lines = append(lines, btf.ProgLineInfo{
			InsnOff:     li.InsnOff / asm.InstructionSize,
			FileNameOff: b.AddString(li.FileName),
			LineOff:     b.AddString(li.Line),
			LineNum:     li.LineNum,
			Column:      li.Column,
		})
	}
	out := &progBTF{nFunc: len(funcs), nLine: len(lines)}
	if out.raw, err = b.Marshal(nil); err != nil {
		return nil, fmt.Errorf("program btf: %w", err)
	}
	if len(funcs) > 0 {
		if out.funcInfo, err = btf.MarshalFuncInfos(funcs); err != nil {
			return nil, fmt.Errorf("program btf: %w", err)
		}
	}
	if len(lines) > 0 {
		if out.lineInfo, err = btf.MarshalLineInfos(lines); err != nil {
			return nil, fmt.Errorf("program btf: %w", err)
		}
	}
	return out, nil
}
