//go:build linux

package ringbuf

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// drainRig is a user ring buffer and an XDP program that drains it with
// bpf_user_ringbuf_drain, adding the first 8 bytes of every record to sum.
type drainRig struct {
	ring, sum *bpf.Map
	prog      *bpf.Program
}

func newDrainRig(t *testing.T, size uint32) *drainRig {
	t.Helper()
	testutil.RequireRoot(t)
	ring, err := bpf.NewMap(&bpf.MapSpec{Name: "test_uring", Type: bpf.UserRingBuf, MaxEntries: size})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ring.Close() })
	sum, err := bpf.NewMap(&bpf.MapSpec{Name: "test_sum", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sum.Close() })
	insns := asm.Instructions{
		asm.LoadMap(asm.R1, ring),
		asm.LoadFunc(asm.R2, "cb"),
		asm.MovImm(asm.R3, 0),
		asm.MovImm(asm.R4, 0),
		asm.Call(asm.FnUserRingbufDrain),
		asm.MovReg(asm.R6, asm.R0),
		// sum[1] += number of records drained
		asm.St(asm.W, asm.R10, -4, 1),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.LoadMap(asm.R1, sum),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "done"),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R6, 0),
		asm.Label("done"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),

		// cb(struct bpf_dynptr *sample, void *ctx): sum[0] += first u64.
		asm.Label("cb"),
		asm.MovReg(asm.R3, asm.R1),
		asm.MovReg(asm.R1, asm.R10),
		asm.AddImm(asm.R1, -8),
		asm.MovImm(asm.R2, 8),
		asm.MovImm(asm.R4, 0),
		asm.MovImm(asm.R5, 0),
		asm.Call(asm.FnDynptrRead),
		asm.JmpImm(asm.JNE, asm.R0, 0, "cb_out"),
		asm.Ldx(asm.DW, asm.R6, asm.R10, -8),
		asm.St(asm.W, asm.R10, -12, 0),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -12),
		asm.LoadMap(asm.R1, sum),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "cb_out"),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R6, 0),
		asm.Label("cb_out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "test_udrain", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatalf("load drainer: %+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return &drainRig{ring: ring, sum: sum, prog: prog}
}

func (d *drainRig) counters(t *testing.T) (sum, n uint64) {
	t.Helper()
	var v [8]byte
	for i, p := range []*uint64{&sum, &n} {
		k := make([]byte, 4)
		binary.NativeEndian.PutUint32(k, uint32(i))
		if err := d.sum.Lookup(k, v[:]); err != nil {
			t.Fatal(err)
		}
		*p = binary.NativeEndian.Uint64(v[:])
	}
	return sum, n
}

func (d *drainRig) drain(t *testing.T) {
	t.Helper()
	if _, err := d.prog.Run(&bpf.RunOptions{Data: make([]byte, 64)}); err != nil {
		t.Fatal(err)
	}
}

func TestWriterToProgram(t *testing.T) {
	d := newDrainRig(t, 1<<12)
	w, err := NewWriter(d.ring)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := uint64(0)
	rec := make([]byte, 13) // not a multiple of 8
	for i := range uint64(20) {
		binary.NativeEndian.PutUint64(rec, i*1000)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		want += i * 1000
	}
	// A discarded record is skipped by the kernel.
	res, err := w.Reserve(8)
	if err != nil {
		t.Fatal(err)
	}
	binary.NativeEndian.PutUint64(res.Bytes(), 1<<40)
	res.Discard()
	d.drain(t)
	if sum, n := d.counters(t); sum != want || n != 20 {
		t.Fatalf("program drained %d records summing to %d, want 20 and %d", n, sum, want)
	}
}

func TestWriterFull(t *testing.T) {
	d := newDrainRig(t, 1<<12)
	w, err := NewWriter(d.ring)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := make([]byte, 56) // 64 bytes with the header: 64 fit in 4 KiB
	n := 0
	for ; ; n++ {
		err := w.Write(rec)
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != 64 {
		t.Fatalf("%d records fit, want 64", n)
	}
	if err := w.Write(make([]byte, 1<<12)); err == nil || errors.Is(err, ErrFull) {
		t.Fatalf("oversized record: %v", err)
	}
	// WriteWait waits until the program drains the ring.
	done := make(chan error, 1)
	go func() { done <- w.WriteWait(context.Background(), rec) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("WriteWait returned %v on a full ring", err)
	default:
	}
	d.drain(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteWait still blocked after the ring was drained")
	}
	// Cancel and Close wake a waiting WriteWait.
	for range 64 {
		w.Write(rec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.WriteWait(ctx, rec); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteWait with a deadline: %v", err)
	}
	go func() { done <- w.WriteWait(context.Background(), rec) }()
	time.Sleep(20 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteWait after Close: %v", err)
	}
	if err := w.Write(rec); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
}
