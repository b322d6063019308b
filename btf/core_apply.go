package btf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/bpfgo/bpf/asm"
)

// CalcCOREByName resolves a CO-RE relocation that names its type, as the asm.Core* builders
// record it, against target. Without program BTF there is no local type to compare: a
// candidate matches when the access path exists in it. CORETypeIDLocal and CORETypeMatches need
// program BTF and give an error.
func CalcCOREByName(r asm.CoreRelo, target *Spec) (COREFixup, error) {
	return calcCOREByNameWrapped(r, newCoreBTF(target))
}

func calcCOREByNameWrapped(r asm.CoreRelo, target *coreBTF) (COREFixup, error) {
	f, err := calcCOREByName(r, target)
	if err != nil {
		return f, fmt.Errorf("CO-RE relocation %s: %w", r, err)
	}
	return f, nil
}

// typePrefixes are the C spellings that restrict the kind of a named type.
var typePrefixes = []struct {
	prefix string
	kinds  []Kind
}{
	{"struct ", []Kind{KindStruct}},
	{"union ", []Kind{KindUnion}},
	{"enum ", []Kind{KindEnum, KindEnum64}},
	{"typedef ", []Kind{KindTypedef}},
}

func calcCOREByName(r asm.CoreRelo, target *coreBTF) (COREFixup, error) {
	kind := COREReloKind(r.Kind)
	name := strings.TrimSpace(r.Type)
	var kinds []Kind
	for _, p := range typePrefixes {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok {
			name, kinds = strings.TrimSpace(rest), p.kinds
			break
		}
	}
	if name == "" {
		return COREFixup{}, errors.New("no type name")
	}
	if kinds == nil {
		switch {
		case kind.isField():
			kinds = []Kind{KindStruct, KindUnion}
		case kind.isEnumval():
			kinds = []Kind{KindEnum, KindEnum64}
		default:
			kinds = []Kind{KindStruct, KindUnion, KindEnum, KindEnum64, KindTypedef, KindInt, KindFloat}
		}
	}
	switch {
	case kind > CORETypeMatches:
		return COREFixup{}, fmt.Errorf("%w: unknown relocation kind %d", ErrInvalid, uint32(kind))
	case kind == CORETypeIDLocal || kind == CORETypeMatches:
		return COREFixup{}, fmt.Errorf("%s needs the program's own BTF", kind)
	case kind.isEnumval() && len(r.Access) != 1:
		return COREFixup{}, errors.New("enumerator relocation needs exactly one enumerator name")
	case !kind.isField() && !kind.isEnumval() && len(r.Access) != 0:
		return COREFixup{}, errors.New("type relocation takes no access path")
	case kind.isField() && len(r.Access) > maxCORESpecLen:
		return COREFixup{}, fmt.Errorf("access path longer than %d", maxCORESpecLen)
	}
	cands, err := coreCandidates(target, name, func(k Kind) bool {
		for _, want := range kinds {
			if k == want {
				return true
			}
		}
		return false
	})
	if err != nil {
		return COREFixup{}, err
	}
	return resolveCands(kind, nil, cands, func(cand TypeID) (*coreSpec, error) {
		return walkByName(target, cand, kind, r.Access)
	})
}

// walkByName resolves a named access path in the candidate cand; nil means cand lacks it.
func walkByName(s *coreBTF, cand TypeID, kind COREReloKind, access []string) (*coreSpec, error) {
	cs := &coreSpec{spec: s, rootID: cand}
	switch {
	case kind.isEnumval():
		id, t, err := s.Underlying(cand)
		if err != nil {
			return nil, err
		}
		e, ok := t.(*Enum)
		if !ok {
			return nil, nil
		}
		idx := findEnumerator(e, access[0])
		if idx < 0 {
			return nil, nil
		}
		cs.acc = []coreAccessor{{typeID: id, idx: idx, name: e.Values[idx].Name}}
		return cs, nil
	case !kind.isField():
		return cs, nil
	}
	cs.acc = []coreAccessor{{typeID: cand}}
	id := cand
	if _, err := s.Sizeof(id); err != nil {
		return nil, nil
	}
	for _, el := range access {
		uid, t, err := s.Underlying(id)
		if err != nil {
			return nil, err
		}
		switch {
		case el == "*":
			p, ok := t.(*Pointer)
			if !ok {
				return nil, nil
			}
			// The rest of the path is relative to the pointee.
			id = p.Target
			cs.rootID, cs.bitOffset = id, 0
			cs.acc = []coreAccessor{{typeID: id}}
		case strings.HasPrefix(el, "[") && strings.HasSuffix(el, "]"):
			n, err := strconv.ParseUint(el[1:len(el)-1], 10, 31)
			if err != nil {
				return nil, fmt.Errorf("bad array index %q", el)
			}
			a, ok := t.(*Array)
			if !ok || (a.Nelems != 0 && n >= uint64(a.Nelems)) {
				return nil, nil
			}
			eid, _, err := s.Underlying(a.Type)
			if err != nil {
				return nil, err
			}
			esz, err := s.Sizeof(eid)
			if err != nil {
				return nil, err
			}
			cs.acc = append(cs.acc, coreAccessor{typeID: eid, idx: int(n)})
			cs.bitOffset += n * uint64(esz) * 8
			id = eid
		default:
			if el == "" {
				return nil, errors.New("empty member name")
			}
			if !isComposite(t) {
				return nil, nil
			}
			steps := 0
			parent, idx, off, ok, err := findMemberIndex(s, uid, t, el, 0, &steps)
			if err != nil || !ok {
				return nil, err
			}
			pt, err := s.TypeByID(parent)
			if err != nil {
				return nil, err
			}
			cs.acc = append(cs.acc, coreAccessor{typeID: parent, idx: idx, name: el})
			cs.bitOffset += uint64(off)
			id = Members(pt)[idx].Type
		}
	}
	return cs, nil
}

// findMemberIndex finds the member called name in the struct or union t (ID id), descending
// into anonymous members as C does. It returns the struct or union that holds the member
// directly, the member's index there and its bit offset from t.
func findMemberIndex(s *coreBTF, id TypeID, t Type, name string, depth int, steps *int) (TypeID, int, uint32, bool, error) {
	if depth > maxResolveDepth {
		return 0, 0, 0, false, errDepth
	}
	if *steps++; *steps > maxSteps {
		return 0, 0, 0, false, errTooManySteps
	}
	ms := Members(t)
	for i, m := range ms {
		if m.Name == name {
			return id, i, m.BitOffset, true, nil
		}
	}
	for _, m := range ms {
		if m.Name != "" {
			continue
		}
		iid, inner, err := s.Underlying(m.Type)
		if err != nil {
			return 0, 0, 0, false, err
		}
		parent, idx, off, ok, err := findMemberIndex(s, iid, inner, name, depth+1, steps)
		if err != nil || ok {
			return parent, idx, m.BitOffset + off, ok, err
		}
	}
	return 0, 0, 0, false, nil
}

// ApplyCORE resolves the CO-RE relocations that instructions built with the asm.Core* helpers
// carry against target (the kernel's BTF) and returns a copy of insns with the values written
// in. Unresolvable relocations poison their instruction (see COREPoisonHelper); a poisoned
// 64-bit immediate load becomes two poisoned calls, so slot offsets do not move. insns is not
// modified.
func ApplyCORE(insns asm.Instructions, target *Spec) (asm.Instructions, error) {
	out := make(asm.Instructions, 0, len(insns))
	tc := newCoreBTF(target)
	for i, ins := range insns {
		r := ins.CoreRelo()
		if r == nil {
			out = append(out, ins)
			continue
		}
		f, err := calcCOREByNameWrapped(*r, tc)
		if err != nil {
			return nil, fmt.Errorf("instruction %d: %w", i, err)
		}
		if out, err = f.appendPatched(out, ins); err != nil {
			return nil, fmt.Errorf("instruction %d: CO-RE relocation %s: %w", i, r, err)
		}
	}
	return out, nil
}

// ApplyCORERelos applies the .BTF.ext CO-RE relocation records relos of the program BTF local
// to insns, against target. The records' InsnOff are byte offsets from the start of insns
// (subtract the program's offset in its ELF section first). insns is not modified.
func ApplyCORERelos(insns asm.Instructions, local *Spec, relos []CORERelo, target *Spec) (asm.Instructions, error) {
	// Map 8-byte slots to instruction indexes.
	bySlot := make(map[uint32]int, len(relos))
	want := make(map[uint32]bool, len(relos))
	for _, r := range relos {
		if r.InsnOff%asm.InstructionSize != 0 {
			return nil, fmt.Errorf("%w: CO-RE relocation at byte %d: not an instruction boundary", ErrInvalid, r.InsnOff)
		}
		want[r.InsnOff/asm.InstructionSize] = true
	}
	slot := uint32(0)
	for i, ins := range insns {
		if ins.IsLabel() {
			continue
		}
		if want[slot] {
			bySlot[slot] = i
		}
		slot += uint32(ins.Slots())
	}
	fixes := make(map[int]COREFixup, len(relos))
	lc, tc := newCoreBTF(local), newCoreBTF(target)
	for _, r := range relos {
		i, ok := bySlot[r.InsnOff/asm.InstructionSize]
		if !ok {
			return nil, fmt.Errorf("%w: CO-RE relocation at byte %d: no instruction there", ErrInvalid, r.InsnOff)
		}
		if _, dup := fixes[i]; dup {
			return nil, fmt.Errorf("%w: two CO-RE relocations at byte %d", ErrInvalid, r.InsnOff)
		}
		f, err := calcCOREWrapped(lc, r, tc)
		if err != nil {
			return nil, err
		}
		fixes[i] = f
	}
	out := make(asm.Instructions, 0, len(insns))
	for i, ins := range insns {
		f, ok := fixes[i]
		if !ok {
			out = append(out, ins)
			continue
		}
		var err error
		if out, err = f.appendPatched(out, ins); err != nil {
			return nil, fmt.Errorf("instruction %d: CO-RE relocation %s: %w", i, f.Kind, err)
		}
	}
	return out, nil
}

// Patch writes the fixup into ins: the immediate of an ALU instruction with an immediate
// operand or of a 64-bit immediate load, or the offset (and, where the field's size changed,
// the size) of a load or store. It returns the instructions that replace ins: one, or for a
// poisoned 64-bit immediate load two. If the fixup was Checked, ins must hold the Local value.
func (f COREFixup) Patch(ins asm.Instruction) (asm.Instructions, error) {
	return f.appendPatched(nil, ins)
}

func (f COREFixup) appendPatched(out asm.Instructions, ins asm.Instruction) (asm.Instructions, error) {
	if ins.IsLabel() {
		return out, errors.New("relocation on a label")
	}
	if f.Poison {
		return appendPoison(out, ins), nil
	}
	class := ins.OpCode.Class()
	switch {
	case class.IsALU():
		if ins.OpCode.Source() != asm.SrcImm {
			return out, fmt.Errorf("ALU instruction %v has no immediate operand", ins)
		}
		if f.Checked && uint32(ins.Constant) != uint32(f.Local) {
			return out, fmt.Errorf("instruction %v: immediate %d, expected %d", ins, ins.Constant, f.Local)
		}
		if v := int64(f.Target); f.Target > math.MaxUint32 && (v < math.MinInt32 || v > math.MaxInt32) {
			return out, fmt.Errorf("value %d does not fit a 32-bit immediate", f.Target)
		}
		ins.Constant = int64(int32(uint32(f.Target)))
	case class == asm.ClassLDX || class == asm.ClassST || class == asm.ClassSTX:
		if f.Checked && int64(ins.Offset) != int64(f.Local) {
			return out, fmt.Errorf("instruction %v: offset %d, expected %d", ins, ins.Offset, f.Local)
		}
		if f.Target > math.MaxInt16 {
			return out, fmt.Errorf("offset %d does not fit a 16-bit instruction offset", f.Target)
		}
		ins.Offset = int16(f.Target)
		if f.Kind == COREFieldByteOffset && f.TargetSize != 0 {
			cur := uint32(ins.OpCode.Size().Sizeof())
			local := f.LocalSize
			if f.byName {
				local = cur
			}
			if local != f.TargetSize {
				if !f.resizable {
					return appendPoison(out, ins), nil
				}
				if cur != local {
					return out, fmt.Errorf("instruction %v: access of %d bytes, expected %d", ins, cur, local)
				}
				sz, ok := asm.SizeOf(int(f.TargetSize))
				if !ok {
					return out, fmt.Errorf("field of %d bytes cannot be loaded or stored", f.TargetSize)
				}
				ins.OpCode = ins.OpCode&^0x18 | asm.OpCode(sz)
			}
		}
	case ins.IsLoadImm64():
		if ins.Src != 0 || ins.Offset != 0 {
			return out, fmt.Errorf("64-bit immediate load %v is not a plain constant", ins)
		}
		if f.Checked && uint64(ins.Constant) != f.Local {
			return out, fmt.Errorf("instruction %v: immediate %d, expected %d", ins, ins.Constant, f.Local)
		}
		ins.Constant = int64(f.Target)
	default:
		return out, fmt.Errorf("instruction %v cannot be relocated", ins)
	}
	return append(out, ins), nil
}

// appendPoison appends ins turned into a call of the invalid helper COREPoisonHelper, keeping
// its source position; a 64-bit immediate load becomes two such calls.
func appendPoison(out asm.Instructions, ins asm.Instruction) asm.Instructions {
	wide := ins.IsLoadImm64()
	p := ins
	p.OpCode = asm.MakeOpCode(asm.ClassJMP, uint8(asm.Call(0).OpCode.JumpOp()), uint8(asm.SrcImm)) // BPF_JMP | BPF_CALL
	p.Dst, p.Src, p.Offset, p.Constant, p.Reference = 0, 0, 0, COREPoisonHelper, ""
	out = append(out, p)
	if wide {
		out = append(out, p)
	}
	return out
}
