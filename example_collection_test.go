package bpf_test

import (
	"fmt"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
)

// A collection of a map and a program that refers to it by name; NewCollection
// creates the map first and fills in its fd. Objects that clang compiled
// become a CollectionSpec through package elfobj. Needs CAP_BPF.
func ExampleNewCollection() {
	spec := &bpf.CollectionSpec{
		Maps: map[string]*bpf.MapSpec{
			"counts": {Name: "counts", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
		},
		Programs: map[string]*bpf.ProgramSpec{
			"pass": {Name: "pass", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
				asm.LoadMapPtr(asm.R1, "counts"), // resolved by name when loading
				asm.MovImm(asm.R0, asm.XDPPass),
				asm.Exit(),
			}},
		},
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer coll.Close()
	res, err := coll.Programs["pass"].Run(&bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.ReturnValue)
}
