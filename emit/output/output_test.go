package output_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
	"github.com/bpfgo/bpf/ringbuf"
)

func TestMain(m *testing.M) { os.Exit(testutil.CheckFDs(m)) }

const (
	retShort = 9000
	retFull  = 9001
	magic    = 0x0bf90bf9
)

var udp = packet.Spec{Protocol: packet.IPProtoUDP, SrcPort: 4000, DstPort: 53, Payload: []byte("query")}.MustBuild()

func newRing(t *testing.T, size uint32) *bpf.Map {
	t.Helper()
	testutil.RequireRoot(t)
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "events", Type: bpf.RingBuf, MaxEntries: size})
	if err != nil {
		testutil.SkipIfNotSupported(t, err)
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newReader(t *testing.T, m *bpf.Map) *ringbuf.Reader {
	t.Helper()
	r, err := ringbuf.NewReader(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func load(t *testing.T, insns asm.Instructions) *bpf.Program {
	t.Helper()
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "output_test", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func run(t *testing.T, p *bpf.Program, data []byte) uint32 {
	t.Helper()
	res, err := p.Run(&bpf.RunOptions{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return res.ReturnValue
}

// packetPrologue leaves the context in R6, data in R8, data_end in R9, and returns retShort
// unless the first need bytes are there.
func packetPrologue(need int32) asm.Instructions {
	return asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Ldx(asm.W, asm.R8, asm.R6, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R9, asm.R6, asm.XDPMdDataEnd),
		asm.MovReg(asm.R2, asm.R8),
		asm.AddImm(asm.R2, need),
		asm.JmpReg(asm.JLE, asm.R2, asm.R9, "long_enough"),
		asm.MovImm(asm.R0, retShort),
		asm.Exit(),
		asm.Label("long_enough"),
	}
}

// reserveProgram writes a 24-byte record: magic, packet length, the packet's first 8 bytes
// and its UDP ports (4 bytes at 14+20), then submits it with flags — or discards it when
// discardShort and the packet is shorter than 100 bytes.
func reserveProgram(ring *bpf.Map, flags output.Wakeup, discardShort bool) asm.Instructions {
	insns := packetPrologue(14 + 20 + 4)
	insns = append(insns, output.ReserveOrJump(ring, 24, asm.R7, "full")...)
	insns = append(insns,
		asm.St(asm.W, asm.R7, 0, magic),
		asm.MovReg(asm.R1, asm.R9),
		asm.SubReg(asm.R1, asm.R8),
		asm.Stx(asm.W, asm.R7, asm.R1, 4),
		asm.Ldx(asm.DW, asm.R1, asm.R8, 0),
		asm.Stx(asm.DW, asm.R7, asm.R1, 8),
		asm.Ldx(asm.W, asm.R1, asm.R8, 14+20),
		asm.Stx(asm.W, asm.R7, asm.R1, 16),
		asm.St(asm.W, asm.R7, 20, 0),
	)
	if discardShort {
		insns = append(insns,
			asm.MovReg(asm.R1, asm.R8),
			asm.AddImm(asm.R1, 100),
			asm.JmpReg(asm.JLE, asm.R1, asm.R9, "submit"),
		)
		insns = append(insns, output.Discard(asm.R7, flags)...)
		insns = append(insns, asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit())
	}
	insns = append(insns, asm.Label("submit"))
	insns = append(insns, output.Submit(asm.R7, flags)...)
	return append(insns,
		asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("full"), asm.MovImm(asm.R0, retFull), asm.Exit(),
	)
}

// wantRecord is the record reserveProgram writes for frame.
func wantRecord(frame []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, magic)
	b = binary.NativeEndian.AppendUint32(b, uint32(len(frame)))
	b = append(b, frame[:8]...)
	b = append(b, frame[34:38]...)
	return append(b, 0, 0, 0, 0)
}

func read(t *testing.T, r *ringbuf.Reader, timeout time.Duration) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rec, err := r.Read(ctx)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), rec.Sample...), nil
}

func TestReserveSubmit(t *testing.T) {
	for _, flags := range []output.Wakeup{output.WakeupAuto, output.NoWakeup, output.ForceWakeup} {
		t.Run(map[output.Wakeup]string{0: "auto", 1: "no-wakeup", 2: "force"}[flags], func(t *testing.T) {
			ring := newRing(t, 4096)
			r := newReader(t, ring)
			p := load(t, reserveProgram(ring, flags, false))
			if got := run(t, p, udp); got != asm.XDPPass {
				t.Fatalf("returned %d", got)
			}
			got, err := read(t, r, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantRecord(udp); !bytes.Equal(got, want) {
				t.Fatalf("record\n%x, want\n%x", got, want)
			}
			// The fail case: a short frame writes nothing.
			if got := run(t, p, udp[:20]); got != retShort {
				t.Fatalf("short frame returned %d", got)
			}
			if n := r.AvailableBytes(); n != 0 {
				t.Fatalf("%d bytes in the ring after a short frame", n)
			}
		})
	}
}

func TestDiscard(t *testing.T) {
	ring := newRing(t, 4096)
	r := newReader(t, ring)
	p := load(t, reserveProgram(ring, output.WakeupAuto, true))
	long := packet.Spec{Protocol: packet.IPProtoUDP, SrcPort: 4000, DstPort: 53, Payload: make([]byte, 100)}.MustBuild()
	if got := run(t, p, udp); got != asm.XDPDrop { // discarded
		t.Fatalf("short packet returned %d", got)
	}
	if got := run(t, p, long); got != asm.XDPPass {
		t.Fatalf("long packet returned %d", got)
	}
	// The discarded record took room in the ring, but the reader skips it.
	got, err := read(t, r, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantRecord(long); !bytes.Equal(got, want) {
		t.Fatalf("record\n%x, want\n%x (the discarded one?)", got, want)
	}
	if _, err := read(t, r, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second record: %v", err)
	}
}

// TestRingFull: a 4096-byte ring holds three 1000-byte records (with their 8-byte headers);
// the fourth reserve returns NULL and the program takes the full path.
func TestRingFull(t *testing.T) {
	ring := newRing(t, 4096)
	r := newReader(t, ring)
	// Reserve with the NULL check written out (ReserveOrJump does the same).
	insns := append(asm.Instructions{}, output.Reserve(ring, 1000)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "full"),
		asm.MovReg(asm.R6, asm.R0),
		asm.St(asm.DW, asm.R6, 0, 7),
	)
	insns = append(insns, output.Submit(asm.R6, output.NoWakeup)...)
	insns = append(insns,
		asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("full"), asm.MovImm(asm.R0, retFull), asm.Exit(),
	)
	p := load(t, insns)
	var rets []uint32
	for range 5 {
		rets = append(rets, run(t, p, udp))
	}
	want := []uint32{asm.XDPPass, asm.XDPPass, asm.XDPPass, asm.XDPPass, retFull}
	// 4 × 1008 = 4032 bytes fit in 4096; the fifth does not.
	for i := range want {
		if rets[i] != want[i] {
			t.Fatalf("returns %v, want %v", rets, want)
		}
	}
	for range 4 {
		got, err := read(t, r, time.Second)
		if err != nil || len(got) != 1000 || got[0] != 7 {
			t.Fatalf("record %d bytes (%x...), %v", len(got), got[:min(8, len(got))], err)
		}
	}
}

// outputProgram copies the packet's IPv4 addresses and ports (12 bytes at 14+12) to a stack
// slot and writes them with Output (or OutputPtr); it returns the helper's result + 100.
func outputProgram(ring *bpf.Map, byPtr bool, flags output.Wakeup) asm.Instructions {
	st := emit.NewStack()
	ev := st.MustAlloc("event", 12)
	insns := packetPrologue(14 + 20 + 4)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R8, 14+12),
		asm.Stx(asm.DW, asm.R10, asm.R1, ev.Off),
		asm.Ldx(asm.W, asm.R1, asm.R8, 14+20),
		asm.Stx(asm.W, asm.R10, asm.R1, ev.At(8)),
	)
	if byPtr {
		insns = append(insns, ev.Addr(asm.R1)...)
		insns = append(insns, output.OutputPtr(ring, asm.R1, 12, flags)...)
	} else {
		insns = append(insns, output.Output(ring, ev, flags)...)
	}
	return append(insns, asm.AddImm(asm.R0, 100), asm.Exit())
}

func TestOutput(t *testing.T) {
	for _, byPtr := range []bool{false, true} {
		t.Run(map[bool]string{false: "slot", true: "ptr"}[byPtr], func(t *testing.T) {
			ring := newRing(t, 4096)
			r := newReader(t, ring)
			p := load(t, outputProgram(ring, byPtr, output.WakeupAuto))
			if got := run(t, p, udp); got != 100 {
				t.Fatalf("bpf_ringbuf_output returned %d", int32(got)-100)
			}
			// Fill the ring: 4096 / (12+8 rounded to 24) = 170 records, then -EAGAIN.
			n := 1
			for ; n < 200; n++ {
				if got := run(t, p, udp); got != 100 {
					if int32(got)-100 != -int32(unix.EAGAIN) {
						t.Fatalf("full ring: returned %d", int32(got)-100)
					}
					break
				}
			}
			if n != 4096/24 {
				t.Fatalf("%d records fit, want %d", n, 4096/24)
			}
			got, err := read(t, r, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if want := udp[26:38]; !bytes.Equal(got, want) {
				t.Fatalf("record %x, want the packet's addresses and ports %x", got, want)
			}
		})
	}
}

// TestWakeup shows the flags' effect on a reader blocked in Read: a record written with
// NoWakeup does not wake it; one written with ForceWakeup does, and the reader then finds
// both.
func TestWakeup(t *testing.T) {
	for try := 1; try <= 3; try++ {
		if wakeupAttempt(t, time.Duration(try)*100*time.Millisecond) {
			return
		}
	}
	t.Fatal("a NoWakeup record woke the blocked reader three times")
}

// wakeupAttempt gives a fresh reader headStart to block, writes a NoWakeup record and then a
// ForceWakeup one. It reports false when the reader returned the first record early, which a
// reader that had not blocked yet may do by finding it on its own.
func wakeupAttempt(t *testing.T, headStart time.Duration) bool {
	ring := newRing(t, 4096)
	quiet := load(t, reserveProgram(ring, output.NoWakeup, false))
	loud := load(t, reserveProgram(ring, output.ForceWakeup, false))
	r := newReader(t, ring)
	got := make(chan []byte, 2)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			if _, err := r.Drain(ctx, func(s []byte) bool { got <- append([]byte(nil), s...); return true }); err != nil {
				return // closed by the test's cleanup, or timed out
			}
		}
	}()
	time.Sleep(headStart) // let the reader block in epoll
	run(t, quiet, udp)
	select {
	case <-got:
		t.Logf("head start %v: the reader returned a NoWakeup record", headStart)
		return false
	case <-time.After(300 * time.Millisecond):
	}
	run(t, loud, udp)
	for i := range 2 {
		select {
		case rec := <-got:
			if !bytes.Equal(rec, wantRecord(udp)) {
				t.Fatalf("record %d: %x", i, rec)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ForceWakeup did not wake the reader (record %d)", i)
		}
	}
	return true
}

func TestSizes(t *testing.T) {
	st := emit.NewStack()
	ev := st.MustAlloc("event", 16)
	m := mapop.Name("events")
	for _, c := range []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"Reserve", output.Reserve(m, 16), 4},
		{"ReserveOrJump", output.ReserveOrJump(m, 16, asm.R6, "full"), 6},
		{"Submit", output.Submit(asm.R6, output.WakeupAuto), 3},
		{"Discard", output.Discard(asm.R6, output.WakeupAuto), 3},
		{"Output", output.Output(m, ev, output.WakeupAuto), 6},
		{"OutputPtr", output.OutputPtr(m, asm.R6, 16, output.WakeupAuto), 5},
		{"PerfEventOutput", output.PerfEventOutput(asm.R6, m, ev, output.CurrentCPU, 0), 7},
		{"PerfEventOutputPtr", output.PerfEventOutputPtr(asm.R6, m, asm.R7, 16, output.CurrentCPU, 0), 7},
	} {
		if len(c.insns) != c.want {
			t.Errorf("%s: %d instructions, want %d", c.name, len(c.insns), c.want)
		}
		t.Logf("%-18s %d instructions, %d slots", c.name, len(c.insns), c.insns.EncodedSize()/asm.InstructionSize)
	}
}

// TestVerifierRules shows why the helpers come in the shape they do: without the NULL check,
// or without a submit or discard on every path, the verifier refuses the program.
func TestVerifierRules(t *testing.T) {
	ring := newRing(t, 4096)
	tail := asm.Instructions{asm.MovImm(asm.R0, asm.XDPPass), asm.Exit()}
	for _, tc := range []struct {
		name  string
		insns asm.Instructions
		log   string
	}{
		{"no NULL check", append(append(output.Reserve(ring, 8), asm.St(asm.DW, asm.R0, 0, 1)), append(output.Submit(asm.R0, 0), tail...)...),
			"_mem_or_null'"}, // "invalid mem access 'ringbuf_mem_or_null'" (6.1: 'alloc_mem_or_null')
		{"not released", append(append(output.ReserveOrJump(ring, 8, asm.R6, "full"), asm.St(asm.DW, asm.R6, 0, 1), asm.Label("full")), tail...),
			"Unreleased reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.XDP, License: "GPL", Instructions: tc.insns})
			if err == nil {
				p.Close()
				t.Fatal("the verifier accepted the program")
			}
			if msg := fmt.Sprintf("%+v", err); !strings.Contains(msg, tc.log) {
				t.Fatalf("rejected without %q:\n%s", tc.log, msg)
			}
		})
	}
}
