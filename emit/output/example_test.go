package output_test

import (
	"context"
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/ringbuf"
)

// Reserve a record, fill it, submit it; the NULL check jumps to "full" when the ring is full.
func ExampleReserveOrJump() {
	events := mapop.Name("events")
	insns := output.ReserveOrJump(events, 16, asm.R6, "full")
	insns = append(insns,
		asm.St(asm.W, asm.R6, 0, 1), // event type
		asm.Call(asm.FnKtimeGetNs),
		asm.Stx(asm.DW, asm.R6, asm.R0, 8), // timestamp
	)
	insns = append(insns, output.Submit(asm.R6, output.WakeupAuto)...)
	insns = append(insns,
		asm.MovImm(asm.R0, 0), asm.Exit(),
		asm.Label("full"), asm.MovImm(asm.R0, 1), asm.Exit(),
	)
	fmt.Print(insns)
	// Output:
	// 0: ld_pseudo r1, 0x1, 0x0 <events>
	//    2: w2 = 0x10
	//    3: r3 = 0x0
	//    4: call 0x83
	//    5: if r0 == 0x0 goto +0x9 <full>
	//    6: r6 = r0
	//    7: *(u32 *)(r6 + 0x0) = 0x1
	//    8: call 0x5
	//    9: *(u64 *)(r6 + 0x8) = r0
	//   10: r1 = r6
	//   11: r2 = 0x0
	//   12: call 0x84
	//   13: r0 = 0x0
	//   14: exit
	// full:
	//   15: r0 = 0x1
	//   16: exit
}

// Write records with the helpers and read them back with package ringbuf.
func ExampleSubmit() {
	events, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: 4096})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer events.Close()
	insns := output.ReserveOrJump(events, 8, asm.R6, "full")
	insns = append(insns, asm.St(asm.DW, asm.R6, 0, 42))
	insns = append(insns, output.Submit(asm.R6, output.ForceWakeup)...)
	insns = append(insns, asm.Label("full"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		fmt.Printf("%+v\n", err)
		return
	}
	defer prog.Close()
	rd, err := ringbuf.NewReader(events)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rd.Close()
	if _, err := prog.Run(&bpf.RunOptions{Data: make([]byte, 64)}); err != nil {
		fmt.Println(err)
		return
	}
	rec, err := rd.Read(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Sample)
}

// Send 8 bytes from the stack plus the first 64 bytes of the packet to the perf event of the
// running CPU; package perf reads them (RawSample holds the 8 bytes, then the packet bytes).
func ExamplePerfEventOutput() {
	st := emit.NewStack()
	ev := st.MustAlloc("event", 8)
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1), // the context, needed by bpf_perf_event_output
		asm.St(asm.DW, asm.R10, ev.Off, 42),
	}
	insns = append(insns, output.PerfEventOutput(asm.R6, mapop.Name("perf_events"), ev, output.CurrentCPU, 64)...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	fmt.Print(insns)
	// Output:
	// 0: r6 = r1
	//    1: *(u64 *)(r10 - 0x8) = 0x2a
	//    2: r1 = r6
	//    3: ld_pseudo r2, 0x1, 0x0 <perf_events>
	//    5: r3 = 0x40ffffffff ll
	//    7: r4 = r10
	//    8: r4 += -0x8
	//    9: w5 = 0x8
	//   10: call 0x19
	//   11: r0 = 0x2
	//   12: exit
}
