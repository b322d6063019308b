package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
)

// StructOpsSpec describes a kernel ops table implemented by BPF programs
// (struct_ops), such as a TCP congestion control (tcp_congestion_ops).
type StructOpsSpec struct {
	// Type is the kernel struct the programs implement ("tcp_congestion_ops");
	// the kernel's BTF must have its value type bpf_struct_ops_<Type>.
	Type string
	// Programs maps member names ("ssthresh", "cong_avoid", ...) to
	// [bpf.StructOps] programs loaded with AttachTo "<Type>:<member>".
	Programs map[string]*bpf.Program
	// Data maps other members to their raw bytes in the kernel's layout, for
	// example "name" → "my_cc\x00" for tcp_congestion_ops. A value longer
	// than its member is an error; a shorter one fills its start.
	Data map[string][]byte
}

// StructOps is a registered struct_ops table: a BPF_MAP_TYPE_STRUCT_OPS map
// holding the table and, on Linux 6.4 and later, a BPF link
// (BPF_LINK_TYPE_STRUCT_OPS) that registers it. Close unregisters it.
type StructOps struct {
	m    *bpf.Map
	link *RawLink // nil on kernels that register through the map update
}

var kernelBTF = sync.OnceValues(btf.LoadKernelSpec)

// AttachStructOps builds the table of spec from the kernel's BTF layout
// (struct bpf_struct_ops_<Type>, its "data" member being the kernel struct),
// stores it in a struct_ops map and registers it: with BPF_LINK_CREATE
// (BPF_STRUCT_OPS, Linux 6.4) where the kernel has struct_ops links, else by the
// map update itself (Linux 5.6). A kernel without the type answers an error
// matching [ErrNotSupported]. The caller must Close the returned StructOps.
func AttachStructOps(spec *StructOpsSpec) (*StructOps, error) {
	if spec == nil || spec.Type == "" {
		return nil, errors.New("struct_ops: no type")
	}
	kspec, err := kernelBTF()
	if err != nil {
		return nil, fmt.Errorf("struct_ops %s: kernel BTF: %w", spec.Type, err)
	}
	valueName := "bpf_struct_ops_" + spec.Type
	id, st, err := btf.Find[*btf.Struct](kspec, valueName)
	if errors.Is(err, btf.ErrNotFound) {
		return nil, fmt.Errorf("struct_ops %s: %w", spec.Type,
			&sys.FeatureError{Feature: "struct_ops " + spec.Type + " (no " + valueName + " in kernel BTF)", Since: "5.6", Err: err})
	}
	if err != nil {
		return nil, fmt.Errorf("struct_ops %s: %w", spec.Type, err)
	}
	value, err := structOpsValue(kspec, id, st.Size, spec)
	if err != nil {
		return nil, fmt.Errorf("struct_ops %s: %w", spec.Type, err)
	}
	m, err := newStructOpsMap(spec.Type, uint32(id), st.Size, true)
	legacy := false
	if errors.Is(err, unix.EINVAL) {
		// Before Linux 6.4 struct_ops maps take no BPF_F_LINK.
		m, err = newStructOpsMap(spec.Type, uint32(id), st.Size, false)
		legacy = true
	}
	if err != nil {
		return nil, fmt.Errorf("struct_ops %s: %w", spec.Type, err)
	}
	key := make([]byte, 4)
	if err := m.Update(key, value, bpf.UpdateAny); err != nil {
		m.Close()
		return nil, fmt.Errorf("struct_ops %s: register: %w", spec.Type, err)
	}
	so := &StructOps{m: m}
	if legacy {
		return so, nil
	}
	attr := sys.LinkCreateAttr{AttachType: uint32(sys.BPF_STRUCT_OPS)}
	attr.SetMapFD(uint32(m.FD()))
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("struct_ops %s: link: %w", spec.Type, linkErr(err))
	}
	so.link = newRawLink(fd)
	return so, nil
}

// structOpsDummyBTF is a BTF blob to pass along with the vmlinux value type:
// the kernel wants a BTF object for every map with BTF type ids.
var structOpsDummyBTF = sync.OnceValues(func() ([]byte, error) {
	mb, err := btf.NewMapBTF(reflect.TypeOf(int32(0)), reflect.TypeOf(int32(0)))
	if err != nil {
		return nil, err
	}
	return mb.BTF, nil
})

func newStructOpsMap(typ string, valueTypeID, size uint32, withLink bool) (*bpf.Map, error) {
	blob, err := structOpsDummyBTF()
	if err != nil {
		return nil, fmt.Errorf("map BTF: %w", err)
	}
	name := typ
	if len(name) > 15 {
		name = name[:15]
	}
	ms := &bpf.MapSpec{
		Name:                  name,
		Type:                  bpf.StructOpsMap,
		KeySize:               4,
		ValueSize:             size,
		MaxEntries:            1,
		BTF:                   blob,
		BTFVmlinuxValueTypeID: valueTypeID,
	}
	if withLink {
		ms.Flags = bpf.MapFlags(sys.BPF_F_LINK)
	}
	return bpf.NewMap(ms)
}

// structOpsValue lays out the map value: zeroes, with each program's fd as a
// u64 in its function pointer member and each Data member copied in.
func structOpsValue(kspec *btf.Spec, id btf.TypeID, size uint32, spec *StructOpsSpec) ([]byte, error) {
	value := make([]byte, size)
	field := func(member string) (int, int, error) {
		f, err := kspec.Field(id, "data", member)
		if err != nil {
			return 0, 0, fmt.Errorf("member %q: %w", member, err)
		}
		if f.BitfieldSize != 0 || f.Offset%8 != 0 {
			return 0, 0, fmt.Errorf("member %q: bitfield", member)
		}
		n, err := kspec.Sizeof(f.Type)
		if err != nil {
			return 0, 0, fmt.Errorf("member %q: %w", member, err)
		}
		off := int(f.Offset / 8)
		if off+n > len(value) {
			return 0, 0, fmt.Errorf("member %q: beyond the value", member)
		}
		return off, n, nil
	}
	for _, member := range sortedKeys(spec.Programs) {
		prog := spec.Programs[member]
		if prog == nil {
			return nil, fmt.Errorf("member %q: nil program", member)
		}
		off, n, err := field(member)
		if err != nil {
			return nil, err
		}
		if n != 8 {
			return nil, fmt.Errorf("member %q: %d bytes, not a function pointer", member, n)
		}
		binary.NativeEndian.PutUint64(value[off:], uint64(prog.FD()))
	}
	for _, member := range sortedKeys(spec.Data) {
		if _, dup := spec.Programs[member]; dup {
			return nil, fmt.Errorf("member %q: both a program and data", member)
		}
		off, n, err := field(member)
		if err != nil {
			return nil, err
		}
		if len(spec.Data[member]) > n {
			return nil, fmt.Errorf("member %q: %d bytes of data for %d", member, len(spec.Data[member]), n)
		}
		copy(value[off:], spec.Data[member])
	}
	return value, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Map returns the struct_ops map; StructOps keeps ownership.
func (so *StructOps) Map() *bpf.Map { return so.m }

// Close unregisters the table (closing its link, or deleting the map's
// element on kernels without struct_ops links) and closes the map. Sockets
// that already use a congestion control keep it until they close. Close is
// safe on nil and when called twice.
func (so *StructOps) Close() error {
	if so == nil || so.m == nil {
		return nil
	}
	var errs []error
	if so.link != nil {
		errs = append(errs, so.link.Close())
	} else if err := so.m.Delete(make([]byte, 4)); err != nil && !errors.Is(err, bpf.ErrKeyNotExist) && !errors.Is(err, bpf.ErrClosed) {
		errs = append(errs, fmt.Errorf("struct_ops: unregister: %w", err))
	}
	errs = append(errs, so.m.Close())
	return errors.Join(errs...)
}

// Pin pins the struct_ops link (Linux 6.4).
func (so *StructOps) Pin(path string) error {
	if so.link == nil {
		return fmt.Errorf("struct_ops: pin: registered without a link (requires >= 6.4): %w", ErrNotSupported)
	}
	return so.link.Pin(path)
}

// Unpin removes the pin made by Pin.
func (so *StructOps) Unpin() error {
	if so.link == nil {
		return nil
	}
	return so.link.Unpin()
}

// Update is not supported: a struct_ops link is updated with a whole new
// map, not one program.
func (so *StructOps) Update(*bpf.Program) error {
	return fmt.Errorf("struct_ops: update with one program: %w", ErrNotSupported)
}

// Info reports the struct_ops link's info (Linux 6.4).
func (so *StructOps) Info() (*Info, error) {
	if so.link == nil {
		return nil, fmt.Errorf("struct_ops: info: registered without a link (requires >= 6.4): %w", ErrNotSupported)
	}
	return so.link.Info()
}

var _ Link = (*StructOps)(nil)

// AttachStructOpsVar registers the struct_ops table v of an ELF object
// ([bpf.CollectionSpec].StructOps, filled in by package elfobj) with the
// programs of coll, the collection created from that spec. It is
// [AttachStructOps] with the table's programs looked up by name. The caller
// must Close the returned StructOps.
func AttachStructOpsVar(coll *bpf.Collection, v *bpf.StructOpsVar) (*StructOps, error) {
	if coll == nil || v == nil {
		return nil, errors.New("struct_ops: nil collection or table")
	}
	spec := &StructOpsSpec{Type: v.Type, Programs: make(map[string]*bpf.Program, len(v.Programs)), Data: v.Data}
	for member, name := range v.Programs {
		p := coll.Programs[name]
		if p == nil {
			return nil, fmt.Errorf("struct_ops %s: member %s: program %q is not in the collection", v.Type, member, name)
		}
		spec.Programs[member] = p
	}
	return AttachStructOps(spec)
}
