package asm

import (
	"fmt"
	"strings"
)

// CO-RE ("compile once, run everywhere") lets a program refer to kernel types by name: the
// offset of task_struct.pid, whether a field exists, the size of a type, the value of an
// enumerator. The builders below emit an instruction with a placeholder and attach a CoreRelo;
// the loader (bpf.NewProgram, through package btf) resolves it against the running kernel's
// BTF, as libbpf does for relocations clang records in .BTF.ext.

// CoreKind is the kind of a CO-RE relocation (enum bpf_core_relo_kind). The values are the
// kernel's; package btf names the same kinds btf.COREReloKind.
type CoreKind uint32

// The CO-RE relocation kinds (BPF_CORE_*).
const (
	CoreKindFieldByteOffset CoreKind = 0  // BPF_CORE_FIELD_BYTE_OFFSET: offset of a field in bytes
	CoreKindFieldByteSize   CoreKind = 1  // BPF_CORE_FIELD_BYTE_SIZE: size of a field in bytes
	CoreKindFieldExists     CoreKind = 2  // BPF_CORE_FIELD_EXISTS: 1 if the field exists, else 0
	CoreKindFieldSigned     CoreKind = 3  // BPF_CORE_FIELD_SIGNED: 1 if the field is signed
	CoreKindFieldLShiftU64  CoreKind = 4  // BPF_CORE_FIELD_LSHIFT_U64: bitfield extraction
	CoreKindFieldRShiftU64  CoreKind = 5  // BPF_CORE_FIELD_RSHIFT_U64: bitfield extraction
	CoreKindTypeIDLocal     CoreKind = 6  // BPF_CORE_TYPE_ID_LOCAL: the type's ID in the program's BTF
	CoreKindTypeIDTarget    CoreKind = 7  // BPF_CORE_TYPE_ID_TARGET: the type's ID in the kernel's BTF
	CoreKindTypeExists      CoreKind = 8  // BPF_CORE_TYPE_EXISTS: 1 if the type exists, else 0
	CoreKindTypeSize        CoreKind = 9  // BPF_CORE_TYPE_SIZE: size of the type in bytes
	CoreKindEnumvalExists   CoreKind = 10 // BPF_CORE_ENUMVAL_EXISTS: 1 if the enumerator exists
	CoreKindEnumvalValue    CoreKind = 11 // BPF_CORE_ENUMVAL_VALUE: value of the enumerator
	CoreKindTypeMatches     CoreKind = 12 // BPF_CORE_TYPE_MATCHES: 1 if the type matches (Linux 6.2)
)

var coreKindNames = [...]string{
	"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
	"local_type_id", "target_type_id", "type_exists", "type_size",
	"enumval_exists", "enumval_value", "type_matches",
}

// String returns libbpf's short name of the kind ("byte_off", "type_size").
func (k CoreKind) String() string {
	if int(k) < len(coreKindNames) {
		return coreKindNames[k]
	}
	return fmt.Sprintf("CoreKind(%d)", uint32(k))
}

// IsField reports whether k is about a field (byte offset, size, existence, signedness, shifts).
func (k CoreKind) IsField() bool { return k <= CoreKindFieldRShiftU64 }

// IsType reports whether k is about a whole type (IDs, existence, size, match).
func (k CoreKind) IsType() bool {
	return (k >= CoreKindTypeIDLocal && k <= CoreKindTypeSize) || k == CoreKindTypeMatches
}

// IsEnumval reports whether k is about an enumerator.
func (k CoreKind) IsEnumval() bool { return k == CoreKindEnumvalExists || k == CoreKindEnumvalValue }

// CoreRelo is a CO-RE relocation that an instruction built in Go carries: which value to
// compute, for which kernel type and access path. It names types instead of referring to
// program BTF, since a program built in Go has none.
type CoreRelo struct {
	Kind CoreKind
	// Type names the root type as the kernel's BTF does: "task_struct". A C-style prefix
	// ("struct ", "union ", "enum ", "typedef ") restricts the kind; without one, field
	// relocations look for a struct or union and enumerator relocations for an enum. A
	// "___flavour" suffix is ignored, as in libbpf ("task_struct___old" matches task_struct).
	Type string
	// Access is the path from the root type. For field relocations each element is a member
	// name (members of anonymous nested structs and unions are found as in C), "[N]" to index
	// an array, or "*" to follow a pointer (the rest of the path starts from the pointee, and
	// offsets are relative to it). For enumerator relocations it is one enumerator name. Type
	// relocations take none.
	Access []string
}

// String formats the relocation as "<kind> task_struct.real_parent->tgid".
func (r CoreRelo) String() string {
	var b strings.Builder
	b.WriteString(r.Kind.String())
	b.WriteByte(' ')
	b.WriteString(r.Type)
	for i, a := range r.Access {
		switch {
		case a == "*":
			b.WriteString("->")
			continue
		case strings.HasPrefix(a, "["):
		case r.Kind.IsEnumval():
			b.WriteString("::")
		case i == 0 || r.Access[i-1] != "*":
			b.WriteByte('.')
		}
		b.WriteString(a)
	}
	return b.String()
}

// CoreRelo returns the CO-RE relocation ins carries, or nil.
func (ins Instruction) CoreRelo() *CoreRelo {
	if ins.ext == nil || ins.ext.core == nil {
		return nil
	}
	r := *ins.ext.core
	r.Access = append([]string(nil), r.Access...)
	return &r
}

// WithCoreRelo returns a copy of ins carrying the CO-RE relocation r. The loader computes r's
// value for the running kernel and writes it into the instruction: the immediate of an ALU
// instruction or 64-bit immediate load, the offset of a load or store.
func (ins Instruction) WithCoreRelo(r CoreRelo) Instruction {
	r.Access = append([]string(nil), r.Access...)
	e := ins.extraCopy()
	e.core = &r
	ins.ext = e
	return ins
}

// HasCoreRelos reports whether any instruction of insns carries a CO-RE relocation.
func (insns Instructions) HasCoreRelos() bool {
	for i := range insns {
		if insns[i].ext != nil && insns[i].ext.core != nil {
			return true
		}
	}
	return false
}

// CoreFieldOffset returns dst = the byte offset of a field in typ, resolved for the running
// kernel at load time: CoreFieldOffset(R2, "task_struct", "pid"). Nested members are further
// path elements ("thread", "sp"); see CoreRelo.Access. clj-ebpf: (core-field-offset dst typ f).
//
//go:noinline
func CoreFieldOffset(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldByteOffset, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreFieldExists returns dst = 1 if the field exists in the running kernel's typ, 0 if not.
// clj-ebpf: (core-field-exists dst typ f).
//
//go:noinline
func CoreFieldExists(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldExists, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreFieldSize returns dst = the size in bytes of a field of typ in the running kernel.
// clj-ebpf: (core-field-size dst typ f).
//
//go:noinline
func CoreFieldSize(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldByteSize, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreFieldSigned returns dst = 1 if a field of typ is a signed integer (or signed enum) in the
// running kernel, 0 if not.
//
//go:noinline
func CoreFieldSigned(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldSigned, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreFieldLShift returns dst = the left shift that moves a field of typ, loaded as a 64-bit
// value from its CoreFieldOffset with CoreFieldSize bytes, to the top of the register; with
// CoreFieldRShift this extracts a bitfield (BPF_CORE_FIELD_LSHIFT_U64).
//
//go:noinline
func CoreFieldLShift(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldLShiftU64, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreFieldRShift returns dst = the right shift that, after CoreFieldLShift, leaves the field's
// value in the low bits: 64 minus the field's width in bits (BPF_CORE_FIELD_RSHIFT_U64).
//
//go:noinline
func CoreFieldRShift(dst Register, typ string, field ...string) Instruction {
	ins := coreMov(dst, CoreKindFieldRShiftU64, typ, field)
	ins.pc = callerPC()
	return ins
}

// CoreTypeExists returns dst = 1 if the running kernel has the type, 0 if not:
// CoreTypeExists(R0, "struct bpf_map"). clj-ebpf: (core-type-exists dst typ).
//
//go:noinline
func CoreTypeExists(dst Register, typ string) Instruction {
	ins := coreMov(dst, CoreKindTypeExists, typ, nil)
	ins.pc = callerPC()
	return ins
}

// CoreTypeSize returns dst = sizeof(typ) in the running kernel. clj-ebpf: (core-type-size dst
// typ).
//
//go:noinline
func CoreTypeSize(dst Register, typ string) Instruction {
	ins := coreMov(dst, CoreKindTypeSize, typ, nil)
	ins.pc = callerPC()
	return ins
}

// CoreTypeID returns dst = the BTF ID of typ in the running kernel's BTF (vmlinux), 0 if there
// is none, for helpers and kfuncs that take a type ID (bpf_core_type_id_kernel in libbpf).
//
//go:noinline
func CoreTypeID(dst Register, typ string) Instruction {
	ins := LoadImm64(dst, 0)
	ins.pc = callerPC()
	return ins.WithCoreRelo(CoreRelo{Kind: CoreKindTypeIDTarget, Type: typ})
}

// CoreEnumValue returns dst = the value of the enumerator value of enum typ in the running
// kernel, as a 64-bit immediate load: CoreEnumValue(R0, "pid_type", "PIDTYPE_TGID").
// clj-ebpf: (core-enum-value dst typ value).
//
//go:noinline
func CoreEnumValue(dst Register, typ, value string) Instruction {
	ins := LoadImm64(dst, 0)
	ins.pc = callerPC()
	return ins.WithCoreRelo(CoreRelo{Kind: CoreKindEnumvalValue, Type: typ, Access: []string{value}})
}

// CoreEnumExists returns dst = 1 if enum typ has the enumerator value in the running kernel, 0
// if not.
//
//go:noinline
func CoreEnumExists(dst Register, typ, value string) Instruction {
	ins := alu(ClassALU64, Mov, SrcImm, dst, 0, 0)
	ins.pc = callerPC()
	return ins.WithCoreRelo(CoreRelo{Kind: CoreKindEnumvalExists, Type: typ, Access: []string{value}})
}

// CoreLoad returns dst = *(size *)(src + offsetof(typ, field...)), the offset resolved for the
// running kernel. src must be a pointer the program may dereference directly (a context or a
// BTF pointer such as bpf_get_current_task_btf's). If the field's size in the kernel differs
// from size, the load is resized when that keeps the value (unsigned integers and pointers);
// otherwise the instruction is poisoned like an unresolvable relocation.
//
//go:noinline
func CoreLoad(size Size, dst, src Register, typ string, field ...string) Instruction {
	ins := mem(ClassLDX, ModeMEM, size, dst, src, 0, 0)
	ins.pc = callerPC()
	return ins.WithCoreRelo(CoreRelo{Kind: CoreKindFieldByteOffset, Type: typ, Access: field})
}

func coreMov(dst Register, kind CoreKind, typ string, access []string) Instruction {
	ins := alu(ClassALU64, Mov, SrcImm, dst, 0, 0)
	return ins.WithCoreRelo(CoreRelo{Kind: kind, Type: typ, Access: access})
}

// CoreRead returns instructions that follow a chain of kernel pointers with
// bpf_probe_read_kernel (Linux 5.5), like libbpf's BPF_CORE_READ: with src holding a struct
// task_struct pointer,
//
//	asm.CoreRead(asm.R0, asm.R6, -8, "task_struct", "real_parent", "tgid")
//
// sets R0 = src->real_parent->tgid. Every element of chain but the last is a pointer that is
// read and followed; an element may reach into nested members with dots ("thread.sp"). Offsets
// and sizes are CO-RE relocations resolved for the running kernel. The value, at most 8 bytes,
// is zero-extended into dst.
//
// The 8-byte stack slot at R10+slot (slot < 0, 8-aligned) is the read buffer. R1–R5 are
// clobbered (and R0 unless it is dst); src is read before anything is written. The result is 0
// where a read faults. Like the helper, it requires a program type that may call
// bpf_probe_read_kernel (tracing programs: kprobe, raw tracepoint, ...).
func CoreRead(dst, src Register, slot int16, typ string, chain ...string) Instructions {
	insns := make(Instructions, 0, 7*len(chain)+1)
	var path []string
	cur := src
	for i, step := range chain {
		if i > 0 {
			path = append(path, "*")
		}
		path = append(path, strings.Split(step, ".")...)
		insns = append(insns,
			alu(ClassALU64, Mov, SrcReg, R3, cur, 0),
			mem(ClassST, ModeMEM, DW, R10, 0, slot, 0),
			alu(ClassALU64, Mov, SrcReg, R1, R10, 0),
			alu(ClassALU64, Add, SrcImm, R1, 0, int32(slot)),
			alu(ClassALU64, Mov, SrcImm, R2, 0, 0).WithCoreRelo(CoreRelo{Kind: CoreKindFieldByteSize, Type: typ, Access: path}),
			alu(ClassALU64, Add, SrcImm, R3, 0, 0).WithCoreRelo(CoreRelo{Kind: CoreKindFieldByteOffset, Type: typ, Access: path}),
			jump(ClassJMP, call, SrcImm, 0, PseudoHelperCall, int32(FnProbeReadKernel), ""),
		)
		cur = dst
		if i < len(chain)-1 && (dst == R1 || dst == R2 || dst == R3 || dst == R4 || dst == R5) {
			cur = R0 // dst would be clobbered by the next call's arguments; R0 is free
		}
		insns = append(insns, mem(ClassLDX, ModeMEM, DW, cur, R10, slot, 0))
	}
	if len(chain) > 0 && cur != dst {
		insns = append(insns, alu(ClassALU64, Mov, SrcReg, dst, cur, 0))
	}
	return Attribute("asm.CoreRead", insns)
}
