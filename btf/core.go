package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CO-RE relocation: for one relocation, find the target (kernel) types that match the local
// (program) type, and compute the value the instruction must hold for the target. The rules
// follow the kernel's documentation of the relocation kinds (Documentation/bpf/llvm_reloc.rst)
// and libbpf's matching rules:
//
//   - candidates are the target types whose essential name (without "___flavour") equals the
//     local type's, of the same kind (enum and enum64 count as one kind);
//   - a field access string "0:1:2" indexes the root as an array, then members and array
//     elements; members are matched by name, descending into anonymous members, and the
//     matched field's type must be compatible (see fieldsCompat);
//   - if several candidates match, they must agree on the result, else the relocation is
//     ambiguous and fails;
//   - if none matches, existence checks give 0 and type relocations give 0, while field
//     offsets, sizes and enumerator values cannot be computed: the instruction is poisoned
//     (replaced by a call to the invalid helper 0xbad2310), so that the verifier rejects it
//     only if it is reachable, naming the instruction.

// COREPoisonHelper is the helper id that a poisoned instruction calls (0xbad2310, "bad
// relo"), as libbpf writes it: the verifier rejects a reachable poisoned instruction with
// "invalid func unknown#195896080", and dead code that holds one is harmless.
const COREPoisonHelper = 0xbad2310

// maxCORESpecLen bounds access strings, as BPF_CORE_SPEC_MAX_LEN does in libbpf.
const maxCORESpecLen = 64

// errCOREAmbiguous reports candidates that disagree.
var errCOREAmbiguous = errors.New("ambiguous: several kernel types match with different results")

// COREFixup is the outcome of one CO-RE relocation: the value the compiler assumed (from the
// program's own BTF) and the value for the target BTF.
type COREFixup struct {
	Kind COREReloKind
	// Local is the value computed from the program's BTF, which the instruction is expected
	// to hold; Checked says whether patching verifies it (as libbpf does when the value is
	// not ambiguous). Relocations from asm.CoreRelo have no program BTF and are not checked.
	Local   uint64
	Checked bool
	// Target is the value for the target BTF.
	Target uint64
	// Poison is set when the relocation could not be resolved: the instruction is replaced by
	// a call to COREPoisonHelper.
	Poison bool
	// TargetID is the matched target root type (0 when none matched).
	TargetID TypeID
	// LocalSize and TargetSize are the sizes in bytes of the field a byte-offset relocation
	// points at (0 for bitfields and other kinds). A load or store whose size differs from
	// TargetSize is resized when that keeps the value (unsigned integers and pointers), and
	// poisoned otherwise.
	LocalSize, TargetSize uint32
	resizable             bool
	byName                bool
}

// coreAccessor is one step of an access: a member (name set; typeID is the struct or union
// holding it) or an array index (name empty; typeID is the element type, the root counting as
// element of an array of itself). For enumerator relocations it names the enumerator.
type coreAccessor struct {
	typeID TypeID
	idx    int
	name   string
}

// coreSpec is an access resolved in one Spec.
type coreSpec struct {
	spec      *coreBTF
	rootID    TypeID
	acc       []coreAccessor
	raw       []int
	bitOffset uint64
}

// CalcCORE resolves a .BTF.ext CO-RE relocation record of the program BTF local against the
// target BTF (usually the kernel's, see LoadKernelSpec). An error means the relocation is
// malformed or ambiguous; a relocation that merely finds no target is reported by
// COREFixup.Poison (or a zero value for existence checks).
func CalcCORE(local *Spec, relo CORERelo, target *Spec) (COREFixup, error) {
	return calcCOREWrapped(newCoreBTF(local), relo, newCoreBTF(target))
}

func calcCOREWrapped(local *coreBTF, relo CORERelo, target *coreBTF) (COREFixup, error) {
	f, err := calcCORE(local, relo, target)
	if err != nil {
		return f, fmt.Errorf("CO-RE relocation %s of type %d access %q: %w", relo.Kind, relo.TypeID, relo.Access, err)
	}
	return f, nil
}

func calcCORE(local *coreBTF, relo CORERelo, target *coreBTF) (COREFixup, error) {
	if relo.Kind > CORETypeMatches {
		return COREFixup{}, fmt.Errorf("%w: unknown relocation kind %d", ErrInvalid, uint32(relo.Kind))
	}
	if relo.Kind == CORETypeIDLocal {
		if relo.TypeID > local.LastID() {
			return COREFixup{}, fmt.Errorf("type %d: %w", relo.TypeID, ErrNotFound)
		}
		return COREFixup{Kind: relo.Kind, Local: uint64(relo.TypeID), Target: uint64(relo.TypeID)}, nil
	}
	ls, err := parseCORESpec(local, relo.TypeID, relo.Access, relo.Kind)
	if err != nil {
		return COREFixup{}, err
	}
	name, err := local.NameOf(relo.TypeID)
	if err != nil {
		return COREFixup{}, err
	}
	if name == "" {
		return COREFixup{}, errors.New("anonymous local type: no candidates can be found by name")
	}
	lkind, err := local.KindOf(relo.TypeID)
	if err != nil {
		return COREFixup{}, err
	}
	cands, err := coreCandidates(target, name, func(k Kind) bool { return kindsCompat(lkind, k) })
	if err != nil {
		return COREFixup{}, err
	}
	return resolveCands(relo.Kind, ls, cands, func(cand TypeID) (*coreSpec, error) {
		return matchCORESpec(ls, relo.Kind, target, cand)
	})
}

// resolveCands computes the fixup from every matching candidate and checks they agree.
func resolveCands(kind COREReloKind, ls *coreSpec, cands []TypeID, match func(TypeID) (*coreSpec, error)) (COREFixup, error) {
	var (
		res  COREFixup
		have *coreSpec
	)
	for _, cand := range cands {
		ts, err := match(cand)
		if err != nil {
			return COREFixup{}, err
		}
		if ts == nil {
			continue
		}
		r, err := calcFixup(kind, ls, ts)
		if err != nil {
			return COREFixup{}, err
		}
		if have == nil {
			res, have = r, ts
			continue
		}
		if kind.isField() && ts.bitOffset != have.bitOffset {
			return COREFixup{}, fmt.Errorf("%w (field offset %d bits in type %d, %d bits in type %d)", errCOREAmbiguous, have.bitOffset, have.rootID, ts.bitOffset, ts.rootID)
		}
		if r.Poison != res.Poison || r.Target != res.Target {
			return COREFixup{}, fmt.Errorf("%w (%d from type %d, %d from type %d)", errCOREAmbiguous, res.Target, have.rootID, r.Target, ts.rootID)
		}
	}
	if have == nil {
		return calcFixup(kind, ls, nil)
	}
	return res, nil
}

func (k COREReloKind) isField() bool { return k <= COREFieldRShiftU64 }
func (k COREReloKind) isEnumval() bool {
	return k == COREEnumvalExists || k == COREEnumvalValue
}

// kindsCompat reports whether types of kinds a and b may correspond: the same kind, or enum and
// enum64.
func kindsCompat(a, b Kind) bool {
	return a == b || (isEnumKind(a) && isEnumKind(b))
}

// coreCandidates returns the target types with the essential name of name whose kind passes
// ok.
func coreCandidates(target *coreBTF, name string, ok func(Kind) bool) ([]TypeID, error) {
	ids := target.TypeIDsByEssentialName(name)
	out := ids[:0]
	for _, id := range ids {
		k, err := target.KindOf(id)
		if err != nil {
			return nil, err
		}
		if ok(k) {
			out = append(out, id)
		}
	}
	return out, nil
}

// parseAccess parses a CO-RE access string such as "0:1:2".
func parseAccess(access string) ([]int, error) {
	if access == "" {
		return nil, fmt.Errorf("%w: empty access string", ErrInvalid)
	}
	parts := strings.Split(access, ":")
	if len(parts) > maxCORESpecLen {
		return nil, fmt.Errorf("%w: access string %q longer than %d", ErrInvalid, access, maxCORESpecLen)
	}
	raw := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 31)
		if err != nil {
			return nil, fmt.Errorf("%w: access string %q", ErrInvalid, access)
		}
		raw[i] = int(n)
	}
	return raw, nil
}

// parseCORESpec resolves a local access string against the local BTF.
func parseCORESpec(s *coreBTF, root TypeID, access string, kind COREReloKind) (*coreSpec, error) {
	raw, err := parseAccess(access)
	if err != nil {
		return nil, err
	}
	cs := &coreSpec{spec: s, rootID: root, raw: raw}
	if _, err := s.TypeByID(root); err != nil {
		return nil, err
	}
	switch {
	case !kind.isField() && !kind.isEnumval():
		if len(raw) != 1 || raw[0] != 0 {
			return nil, fmt.Errorf("%w: type relocation with access %q, want \"0\"", ErrInvalid, access)
		}
		return cs, nil
	case kind.isEnumval():
		id, t, err := s.Underlying(root)
		if err != nil {
			return nil, err
		}
		e, ok := t.(*Enum)
		if len(raw) != 1 || !ok || raw[0] >= len(e.Values) {
			return nil, fmt.Errorf("%w: enumerator relocation with access %q on %s", ErrInvalid, access, t.Kind())
		}
		cs.acc = []coreAccessor{{typeID: id, idx: raw[0], name: e.Values[raw[0]].Name}}
		return cs, nil
	}

	size, err := s.Sizeof(root)
	if err != nil {
		return nil, err
	}
	cs.bitOffset = uint64(raw[0]) * uint64(size) * 8
	cs.acc = append(cs.acc, coreAccessor{typeID: root, idx: raw[0]})
	id := root
	for _, idx := range raw[1:] {
		uid, t, err := s.Underlying(id)
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case *Struct, *Union:
			ms := Members(t)
			if idx >= len(ms) {
				return nil, fmt.Errorf("%w: access %q: member %d of %d-member %s", ErrInvalid, access, idx, len(ms), t.Kind())
			}
			m := ms[idx]
			cs.bitOffset += uint64(m.BitOffset)
			if m.Name != "" {
				cs.acc = append(cs.acc, coreAccessor{typeID: uid, idx: idx, name: m.Name})
			}
			id = m.Type
		case *Array:
			if t.Nelems != 0 && uint32(idx) >= t.Nelems {
				return nil, fmt.Errorf("%w: access %q: index %d of array of %d", ErrInvalid, access, idx, t.Nelems)
			}
			eid, _, err := s.Underlying(t.Type)
			if err != nil {
				return nil, err
			}
			esz, err := s.Sizeof(eid)
			if err != nil {
				return nil, err
			}
			cs.acc = append(cs.acc, coreAccessor{typeID: eid, idx: idx})
			cs.bitOffset += uint64(idx) * uint64(esz) * 8
			id = eid
		default:
			return nil, fmt.Errorf("%w: access %q reaches into %s", ErrInvalid, access, t.Kind())
		}
	}
	return cs, nil
}

// matchCORESpec matches the local access ls against the target candidate cand. It returns nil
// when cand does not match.
func matchCORESpec(ls *coreSpec, kind COREReloKind, target *coreBTF, cand TypeID) (*coreSpec, error) {
	ts := &coreSpec{spec: target, rootID: cand}
	switch {
	case kind == CORETypeMatches:
		ok, err := typesMatch(ls.spec, ls.rootID, target, cand, 0)
		if err != nil || !ok {
			return nil, err
		}
		return ts, nil
	case !kind.isField() && !kind.isEnumval():
		ok, err := typesCompat(ls.spec, ls.rootID, target, cand, 0)
		if err != nil || !ok {
			return nil, err
		}
		return ts, nil
	case kind.isEnumval():
		id, t, err := target.Underlying(cand)
		if err != nil {
			return nil, err
		}
		e, ok := t.(*Enum)
		if !ok {
			return nil, nil
		}
		idx := findEnumerator(e, ls.acc[0].name)
		if idx < 0 {
			return nil, nil
		}
		ts.acc = []coreAccessor{{typeID: id, idx: idx, name: e.Values[idx].Name}}
		ts.raw = []int{idx}
		return ts, nil
	}

	id := cand
	for i, la := range ls.acc {
		if la.name != "" {
			steps := 0
			next, ok, err := matchMember(ls.spec, la, target, id, ts, 0, &steps)
			if err != nil || !ok {
				return nil, err
			}
			id = next
			continue
		}
		if i > 0 {
			_, t, err := target.Underlying(id)
			if err != nil {
				return nil, err
			}
			a, ok := t.(*Array)
			if !ok || (a.Nelems != 0 && uint32(la.idx) >= a.Nelems) {
				return nil, nil
			}
			if id, _, err = target.Underlying(a.Type); err != nil {
				return nil, err
			}
		}
		sz, err := target.Sizeof(id)
		if err != nil {
			if i == 0 {
				return nil, nil // a declaration without a size cannot hold the field
			}
			return nil, err
		}
		ts.acc = append(ts.acc, coreAccessor{typeID: id, idx: la.idx})
		ts.raw = append(ts.raw, la.idx)
		ts.bitOffset += uint64(la.idx) * uint64(sz) * 8
	}
	return ts, nil
}

// findEnumerator returns the index of the enumerator whose essential name equals name's, or -1.
func findEnumerator(e *Enum, name string) int {
	want := EssentialName(name)
	for i, v := range e.Values {
		if EssentialName(v.Name) == want {
			return i
		}
	}
	return -1
}

// matchMember finds the member the local accessor la names in the target struct or union
// id, descending into anonymous members, and appends it to ts. It returns the member's type.
func matchMember(local *coreBTF, la coreAccessor, target *coreBTF, id TypeID, ts *coreSpec, depth int, steps *int) (TypeID, bool, error) {
	if depth > maxResolveDepth {
		return 0, false, errDepth
	}
	if *steps++; *steps > maxSteps {
		return 0, false, errTooManySteps
	}
	lt, err := local.TypeByID(la.typeID)
	if err != nil {
		return 0, false, err
	}
	lms := Members(lt)
	if la.idx >= len(lms) {
		return 0, false, fmt.Errorf("%w: member %d of type %d", ErrInvalid, la.idx, la.typeID)
	}
	lm := lms[la.idx]
	id, t, err := target.Underlying(id)
	if err != nil {
		return 0, false, err
	}
	for i, m := range Members(t) {
		if len(ts.raw) >= maxCORESpecLen {
			return 0, false, fmt.Errorf("%w: access deeper than %d", ErrInvalid, maxCORESpecLen)
		}
		ts.bitOffset += uint64(m.BitOffset)
		ts.raw = append(ts.raw, i)
		switch {
		case m.Name == "":
			next, ok, err := matchMember(local, la, target, m.Type, ts, depth+1, steps)
			if err != nil || ok {
				return next, ok, err
			}
		case m.Name == lm.Name:
			ok, err := fieldsCompat(local, lm.Type, target, m.Type)
			if err != nil || !ok {
				return 0, false, err
			}
			ts.acc = append(ts.acc, coreAccessor{typeID: id, idx: i, name: m.Name})
			return m.Type, true, nil
		}
		ts.bitOffset -= uint64(m.BitOffset)
		ts.raw = ts.raw[:len(ts.raw)-1]
	}
	return 0, false, nil
}

// namesMatch compares essential names; an anonymous type matches any name.
func namesMatch(a, b string) bool {
	a, b = EssentialName(a), EssentialName(b)
	return a == "" || b == "" || a == b
}

// fieldsCompat reports whether a local field type and a target field type are compatible for
// field relocations: structs and unions match any struct or union (their members are checked
// by later accessors), integers any integer (but not the legacy bit-offset integers), pointers
// any pointer, floats any float, enums and forward declarations by essential name, arrays by
// element type.
func fieldsCompat(local *coreBTF, lid TypeID, target *coreBTF, tid TypeID) (bool, error) {
	for range maxResolveDepth {
		_, lt, err := local.Underlying(lid)
		if err != nil {
			return false, err
		}
		_, tt, err := target.Underlying(tid)
		if err != nil {
			return false, err
		}
		if isComposite(lt) && isComposite(tt) {
			return true, nil
		}
		if !kindsCompat(lt.Kind(), tt.Kind()) {
			return false, nil
		}
		switch lt := lt.(type) {
		case *Pointer, *Float:
			return true, nil
		case *Fwd, *Enum:
			return namesMatch(lt.TypeName(), tt.TypeName()), nil
		case *Int:
			return lt.Offset == 0 && tt.(*Int).Offset == 0, nil
		case *Array:
			lid, tid = lt.Type, tt.(*Array).Type
		default:
			return false, nil
		}
	}
	return false, errDepth
}

func isComposite(t Type) bool {
	k := t.Kind()
	return k == KindStruct || k == KindUnion
}

// typesCompat reports whether two types are compatible for type-based relocations: the same
// kind after typedefs and qualifiers (enum and enum64 alike); composites, enums and forward
// declarations compatible as such, integers unless legacy bit-offset ones, pointers and arrays
// by their targets, function prototypes by parameter count and types.
func typesCompat(local *coreBTF, lid TypeID, target *coreBTF, tid TypeID, level int) (bool, error) {
	if level > maxResolveDepth {
		return false, errDepth
	}
	for range maxResolveDepth {
		_, lt, err := local.Underlying(lid)
		if err != nil {
			return false, err
		}
		_, tt, err := target.Underlying(tid)
		if err != nil {
			return false, err
		}
		if !kindsCompat(lt.Kind(), tt.Kind()) {
			return false, nil
		}
		switch lt := lt.(type) {
		case *Void, *Struct, *Union, *Enum, *Fwd, *Float:
			return true, nil
		case *Int:
			return lt.Offset == 0 && tt.(*Int).Offset == 0, nil
		case *Pointer:
			lid, tid = lt.Target, tt.(*Pointer).Target
		case *Array:
			lid, tid = lt.Type, tt.(*Array).Type
		case *FuncProto:
			tp := tt.(*FuncProto)
			if len(lt.Params) != len(tp.Params) {
				return false, nil
			}
			for i := range lt.Params {
				ok, err := typesCompat(local, lt.Params[i].Type, target, tp.Params[i].Type, level+1)
				if err != nil || !ok {
					return false, err
				}
			}
			lid, tid = lt.Return, tp.Return
		default:
			return false, nil
		}
	}
	return false, errDepth
}

// typesMatch implements BPF_CORE_TYPE_MATCHES (Linux 6.2, libbpf 1.1), a stricter check than
// typesCompat: after typedefs and qualifiers, the kinds agree (a forward declaration matches
// a struct or union of the same name); named types have the same essential name; integers
// and floats have the same size and signedness; every enumerator of a local enum exists in the
// target (enums of the same size); every member of a local struct or union exists by name in
// the target with a matching type; pointers, arrays (of the same length) and function
// prototypes match by what they refer to. Behind a pointer, structs and unions match by name
// alone, which also ends recursion through self-referencing types.
func typesMatch(local *coreBTF, lid TypeID, target *coreBTF, tid TypeID, level int) (bool, error) {
	return typesMatchPtr(local, lid, target, tid, false, level)
}

func typesMatchPtr(local *coreBTF, lid TypeID, target *coreBTF, tid TypeID, behindPtr bool, level int) (bool, error) {
	if level > maxResolveDepth {
		return false, errDepth
	}
	_, lt, err := local.Underlying(lid)
	if err != nil {
		return false, err
	}
	_, tt, err := target.Underlying(tid)
	if err != nil {
		return false, err
	}
	if lt.TypeName() != "" && tt.TypeName() != "" && EssentialName(lt.TypeName()) != EssentialName(tt.TypeName()) {
		return false, nil
	}
	if lf, ok := lt.(*Fwd); ok {
		switch tt := tt.(type) {
		case *Fwd:
			return lf.Union == tt.Union, nil
		case *Struct:
			return !lf.Union, nil
		case *Union:
			return lf.Union, nil
		}
		return false, nil
	}
	if !kindsCompat(lt.Kind(), tt.Kind()) {
		return false, nil
	}
	switch lt := lt.(type) {
	case *Void:
		return true, nil
	case *Int:
		ti := tt.(*Int)
		return lt.Size == ti.Size && (lt.Encoding&Signed) == (ti.Encoding&Signed), nil
	case *Float:
		return lt.Size == tt.(*Float).Size, nil
	case *Enum:
		te := tt.(*Enum)
		if lt.Size != te.Size {
			return false, nil
		}
		for _, v := range lt.Values {
			if findEnumerator(te, v.Name) < 0 {
				return false, nil
			}
		}
		return true, nil
	case *Struct, *Union:
		if behindPtr {
			return true, nil
		}
		tms := Members(tt)
		for _, lm := range Members(lt) {
			found := false
			for _, tm := range tms {
				if tm.Name != lm.Name {
					continue
				}
				ok, err := typesMatchPtr(local, lm.Type, target, tm.Type, false, level+1)
				if err != nil {
					return false, err
				}
				found = ok
				break
			}
			if !found {
				return false, nil
			}
		}
		return true, nil
	case *Pointer:
		return typesMatchPtr(local, lt.Target, target, tt.(*Pointer).Target, true, level+1)
	case *Array:
		ta := tt.(*Array)
		if lt.Nelems != ta.Nelems {
			return false, nil
		}
		return typesMatchPtr(local, lt.Type, target, ta.Type, behindPtr, level+1)
	case *FuncProto:
		tp := tt.(*FuncProto)
		if len(lt.Params) != len(tp.Params) {
			return false, nil
		}
		for i := range lt.Params {
			ok, err := typesMatchPtr(local, lt.Params[i].Type, target, tp.Params[i].Type, behindPtr, level+1)
			if err != nil || !ok {
				return false, err
			}
		}
		return typesMatchPtr(local, lt.Return, target, tp.Return, behindPtr, level+1)
	}
	return false, nil
}

// fieldValue is what a field relocation computes from one side.
type fieldValue struct {
	val       uint64
	size      uint32 // byte size of a non-bitfield field for byte_off, else 0
	resizable bool   // unsigned integer or pointer
	validate  bool
}

// calcFixup computes the fixup from the local spec ls (nil for relocations by name) and the
// matched target spec ts (nil when nothing matched).
func calcFixup(kind COREReloKind, ls, ts *coreSpec) (COREFixup, error) {
	f := COREFixup{Kind: kind, byName: ls == nil}
	if ts != nil {
		f.TargetID = ts.rootID
	}
	var err error
	switch {
	case kind.isField():
		var lv fieldValue
		if ls != nil {
			if lv, err = calcField(kind, ls); err != nil {
				return f, err
			}
			f.Local, f.LocalSize, f.Checked = lv.val, lv.size, lv.validate
		}
		switch {
		case ts == nil && kind == COREFieldExists:
			f.Target = 0
		case ts == nil:
			f.Poison = true
		default:
			tv, err := calcField(kind, ts)
			if err != nil {
				return f, err
			}
			f.Target, f.TargetSize = tv.val, tv.size
			f.resizable = tv.resizable && (ls == nil || lv.resizable)
		}
	case kind.isEnumval():
		if ls != nil {
			if f.Local, err = calcEnumval(kind, ls); err != nil {
				return f, err
			}
			f.Checked = true
		}
		switch {
		case ts == nil && kind == COREEnumvalValue:
			f.Poison = true
		default:
			if f.Target, err = calcEnumval(kind, ts); err != nil {
				return f, err
			}
		}
	default:
		if ls != nil {
			if f.Local, err = calcType(kind, ls); err != nil {
				return f, err
			}
			f.Checked = kind != CORETypeIDTarget
		}
		if f.Target, err = calcType(kind, ts); err != nil {
			return f, err
		}
	}
	return f, nil
}

func calcType(kind COREReloKind, cs *coreSpec) (uint64, error) {
	if cs == nil {
		return 0, nil
	}
	switch kind {
	case CORETypeIDTarget, CORETypeIDLocal:
		return uint64(cs.rootID), nil
	case CORETypeExists, CORETypeMatches:
		return 1, nil
	case CORETypeSize:
		sz, err := cs.spec.Sizeof(cs.rootID)
		if err != nil {
			return 0, err
		}
		return uint64(sz), nil
	}
	return 0, fmt.Errorf("%w: kind %s is not a type relocation", ErrInvalid, kind)
}

func calcEnumval(kind COREReloKind, cs *coreSpec) (uint64, error) {
	if kind == COREEnumvalExists {
		if cs == nil {
			return 0, nil
		}
		return 1, nil
	}
	t, err := cs.spec.TypeByID(cs.acc[0].typeID)
	if err != nil {
		return 0, err
	}
	e, ok := t.(*Enum)
	if !ok || cs.acc[0].idx >= len(e.Values) {
		return 0, fmt.Errorf("%w: enumerator %d of type %d", ErrInvalid, cs.acc[0].idx, cs.acc[0].typeID)
	}
	v := e.Values[cs.acc[0].idx].Value
	if e.Signed && !e.Is64 {
		v = uint64(int64(int32(uint32(v))))
	}
	return v, nil
}

// calcField computes a field relocation's value from one side's resolved access.
func calcField(kind COREReloKind, cs *coreSpec) (fieldValue, error) {
	if kind == COREFieldExists {
		return fieldValue{val: 1, validate: true}, nil
	}
	s := cs.spec
	acc := cs.acc[len(cs.acc)-1]
	if acc.name == "" {
		// The whole root or an array element.
		sz, err := s.Sizeof(acc.typeID)
		if err != nil {
			return fieldValue{}, err
		}
		switch kind {
		case COREFieldByteOffset:
			_, t, err := s.Underlying(acc.typeID)
			if err != nil {
				return fieldValue{}, err
			}
			return fieldValue{val: cs.bitOffset / 8, size: uint32(sz), resizable: resizable(t), validate: true}, nil
		case COREFieldByteSize:
			return fieldValue{val: uint64(sz), validate: true}, nil
		}
		return fieldValue{}, fmt.Errorf("%w: %s relocation on an array element or whole type", ErrInvalid, kind)
	}
	parent, err := s.TypeByID(acc.typeID)
	if err != nil {
		return fieldValue{}, err
	}
	ms := Members(parent)
	if acc.idx >= len(ms) {
		return fieldValue{}, fmt.Errorf("%w: member %d of type %d", ErrInvalid, acc.idx, acc.typeID)
	}
	m := ms[acc.idx]
	fid, ft, err := s.Underlying(m.Type)
	if err != nil {
		return fieldValue{}, err
	}
	bitfield := m.BitfieldSize != 0
	bitOff := cs.bitOffset
	var byteSz, byteOff, bitSz uint64
	if sz, err := s.Sizeof(fid); err == nil {
		byteSz = uint64(sz)
	} else if kind != COREFieldByteOffset || bitfield {
		return fieldValue{}, err
	}
	if !bitfield {
		byteOff = bitOff / 8
		bitSz = byteSz * 8
	} else {
		if byteSz == 0 {
			return fieldValue{}, fmt.Errorf("%w: bitfield of size 0", ErrInvalid)
		}
		bitSz = uint64(m.BitfieldSize)
		byteOff = bitOff / 8 / byteSz * byteSz
		// The smallest naturally aligned load that covers the bitfield.
		for bitOff+bitSz-byteOff*8 > byteSz*8 {
			if byteSz >= 8 {
				return fieldValue{}, fmt.Errorf("%w: bitfield at bit %d of width %d cannot be read with a 64-bit load", ErrInvalid, bitOff, bitSz)
			}
			byteSz *= 2
			byteOff = bitOff / 8 / byteSz * byteSz
		}
	}
	v := fieldValue{validate: !bitfield}
	switch kind {
	case COREFieldByteOffset:
		v.val = byteOff
		if !bitfield {
			v.size, v.resizable = uint32(byteSz), resizable(ft)
		}
	case COREFieldByteSize:
		v.val = byteSz
	case COREFieldSigned:
		switch ft := ft.(type) {
		case *Int:
			v.val = b2u(ft.Encoding&Signed != 0)
		case *Enum:
			v.val = b2u(ft.Signed)
		}
		v.validate = true
	case COREFieldLShiftU64:
		if s.ByteOrder() == binary.BigEndian {
			v.val = (8-byteSz)*8 + (bitOff - byteOff*8)
		} else {
			v.val = 64 - (bitOff + bitSz - byteOff*8)
		}
	case COREFieldRShiftU64:
		v.val = 64 - bitSz
		v.validate = true
	default:
		return fieldValue{}, fmt.Errorf("%w: kind %s is not a field relocation", ErrInvalid, kind)
	}
	return v, nil
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// resizable reports whether loading t with a narrower or wider access keeps its value:
// unsigned integers and pointers (zero extension).
func resizable(t Type) bool {
	switch t := t.(type) {
	case *Pointer:
		return true
	case *Int:
		return t.Encoding&Signed == 0
	}
	return false
}
