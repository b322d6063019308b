package asm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// InstructionSize is the size of one encoded slot.
const InstructionSize = 8

// Errors of the package. Those from assembling labels are wrapped with the instruction and its
// source position; use errors.Is.
var (
	ErrUnknownLabel   = errors.New("unknown label")
	ErrDuplicateLabel = errors.New("duplicate label")
	ErrOffsetRange    = errors.New("jump offset out of range")
	ErrUnresolved     = errors.New("unresolved reference")

	// ErrInvalidInstruction is matched by Decode's errors for bytes that are not a valid
	// instruction: an unknown opcode, a reserved field that is not zero, or a truncated 64-bit
	// immediate load.
	ErrInvalidInstruction = errors.New("invalid instruction")
)

// EncodeOptions controls Encode. The zero value encodes in the host's byte order and leaves map
// fds and kfunc ids as they are in the instructions.
type EncodeOptions struct {
	// ByteOrder of the output; nil means the host's.
	ByteOrder binary.ByteOrder
	// MapFD, when set, is called for every map load (LoadMapPtr, LoadMap, LoadMapValue) and
	// returns the fd to encode. The loader uses it to resolve map names and handles.
	MapFD func(ins *Instruction) (int32, error)
	// KfuncID, when set, is called for every kfunc call that names its function (CallKfuncByName)
	// and returns the BTF id and the fd_array index of the BTF object (0 for vmlinux).
	KfuncID func(name string) (id int32, btfIndex int16, err error)
	// KsymID, when set, is called for every kernel variable load that names its variable
	// (LoadKsym) and returns its BTF id and the fd of the BTF object that has it (0 for
	// vmlinux), which goes into the second slot's immediate.
	KsymID func(name string) (id int32, btfFD int32, err error)
}

// EncodedSize returns the number of bytes insns encode to.
func (insns Instructions) EncodedSize() int {
	n := 0
	for i := range insns {
		n += insns[i].Slots()
	}
	return n * InstructionSize
}

// Encode resolves labels and returns the bytecode of insns in the host's byte order.
func (insns Instructions) Encode() ([]byte, error) {
	return insns.AppendEncode(nil, nil)
}

// AppendEncode resolves labels and appends the bytecode of insns to b. opts may be nil.
func (insns Instructions) AppendEncode(b []byte, opts *EncodeOptions) ([]byte, error) {
	var o EncodeOptions
	if opts != nil {
		o = *opts
	}
	bo := o.ByteOrder
	if bo == nil {
		bo = nativeEndian
	}
	if bo != binary.LittleEndian && bo != binary.BigEndian {
		return nil, fmt.Errorf("asm: encode: unsupported byte order %v", bo)
	}
	big := bo == binary.BigEndian
	labels, total, err := insns.labelSlots()
	if err != nil {
		return nil, err
	}
	if need := total * InstructionSize; cap(b)-len(b) < need {
		nb := make([]byte, len(b), len(b)+need)
		copy(nb, b)
		b = nb
	}
	slot := 0
	for i := range insns {
		ins := &insns[i]
		if ins.kind == kindLabel {
			continue
		}
		off := ins.Offset
		imm := ins.Constant
		src := ins.Src
		if ins.Reference != "" {
			switch {
			case ins.IsJump():
				target, ok := insns.nearbyLabel(i, slot, ins.Reference)
				if !ok {
					target, ok = labels[ins.Reference]
				}
				if !ok {
					return nil, insns.refError(i, ErrUnknownLabel)
				}
				delta := int64(target) - int64(slot+1)
				if ins.OpCode.Class() == ClassJMP32 && ins.OpCode.JumpOp() == JA {
					if delta < math.MinInt32 || delta > math.MaxInt32 {
						return nil, insns.refError(i, ErrOffsetRange)
					}
					imm = delta
				} else {
					if delta < math.MinInt16 || delta > math.MaxInt16 {
						return nil, fmt.Errorf("%w (%d slots)", insns.refError(i, ErrOffsetRange), delta)
					}
					off = int16(delta)
				}
			case ins.IsFunctionCall(), ins.IsLoadImm64() && ins.Src == PseudoFunc:
				target, ok := labels[ins.Reference]
				if !ok {
					return nil, insns.refError(i, ErrUnknownLabel)
				}
				imm = int64(target) - int64(slot+1)
			case ins.IsKfuncExists():
				if o.KfuncID != nil {
					_, _, err := o.KfuncID(ins.Reference)
					switch {
					case err == nil:
						imm = 1
					case errors.Is(err, ErrKernelSymbolNotFound):
						imm = 0
					default:
						return nil, insns.wrapError(i, err)
					}
				}
			case ins.IsLoadImm64() && ins.Src == PseudoBTFID:
				if o.KsymID != nil {
					id, fd, err := o.KsymID(ins.Reference)
					switch {
					case err == nil:
						imm = int64(uint32(id)) | int64(fd)<<32
					case ins.IsWeak() && errors.Is(err, ErrKernelSymbolNotFound):
						src, imm = 0, 0 // a missing weak variable's address is NULL
					default:
						return nil, insns.wrapError(i, err)
					}
				}
			case ins.IsKfuncCall():
				if o.KfuncID != nil {
					id, idx, err := o.KfuncID(ins.Reference)
					switch {
					case err == nil:
						imm, off = int64(id), idx
					case ins.IsWeak() && errors.Is(err, ErrKernelSymbolNotFound):
						src, imm, off = 0, int64(PoisonedKfunc), 0
					default:
						return nil, insns.wrapError(i, err)
					}
				}
			}
		}
		if ins.IsMapLoad() && o.MapFD != nil {
			fd, err := o.MapFD(ins)
			if err != nil {
				return nil, insns.wrapError(i, err)
			}
			imm = imm&^0xffffffff | int64(uint32(fd))
		}
		b = appendSlot(b, big, ins.OpCode, ins.Dst, src, off, int32(imm))
		slot++
		if ins.IsLoadImm64() {
			b = appendSlot(b, big, 0, 0, 0, 0, int32(imm>>32))
			slot++
		}
	}
	return b, nil
}

func appendSlot(b []byte, big bool, op OpCode, dst, src Register, off int16, imm int32) []byte {
	if big {
		b = append(b, uint8(op), uint8(dst)<<4|uint8(src)&0x0f)
		b = binary.BigEndian.AppendUint16(b, uint16(off))
		return binary.BigEndian.AppendUint32(b, uint32(imm))
	}
	b = append(b, uint8(op), uint8(src)<<4|uint8(dst)&0x0f)
	b = binary.LittleEndian.AppendUint16(b, uint16(off))
	return binary.LittleEndian.AppendUint32(b, uint32(imm))
}

// nearbyWindow is how many instructions nearbyLabel looks at in each direction.
const nearbyWindow = 32

// nearbyLabel looks for the label name among the instructions near index i (at slot slot) and
// returns its slot. Most jumps are short, and a scan of neighbours is much cheaper than a lookup
// in a map of every label of a large program; labelSlots has already checked that labels are
// unique.
func (insns Instructions) nearbyLabel(i, slot int, name string) (int, bool) {
	s := slot + insns[i].Slots()
	for j := i + 1; j < len(insns) && j <= i+nearbyWindow; j++ {
		if insns[j].kind == kindLabel {
			if insns[j].Reference == name {
				return s, true
			}
			continue
		}
		s += insns[j].Slots()
	}
	s = slot
	for j := i - 1; j >= 0 && j >= i-nearbyWindow; j-- {
		if insns[j].kind == kindLabel {
			if insns[j].Reference == name {
				return s, true
			}
			continue
		}
		s -= insns[j].Slots()
	}
	return 0, false
}

// labelSlots returns the slot index of every label and the total number of slots.
func (insns Instructions) labelSlots() (map[string]int, int, error) {
	n := 0
	for i := range insns {
		if insns[i].kind == kindLabel {
			n++
		}
	}
	labels := make(map[string]int, n)
	slot := 0
	for i := range insns {
		ins := &insns[i]
		if ins.kind == kindLabel {
			// One map operation per label: a duplicate leaves the map's size unchanged.
			n := len(labels)
			labels[ins.Reference] = slot
			if len(labels) == n {
				return nil, 0, insns.refError(i, ErrDuplicateLabel)
			}
			continue
		}
		slot += ins.Slots()
	}
	return labels, slot, nil
}

func (insns Instructions) refError(i int, err error) error {
	return insns.wrapError(i, fmt.Errorf("%q: %w", insns[i].Reference, err))
}

func (insns Instructions) wrapError(i int, err error) error {
	where := fmt.Sprintf("instruction %d", i)
	if insns[i].kind == kindLabel {
		where = fmt.Sprintf("label at index %d", i)
	}
	if pos, ok := insns[i].Source(); ok {
		where += " (" + pos.String() + ")"
	}
	return fmt.Errorf("asm: %s: %w", where, err)
}

// SlotIndex returns the index in insns of the instruction that starts at encoded slot slot, and
// false if no instruction starts there. Verifier messages count slots; this maps them back.
func (insns Instructions) SlotIndex(slot int) (int, bool) {
	s := 0
	for i := range insns {
		if insns[i].kind == kindLabel {
			continue
		}
		if s == slot {
			return i, true
		}
		if s > slot {
			return 0, false
		}
		s += insns[i].Slots()
	}
	return 0, false
}

// LabelBefore returns the nearest label at or before index i, and false if there is none.
func (insns Instructions) LabelBefore(i int) (string, bool) {
	if i >= len(insns) {
		i = len(insns) - 1
	}
	for ; i >= 0; i-- {
		if insns[i].kind == kindLabel {
			return insns[i].Reference, true
		}
	}
	return "", false
}
