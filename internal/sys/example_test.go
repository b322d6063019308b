package sys_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bpfgo/bpf/internal/sys"
)

func ExampleFeatureError() {
	err := fmt.Errorf("map %q: create: %w", "events", &sys.FeatureError{Feature: "BPF ring buffer", Since: "5.8"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, sys.ErrNotSupported))
	// Output:
	// map "events": create: BPF ring buffer not supported (requires >= 5.8)
	// true
}

func ExampleMapType_String() {
	fmt.Println(sys.BPF_MAP_TYPE_RINGBUF, sys.BPF_PROG_TYPE_XDP, sys.BPF_MAP_LOOKUP_ELEM)
	fmt.Println(sys.FuncNames[1])
	// Output:
	// BPF_MAP_TYPE_RINGBUF BPF_PROG_TYPE_XDP BPF_MAP_LOOKUP_ELEM
	// map_lookup_elem
}

// ExampleMapCreate creates an array map and reads an element, holding the FD
// across the syscall so a concurrent Close cannot act on a reused number.
func ExampleMapCreate() {
	fd, err := sys.MapCreate(&sys.MapCreateAttr{
		MapType: uint32(sys.BPF_MAP_TYPE_ARRAY), KeySize: 4, ValueSize: 8, MaxEntries: 1,
	})
	if err != nil {
		fmt.Println("create:", err)
		return
	}
	defer fd.Close()

	key, value := make([]byte, 4), make([]byte, 8)
	raw, err := fd.Acquire()
	if err != nil {
		return
	}
	attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(value)}
	err = sys.MapLookupElem(&attr)
	fd.Release()
	fmt.Println(binary.NativeEndian.Uint64(value), err)
}
