package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bpfgo/bpf/internal/elfsec"
)

// COREReloKind is the kind of a CO-RE relocation (enum bpf_core_relo_kind).
type COREReloKind uint32

// The CO-RE relocation kinds (BPF_CORE_*).
const (
	COREFieldByteOffset COREReloKind = 0  // BPF_CORE_FIELD_BYTE_OFFSET
	COREFieldByteSize   COREReloKind = 1  // BPF_CORE_FIELD_BYTE_SIZE
	COREFieldExists     COREReloKind = 2  // BPF_CORE_FIELD_EXISTS
	COREFieldSigned     COREReloKind = 3  // BPF_CORE_FIELD_SIGNED
	COREFieldLShiftU64  COREReloKind = 4  // BPF_CORE_FIELD_LSHIFT_U64
	COREFieldRShiftU64  COREReloKind = 5  // BPF_CORE_FIELD_RSHIFT_U64
	CORETypeIDLocal     COREReloKind = 6  // BPF_CORE_TYPE_ID_LOCAL
	CORETypeIDTarget    COREReloKind = 7  // BPF_CORE_TYPE_ID_TARGET
	CORETypeExists      COREReloKind = 8  // BPF_CORE_TYPE_EXISTS
	CORETypeSize        COREReloKind = 9  // BPF_CORE_TYPE_SIZE
	COREEnumvalExists   COREReloKind = 10 // BPF_CORE_ENUMVAL_EXISTS
	COREEnumvalValue    COREReloKind = 11 // BPF_CORE_ENUMVAL_VALUE
	CORETypeMatches     COREReloKind = 12 // BPF_CORE_TYPE_MATCHES
)

var coreReloNames = [...]string{
	"byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64",
	"local_type_id", "target_type_id", "type_exists", "type_size",
	"enumval_exists", "enumval_value", "type_matches",
}

// String returns libbpf's short name of the kind ("byte_off", "type_size").
func (k COREReloKind) String() string {
	if int(k) < len(coreReloNames) {
		return coreReloNames[k]
	}
	return fmt.Sprintf("core_relo(%d)", uint32(k))
}

// FuncInfo is a .BTF.ext func_info record (struct bpf_func_info): the
// function starting at an instruction.
type FuncInfo struct {
	// InsnOff is the offset of the function's first instruction in the
	// ELF section, in bytes (the kernel's bpf_func_info counts
	// instructions: divide by 8).
	InsnOff uint32
	TypeID  TypeID // a FUNC
}

// LineInfo is a .BTF.ext line_info record (struct bpf_line_info): the source
// line an instruction was compiled from.
type LineInfo struct {
	InsnOff  uint32 // in bytes from the start of the ELF section
	FileName string
	Line     string // the text of the source line
	LineNum  uint32
	Column   uint32
	// FileNameOff and LineOff are the string offsets the names came from.
	FileNameOff, LineOff uint32
}

// CORERelo is a .BTF.ext CO-RE relocation record (struct bpf_core_relo).
type CORERelo struct {
	InsnOff uint32 // in bytes from the start of the ELF section
	TypeID  TypeID // the local root type
	// Access is the access string: colon-separated indices such as "0:1:2"
	// for field relocations, "0" for type relocations, the enumerator index
	// for enum value relocations.
	Access string
	Kind   COREReloKind
}

// ExtSection holds the .BTF.ext records of one ELF code section.
type ExtSection struct {
	Name      string // the ELF section, such as "xdp" or ".text"
	FuncInfos []FuncInfo
	LineInfos []LineInfo
	CORERelos []CORERelo
}

// Ext is a parsed .BTF.ext section: per code section, the func_info,
// line_info and CO-RE relocation records compilers emit next to .BTF.
type Ext struct {
	Sections []*ExtSection // in order of first appearance
}

// Section returns the records of the named ELF section, or nil.
func (e *Ext) Section(name string) *ExtSection {
	for _, s := range e.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (e *Ext) section(name string) *ExtSection {
	if s := e.Section(name); s != nil {
		return s
	}
	s := &ExtSection{Name: name}
	e.Sections = append(e.Sections, s)
	return s
}

const (
	extHeaderLen     = 24 // up to line_info_len
	extHeaderCORELen = 32 // with core_relo_off/len
	funcInfoLen      = 8
	lineInfoLen      = 16
	coreReloLen      = 16
)

// LoadSpecAndExtFromELF parses the .BTF and .BTF.ext sections of an ELF
// object. Ext is nil when the object has no .BTF.ext.
func LoadSpecAndExtFromELF(r io.ReaderAt) (*Spec, *Ext, error) {
	f, err := elfsec.Open(r)
	if err != nil {
		return nil, nil, err
	}
	data, err := f.Section(".BTF")
	if errors.Is(err, elfsec.ErrNoSection) {
		return nil, nil, fmt.Errorf("section .BTF: %w", ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	spec, err := newSpec(data, nil, false)
	if err != nil {
		return nil, nil, fmt.Errorf("section .BTF: %w", err)
	}
	extData, err := f.Section(".BTF.ext")
	if errors.Is(err, elfsec.ErrNoSection) {
		return spec, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ext, err := ParseExt(extData, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("section .BTF.ext: %w", err)
	}
	return spec, ext, nil
}

// ParseExt parses a .BTF.ext section. spec is the BTF of the same object:
// section names, file names, source lines and access strings are offsets
// into its string section, and type IDs refer to its types.
func ParseExt(data []byte, spec *Spec) (*Ext, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: .BTF.ext of %d bytes is shorter than its header", ErrInvalid, len(data))
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint16(data) == btfMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint16(data) == btfMagic:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: .BTF.ext: bad magic %#04x", ErrInvalid, binary.LittleEndian.Uint16(data))
	}
	if data[2] != 1 {
		return nil, fmt.Errorf("%w: .BTF.ext: unsupported version %d", ErrInvalid, data[2])
	}
	hdrLen := bo.Uint32(data[4:])
	if hdrLen < extHeaderLen || uint64(hdrLen) > uint64(len(data)) {
		return nil, fmt.Errorf("%w: .BTF.ext: header length %d", ErrInvalid, hdrLen)
	}
	body := data[hdrLen:]
	sub := func(off, length uint32, what string) ([]byte, error) {
		if uint64(off)+uint64(length) > uint64(len(body)) {
			return nil, fmt.Errorf("%w: .BTF.ext: %s [%d, +%d) beyond %d bytes", ErrInvalid, what, off, length, len(body))
		}
		return body[off : off+length], nil
	}
	ext := &Ext{}
	p := extParser{spec: spec, bo: bo, ext: ext}
	fi, err := sub(bo.Uint32(data[8:]), bo.Uint32(data[12:]), "func_info")
	if err != nil {
		return nil, err
	}
	if err := p.records(fi, "func_info", funcInfoLen, p.funcInfo); err != nil {
		return nil, err
	}
	li, err := sub(bo.Uint32(data[16:]), bo.Uint32(data[20:]), "line_info")
	if err != nil {
		return nil, err
	}
	if err := p.records(li, "line_info", lineInfoLen, p.lineInfo); err != nil {
		return nil, err
	}
	if hdrLen >= extHeaderCORELen {
		cr, err := sub(bo.Uint32(data[24:]), bo.Uint32(data[28:]), "core_relo")
		if err != nil {
			return nil, err
		}
		if err := p.records(cr, "core_relo", coreReloLen, p.coreRelo); err != nil {
			return nil, err
		}
	}
	return ext, nil
}

type extParser struct {
	spec *Spec
	bo   binary.ByteOrder
	ext  *Ext
}

func (p *extParser) str(off uint32, what string) (string, error) {
	if off >= p.spec.stringsEnd() {
		return "", fmt.Errorf("%w: .BTF.ext: %s: string offset %d out of range", ErrInvalid, what, off)
	}
	return string(p.spec.strBytes(off)), nil
}

func (p *extParser) typeID(id uint32, what string) (TypeID, error) {
	if id >= uint32(p.spec.nextID()) {
		return 0, fmt.Errorf("%w: .BTF.ext: %s: type %d out of range", ErrInvalid, what, id)
	}
	return TypeID(id), nil
}

// records walks one info block: a record size, then per ELF section the
// section name offset, the record count and the records.
func (p *extParser) records(b []byte, what string, minSize uint32, fn func(sec *ExtSection, rec []byte) error) error {
	if len(b) == 0 {
		return nil
	}
	if len(b) < 4 {
		return fmt.Errorf("%w: .BTF.ext: %s: truncated record size", ErrInvalid, what)
	}
	recSize := p.bo.Uint32(b)
	if recSize < minSize || recSize%4 != 0 {
		return fmt.Errorf("%w: .BTF.ext: %s: record size %d (want at least %d)", ErrInvalid, what, recSize, minSize)
	}
	b = b[4:]
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: .BTF.ext: %s: truncated section header", ErrInvalid, what)
		}
		name, err := p.str(p.bo.Uint32(b), what+" section name")
		if err != nil {
			return err
		}
		n := p.bo.Uint32(b[4:])
		b = b[8:]
		if uint64(n)*uint64(recSize) > uint64(len(b)) {
			return fmt.Errorf("%w: .BTF.ext: %s: section %q: %d records of %d bytes beyond the data", ErrInvalid, what, name, n, recSize)
		}
		if n == 0 {
			return fmt.Errorf("%w: .BTF.ext: %s: section %q has no records", ErrInvalid, what, name)
		}
		sec := p.ext.section(name)
		for range n {
			if err := fn(sec, b[:recSize]); err != nil {
				return fmt.Errorf("section %q: %w", name, err)
			}
			b = b[recSize:]
		}
	}
	return nil
}

func (p *extParser) funcInfo(sec *ExtSection, rec []byte) error {
	id, err := p.typeID(p.bo.Uint32(rec[4:]), "func_info")
	if err != nil {
		return err
	}
	sec.FuncInfos = append(sec.FuncInfos, FuncInfo{InsnOff: p.bo.Uint32(rec), TypeID: id})
	return nil
}

func (p *extParser) lineInfo(sec *ExtSection, rec []byte) error {
	li := LineInfo{InsnOff: p.bo.Uint32(rec), FileNameOff: p.bo.Uint32(rec[4:]), LineOff: p.bo.Uint32(rec[8:])}
	col := p.bo.Uint32(rec[12:])
	li.LineNum, li.Column = col>>10, col&0x3ff
	var err error
	if li.FileName, err = p.str(li.FileNameOff, "line_info file name"); err != nil {
		return err
	}
	if li.Line, err = p.str(li.LineOff, "line_info line"); err != nil {
		return err
	}
	sec.LineInfos = append(sec.LineInfos, li)
	return nil
}

func (p *extParser) coreRelo(sec *ExtSection, rec []byte) error {
	r := CORERelo{InsnOff: p.bo.Uint32(rec), Kind: COREReloKind(p.bo.Uint32(rec[12:]))}
	var err error
	if r.TypeID, err = p.typeID(p.bo.Uint32(rec[4:]), "core_relo"); err != nil {
		return err
	}
	if r.Access, err = p.str(p.bo.Uint32(rec[8:]), "core_relo access string"); err != nil {
		return err
	}
	if r.Kind > CORETypeMatches {
		return fmt.Errorf("%w: .BTF.ext: core_relo: unknown kind %d", ErrInvalid, r.Kind)
	}
	sec.CORERelos = append(sec.CORERelos, r)
	return nil
}
