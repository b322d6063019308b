package btf

import "encoding/binary"

// decoder turns records of one Spec into Types. In bulk mode it carves
// members, parameters and values out of shared chunks, and names are
// substrings of the Spec's string table copy, which keeps a full decode of
// vmlinux to a few allocations per type.
type decoder struct {
	s    *Spec
	bulk bool

	members []Member
	params  []FuncParam
	values  []EnumValue
	vars    []VarSecinfo
}

const chunk = 4096

func newDecoder(s *Spec, bulk bool) *decoder {
	return &decoder{s: s, bulk: bulk}
}

func (s *Spec) decode(off uint32) Type {
	d := decoder{s: s}
	return d.decode(off)
}

// name returns the string at off, "" if off is out of range (possible only
// in trusted BTF, whose items scan does not check).
func (d *decoder) name(off uint32) string {
	if off == 0 || off >= d.s.stringsEnd() {
		return ""
	}
	s := d.s
	for off < s.strBase {
		s = s.base
	}
	if s.strtab == "" || !d.bulk {
		return string(s.strBytes(off))
	}
	rel := off - s.strBase
	tab := s.strtab[rel:]
	for i := 0; i < len(tab); i++ {
		if tab[i] == 0 {
			return tab[:i]
		}
	}
	return tab
}

// take returns n elements carved from *pool, refilling it in bulk mode.
func take[T any](d *decoder, pool *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	if !d.bulk || n > chunk/4 {
		return make([]T, n)
	}
	if len(*pool) < n {
		*pool = make([]T, chunk)
	}
	out := (*pool)[:n:n]
	*pool = (*pool)[n:]
	return out
}

func (d *decoder) decode(off uint32) Type {
	le := binary.LittleEndian
	b := d.s.types[off:]
	nameOff := le.Uint32(b)
	info := le.Uint32(b[4:])
	kind := Kind(info >> 24 & 0x1f)
	kflag := info>>31 == 1
	vlen := int(info & 0xffff)
	st := le.Uint32(b[8:])
	rec := b[recHeaderLen:]

	switch kind {
	case KindInt:
		v := le.Uint32(rec)
		return &Int{
			Name:     d.name(nameOff),
			Size:     st,
			Encoding: IntEncoding(v >> 24 & 0xf),
			Offset:   uint8(v >> 16),
			Bits:     uint8(v),
		}
	case KindPointer:
		return &Pointer{Target: TypeID(st)}
	case KindArray:
		return &Array{Type: TypeID(le.Uint32(rec)), Index: TypeID(le.Uint32(rec[4:])), Nelems: le.Uint32(rec[8:])}
	case KindStruct, KindUnion:
		ms := take(d, &d.members, vlen)
		for i := range ms {
			m := rec[12*i:]
			bo := le.Uint32(m[8:])
			ms[i] = Member{Name: d.name(le.Uint32(m)), Type: TypeID(le.Uint32(m[4:]))}
			if kflag {
				ms[i].BitOffset = bo & 0xffffff
				ms[i].BitfieldSize = uint8(bo >> 24)
			} else {
				ms[i].BitOffset = bo
			}
		}
		if kind == KindUnion {
			return &Union{Name: d.name(nameOff), Size: st, Members: ms}
		}
		return &Struct{Name: d.name(nameOff), Size: st, Members: ms}
	case KindEnum, KindEnum64:
		vs := take(d, &d.values, vlen)
		for i := range vs {
			if kind == KindEnum {
				e := rec[8*i:]
				v := uint64(le.Uint32(e[4:]))
				if kflag {
					v = uint64(int64(int32(v)))
				}
				vs[i] = EnumValue{Name: d.name(le.Uint32(e)), Value: v}
			} else {
				e := rec[12*i:]
				v := uint64(le.Uint32(e[4:])) | uint64(le.Uint32(e[8:]))<<32
				vs[i] = EnumValue{Name: d.name(le.Uint32(e)), Value: v}
			}
		}
		return &Enum{Name: d.name(nameOff), Size: st, Signed: kflag, Is64: kind == KindEnum64, Values: vs}
	case KindFwd:
		return &Fwd{Name: d.name(nameOff), Union: kflag}
	case KindTypedef:
		return &Typedef{Name: d.name(nameOff), Type: TypeID(st)}
	case KindVolatile:
		return &Volatile{Type: TypeID(st)}
	case KindConst:
		return &Const{Type: TypeID(st)}
	case KindRestrict:
		return &Restrict{Type: TypeID(st)}
	case KindFunc:
		return &Func{Name: d.name(nameOff), Type: TypeID(st), Linkage: FuncLinkage(vlen)}
	case KindFuncProto:
		ps := take(d, &d.params, vlen)
		for i := range ps {
			p := rec[8*i:]
			ps[i] = FuncParam{Name: d.name(le.Uint32(p)), Type: TypeID(le.Uint32(p[4:]))}
		}
		return &FuncProto{Return: TypeID(st), Params: ps}
	case KindVar:
		return &Var{Name: d.name(nameOff), Type: TypeID(st), Linkage: VarLinkage(le.Uint32(rec))}
	case KindDatasec:
		vs := take(d, &d.vars, vlen)
		for i := range vs {
			v := rec[12*i:]
			vs[i] = VarSecinfo{Type: TypeID(le.Uint32(v)), Offset: le.Uint32(v[4:]), Size: le.Uint32(v[8:])}
		}
		return &Datasec{Name: d.name(nameOff), Size: st, Vars: vs}
	case KindFloat:
		return &Float{Name: d.name(nameOff), Size: st}
	case KindDeclTag:
		return &DeclTag{Name: d.name(nameOff), Type: TypeID(st), ComponentIdx: int32(le.Uint32(rec)), Attr: kflag}
	case KindTypeTag:
		return &TypeTag{Name: d.name(nameOff), Type: TypeID(st), Attr: kflag}
	}
	// scan rejects unknown kinds.
	return &Void{}
}
