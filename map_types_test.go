//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// storageBTF builds key (int) and value (uint64) BTF for the local storage maps.
func storageBTF(t *testing.T) *btf.MapBTF {
	t.Helper()
	mb, err := btf.NewMapBTF(reflect.TypeOf(int32(0)), reflect.TypeOf(uint64(0)))
	if err != nil {
		t.Fatalf("map BTF: %v", err)
	}
	return mb
}

// TestMapEveryType creates a map of every type this kernel has, checks what
// the kernel reports, and runs the operations user space can do on it.
func TestMapEveryType(t *testing.T) {
	testutil.RequireRoot(t)
	ncpu, _ := PossibleCPUs()
	inner := &MapSpec{Name: "inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}
	tests := []struct {
		spec  *MapSpec
		ops   func(t *testing.T, m *Map)
		skip  string
		since string // the Linux version that added the type: older kernels may lack it (probed)
	}{
		{spec: &MapSpec{Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsKeyed},
		{spec: &MapSpec{Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsArray},
		{spec: &MapSpec{Type: ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4}, ops: opsEmptyFDArray},
		{spec: &MapSpec{Type: PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: uint32(ncpu)}, ops: opsEmptyFDArray},
		{spec: &MapSpec{Type: PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsKeyed},
		{spec: &MapSpec{Type: PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsArray},
		{spec: &MapSpec{Type: StackTrace, KeySize: 4, ValueSize: 8 * 16, MaxEntries: 8}, ops: opsEmptyKeyed},
		{spec: &MapSpec{Type: CgroupArray, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsCgroupArray},
		{spec: &MapSpec{Type: LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsKeyed},
		{spec: &MapSpec{Type: LRUPerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 8}, ops: opsKeyed},
		{spec: &MapSpec{Type: LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 8}, ops: opsKeyedLPM},
		{spec: &MapSpec{Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: inner}, ops: opsMapOfMaps},
		{spec: &MapSpec{Type: HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: inner}, ops: opsMapOfMaps},
		{spec: &MapSpec{Type: DevMap, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsDevMap},
		{spec: &MapSpec{Type: SockMap, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsEmptyFDArray},
		{spec: &MapSpec{Type: CPUMap, KeySize: 4, ValueSize: 4, MaxEntries: 1}, ops: opsCPUMap},
		{spec: &MapSpec{Type: XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsEmptyFDArray},
		{spec: &MapSpec{Type: SockHash, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsEmptyKeyed},
		{spec: &MapSpec{Type: CgroupStorage, KeySize: 8, ValueSize: 8}},
		{spec: &MapSpec{Type: ReusePortSockArray, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsEmptyFDArray},
		{spec: &MapSpec{Type: PerCPUCgroupStorage, KeySize: 8, ValueSize: 8}},
		{spec: &MapSpec{Type: Queue, ValueSize: 8, MaxEntries: 4}, ops: opsQueue},
		{spec: &MapSpec{Type: Stack, ValueSize: 8, MaxEntries: 4}, ops: opsQueue},
		{spec: &MapSpec{Type: SkStorage, KeySize: 4, ValueSize: 8}, ops: opsSkStorage},
		{spec: &MapSpec{Type: DevMapHash, KeySize: 4, ValueSize: 4, MaxEntries: 2}, ops: opsDevMap},
		{spec: &MapSpec{Type: StructOpsMap, KeySize: 4, MaxEntries: 1}},
		{spec: &MapSpec{Type: RingBuf, MaxEntries: uint32(os.Getpagesize())}, ops: opsNoElems, since: "5.8"},
		{spec: &MapSpec{Type: InodeStorage, KeySize: 4, ValueSize: 8}, ops: opsInodeStorage, since: "5.10"},
		{spec: &MapSpec{Type: TaskStorage, KeySize: 4, ValueSize: 8}, ops: opsTaskStorage, since: "5.11"},
		{spec: &MapSpec{Type: BloomFilter, ValueSize: 8, MaxEntries: 16}, ops: opsBloom, since: "5.16"},
		{spec: &MapSpec{Type: UserRingBuf, MaxEntries: uint32(os.Getpagesize())}, ops: opsNoElems, since: "6.1"},
		{spec: &MapSpec{Type: CgrpStorage, KeySize: 4, ValueSize: 8}, ops: opsCgrpStorage, since: "6.2"},
		{spec: &MapSpec{Type: Arena, MaxEntries: 4, Flags: MapFlagMmapable}, ops: opsArena, since: "6.9"},
	}
	covered := map[MapType]bool{}
	for _, tt := range tests {
		covered[tt.spec.Type] = true
		t.Run(tt.spec.Type.String(), func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			if tt.since != "" {
				feature := fmt.Sprintf("%s map (Linux %s)", tt.spec.Type.KernelName(), tt.since)
				testutil.RequireFeature(t, feature, func() error { return HaveMapType(tt.spec.Type) })
			}
			spec := tt.spec.Copy()
			spec.Name = "t_" + spec.Type.KernelName()
			if len(spec.Name) > 15 {
				spec.Name = spec.Name[:15]
			}
			switch spec.Type {
			case StructOpsMap:
				kspec, err := btf.LoadKernelSpec()
				if err != nil {
					t.Fatalf("kernel BTF: %v", err)
				}
				id, st, err := btf.Find[*btf.Struct](kspec, "bpf_struct_ops_tcp_congestion_ops")
				if err != nil {
					t.Fatal(err)
				}
				spec.BTFVmlinuxValueTypeID, spec.ValueSize = uint32(id), st.Size
				spec.Name = "t_struct_ops"
				// The kernel wants some BTF fd alongside the vmlinux type id.
				spec.BTF = storageBTF(t).BTF
			case SkStorage, InodeStorage, TaskStorage, CgrpStorage:
				mb := storageBTF(t)
				spec.BTF, spec.BTFKeyTypeID, spec.BTFValueTypeID = mb.BTF, uint32(mb.KeyTypeID), uint32(mb.ValueTypeID)
			}
			m, err := NewMap(spec)
			testutil.SkipIfNotSupported(t, err)
			if err != nil {
				t.Fatalf("NewMap(%v): %v", spec, err)
			}
			defer m.Close()
			info, err := m.Info()
			if err != nil {
				t.Fatal(err)
			}
			if spec.Type == StructOpsMap {
				spec.ValueSize = info.ValueSize // the kernel reports the value struct's size
			}
			if info.Type != spec.Type || info.Name != spec.Name || info.KeySize != spec.KeySize ||
				info.ValueSize != spec.ValueSize || info.MaxEntries != spec.MaxEntries {
				t.Fatalf("kernel reports %+v for %v", info, spec)
			}
			if tt.ops != nil {
				tt.ops(t, m)
			}
		})
	}
	for typ := Hash; typ <= Arena; typ++ {
		if !covered[typ] {
			t.Errorf("map type %v is not tested", typ)
		}
	}
}

func opsKeyed(t *testing.T, m *Map) {
	v := make([]byte, m.ValueBufferSize())
	v[0] = 7
	if err := m.Update(u32(1), v, UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(u32(1), v, UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Fatalf("noexist: %v", err)
	}
	out := make([]byte, len(v))
	if err := m.Lookup(u32(1), out); err != nil || out[0] != 7 {
		t.Fatalf("lookup: %v", err)
	}
	if n, err := m.Count(); err != nil || n != 1 {
		t.Fatalf("count: %d %v", n, err)
	}
	if err := m.LookupAndDelete(u32(1), out); err != nil && !errors.Is(err, ErrNotSupported) {
		t.Fatalf("lookup and delete: %v", err)
	}
	m.Delete(u32(1))
	if err := m.Lookup(u32(1), out); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("after delete: %v", err)
	}
	if err := m.Update(u32(2), v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Count(); n != 0 {
		t.Fatalf("count after clear: %d", n)
	}
}

func opsKeyedLPM(t *testing.T, m *Map) {
	k := LPMKey(mustPrefix("10.0.0.0/8"))
	if err := m.Update(k, u64(1), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(k); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatal(err)
	}
}

func opsArray(t *testing.T, m *Map) {
	v := make([]byte, m.ValueBufferSize())
	v[0] = 9
	if err := m.Update(u32(3), v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(u32(3), v, UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Fatalf("noexist on an array: %v", err)
	}
	if err := m.Delete(u32(3)); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("delete from array: %v", err)
	}
	if n, err := m.Count(); err != nil || n != 8 {
		t.Fatalf("count %d %v", n, err)
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(v))
	if err := m.Lookup(u32(3), out); err != nil || out[0] != 0 {
		t.Fatalf("after clear: %v %x", err, out)
	}
}

func opsEmptyFDArray(t *testing.T, m *Map) {
	v := make([]byte, m.ValueBufferSize())
	err := m.Lookup(u32(0), v)
	if err == nil {
		t.Fatal("lookup of an empty slot succeeded")
	}
	// Most fd arrays answer ENOENT; an XSKMap deletes empty slots silently.
	// A SockMap answers EINVAL.
	if err := m.Delete(u32(0)); err != nil && !errors.Is(err, ErrKeyNotExist) && !errors.Is(err, unix.EINVAL) {
		t.Fatalf("delete of an empty slot: %v", err)
	}
	if err := m.Clear(); err != nil && !errors.Is(err, ErrNotSupported) && !errors.Is(err, unix.EINVAL) {
		t.Fatal(err)
	}
}

func opsEmptyKeyed(t *testing.T, m *Map) {
	next := make([]byte, m.KeySize())
	if err := m.NextKey(nil, next); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("next key of empty map: %v", err)
	}
	if n, err := m.Count(); err != nil || n != 0 {
		t.Fatalf("count %d %v", n, err)
	}
}

func opsCgroupArray(t *testing.T, m *Map) {
	root, err := testutil.Cgroup2Root()
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Update(u32(0), u32(uint32(f.Fd())), UpdateAny); err != nil {
		t.Fatalf("store cgroup fd: %v", err)
	}
	if err := m.Delete(u32(0)); err != nil {
		t.Fatal(err)
	}
}

func opsMapOfMaps(t *testing.T, m *Map) {
	in, err := NewMap(&MapSpec{Name: "inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Update(u32(0), u32(1234), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.UpdateInnerMap(u32(1), in, UpdateAny); err != nil {
		t.Fatal(err)
	}
	in.Close() // the outer map holds a reference
	got, err := m.LookupInnerMap(u32(1))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	v := make([]byte, 4)
	if err := got.Lookup(u32(0), v); err != nil || hostEndian.Uint32(v) != 1234 {
		t.Fatalf("inner map content: %v %x", err, v)
	}
	wrong, err := NewMap(&MapSpec{Name: "wrong", Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if err := m.UpdateInnerMap(u32(0), wrong, UpdateAny); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("inner map of the wrong type: %v", err)
	}
	if _, err := m.LookupInnerMap(u32(0)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("empty slot: %v", err)
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.LookupInnerMapID(u32(1)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("after clear: %v", err)
	}
}

func opsDevMap(t *testing.T, m *Map) {
	// ifindex 1 is the loopback device.
	if err := m.Update(u32(0), u32(1), UpdateAny); err != nil {
		t.Fatalf("store lo: %v", err)
	}
	v := make([]byte, 4)
	if err := m.Lookup(u32(0), v); err != nil || hostEndian.Uint32(v) != 1 {
		t.Fatalf("lookup: %v %x", err, v)
	}
	if err := m.Delete(u32(0)); err != nil {
		t.Fatal(err)
	}
}

func opsCPUMap(t *testing.T, m *Map) {
	// The value is the queue size of the CPU's kthread.
	if err := m.Update(u32(0), u32(192), UpdateAny); err != nil {
		t.Fatalf("enable CPU 0: %v", err)
	}
	v := make([]byte, 4)
	if err := m.Lookup(u32(0), v); err != nil || hostEndian.Uint32(v) != 192 {
		t.Fatalf("lookup: %v %x", err, v)
	}
	if err := m.Delete(u32(0)); err != nil {
		t.Fatal(err)
	}
}

func opsQueue(t *testing.T, m *Map) {
	for i := range uint64(4) {
		if err := m.Push(u64(i), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Push(u64(9), UpdateAny); !errors.Is(err, ErrMapFull) {
		t.Fatalf("push into full: %v", err)
	}
	v := make([]byte, 8)
	if err := m.Peek(v); err != nil {
		t.Fatal(err)
	}
	if err := m.Pop(v); err != nil {
		t.Fatal(err)
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if err := m.Pop(v); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("pop after clear: %v", err)
	}
}

func opsBloom(t *testing.T, m *Map) {
	if err := m.Push(u64(42), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Peek(u64(42)); err != nil {
		t.Fatalf("peek of pushed value: %v", err)
	}
}

func opsNoElems(t *testing.T, m *Map) {
	if err := m.Lookup(nil, nil); err == nil {
		t.Fatal("lookup in a ring buffer succeeded")
	}
	it := m.Iterate()
	for range it.All() {
		t.Fatal("walk of a ring buffer yielded")
	}
	if !errors.Is(it.Err(), ErrNotSupported) {
		t.Fatalf("walk: %v", it.Err())
	}
}

func opsArena(t *testing.T, m *Map) {
	mm, err := m.Mmap()
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	b := mm.Bytes()
	if len(b) != 4*os.Getpagesize() {
		t.Fatalf("arena mapping is %d bytes", len(b))
	}
	b[0] = 1 // faults a page in
	if b[0] != 1 {
		t.Fatal("arena write lost")
	}
}

// storageOps stores, reads and deletes a value under an fd key.
func storageOps(t *testing.T, m *Map, fd int) {
	key := u32(uint32(fd))
	if err := m.Update(key, u64(99), UpdateAny); err != nil {
		t.Fatalf("update: %v", err)
	}
	v := make([]byte, 8)
	if err := m.Lookup(key, v); err != nil || hostEndian.Uint64(v) != 99 {
		t.Fatalf("lookup: %v %x", err, v)
	}
	if err := m.Delete(key); err != nil {
		t.Fatal(err)
	}
	if err := m.Lookup(key, v); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("after delete: %v", err)
	}
}

func opsTaskStorage(t *testing.T, m *Map) {
	pidfd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	storageOps(t, m, pidfd)
}

func opsSkStorage(t *testing.T, m *Map) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(s)
	storageOps(t, m, s)
}

func opsInodeStorage(t *testing.T, m *Map) {
	f, err := os.CreateTemp(t.TempDir(), "inode")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	storageOps(t, m, int(f.Fd()))
}

func opsCgrpStorage(t *testing.T, m *Map) {
	root, err := testutil.Cgroup2Root()
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	storageOps(t, m, int(f.Fd()))
}
