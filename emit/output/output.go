// Package output generates the program side of BPF event streams: reserving, filling and
// submitting (or discarding) ring buffer records, copying a record into a ring buffer in one
// call, and writing samples to a perf event array. User space reads them with the readers of
// packages ringbuf and perf. It is the port of clj-ebpf's ringbuf namespace (named output so it
// does not collide with the reader package).
//
// # Ring buffers
//
// A ring buffer (bpf.RingBuf, BPF_MAP_TYPE_RINGBUF, Linux 5.8) is shared by all CPUs. The
// reserve/submit pair writes a record in place:
//
//	insns = append(insns, output.ReserveOrJump(events, 16, asm.R6, "full")...) // R6 = record
//	insns = append(insns, asm.St(asm.DW, asm.R6, 0, 42))                      // fill it
//	insns = append(insns, output.Submit(asm.R6, output.WakeupAuto)...)
//
// The verifier tracks a reserved record as a reference: every path must submit or discard it
// exactly once, after checking the reserve's result against NULL ([ReserveOrJump] does the
// check). [Output] copies a record that is already on the stack (one more copy, one call).
//
// A [Wakeup] flag decides whether the reader is notified: by default the kernel wakes it when
// it has consumed everything before this record; [NoWakeup] never does (batching: a later
// record, or a timeout, wakes it), [ForceWakeup] always does.
//
// # Perf event arrays
//
// A perf event array (bpf.PerfEventArray, BPF_MAP_TYPE_PERF_EVENT_ARRAY, Linux 4.4) holds one
// perf event ring per CPU; [PerfEventOutput] copies a sample into the ring of the current CPU
// (or a given index) and, for packet programs, can append bytes of the packet.
//
// Every sequence calls one helper, so it sets R0 and clobbers R1–R5; a record pointer that must
// survive a later call belongs in R6–R9.
package output

import (
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
)

// Wakeup selects how a ring buffer write notifies the reader (the flags of bpf_ringbuf_submit,
// bpf_ringbuf_discard and bpf_ringbuf_output).
type Wakeup int32

const (
	// WakeupAuto lets the kernel decide: it wakes the reader when the reader has consumed
	// every earlier record, so a reader that keeps up is woken once per record and a busy one
	// is not woken needlessly.
	WakeupAuto Wakeup = 0
	// NoWakeup does not notify the reader (BPF_RB_NO_WAKEUP): the record waits for a later
	// notification or a reader that polls. Use it to batch records.
	NoWakeup Wakeup = 1
	// ForceWakeup always notifies the reader (BPF_RB_FORCE_WAKEUP).
	ForceWakeup Wakeup = 2
)

// Reserve returns R0 = bpf_ringbuf_reserve(m, size, 0): a pointer to size writable bytes in the
// ring buffer m, or NULL when the ring is full. size must be a constant (the verifier needs to
// know it). The record must be submitted or discarded on every path. Writes R0; clobbers R1–R5.
// 4 instructions (5 slots). Requires Linux 5.8.
func Reserve(m asm.MapHandle, size uint32) asm.Instructions {
	insns := mapop.LoadMap(asm.R1, m)
	insns = append(insns,
		asm.Mov32Imm(asm.R2, int32(size)),
		asm.MovImm(asm.R3, 0),
		asm.Call(asm.FnRingbufReserve),
	)
	return asm.Attribute("output.Reserve", insns)
}

// ReserveOrJump is [Reserve] followed by the NULL check the verifier demands: when the ring is
// full it jumps to full (no record to release there); otherwise dst = the record. dst should be
// one of R6–R9 to survive the helper calls that fill the record. Writes R0 and dst; clobbers
// R1–R5. 6 instructions (5 when dst is R0).
func ReserveOrJump(m asm.MapHandle, size uint32, dst asm.Register, full string) asm.Instructions {
	insns := Reserve(m, size)
	insns = append(insns, asm.JmpImm(asm.JEQ, asm.R0, 0, full))
	if dst != asm.R0 {
		insns = append(insns, asm.MovReg(dst, asm.R0))
	}
	return asm.Attribute("output.ReserveOrJump", insns)
}

// Submit returns bpf_ringbuf_submit(ptr, flags): the reserved record ptr becomes visible to
// the reader. ptr is released: the verifier refuses any later access through it or its copies.
// Reads ptr; clobbers R0–R5. 3 instructions (2 when ptr is R1).
func Submit(ptr asm.Register, flags Wakeup) asm.Instructions {
	return asm.Attribute("output.Submit", release(asm.FnRingbufSubmit, ptr, flags))
}

// Discard returns bpf_ringbuf_discard(ptr, flags): the reserved record ptr is dropped; the
// reader skips it. ptr is released as by [Submit]. Reads ptr; clobbers R0–R5. 3 instructions
// (2 when ptr is R1).
func Discard(ptr asm.Register, flags Wakeup) asm.Instructions {
	return asm.Attribute("output.Discard", release(asm.FnRingbufDiscard, ptr, flags))
}

func release(fn asm.BuiltinFunc, ptr asm.Register, flags Wakeup) asm.Instructions {
	var insns asm.Instructions
	if ptr != asm.R1 {
		insns = append(insns, asm.MovReg(asm.R1, ptr))
	}
	return append(insns, asm.MovImm(asm.R2, int32(flags)), asm.Call(fn))
}

// Output returns R0 = bpf_ringbuf_output(m, &data, data.Size, flags): the slot's bytes are
// copied into a new record of the ring buffer m, in one call. R0 = 0, or -EAGAIN when the ring
// is full. Reads the slot; writes R0; clobbers R1–R5. 6 instructions (7 slots).
func Output(m asm.MapHandle, data emit.Slot, flags Wakeup) asm.Instructions {
	insns := append(data.Addr(asm.R2), mapop.LoadMap(asm.R1, m)...)
	insns = append(insns,
		asm.Mov32Imm(asm.R3, int32(data.Size)),
		asm.MovImm(asm.R4, int32(flags)),
		asm.Call(asm.FnRingbufOutput),
	)
	return asm.Attribute("output.Output", insns)
}

// OutputPtr is [Output] for size bytes at dataPtr (the stack or a map value; the verifier
// refuses packet pointers here). Reads dataPtr; writes R0; clobbers R1–R5.
func OutputPtr(m asm.MapHandle, dataPtr asm.Register, size uint32, flags Wakeup) asm.Instructions {
	var insns asm.Instructions
	if dataPtr != asm.R2 {
		insns = append(insns, asm.MovReg(asm.R2, dataPtr))
	}
	insns = append(insns, mapop.LoadMap(asm.R1, m)...)
	insns = append(insns,
		asm.Mov32Imm(asm.R3, int32(size)),
		asm.MovImm(asm.R4, int32(flags)),
		asm.Call(asm.FnRingbufOutput),
	)
	return asm.Attribute("output.OutputPtr", insns)
}

// CurrentCPU as the index of [PerfEventOutput] selects the perf event of the CPU the program
// runs on (BPF_F_CURRENT_CPU).
const CurrentCPU = 0xffffffff

// PerfEventOutput returns R0 = bpf_perf_event_output(ctx, m, flags, &data, data.Size): the
// slot's bytes become a sample (PERF_RECORD_SAMPLE) in the perf event at index of the perf
// event array m — [CurrentCPU] for the running CPU's, which is what readers that open one ring
// per CPU expect. For XDP, sched_cls and the other packet programs, packetBytes > 0 appends
// that many bytes of the packet after the data (BPF_F_CTXLEN_MASK); it must be 0 for other
// program types. ctx is the register holding the program's context (R1 at entry; save it in
// R6–R9 to use it later). R0 = 0, -ENOENT when no perf event is installed at the index,
// -E2BIG when the index is out of range, -EOPNOTSUPP when the event is on another CPU.
// Reads ctx and the slot; writes R0; clobbers R1–R5. 7 instructions (6 when ctx is R1).
func PerfEventOutput(ctx asm.Register, m asm.MapHandle, data emit.Slot, index, packetBytes uint32) asm.Instructions {
	insns := perfArgs(ctx, m, index, packetBytes)
	insns = append(insns, data.Addr(asm.R4)...)
	insns = append(insns, asm.Mov32Imm(asm.R5, int32(data.Size)), asm.Call(asm.FnPerfEventOutput))
	return asm.Attribute("output.PerfEventOutput", insns)
}

// PerfEventOutputPtr is [PerfEventOutput] for size bytes at dataPtr (the stack or a map value).
// ctx and dataPtr may be any registers: they are moved into place first. Reads ctx and dataPtr;
// writes R0; clobbers R1–R5.
func PerfEventOutputPtr(ctx asm.Register, m asm.MapHandle, dataPtr asm.Register, size, index, packetBytes uint32) asm.Instructions {
	var insns asm.Instructions
	if dataPtr != asm.R4 {
		// Park the data pointer where the setup of R1–R3 cannot overwrite it.
		tmp := asm.R0
		if ctx == asm.R0 {
			tmp = asm.R5 // set to the size only at the end
		}
		insns = append(insns, asm.MovReg(tmp, dataPtr))
		dataPtr = tmp
	}
	if ctx == asm.R4 {
		insns = append(insns, asm.MovReg(asm.R1, asm.R4))
		ctx = asm.R1
	}
	insns = append(insns, perfArgs(ctx, m, index, packetBytes)...)
	if dataPtr != asm.R4 {
		insns = append(insns, asm.MovReg(asm.R4, dataPtr))
	}
	insns = append(insns, asm.Mov32Imm(asm.R5, int32(size)), asm.Call(asm.FnPerfEventOutput))
	return asm.Attribute("output.PerfEventOutputPtr", insns)
}

// perfArgs sets R1 = ctx, R2 = m, R3 = flags (index | packetBytes << 32), leaving R4 alone.
func perfArgs(ctx asm.Register, m asm.MapHandle, index, packetBytes uint32) asm.Instructions {
	var insns asm.Instructions
	if ctx != asm.R1 {
		insns = append(insns, asm.MovReg(asm.R1, ctx))
	}
	insns = append(insns, mapop.LoadMap(asm.R2, m)...)
	if packetBytes == 0 {
		insns = append(insns, asm.Mov32Imm(asm.R3, int32(index))) // zero-extended: no ctx bytes
	} else {
		insns = append(insns, asm.LoadImm64(asm.R3, int64(uint64(packetBytes)<<32|uint64(index))))
	}
	return insns
}
