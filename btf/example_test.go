package btf_test

import (
	"fmt"
	"os"
	"reflect"

	"github.com/bpfgo/bpf/btf"
)

// Look up a struct in the running kernel's BTF and find a field's offset.
func ExampleLoadKernelSpec() {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _, err := btf.Find[*btf.Struct](spec, "task_struct")
	if err != nil {
		fmt.Println(err)
		return
	}
	pid, err := spec.Field(id, "pid")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("task_struct.pid is at byte %d\n", pid.Offset/8)
}

func ExampleSpec_FormatC() {
	spec, err := btf.LoadSpec("testdata/core.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _, err := spec.TypeByName("flags", btf.KindStruct)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := spec.FormatC(id, nil)
	fmt.Println(c)
	raw, _ := spec.FormatRaw(id)
	fmt.Println(raw)
	// Output:
	// struct flags {
	// 	unsigned int a: 3;
	// 	unsigned int b: 5;
	// 	int c: 7;
	// 	unsigned char d;
	// 	u64 e: 40;
	// };
	// [4] STRUCT 'flags' size=8 vlen=5
	// 	'a' type_id=6 bits_offset=0 bitfield_size=3
	// 	'b' type_id=6 bits_offset=3 bitfield_size=5
	// 	'c' type_id=3 bits_offset=8 bitfield_size=7
	// 	'd' type_id=7 bits_offset=16
	// 	'e' type_id=8 bits_offset=24 bitfield_size=40
}

// Build BTF for a map whose key and value are Go types.
func ExampleNewMapBTF() {
	type Key struct {
		Addr [4]byte
		Port uint16
	}
	type Stats struct {
		Packets uint64
		Bytes   uint64
	}
	m, err := btf.NewMapBTF(reflect.TypeFor[Key](), reflect.TypeFor[Stats]())
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, err := btf.LoadSpecFromBytes(m.BTF)
	if err != nil {
		fmt.Println(err)
		return
	}
	key, _ := spec.FormatC(m.KeyTypeID, nil)
	fmt.Println(key)
	// Output:
	// struct Key {
	// 	uint8 Addr[4];
	// 	uint16 Port;
	// };
}

// Walk every type of a spec.
func ExampleSpec_All() {
	spec, err := btf.LoadSpec("testdata/core.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	counts := map[btf.Kind]int{}
	for _, t := range spec.All() {
		counts[t.Kind()]++
	}
	fmt.Println(counts[btf.KindStruct], "structs,", counts[btf.KindFunc], "functions")
	// Output: 4 structs, 2 functions
}

func ExampleBuilder() {
	b := btf.NewBuilder()
	u32, _ := b.Add(&btf.Int{Name: "u32", Size: 4, Bits: 32})
	point, _ := b.Add(&btf.Struct{Name: "point", Size: 8, Members: []btf.Member{
		{Name: "x", Type: u32},
		{Name: "y", Type: u32, BitOffset: 32},
	}})
	data, err := b.Marshal(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _ := btf.LoadSpecFromBytes(data)
	size, _ := spec.Sizeof(point)
	fmt.Println("sizeof(struct point) =", size)
	// Output: sizeof(struct point) = 8
}

// Read the CO-RE relocations clang recorded in an object's .BTF.ext.
func ExampleLoadSpecAndExtFromELF() {
	f, err := os.Open("testdata/core.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	spec, ext, err := btf.LoadSpecAndExtFromELF(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range ext.Section(".text").CORERelos {
		name, _ := spec.NameOf(r.TypeID)
		fmt.Printf("insn %d: %s of struct %s, access %q\n", r.InsnOff/8, r.Kind, name, r.Access)
	}
	// Output: insn 0: byte_off of struct task, access "0:0"
}
