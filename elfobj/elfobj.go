// Package elfobj parses ELF objects that clang compiled for BPF
// (clang -O2 -g -target bpf) into a [bpf.CollectionSpec].
//
// Parsing is pure: it reads the object's bytes and never touches the kernel,
// so it works on any OS and without privileges. [bpf.NewCollection] then
// creates the maps and loads the programs.
//
// What an object contributes:
//
//   - programs: every global function of every executable section, typed by
//     the section name with libbpf's SEC() conventions ([ClassifySection]);
//     several programs may share a section. Functions of .text (and static
//     functions) are subprograms: a program gets, after its own
//     instructions, every function it calls (bpf-to-bpf calls, callbacks),
//     each behind an [asm.Label] named after the function, and its calls name
//     those labels.
//   - maps: BTF-defined maps of the .maps section (type, key and value size
//     from BTF, max_entries, map_flags, pinning, numa_node, map_extra, inner
//     maps through "values"), legacy struct bpf_map_def entries of "maps"
//     sections, and global data: .data*, .rodata* and .bss* become
//     single-entry arrays named after the section, with the section's bytes as
//     Contents (frozen and read-only for programs in the case of .rodata).
//   - relocations: map references become [asm.LoadMapPtr]-style loads naming
//     the map, global variable references [asm.LoadMapValue]-style loads with
//     the variable's offset.
//   - license and version sections; .BTF and .BTF.ext: func_info, line_info
//     and CO-RE records per program ([bpf.ProgramBTF]), with the DATASEC sizes
//     and offsets that clang leaves 0 filled in. CO-RE relocations are applied
//     when the program is loaded, against the running kernel.
package elfobj

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/elfsec"
)

// ErrNotBPF is returned for ELF files that are not BPF objects.
var ErrNotBPF = errors.New("not a BPF object")

// LoadCollectionSpec parses the BPF ELF object at path.
func LoadCollectionSpec(path string) (*bpf.CollectionSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	spec, err := LoadCollectionSpecFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// LoadCollectionSpecFromReader parses a BPF ELF object read from r.
func LoadCollectionSpecFromReader(r io.ReaderAt) (spec *bpf.CollectionSpec, err error) {
	defer func() {
		// debug/elf and the decoders check their input; this is a last line
		// of defence so that hostile input gives an error, not a crash.
		if p := recover(); p != nil {
			spec, err = nil, fmt.Errorf("elf object: malformed input: %v", p)
		}
	}()
	f, err := elfsec.Open(r)
	if err != nil {
		return nil, err
	}
	if f.Machine != elf.EM_BPF || f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%w (machine %v, class %v)", ErrNotBPF, f.Machine, f.Class)
	}
	l := &loader{f: f, r: r, maps: map[string]*bpf.MapSpec{}, dataSecs: map[int]string{}, mapSecs: map[int]bool{},
		innerMaps: map[string][]bpf.InnerMapSlot{}, progSlots: map[string][]bpf.ProgramSlot{}}
	if err := l.load(); err != nil {
		return nil, err
	}
	spec = &bpf.CollectionSpec{Maps: l.maps, Programs: l.progs, Kconfig: l.kconfig, StructOps: l.structOps}
	if len(l.progSlots) > 0 {
		spec.ProgramArrays = l.progSlots
	}
	if len(l.innerMaps) > 0 {
		spec.InnerMaps = l.innerMaps
	}
	return spec, nil
}

type loader struct {
	f       *elfsec.File
	r       io.ReaderAt
	syms    []elf.Symbol
	bo      binary.ByteOrder
	license string
	version uint32
	btf     *btf.Spec
	ext     *btf.Ext
	mapBTF  []byte // the fixed-up .BTF, marshalled, for maps

	maps      map[string]*bpf.MapSpec
	dataSecs  map[int]string // section index → global data map name
	mapSecs   map[int]bool   // "maps" and ".maps" sections
	innerMaps map[string][]bpf.InnerMapSlot
	kconfig   []bpf.KconfigVar
	ksyms     map[string]ksym // extern kernel symbols of the .ksyms DATASEC, by name
	structOps map[string]*bpf.StructOpsVar
	progSlots map[string][]bpf.ProgramSlot // initial programs of program arrays
	funcs     map[funcKey]*function
	progs     map[string]*bpf.ProgramSpec
}

func (l *loader) load() error {
	l.bo = l.f.ByteOrder
	syms, err := l.f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("symbols: %w", err)
	}
	l.syms = syms
	if err := l.loadLicense(); err != nil {
		return err
	}
	if err := l.loadBTF(); err != nil {
		return err
	}
	if err := l.loadMaps(); err != nil {
		return err
	}
	if err := l.loadFunctions(); err != nil {
		return err
	}
	if err := l.buildPrograms(); err != nil {
		return err
	}
	for outer, slots := range l.progSlots {
		for _, sl := range slots {
			if _, ok := l.progs[sl.Program]; !ok {
				return fmt.Errorf("map %q: initial value %q is not a program of the object", outer, sl.Program)
			}
		}
	}
	l.structOps, err = l.loadStructOps()
	return err
}

func (l *loader) loadLicense() error {
	for _, s := range l.f.Sections {
		switch s.Name {
		case "license":
			b, err := elfsec.SectionData(s)
			if err != nil {
				return err
			}
			l.license = string(bytes.TrimRight(b, "\x00"))
			if i := strings.IndexByte(l.license, 0); i >= 0 {
				l.license = l.license[:i]
			}
		case "version":
			b, err := elfsec.SectionData(s)
			if err != nil {
				return err
			}
			if len(b) != 4 {
				return fmt.Errorf("section version: %d bytes, want 4", len(b))
			}
			l.version = l.bo.Uint32(b)
		}
	}
	return nil
}

// section returns the section with header index idx, or nil.
func (l *loader) section(idx elf.SectionIndex) *elf.Section {
	if idx == elf.SHN_UNDEF || int(idx) >= len(l.f.Sections) {
		return nil
	}
	return l.f.Sections[idx]
}

// loadBTF parses .BTF and .BTF.ext, and fills in the DATASEC sizes and the
// variable offsets from the ELF section and symbol tables.
func (l *loader) loadBTF() error {
	if l.f.File.Section(".BTF") == nil {
		return nil
	}
	spec, ext, err := btf.LoadSpecAndExtFromELF(l.r)
	if err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	b, err := spec.Builder()
	if err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	changed := false
	for id, t := range spec.All() {
		ds, ok := t.(*btf.Datasec)
		if !ok {
			continue
		}
		if ds.Name == ".kconfig" {
			if err := l.layoutKconfig(b, spec, id, ds); err != nil {
				return err
			}
			changed = true
			continue
		}
		if ds.Name == ".ksyms" {
			if err := l.layoutKsyms(b, spec, id, ds); err != nil {
				return err
			}
			changed = true
			continue
		}
		sec := l.f.File.Section(ds.Name)
		if sec == nil {
			continue
		}
		fixed := &btf.Datasec{Name: ds.Name, Size: uint32(sec.Size), Vars: slices.Clone(ds.Vars)}
		for i, v := range fixed.Vars {
			vt, err := spec.TypeByID(v.Type)
			if err != nil {
				return fmt.Errorf("btf: datasec %s: %w", ds.Name, err)
			}
			vv, ok := vt.(*btf.Var)
			if !ok {
				continue
			}
			sym, ok := l.symbolIn(vv.Name, sec)
			if !ok {
				return fmt.Errorf("btf: datasec %s: variable %s has no symbol", ds.Name, vv.Name)
			}
			fixed.Vars[i].Offset = uint32(sym.Value)
		}
		if err := b.Replace(id, fixed); err != nil {
			return fmt.Errorf("btf: %w", err)
		}
		changed = true
	}
	raw, err := b.Marshal(nil)
	if err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	if changed {
		if spec, err = btf.LoadSpecFromBytes(raw); err != nil {
			return fmt.Errorf("btf: fixed up: %w", err)
		}
	}
	l.btf, l.ext, l.mapBTF = spec, ext, raw
	return nil
}

// layoutKconfig places the extern variables of the .kconfig DATASEC in the
// value of a ".kconfig" map, each aligned to its size (at most 8), as libbpf
// does; the BTF gets those offsets and the variables become global (the
// kernel refuses extern variables in BTF).
func (l *loader) layoutKconfig(b *btf.Builder, spec *btf.Spec, id btf.TypeID, ds *btf.Datasec) error {
	fixed := &btf.Datasec{Name: ds.Name, Vars: slices.Clone(ds.Vars)}
	var off uint32
	for i, v := range fixed.Vars {
		vt, err := spec.TypeByID(v.Type)
		if err != nil {
			return fmt.Errorf("btf: .kconfig: %w", err)
		}
		vv, ok := vt.(*btf.Var)
		if !ok {
			return fmt.Errorf("btf: .kconfig: %v is not a variable", vt)
		}
		size, err := spec.Sizeof(vv.Type)
		if err != nil || size <= 0 || size > 1<<16 {
			return fmt.Errorf("btf: .kconfig: %s: size %d: %v", vv.Name, size, err)
		}
		align := uint32(1)
		for align < 8 && align < uint32(size) && uint32(size)%(align*2) == 0 {
			align *= 2
		}
		off = (off + align - 1) &^ (align - 1)
		fixed.Vars[i].Offset, fixed.Vars[i].Size = off, uint32(size)
		weak := false
		for _, sym := range l.syms {
			if sym.Name == vv.Name && sym.Section == elf.SHN_UNDEF {
				weak = elf.ST_BIND(sym.Info) == elf.STB_WEAK
			}
		}
		l.kconfig = append(l.kconfig, bpf.KconfigVar{Name: vv.Name, Offset: off, Size: uint32(size), Weak: weak})
		if err := b.Replace(v.Type, &btf.Var{Name: vv.Name, Type: vv.Type, Linkage: btf.GlobalVar}); err != nil {
			return fmt.Errorf("btf: %w", err)
		}
		off += uint32(size)
	}
	fixed.Size = (off + 7) &^ 7
	if err := b.Replace(id, fixed); err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	if fixed.Size == 0 {
		return nil
	}
	return l.addMap(".kconfig", &bpf.MapSpec{
		Name: ".kconfig", Type: bpf.Array, KeySize: 4, ValueSize: fixed.Size, MaxEntries: 1,
		Flags:    bpf.MapFlagRdOnlyProg,
		Freeze:   true,
		Contents: []bpf.MapEntry{{Key: make([]byte, 4), Value: make([]byte, fixed.Size)}},
	})
}

// ksym is an extern kernel symbol (.ksyms): a kfunc, or a kernel variable
// whose BTF type the object declares (typed) or not (const void, untyped).
type ksym struct {
	fn, typed, weak bool
}

// layoutKsyms records the extern kernel symbols of the .ksyms DATASEC and
// rewrites their BTF so the kernel accepts it: it refuses extern linkage of
// variables and functions and DATASEC members that are not variables, so the
// functions become static and leave the DATASEC, and the variables become
// global, laid out one after the other. The instructions that use them are
// rewritten in relocate: kfunc calls by name, typed variables as
// BPF_PSEUDO_BTF_ID loads by name, both resolved in the kernel's BTF at load.
func (l *loader) layoutKsyms(b *btf.Builder, spec *btf.Spec, id btf.TypeID, ds *btf.Datasec) error {
	fixed := &btf.Datasec{Name: ds.Name}
	l.ksyms = map[string]ksym{}
	var off uint32
	for _, v := range ds.Vars {
		t, err := spec.TypeByID(v.Type)
		if err != nil {
			return fmt.Errorf("btf: .ksyms: %w", err)
		}
		switch t := t.(type) {
		case *btf.Func:
			l.ksyms[t.Name] = ksym{fn: true, weak: l.weakExtern(t.Name)}
			if err := b.Replace(v.Type, &btf.Func{Name: t.Name, Type: t.Type, Linkage: btf.StaticFunc}); err != nil {
				return fmt.Errorf("btf: %w", err)
			}
		case *btf.Var:
			size, err := spec.Sizeof(t.Type)
			typed := err == nil && size > 0
			l.ksyms[t.Name] = ksym{typed: typed, weak: l.weakExtern(t.Name)}
			if !typed {
				size = 1 // const void: the kernel wants a size
			}
			fixed.Vars = append(fixed.Vars, btf.VarSecinfo{Type: v.Type, Offset: off, Size: uint32(size)})
			off += uint32(size)
			if err := b.Replace(v.Type, &btf.Var{Name: t.Name, Type: t.Type, Linkage: btf.GlobalVar}); err != nil {
				return fmt.Errorf("btf: %w", err)
			}
		default:
			return fmt.Errorf("btf: .ksyms: %v is neither a function nor a variable", t)
		}
	}
	fixed.Size = max((off+7)&^7, 8)
	if err := b.Replace(id, fixed); err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	return nil
}

// weakExtern reports whether the undefined symbol name is weak.
func (l *loader) weakExtern(name string) bool {
	for _, sym := range l.syms {
		if sym.Name == name && sym.Section == elf.SHN_UNDEF {
			return elf.ST_BIND(sym.Info) == elf.STB_WEAK
		}
	}
	return false
}

// kconfigVar returns the .kconfig variable called name.
func (l *loader) kconfigVar(name string) (bpf.KconfigVar, bool) {
	for _, v := range l.kconfig {
		if v.Name == name {
			return v, true
		}
	}
	return bpf.KconfigVar{}, false
}

// symbolIn returns the symbol called name defined in sec.
func (l *loader) symbolIn(name string, sec *elf.Section) (elf.Symbol, bool) {
	for _, s := range l.syms {
		if s.Name == name && l.section(s.Section) == sec {
			return s, true
		}
	}
	return elf.Symbol{}, false
}

// mapName truncates a name to what the kernel keeps (BPF_OBJ_NAME_LEN - 1).
func mapName(name string) string {
	if len(name) > 15 {
		return name[:15]
	}
	return name
}

func (l *loader) addMap(name string, ms *bpf.MapSpec) error {
	if _, dup := l.maps[name]; dup {
		return fmt.Errorf("map %q: defined twice", name)
	}
	l.maps[name] = ms
	return nil
}

func (l *loader) loadMaps() error {
	for idx, s := range l.f.Sections {
		switch {
		case s.Name == "maps":
			l.mapSecs[idx] = true
			if err := l.loadLegacyMaps(idx, s); err != nil {
				return err
			}
		case s.Name == ".maps":
			l.mapSecs[idx] = true
			if err := l.loadBTFMaps(s); err != nil {
				return err
			}
		case isDataSection(s):
			if err := l.loadDataSection(idx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// isDataSection reports whether s holds global variables: .data*, .rodata*
// and .bss* sections that are allocated and not executable.
func isDataSection(s *elf.Section) bool {
	if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 {
		return false
	}
	for _, p := range []string{".data", ".rodata", ".bss"} {
		if s.Name == p || strings.HasPrefix(s.Name, p+".") {
			return true
		}
	}
	return false
}

// maxGlobalData bounds a global data section. The kernel refuses array values
// above KMALLOC_MAX_SIZE (4 MiB with 4 KiB pages); the bound leaves room for
// larger pages and keeps hostile objects from making the parser allocate
// gigabytes for a .bss.
const maxGlobalData = 1 << 24

func (l *loader) loadDataSection(idx int, s *elf.Section) error {
	if s.Size == 0 {
		return nil
	}
	if s.Size > maxGlobalData {
		return fmt.Errorf("section %s: %d bytes of global data is more than an array map value can hold (%d)", s.Name, s.Size, maxGlobalData)
	}
	var value []byte
	if s.Type == elf.SHT_NOBITS {
		value = make([]byte, s.Size)
	} else {
		b, err := elfsec.SectionData(s)
		if err != nil {
			return err
		}
		if uint64(len(b)) != s.Size {
			return fmt.Errorf("section %s: read %d of %d bytes", s.Name, len(b), s.Size)
		}
		value = b
	}
	ms := &bpf.MapSpec{
		Name:       mapName(s.Name),
		Type:       bpf.Array,
		KeySize:    4,
		ValueSize:  uint32(s.Size),
		MaxEntries: 1,
		Contents:   []bpf.MapEntry{{Key: make([]byte, 4), Value: value}},
	}
	if strings.HasPrefix(s.Name, ".rodata") {
		ms.Flags = bpf.MapFlagRdOnlyProg
		ms.Freeze = true
	}
	l.dataSecs[idx] = s.Name
	return l.addMap(s.Name, ms)
}

// loadLegacyMaps parses struct bpf_map_def entries: type, key_size,
// value_size, max_entries and map_flags, each a u32.
func (l *loader) loadLegacyMaps(idx int, s *elf.Section) error {
	b, err := elfsec.SectionData(s)
	if err != nil {
		return err
	}
	for _, sym := range l.syms {
		if int(sym.Section) != idx || sym.Name == "" || elf.ST_TYPE(sym.Info) == elf.STT_SECTION {
			continue
		}
		if sym.Size < 16 || sym.Value > uint64(len(b)) || sym.Size > uint64(len(b))-sym.Value {
			return fmt.Errorf("map %q: definition of %d bytes at %d outside section maps (%d bytes) or shorter than 16", sym.Name, sym.Size, sym.Value, len(b))
		}
		def := b[sym.Value : sym.Value+sym.Size]
		ms := &bpf.MapSpec{
			Name:       mapName(sym.Name),
			Type:       bpf.MapType(l.bo.Uint32(def)),
			KeySize:    l.bo.Uint32(def[4:]),
			ValueSize:  l.bo.Uint32(def[8:]),
			MaxEntries: l.bo.Uint32(def[12:]),
		}
		if len(def) >= 20 {
			ms.Flags = bpf.MapFlags(l.bo.Uint32(def[16:]))
		}
		if err := l.addMap(sym.Name, ms); err != nil {
			return err
		}
	}
	return nil
}

// loadBTFMaps parses the map definitions of the .maps section from its BTF
// DATASEC: each variable is a struct whose members encode the attributes.
func (l *loader) loadBTFMaps(s *elf.Section) error {
	if l.btf == nil {
		return errors.New("section .maps: the object has no BTF (compile with -g)")
	}
	_, ds, err := btf.Find[*btf.Datasec](l.btf, ".maps")
	if err != nil {
		return fmt.Errorf("section .maps: %w", err)
	}
	values := map[string][2]uint64{} // outer map → byte span of its values array
	for _, v := range ds.Vars {
		t, err := l.btf.TypeByID(v.Type)
		if err != nil {
			return fmt.Errorf("section .maps: %w", err)
		}
		vv, ok := t.(*btf.Var)
		if !ok {
			return fmt.Errorf("section .maps: %v is not a variable", t)
		}
		ms, valuesOff, err := l.btfMapDef(vv.Name, vv.Type, 0)
		if err != nil {
			return fmt.Errorf("map %q: %w", vv.Name, err)
		}
		if err := l.addMap(vv.Name, ms); err != nil {
			return err
		}
		if valuesOff >= 0 {
			sym, ok := l.symbolIn(vv.Name, s)
			if !ok {
				return fmt.Errorf("map %q: no symbol in .maps", vv.Name)
			}
			values[vv.Name] = [2]uint64{sym.Value + uint64(valuesOff), sym.Value + sym.Size}
		}
	}
	return l.loadInnerMaps(s, values)
}

// loadInnerMaps reads the `.values = { [i] = &inner }` initialisers of maps
// of maps: relocations (R_BPF_64_ABS64) in the values array of an outer map
// definition, one 8-byte pointer per slot.
func (l *loader) loadInnerMaps(s *elf.Section, values map[string][2]uint64) error {
	if len(values) == 0 {
		return nil
	}
	idx := slices.Index(l.f.Sections, s)
	relocs, err := l.f.Relocations(idx, l.syms)
	if err != nil {
		return fmt.Errorf("section .maps: %w", err)
	}
	for _, r := range relocs {
		for outer, span := range values {
			if r.Offset < span[0] || r.Offset >= span[1] {
				continue
			}
			if (r.Offset-span[0])%8 != 0 {
				return fmt.Errorf("map %q: initial value at byte %d is not a pointer slot", outer, r.Offset)
			}
			inner, key := r.Symbol.Name, uint32((r.Offset-span[0])/8)
			if l.maps[outer].Type == bpf.ProgramArray {
				// A program, checked once the programs are built.
				l.progSlots[outer] = append(l.progSlots[outer], bpf.ProgramSlot{Key: key, Program: inner})
				continue
			}
			if _, ok := l.maps[inner]; !ok || l.section(r.Symbol.Section) != s {
				return fmt.Errorf("map %q: initial value %q is not a map of .maps", outer, inner)
			}
			l.innerMaps[outer] = append(l.innerMaps[outer], bpf.InnerMapSlot{Key: key, Map: inner})
		}
	}
	return nil
}

// btfMapDef decodes a BTF map definition struct (libbpf's __uint, __type,
// __array conventions). valuesOff is the byte offset of the values member in
// the definition, or -1.
func (l *loader) btfMapDef(name string, id btf.TypeID, depth int) (*bpf.MapSpec, int64, error) {
	valuesOff := int64(-1)
	_, t, err := l.btf.Underlying(id)
	if err != nil {
		return nil, -1, err
	}
	st, ok := t.(*btf.Struct)
	if !ok {
		return nil, -1, fmt.Errorf("definition is %v, not a struct", t)
	}
	ms := &bpf.MapSpec{Name: mapName(name)}
	var keyID, valueID btf.TypeID
	for _, m := range st.Members {
		switch m.Name {
		case "type", "max_entries", "map_flags", "key_size", "value_size", "pinning", "numa_node", "map_extra":
			n, err := l.uintMember(m)
			if err != nil {
				return nil, -1, fmt.Errorf("%s: %w", m.Name, err)
			}
			switch m.Name {
			case "type":
				ms.Type = bpf.MapType(n)
			case "max_entries":
				ms.MaxEntries = uint32(n)
			case "map_flags":
				ms.Flags = bpf.MapFlags(n)
			case "key_size":
				ms.KeySize = uint32(n)
			case "value_size":
				ms.ValueSize = uint32(n)
			case "pinning":
				switch n {
				case 0:
				case 1: // LIBBPF_PIN_BY_NAME
					ms.Pinning = bpf.PinByName
				default:
					return nil, -1, fmt.Errorf("pinning: unknown value %d", n)
				}
			case "numa_node":
				ms.NumaNode = uint32(n)
			case "map_extra":
				ms.MapExtra = n
			}
		case "key", "value":
			target, err := l.pointee(m.Type)
			if err != nil {
				return nil, -1, fmt.Errorf("%s: %w", m.Name, err)
			}
			size, err := l.btf.Sizeof(target)
			if err != nil {
				return nil, -1, fmt.Errorf("%s: %w", m.Name, err)
			}
			if m.Name == "key" {
				keyID, ms.KeySize = target, uint32(size)
			} else {
				valueID, ms.ValueSize = target, uint32(size)
			}
		case "values":
			// __array(values, struct inner): a zero-length array of
			// pointers to the inner map's definition.
			if depth > 0 {
				return nil, -1, errors.New("values: maps of maps nest one level only")
			}
			_, at, err := l.btf.Underlying(m.Type)
			if err != nil {
				return nil, -1, fmt.Errorf("values: %w", err)
			}
			arr, ok := at.(*btf.Array)
			if !ok {
				return nil, -1, fmt.Errorf("values: %v is not an array", at)
			}
			inner, err := l.pointee(arr.Type)
			if err != nil {
				return nil, -1, fmt.Errorf("values: %w", err)
			}
			valuesOff = int64(m.BitOffset / 8)
			ms.ValueSize = 4 // an inner map's or a program's fd
			if _, it, err := l.btf.Underlying(inner); err == nil {
				if _, isFunc := it.(*btf.FuncProto); isFunc {
					// __array(values, int (void *)): a program array's
					// initial programs.
					break
				}
			}
			if ms.InnerMap, _, err = l.btfMapDef(name+".inner", inner, depth+1); err != nil {
				return nil, -1, fmt.Errorf("values: %w", err)
			}
		default:
			return nil, -1, fmt.Errorf("unknown map attribute %q", m.Name)
		}
	}
	if ms.Type == bpf.UnspecifiedMap {
		return nil, -1, errors.New("no map type")
	}
	if valueID != 0 {
		ms.BTF = l.mapBTF
		ms.BTFKeyTypeID, ms.BTFValueTypeID = uint32(keyID), uint32(valueID)
	}
	return ms, valuesOff, nil
}

// uintMember decodes __uint(name, n): a pointer to an array of n ints.
func (l *loader) uintMember(m btf.Member) (uint64, error) {
	target, err := l.pointee(m.Type)
	if err != nil {
		return 0, err
	}
	_, t, err := l.btf.Underlying(target)
	if err != nil {
		return 0, err
	}
	arr, ok := t.(*btf.Array)
	if !ok {
		return 0, fmt.Errorf("%v is not an array (want __uint)", t)
	}
	return uint64(arr.Nelems), nil
}

// pointee returns what the pointer type id points at.
func (l *loader) pointee(id btf.TypeID) (btf.TypeID, error) {
	_, t, err := l.btf.Underlying(id)
	if err != nil {
		return 0, err
	}
	p, ok := t.(*btf.Pointer)
	if !ok {
		return 0, fmt.Errorf("%v is not a pointer", t)
	}
	return p.Target, nil
}
