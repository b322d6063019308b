package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// CollectionSpec is a set of maps and programs that belong together, such as
// the contents of an ELF object (package elfobj parses one). Programs refer
// to the maps by the keys of Maps ([asm.LoadMapPtr], [asm.LoadMapValue]).
// Like every Spec it is plain data; [NewCollection] creates the live objects
// and never modifies it.
type CollectionSpec struct {
	// Maps are the map specs by name. Global data sections (.data, .rodata,
	// .bss) are single-entry arrays named after their section; setting
	// their Contents before NewCollection sets the variables' initial values.
	Maps map[string]*MapSpec
	// Programs are the program specs by name (the C function's name for
	// objects).
	Programs map[string]*ProgramSpec
	// InnerMaps are the initial contents of maps of maps (ArrayOfMaps,
	// HashOfMaps), by outer map name: after creating every map,
	// NewCollection stores the inner map's fd under each slot's key. The
	// `.values = { [1] = &inner }` initialiser of a BTF-defined map becomes
	// this.
	InnerMaps map[string][]InnerMapSlot
	// ProgramArrays are the initial programs of program arrays (tail-call
	// tables), by map name: after loading every program, NewCollection
	// stores each slot's program. The `.values = { [0] = &prog }`
	// initialiser of a BTF-defined BPF_MAP_TYPE_PROG_ARRAY becomes this.
	ProgramArrays map[string][]ProgramSlot
	// Kconfig are the extern variables of the map ".kconfig", which
	// NewCollection fills in from the running kernel (see [KconfigVar]).
	Kconfig []KconfigVar
	// StructOps are the kernel ops tables an object implements (its
	// .struct_ops and .struct_ops.link variables), by variable name.
	// NewCollection loads their programs; registering a table is the
	// caller's step (package link: AttachStructOpsVar), like attaching any
	// other program.
	StructOps map[string]*StructOpsVar
}

// StructOpsVar is one struct_ops table of an object: a variable of a kernel
// ops struct whose function-pointer members name [StructOps] programs.
type StructOpsVar struct {
	// Type is the kernel struct ("tcp_congestion_ops").
	Type string
	// Programs maps members to the names of the programs in the
	// collection that implement them; each of those programs is loaded
	// with AttachTo "<Type>:<member>".
	Programs map[string]string
	// Data maps the other members the object sets (not all zero bytes) to
	// their bytes, e.g. "name" to the congestion control's name.
	Data map[string][]byte
	// Link is true for a .struct_ops.link variable: the object asks for
	// registration through a BPF link (Linux 6.4).
	Link bool
}

// Copy returns a deep copy of v; nil stays nil.
func (v *StructOpsVar) Copy() *StructOpsVar {
	if v == nil {
		return nil
	}
	c := &StructOpsVar{Type: v.Type, Programs: maps.Clone(v.Programs), Link: v.Link}
	if v.Data != nil {
		c.Data = make(map[string][]byte, len(v.Data))
		for k, b := range v.Data {
			c.Data[k] = slices.Clone(b)
		}
	}
	return c
}

// InnerMapSlot is one initial entry of a map of maps: Map (a name in
// CollectionSpec.Maps) stored under the 4-byte key Key.
type InnerMapSlot struct {
	Key uint32
	Map string
}

// ProgramSlot is one initial entry of a program array: Program (a name in
// CollectionSpec.Programs) stored under the key Key.
type ProgramSlot struct {
	Key     uint32
	Program string
}

// Copy returns a deep copy of the spec; nil stays nil.
func (cs *CollectionSpec) Copy() *CollectionSpec {
	if cs == nil {
		return nil
	}
	c := &CollectionSpec{
		Maps:     make(map[string]*MapSpec, len(cs.Maps)),
		Programs: make(map[string]*ProgramSpec, len(cs.Programs)),
	}
	for k, m := range cs.Maps {
		c.Maps[k] = m.Copy()
	}
	for k, p := range cs.Programs {
		c.Programs[k] = p.Copy()
	}
	c.Kconfig = slices.Clone(cs.Kconfig)
	if cs.ProgramArrays != nil {
		c.ProgramArrays = make(map[string][]ProgramSlot, len(cs.ProgramArrays))
		for k, v := range cs.ProgramArrays {
			c.ProgramArrays[k] = slices.Clone(v)
		}
	}
	if cs.StructOps != nil {
		c.StructOps = make(map[string]*StructOpsVar, len(cs.StructOps))
		for k, v := range cs.StructOps {
			c.StructOps[k] = v.Copy()
		}
	}
	if cs.InnerMaps != nil {
		c.InnerMaps = make(map[string][]InnerMapSlot, len(cs.InnerMaps))
		for k, v := range cs.InnerMaps {
			c.InnerMaps[k] = slices.Clone(v)
		}
	}
	return c
}

// ProgramBTF is the BTF that an ELF object compiled with -g carries for one
// program: the object's types (.BTF, with the DATASEC sizes and offsets that
// the compiler leaves 0 filled in), and from .BTF.ext the func_info, line_info
// and CO-RE relocation records of the program's instructions. InsnOff of every
// record counts bytes from the program's first instruction (the entry
// function, followed by the subprograms it calls). [NewProgram] passes the BTF
// and records to the kernel (prog_btf_fd, func_info, line_info; Linux 5.0)
// instead of generating BTF, and applies the CO-RE relocations against the
// kernel's BTF (or [ProgramOptions.KernelBTF]) first.
type ProgramBTF struct {
	Spec      *btf.Spec
	FuncInfos []btf.FuncInfo
	LineInfos []btf.LineInfo
	CORERelos []btf.CORERelo
}

// CollectionOptions controls [NewCollectionWithOptions]; nil means defaults.
type CollectionOptions struct {
	// Maps are the options for every map (the pin path of PinByName maps).
	Maps MapOptions
	// Programs are the options for every program. Maps given in
	// Programs.Maps take precedence over the collection's maps of the same
	// name, so a program can use a map created elsewhere.
	Programs ProgramOptions
	// MapReplacements are live maps used instead of creating the spec's map
	// of that name. The Collection does not own them: Close leaves them open.
	MapReplacements map[string]*Map
}

// Collection is the live counterpart of a [CollectionSpec]: maps and programs
// that the kernel accepted. It owns them; Close releases all of them (a
// program or map taken out with [Collection.Assign] or by deleting it from
// the map is the caller's to close).
type Collection struct {
	Maps     map[string]*Map
	Programs map[string]*Program
	borrowed map[*Map]bool
}

// NewCollection creates the maps of spec, then loads its programs with the
// maps' fds resolved by name. On error, everything created so far is closed.
// The caller must Close the Collection.
func NewCollection(spec *CollectionSpec) (*Collection, error) {
	return NewCollectionWithOptions(spec, nil)
}

// NewCollectionWithOptions is [NewCollection] with options; opts may be nil.
func NewCollectionWithOptions(spec *CollectionSpec, opts *CollectionOptions) (_ *Collection, err error) {
	if spec == nil {
		return nil, errors.New("collection: nil spec")
	}
	if opts == nil {
		opts = &CollectionOptions{}
	}
	c := &Collection{
		Maps:     make(map[string]*Map, len(spec.Maps)),
		Programs: make(map[string]*Program, len(spec.Programs)),
		borrowed: make(map[*Map]bool),
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(spec.Maps)) {
		if m, ok := opts.MapReplacements[name]; ok {
			if m == nil {
				return nil, fmt.Errorf("collection: map %q: nil replacement", name)
			}
			c.Maps[name] = m
			c.borrowed[m] = true
			continue
		}
		ms := spec.Maps[name]
		if ms == nil {
			return nil, fmt.Errorf("collection: map %q: nil spec", name)
		}
		if name == ".kconfig" && len(spec.Kconfig) > 0 {
			if ms, err = fillKconfig(ms, spec.Kconfig); err != nil {
				return nil, fmt.Errorf("collection: %w", err)
			}
		}
		m, err := NewMapWithOptions(ms, &opts.Maps)
		if err != nil {
			return nil, fmt.Errorf("collection: %w", err)
		}
		c.Maps[name] = m
	}
	if err := c.fillInnerMaps(spec.InnerMaps); err != nil {
		return nil, err
	}
	popts := opts.Programs
	popts.Maps = make(map[string]asm.MapHandle, len(c.Maps)+len(opts.Programs.Maps))
	for name, m := range c.Maps {
		popts.Maps[name] = m
	}
	maps.Copy(popts.Maps, opts.Programs.Maps)
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		ps := spec.Programs[name]
		if ps == nil {
			return nil, fmt.Errorf("collection: program %q: nil spec", name)
		}
		p, err := NewProgramWithOptions(ps, &popts)
		if err != nil {
			return nil, fmt.Errorf("collection: %w", err)
		}
		c.Programs[name] = p
	}
	if err := c.fillProgramArrays(spec.ProgramArrays); err != nil {
		return nil, err
	}
	return c, nil
}

// fillProgramArrays stores the initial programs of program arrays.
func (c *Collection) fillProgramArrays(slots map[string][]ProgramSlot) error {
	for _, name := range slices.Sorted(maps.Keys(slots)) {
		m, ok := c.Maps[name]
		if !ok {
			return fmt.Errorf("collection: programs of %q: no such map", name)
		}
		for _, sl := range slots[name] {
			p, ok := c.Programs[sl.Program]
			if !ok {
				return fmt.Errorf("collection: map %q[%d]: no program %q", name, sl.Key, sl.Program)
			}
			if err := m.UpdateProgram(sl.Key, p); err != nil {
				return fmt.Errorf("collection: map %q[%d] = program %q: %w", name, sl.Key, sl.Program, err)
			}
		}
	}
	return nil
}

// fillInnerMaps stores the inner maps of maps of maps.
func (c *Collection) fillInnerMaps(slots map[string][]InnerMapSlot) error {
	for _, outer := range slices.Sorted(maps.Keys(slots)) {
		om, ok := c.Maps[outer]
		if !ok {
			return fmt.Errorf("collection: inner maps of %q: no such map", outer)
		}
		for _, sl := range slots[outer] {
			im, ok := c.Maps[sl.Map]
			if !ok {
				return fmt.Errorf("collection: map %q[%d]: no inner map %q", outer, sl.Key, sl.Map)
			}
			var key, fd [4]byte
			binary.NativeEndian.PutUint32(key[:], sl.Key)
			binary.NativeEndian.PutUint32(fd[:], uint32(im.FD()))
			if err := om.Update(key[:], fd[:], UpdateAny); err != nil {
				return fmt.Errorf("collection: map %q[%d] = %q: %w", outer, sl.Key, sl.Map, err)
			}
		}
	}
	return nil
}

// Close closes every map and program the collection owns and reports all
// failures. It is safe on nil and when called twice.
func (c *Collection) Close() error {
	if c == nil {
		return nil
	}
	var errs []error
	for name, p := range c.Programs {
		errs = append(errs, p.Close())
		delete(c.Programs, name)
	}
	for name, m := range c.Maps {
		if !c.borrowed[m] {
			errs = append(errs, m.Close())
		}
		delete(c.Maps, name)
	}
	return errors.Join(errs...)
}

// Assign moves maps and programs into the fields of the struct that to points
// at: a field of type *Map or *Program tagged `bpf:"name"` receives the map
// or program of that name, which the Collection no longer owns (the caller
// closes it). Fields without a tag are left alone. Nothing is moved unless
// every tagged field finds its object.
//
//	var objs struct {
//		Count *bpf.Program `bpf:"xdp_count"`
//		Hits  *bpf.Map     `bpf:".bss"`
//	}
//	err := coll.Assign(&objs)
func (c *Collection) Assign(to any) error {
	v := reflect.ValueOf(to)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("collection: assign: want a pointer to a struct, got %T", to)
	}
	s := v.Elem()
	type move struct {
		field reflect.Value
		name  string
		isMap bool
	}
	var moves []move
	mapType, progType := reflect.TypeFor[*Map](), reflect.TypeFor[*Program]()
	for i := range s.NumField() {
		f := s.Type().Field(i)
		name, ok := f.Tag.Lookup("bpf")
		if !ok || name == "" {
			continue
		}
		if !f.IsExported() {
			return fmt.Errorf("collection: assign: field %s is not exported", f.Name)
		}
		switch f.Type {
		case mapType:
			if _, ok := c.Maps[name]; !ok {
				return fmt.Errorf("collection: assign: field %s: no map %q", f.Name, name)
			}
			moves = append(moves, move{s.Field(i), name, true})
		case progType:
			if _, ok := c.Programs[name]; !ok {
				return fmt.Errorf("collection: assign: field %s: no program %q", f.Name, name)
			}
			moves = append(moves, move{s.Field(i), name, false})
		default:
			return fmt.Errorf("collection: assign: field %s has type %s, want *bpf.Map or *bpf.Program", f.Name, f.Type)
		}
	}
	for _, mv := range moves {
		if mv.isMap {
			mv.field.Set(reflect.ValueOf(c.Maps[mv.name]))
			delete(c.Maps, mv.name)
		} else {
			mv.field.Set(reflect.ValueOf(c.Programs[mv.name]))
			delete(c.Programs, mv.name)
		}
	}
	return nil
}

// LoadAndAssign creates the collection of spec and moves the maps and
// programs that the struct to names (see [Collection.Assign]) into it; the
// rest is closed again. The caller closes what it received.
func (cs *CollectionSpec) LoadAndAssign(to any, opts *CollectionOptions) error {
	c, err := NewCollectionWithOptions(cs, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Assign(to)
}
