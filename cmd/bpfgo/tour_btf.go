package main

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/tour"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 60,
		Name:  "BTF: kernel types, Go structs in maps, Go lines in the verifier",
		Run:   tourBTF,
	})
}

// connStats is the value of the tour's map; its BTF comes from the Go type.
type connStats struct {
	Packets uint64
	Bytes   uint64
	Proto   uint8
	_       [7]byte
}

func tourBTF(ctx context.Context, w io.Writer) error {
	// 1. The kernel's own types, looked up without decoding all of them.
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return fmt.Errorf("kernel BTF: %w", err)
	}
	id, task, err := btf.Find[*btf.Struct](spec, "task_struct")
	if err != nil {
		return err
	}
	pid, err := spec.Field(id, "pid")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "The kernel's BTF (%s) has %d types. struct task_struct is type %d, %d bytes;\n"+
		"its member pid is at byte %d. A small type in C, as bpftool prints it:\n\n",
		btf.KernelBTFPath, spec.LastID(), id, task.Size, pid.Offset/8)
	ethID, _, err := btf.Find[*btf.Struct](spec, "ethhdr")
	if err != nil {
		return err
	}
	c, err := spec.FormatC(ethID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\n\n", c)

	// 2. A map whose value BTF comes from a Go struct.
	mb, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[connStats]())
	if err != nil {
		return err
	}
	m, err := bpf.NewMap(&bpf.MapSpec{
		Name: "conn_stats", Type: bpf.Hash, KeySize: 4, ValueSize: uint32(unsafe.Sizeof(connStats{})), MaxEntries: 16,
		BTF: mb.BTF, BTFKeyTypeID: uint32(mb.KeyTypeID), BTFValueTypeID: uint32(mb.ValueTypeID),
	})
	if err != nil {
		return err
	}
	defer m.Close()
	info, err := m.Info()
	if err != nil {
		return err
	}
	h, err := bpf.NewBTFFromID(bpf.BTFID(info.BTFID))
	if err != nil {
		return err
	}
	defer h.Close()
	back, err := h.Spec(nil)
	if err != nil {
		return err
	}
	c, err = back.FormatC(btf.TypeID(info.BTFValueTypeID), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "A hash map created from Go with btf.NewMapBTF(uint32, connStats): the kernel holds its\n"+
		"BTF as object %d, and the value type read back from the kernel is\n\n%s\n\n"+
		"so `bpftool map dump id %d` prints entries with the field names Packets, Bytes, Proto.\n\n",
		info.BTFID, c, info.ID)

	// 3. A program built in Go: NewProgram adds func_info and line_info, so the verifier log
	// quotes the Go source line above each instruction.
	insns := asm.Instructions{
		asm.MovImm(asm.R1, 20),
		asm.CallLabel("double"),
		asm.Exit(),
		asm.Label("double"),
		asm.MovReg(asm.R0, asm.R1),
		asm.AddReg(asm.R0, asm.R1),
		asm.Exit(),
	}
	prog, err := bpf.NewProgramWithOptions(&bpf.ProgramSpec{Name: "tour_btf", Type: bpf.SocketFilter, License: "GPL", Instructions: insns},
		&bpf.ProgramOptions{LogLevel: bpf.LogLevelInstruction})
	if err != nil {
		return err
	}
	defer prog.Close()
	fmt.Fprintln(w, "A program with a bpf-to-bpf call; the verifier's log, with the Go lines it received:")
	fmt.Fprintln(w)
	for _, l := range prog.VerifierLog() {
		if strings.HasPrefix(l, ";") || strings.Contains(l, ": (") || strings.HasPrefix(l, "func#") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	res, err := prog.Run(&bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nrun: double(20) = %d\n\n", res.ReturnValue)

	// 4. Attach targets and kfuncs by name: a tp_btf program for the sys_enter tracepoint.
	tp, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "tour_tp_btf", Type: bpf.Tracing, AttachType: bpf.AttachTraceRawTp,
		AttachTo: "sys_enter", License: "GPL", Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()}})
	if err != nil {
		return err
	}
	defer tp.Close()
	pinfo, err := tp.Info()
	if err != nil {
		return err
	}
	name, _ := spec.NameOf(btf.TypeID(pinfo.AttachBTFID))
	fmt.Fprintf(w, "A tp_btf program with AttachTo \"sys_enter\" loaded against BTF type %d (%s).\n", pinfo.AttachBTFID, name)
	kid, _, err := spec.TypeByName("bpf_rcu_read_lock", btf.KindFunc)
	if err == nil {
		fmt.Fprintf(w, "asm.CallKfuncByName(\"bpf_rcu_read_lock\") resolves to BTF id %d without a resolver.\n", kid)
	}
	return nil
}
