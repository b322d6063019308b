package elfobj_test

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/elfobj"
)

// Parse an object compiled by clang and list what it holds. Parsing needs no
// privileges and no kernel.
func ExampleLoadCollectionSpec() {
	spec, err := elfobj.LoadCollectionSpec("testdata/collection.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		fmt.Println(spec.Programs[name])
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Maps)) {
		fmt.Println(spec.Maps[name])
	}
	// Output:
	// RawTracepoint("core_pid", 38 instructions)
	// Syscall("loop", 28 instructions)
	// SocketFilter("sock_one", 27 instructions)
	// SocketFilter("sock_two", 14 instructions)
	// Syscall("sys_seed", 20 instructions)
	// XDP("xdp_count", 22 instructions)
	// Array ".bss" key=4 value=32 max=1
	// Array ".data" key=4 value=4 max=1
	// Array ".rodata" key=4 value=4 max=1 flags=RdOnlyProg
	// Array "counts" key=4 value=8 max=4
	// Array "inner_a" key=4 value=4 max=2
	// Array "inner_b" key=4 value=4 max=2
	// Array "legacy" key=4 value=8 max=3
	// ArrayOfMaps "outer" key=4 value=4 max=2 inner=(Array "outer.inner" key=4 value=4 max=2)
	// Hash "seen" key=4 value=4 max=16 flags=NoPrealloc
}

// Set a `const volatile` global before loading, load the collection, run the
// XDP program and read a .bss variable back. Needs CAP_BPF.
func ExampleLoadCollectionSpec_globals() {
	spec, err := elfobj.LoadCollectionSpec("testdata/collection.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	// magic is the only variable in .rodata.
	binary.NativeEndian.PutUint32(spec.Maps[".rodata"].Contents[0].Value, 42)

	var objs struct {
		XDP *bpf.Program `bpf:"xdp_count"`
		BSS *bpf.Map     `bpf:".bss"`
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		fmt.Println(err)
		return
	}
	defer objs.XDP.Close()
	defer objs.BSS.Close()

	res, err := objs.XDP.Run(&bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		fmt.Println(err)
		return
	}
	bss := make([]byte, objs.BSS.ValueSize())
	if err := objs.BSS.Lookup(make([]byte, 4), bss); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("action", res.ReturnValue, "hits", binary.NativeEndian.Uint64(bss))
}

func ExampleClassifySection() {
	k, _ := elfobj.ClassifySection("tp_btf/sched_switch")
	fmt.Println(k.Type, k.AttachType, k.AttachTo)
	// Output: Tracing AttachTraceRawTp sched_switch
}
