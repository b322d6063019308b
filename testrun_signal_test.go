//go:build linux

package bpf

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
)

// TestRunRepeatExactUnderSignals checks that a repeated test run whose program counts its runs in
// a map runs exactly Repeat times while signals rain on the process. The kernel stops a repeated
// run with EINTR when a signal is pending; retrying that would run the repetitions again.
func TestRunRepeatExactUnderSignals(t *testing.T) {
	counts := mustNewMap(t, &MapSpec{Name: "runs", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	p := loadTestProg(t, &ProgramSpec{Name: "count_runs", Type: SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.St(asm.W, asm.R10, -4, 0),
		asm.LoadMap(asm.R1, counts),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}})

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // SIGURG is the runtime's own preemption signal: harmless to the process.
		defer close(done)
		pid := unix.Getpid()
		for {
			select {
			case <-stop:
				return
			default:
				_ = unix.Kill(pid, unix.SIGURG)
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	const repeat = 3_000_000
	_, err := p.Run(&RunOptions{Data: udpFrame(t), Repeat: repeat})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	val := make([]byte, 8)
	if err := counts.Lookup(u32(0), val); err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint64(val); got != repeat {
		t.Fatalf("program ran %d times, want exactly %d", got, repeat)
	}
}
