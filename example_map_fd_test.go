package bpf_test

import (
	"context"
	"fmt"
	"net"
	"reflect"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// A tail call: the entry program jumps to slot 0 of a program array and
// returns XDP_DROP only when the slot is empty.
func ExampleMap_UpdateProgram() {
	jumps, err := bpf.NewMap(&bpf.MapSpec{Name: "jumps", Type: bpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer jumps.Close()

	entry, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "entry", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMap(asm.R2, jumps), // R1 is the context
		asm.MovImm(asm.R3, 0),      // index
		asm.Call(asm.FnTailCall),
		asm.MovImm(asm.R0, 1), // XDP_DROP: reached only if the tail call failed
		asm.Exit(),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer entry.Close()
	pass, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "pass", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.MovImm(asm.R0, 2), // XDP_PASS
		asm.Exit(),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pass.Close()

	if err := jumps.UpdateProgram(0, pass); err != nil {
		fmt.Println(err)
		return
	}
	res, err := entry.Run(&bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verdict:", res.ReturnValue) // 2, from the program in slot 0
}

// A sockmap holding a TCP listener: Go's default listener may be MPTCP,
// which socket maps refuse, so ask for plain TCP.
func ExampleMap_UpdateSocket() {
	socks, err := bpf.NewMap(&bpf.MapSpec{Name: "socks", Type: bpf.SockMap, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer socks.Close()

	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()

	key := []byte{0, 0, 0, 0}
	if err := socks.UpdateSocket(key, ln.(*net.TCPListener), bpf.UpdateNoExist); err != nil {
		fmt.Println(err)
		return
	}
	cookie, err := socks.LookupSocketCookie(key) // SO_COOKIE of the listener
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("socket cookie:", cookie)
}

// Values with a bpf_spin_lock: the Go type of the lock must be named
// bpf_spin_lock so that its BTF matches the kernel's struct.
func ExampleMap_LookupLock() {
	type bpf_spin_lock struct{ Val uint32 }
	type counter struct {
		Lock    bpf_spin_lock
		Packets uint32
		Bytes   uint64
	}
	mb, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[counter]())
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "locked", Type: bpf.Hash, KeySize: 4, ValueSize: 16, MaxEntries: 64,
		BTF: mb.BTF, BTFKeyTypeID: uint32(mb.KeyTypeID), BTFValueTypeID: uint32(mb.ValueTypeID)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	counters, err := bpf.NewTypedMap[uint32, counter](m)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := counters.Update(1, counter{Packets: 1, Bytes: 1500}, bpf.UpdateAny|bpf.UpdateLock); err != nil {
		fmt.Println(err)
		return
	}
	c, err := counters.LookupLock(1) // consistent with programs that update under the lock
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Packets, c.Bytes)
}
