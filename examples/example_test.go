package examples_test

import (
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/packet"
)

// The catalogue, by category.
func ExampleList() {
	for _, e := range examples.List()[:4] {
		fmt.Printf("%-24s %-10s %s\n", e.Name, e.Category, e.Type)
	}
	// Output:
	// xdp-pass-all             basic-xdp  XDP
	// xdp-drop-all             basic-xdp  XDP
	// xdp-packet-size-filter   basic-xdp  XDP
	// xdp-aborted-on-error     basic-xdp  XDP
}

// An unknown name gives the closest ones.
func ExampleGet() {
	_, err := examples.Get("xdp-tcp-port")
	fmt.Println(err)
	// Output:
	// example "xdp-tcp-port": unknown example; did you mean xdp-tcp-port-filter?
}

// The program, with its maps referenced by name, printed without a kernel.
func ExampleExample_Instructions() {
	e, _ := examples.Get("xdp-drop-all")
	fmt.Print(e.Instructions())
	// Output:
	// 0: r0 = 0x1
	//    1: exit
}

// Load an example with its maps, run it on a frame and read its map back (needs root).
func ExampleLoad() {
	l, err := examples.Load("xdp-map-counter")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	res, err := l.Program.Run(&bpf.RunOptions{Data: packet.Spec{}.MustBuild(), Repeat: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	counts, err := bpf.NewTypedMap[uint32, uint64](l.Maps["pkt_count"])
	if err != nil {
		fmt.Println(err)
		return
	}
	tcp, err := counts.Lookup(6)
	fmt.Println(res.ReturnValue, tcp, err)
}

// Step by step, with maps the caller owns.
func ExampleExample_Build() {
	e, err := examples.Get("ip-allowlist")
	if err != nil {
		fmt.Println(err)
		return
	}
	maps, err := e.NewMaps()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer maps.Close()
	spec, err := e.Build(maps)
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
}
