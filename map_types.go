package bpf

import (
	"encoding/binary"
	"strconv"

	"github.com/bpfgo/bpf/internal/sys"
)

// hostEndian is the byte order of this machine, which the kernel uses for
// integer keys and values.
var hostEndian = binary.NativeEndian

// MapType is the kind of a BPF map (enum bpf_map_type).
type MapType uint32

// Map types. Values come from the kernel's enum bpf_map_type, generated into
// internal/sys from the running kernel's BTF. The minimum kernel is the one
// that introduced the type.
const (
	// UnspecifiedMap is the zero MapType (BPF_MAP_TYPE_UNSPEC); no map has it.
	UnspecifiedMap MapType = MapType(sys.BPF_MAP_TYPE_UNSPEC)
	// Hash is a hash table (BPF_MAP_TYPE_HASH). Requires Linux 3.19.
	Hash MapType = MapType(sys.BPF_MAP_TYPE_HASH)
	// Array is an array indexed by a u32 (BPF_MAP_TYPE_ARRAY); every element
	// exists and starts zeroed. Requires Linux 3.19.
	Array MapType = MapType(sys.BPF_MAP_TYPE_ARRAY)
	// ProgramArray holds program fds for tail calls (BPF_MAP_TYPE_PROG_ARRAY).
	// Requires Linux 4.2.
	ProgramArray MapType = MapType(sys.BPF_MAP_TYPE_PROG_ARRAY)
	// PerfEventArray holds perf event fds, one per CPU, for
	// bpf_perf_event_output (BPF_MAP_TYPE_PERF_EVENT_ARRAY). Requires Linux 4.3.
	PerfEventArray MapType = MapType(sys.BPF_MAP_TYPE_PERF_EVENT_ARRAY)
	// PerCPUHash is a hash with one value per possible CPU
	// (BPF_MAP_TYPE_PERCPU_HASH). Requires Linux 4.6.
	PerCPUHash MapType = MapType(sys.BPF_MAP_TYPE_PERCPU_HASH)
	// PerCPUArray is an array with one value per possible CPU
	// (BPF_MAP_TYPE_PERCPU_ARRAY). Requires Linux 4.6.
	PerCPUArray MapType = MapType(sys.BPF_MAP_TYPE_PERCPU_ARRAY)
	// StackTrace stores stack traces by id (BPF_MAP_TYPE_STACK_TRACE).
	// Requires Linux 4.6.
	StackTrace MapType = MapType(sys.BPF_MAP_TYPE_STACK_TRACE)
	// CgroupArray holds cgroup fds (BPF_MAP_TYPE_CGROUP_ARRAY). Requires Linux 4.8.
	CgroupArray MapType = MapType(sys.BPF_MAP_TYPE_CGROUP_ARRAY)
	// LRUHash is a hash that evicts the least recently used element when full
	// (BPF_MAP_TYPE_LRU_HASH). Requires Linux 4.10.
	LRUHash MapType = MapType(sys.BPF_MAP_TYPE_LRU_HASH)
	// LRUPerCPUHash is an LRU hash with per-CPU values
	// (BPF_MAP_TYPE_LRU_PERCPU_HASH). Requires Linux 4.10.
	LRUPerCPUHash MapType = MapType(sys.BPF_MAP_TYPE_LRU_PERCPU_HASH)
	// LPMTrie is a longest-prefix-match trie (BPF_MAP_TYPE_LPM_TRIE); keys are
	// a u32 prefix length followed by the address bytes (see [LPMKey]).
	// Requires Linux 4.11 and Flags BPF_F_NO_PREALLOC.
	LPMTrie MapType = MapType(sys.BPF_MAP_TYPE_LPM_TRIE)
	// ArrayOfMaps is an array whose values are maps (BPF_MAP_TYPE_ARRAY_OF_MAPS).
	// Requires Linux 4.12.
	ArrayOfMaps MapType = MapType(sys.BPF_MAP_TYPE_ARRAY_OF_MAPS)
	// HashOfMaps is a hash whose values are maps (BPF_MAP_TYPE_HASH_OF_MAPS).
	// Requires Linux 4.12.
	HashOfMaps MapType = MapType(sys.BPF_MAP_TYPE_HASH_OF_MAPS)
	// DevMap holds network devices for XDP redirects (BPF_MAP_TYPE_DEVMAP).
	// Requires Linux 4.14.
	DevMap MapType = MapType(sys.BPF_MAP_TYPE_DEVMAP)
	// SockMap holds sockets for sk_msg/sk_skb redirects (BPF_MAP_TYPE_SOCKMAP).
	// Requires Linux 4.14.
	SockMap MapType = MapType(sys.BPF_MAP_TYPE_SOCKMAP)
	// CPUMap holds CPUs for XDP redirects (BPF_MAP_TYPE_CPUMAP). Requires Linux 4.15.
	CPUMap MapType = MapType(sys.BPF_MAP_TYPE_CPUMAP)
	// XSKMap holds AF_XDP sockets (BPF_MAP_TYPE_XSKMAP). Requires Linux 4.18.
	XSKMap MapType = MapType(sys.BPF_MAP_TYPE_XSKMAP)
	// SockHash is a hash of sockets (BPF_MAP_TYPE_SOCKHASH). Requires Linux 4.18.
	SockHash MapType = MapType(sys.BPF_MAP_TYPE_SOCKHASH)
	// CgroupStorage is per-cgroup storage of cgroup programs
	// (BPF_MAP_TYPE_CGROUP_STORAGE). Requires Linux 4.19.
	CgroupStorage MapType = MapType(sys.BPF_MAP_TYPE_CGROUP_STORAGE)
	// ReusePortSockArray holds SO_REUSEPORT sockets
	// (BPF_MAP_TYPE_REUSEPORT_SOCKARRAY). Requires Linux 4.19.
	ReusePortSockArray MapType = MapType(sys.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY)
	// PerCPUCgroupStorage is CgroupStorage with per-CPU values
	// (BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE). Requires Linux 4.20.
	PerCPUCgroupStorage MapType = MapType(sys.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE)
	// Queue is a FIFO without keys (BPF_MAP_TYPE_QUEUE). Requires Linux 4.20.
	Queue MapType = MapType(sys.BPF_MAP_TYPE_QUEUE)
	// Stack is a LIFO without keys (BPF_MAP_TYPE_STACK). Requires Linux 4.20.
	Stack MapType = MapType(sys.BPF_MAP_TYPE_STACK)
	// SkStorage is socket-local storage (BPF_MAP_TYPE_SK_STORAGE); it needs
	// key/value BTF. Requires Linux 5.2.
	SkStorage MapType = MapType(sys.BPF_MAP_TYPE_SK_STORAGE)
	// DevMapHash is a DevMap keyed by a hash (BPF_MAP_TYPE_DEVMAP_HASH).
	// Requires Linux 5.4.
	DevMapHash MapType = MapType(sys.BPF_MAP_TYPE_DEVMAP_HASH)
	// StructOpsMap holds a struct_ops implementation (BPF_MAP_TYPE_STRUCT_OPS).
	// Requires Linux 5.6.
	StructOpsMap MapType = MapType(sys.BPF_MAP_TYPE_STRUCT_OPS)
	// RingBuf is a ring buffer shared by all CPUs (BPF_MAP_TYPE_RINGBUF);
	// MaxEntries is its size in bytes, a power of two multiple of the page size.
	// Requires Linux 5.8.
	RingBuf MapType = MapType(sys.BPF_MAP_TYPE_RINGBUF)
	// InodeStorage is inode-local storage (BPF_MAP_TYPE_INODE_STORAGE).
	// Requires Linux 5.10.
	InodeStorage MapType = MapType(sys.BPF_MAP_TYPE_INODE_STORAGE)
	// TaskStorage is task-local storage (BPF_MAP_TYPE_TASK_STORAGE).
	// Requires Linux 5.11.
	TaskStorage MapType = MapType(sys.BPF_MAP_TYPE_TASK_STORAGE)
	// BloomFilter is a bloom filter without keys (BPF_MAP_TYPE_BLOOM_FILTER);
	// push adds a value, peek tests membership. Requires Linux 5.16.
	BloomFilter MapType = MapType(sys.BPF_MAP_TYPE_BLOOM_FILTER)
	// UserRingBuf is a ring buffer that user space writes and programs drain
	// (BPF_MAP_TYPE_USER_RINGBUF). Requires Linux 6.1.
	UserRingBuf MapType = MapType(sys.BPF_MAP_TYPE_USER_RINGBUF)
	// CgrpStorage is cgroup-local storage (BPF_MAP_TYPE_CGRP_STORAGE).
	// Requires Linux 6.2.
	CgrpStorage MapType = MapType(sys.BPF_MAP_TYPE_CGRP_STORAGE)
	// Arena is a sparse memory region shared between programs and user space
	// (BPF_MAP_TYPE_ARENA). Requires Linux 6.9.
	Arena MapType = MapType(sys.BPF_MAP_TYPE_ARENA)
)

var mapTypeNames = [...]string{
	UnspecifiedMap:      "UnspecifiedMap",
	Hash:                "Hash",
	Array:               "Array",
	ProgramArray:        "ProgramArray",
	PerfEventArray:      "PerfEventArray",
	PerCPUHash:          "PerCPUHash",
	PerCPUArray:         "PerCPUArray",
	StackTrace:          "StackTrace",
	CgroupArray:         "CgroupArray",
	LRUHash:             "LRUHash",
	LRUPerCPUHash:       "LRUPerCPUHash",
	LPMTrie:             "LPMTrie",
	ArrayOfMaps:         "ArrayOfMaps",
	HashOfMaps:          "HashOfMaps",
	DevMap:              "DevMap",
	SockMap:             "SockMap",
	CPUMap:              "CPUMap",
	XSKMap:              "XSKMap",
	SockHash:            "SockHash",
	CgroupStorage:       "CgroupStorage",
	ReusePortSockArray:  "ReusePortSockArray",
	PerCPUCgroupStorage: "PerCPUCgroupStorage",
	Queue:               "Queue",
	Stack:               "Stack",
	SkStorage:           "SkStorage",
	DevMapHash:          "DevMapHash",
	StructOpsMap:        "StructOpsMap",
	RingBuf:             "RingBuf",
	InodeStorage:        "InodeStorage",
	TaskStorage:         "TaskStorage",
	BloomFilter:         "BloomFilter",
	UserRingBuf:         "UserRingBuf",
	CgrpStorage:         "CgrpStorage",
	Arena:               "Arena",
}

// kernelMapTypeNames are the names bpftool and /proc/*/fdinfo use.
var kernelMapTypeNames = [...]string{
	UnspecifiedMap:      "unspec",
	Hash:                "hash",
	Array:               "array",
	ProgramArray:        "prog_array",
	PerfEventArray:      "perf_event_array",
	PerCPUHash:          "percpu_hash",
	PerCPUArray:         "percpu_array",
	StackTrace:          "stack_trace",
	CgroupArray:         "cgroup_array",
	LRUHash:             "lru_hash",
	LRUPerCPUHash:       "lru_percpu_hash",
	LPMTrie:             "lpm_trie",
	ArrayOfMaps:         "array_of_maps",
	HashOfMaps:          "hash_of_maps",
	DevMap:              "devmap",
	SockMap:             "sockmap",
	CPUMap:              "cpumap",
	XSKMap:              "xskmap",
	SockHash:            "sockhash",
	CgroupStorage:       "cgroup_storage",
	ReusePortSockArray:  "reuseport_sockarray",
	PerCPUCgroupStorage: "percpu_cgroup_storage",
	Queue:               "queue",
	Stack:               "stack",
	SkStorage:           "sk_storage",
	DevMapHash:          "devmap_hash",
	StructOpsMap:        "struct_ops",
	RingBuf:             "ringbuf",
	InodeStorage:        "inode_storage",
	TaskStorage:         "task_storage",
	BloomFilter:         "bloom_filter",
	UserRingBuf:         "user_ringbuf",
	CgrpStorage:         "cgrp_storage",
	Arena:               "arena",
}

// String returns the Go name of the map type ("PerCPUHash"), or
// "MapType(N)" for a value this package does not know.
func (t MapType) String() string {
	if int(t) < len(mapTypeNames) && mapTypeNames[t] != "" {
		return mapTypeNames[t]
	}
	return "MapType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// KernelName returns the kernel's and bpftool's name of the map type
// ("percpu_hash"), or the decimal value for an unknown type.
func (t MapType) KernelName() string {
	if int(t) < len(kernelMapTypeNames) && kernelMapTypeNames[t] != "" {
		return kernelMapTypeNames[t]
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseMapType returns the map type named by s, in either spelling that
// [MapType.String] or [MapType.KernelName] produce.
func ParseMapType(s string) (MapType, bool) {
	for i, n := range mapTypeNames {
		if n != "" && (n == s || kernelMapTypeNames[i] == s) {
			return MapType(i), true
		}
	}
	return 0, false
}

// IsPerCPU reports whether the map holds one value per possible CPU, so that
// user-space lookups and updates carry [PossibleCPUs] values, each padded to
// 8 bytes.
func (t MapType) IsPerCPU() bool {
	switch t {
	case PerCPUHash, PerCPUArray, LRUPerCPUHash, PerCPUCgroupStorage:
		return true
	}
	return false
}

// hasKeys reports whether the map type has keys (queues, stacks and bloom
// filters have none).
func (t MapType) hasKeys() bool {
	switch t {
	case Queue, Stack, BloomFilter, RingBuf, UserRingBuf, Arena:
		return false
	}
	return true
}

// isArrayLike reports whether every key below MaxEntries always exists.
func (t MapType) isArrayLike() bool {
	switch t {
	case Array, PerCPUArray:
		return true
	}
	return false
}

// isIndexed reports whether keys are u32 indexes below MaxEntries that never
// vanish (slots may be empty).
func (t MapType) isIndexed() bool {
	switch t {
	case Array, PerCPUArray, ProgramArray, PerfEventArray, CgroupArray, ArrayOfMaps,
		DevMap, CPUMap, XSKMap, SockMap, ReusePortSockArray:
		return true
	}
	return false
}

// isMapOfMaps reports whether values are inner maps.
func (t MapType) isMapOfMaps() bool { return t == ArrayOfMaps || t == HashOfMaps }

// fullIsE2BIG reports whether a full map answers E2BIG to an insertion.
func (t MapType) fullIsE2BIG() bool {
	switch t {
	case Hash, PerCPUHash, HashOfMaps, Queue, Stack, SockHash, DevMapHash:
		return true
	}
	return false
}

// UpdateFlags selects how an update treats an existing key
// (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK).
type UpdateFlags uint64

const (
	// UpdateAny creates the element or overwrites it (BPF_ANY).
	UpdateAny UpdateFlags = sys.BPF_ANY
	// UpdateNoExist creates the element and fails with [ErrKeyExist] if it
	// exists (BPF_NOEXIST).
	UpdateNoExist UpdateFlags = sys.BPF_NOEXIST
	// UpdateExist overwrites the element and fails with [ErrKeyNotExist] if it
	// does not exist (BPF_EXIST). On a queue or stack it makes a push into a
	// full map drop the oldest element instead of failing.
	UpdateExist UpdateFlags = sys.BPF_EXIST
	// UpdateLock takes the value's bpf_spin_lock during the copy (BPF_F_LOCK);
	// OR it with one of the modes above. Requires Linux 5.1 and a value with
	// a struct bpf_spin_lock described by BTF.
	UpdateLock UpdateFlags = sys.BPF_F_LOCK
)

// String returns "UpdateAny", "UpdateNoExist|UpdateLock", ...
func (f UpdateFlags) String() string {
	var s string
	switch f &^ UpdateLock {
	case UpdateAny:
		s = "UpdateAny"
	case UpdateNoExist:
		s = "UpdateNoExist"
	case UpdateExist:
		s = "UpdateExist"
	default:
		return "UpdateFlags(" + strconv.FormatUint(uint64(f), 10) + ")"
	}
	if f&UpdateLock != 0 {
		s += "|UpdateLock"
	}
	return s
}

// PinType says whether and how NewMapWithOptions pins a map.
type PinType uint32

const (
	// PinNone does not pin the map.
	PinNone PinType = iota
	// PinByName pins the map at MapOptions.PinPath/Name. If something is
	// pinned there already, the map is reused when it matches the spec (type,
	// sizes, flags), and creation fails with [ErrSpecMismatch] when it does
	// not: the reuse-or-create mode.
	PinByName
)

// String returns "PinNone" or "PinByName".
func (p PinType) String() string {
	switch p {
	case PinNone:
		return "PinNone"
	case PinByName:
		return "PinByName"
	}
	return "PinType(" + strconv.FormatUint(uint64(p), 10) + ")"
}
