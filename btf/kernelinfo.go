package btf

import (
	"encoding/binary"
	"fmt"
)

// Sizes of the records BPF_PROG_LOAD takes in func_info and line_info
// (attr.func_info_rec_size, attr.line_info_rec_size).
const (
	FuncInfoRecSize = 8  // struct bpf_func_info
	LineInfoRecSize = 16 // struct bpf_line_info
)

// ProgFuncInfo is struct bpf_func_info as BPF_PROG_LOAD takes it: the
// function that starts at instruction InsnOff (counted in 8-byte
// instruction slots, unlike the byte offsets of .BTF.ext). Requires Linux
// 5.0.
type ProgFuncInfo struct {
	InsnOff uint32
	TypeID  TypeID // a FUNC in the program's BTF
}

// ProgLineInfo is struct bpf_line_info as BPF_PROG_LOAD takes it: the
// source line of instruction InsnOff (in instruction slots). FileNameOff and
// LineOff are string offsets in the program's BTF, which
// [Builder.AddString] returns. Requires Linux 5.0.
type ProgLineInfo struct {
	InsnOff     uint32
	FileNameOff uint32
	LineOff     uint32
	LineNum     uint32 // at most 2^22-1
	Column      uint32 // at most 1023
}

// MarshalFuncInfos encodes func_info records for BPF_PROG_LOAD in the host's
// byte order. The kernel wants them sorted by InsnOff, the first at 0.
func MarshalFuncInfos(infos []ProgFuncInfo) ([]byte, error) {
	out := make([]byte, 0, len(infos)*FuncInfoRecSize)
	for i, fi := range infos {
		if i > 0 && fi.InsnOff <= infos[i-1].InsnOff {
			return nil, fmt.Errorf("func_info %d: instruction %d not after %d", i, fi.InsnOff, infos[i-1].InsnOff)
		}
		out = binary.NativeEndian.AppendUint32(out, fi.InsnOff)
		out = binary.NativeEndian.AppendUint32(out, uint32(fi.TypeID))
	}
	return out, nil
}

// MarshalLineInfos encodes line_info records for BPF_PROG_LOAD in the host's
// byte order. The kernel wants them sorted by InsnOff.
func MarshalLineInfos(infos []ProgLineInfo) ([]byte, error) {
	out := make([]byte, 0, len(infos)*LineInfoRecSize)
	for i, li := range infos {
		if i > 0 && li.InsnOff < infos[i-1].InsnOff {
			return nil, fmt.Errorf("line_info %d: instruction %d before %d", i, li.InsnOff, infos[i-1].InsnOff)
		}
		if li.LineNum >= 1<<22 || li.Column >= 1<<10 {
			return nil, fmt.Errorf("line_info %d: line %d column %d out of range", i, li.LineNum, li.Column)
		}
		out = binary.NativeEndian.AppendUint32(out, li.InsnOff)
		out = binary.NativeEndian.AppendUint32(out, li.FileNameOff)
		out = binary.NativeEndian.AppendUint32(out, li.LineOff)
		out = binary.NativeEndian.AppendUint32(out, li.LineNum<<10|li.Column)
	}
	return out, nil
}
