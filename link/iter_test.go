package link_test

import (
	"encoding/binary"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// iterU32Prog returns an iterator program for target whose context is
// struct bpf_iter__<target> { struct bpf_iter_meta *meta; T *obj; }: for each
// object it writes the u32 field typ.field with bpf_seq_write.
func iterU32Prog(t *testing.T, target, typ, field string) *bpf.Program {
	t.Helper()
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R6, asm.R1, 0), // meta
		asm.Ldx(asm.DW, asm.R7, asm.R1, 8), // the object, NULL at the end of the walk
		asm.JmpImm(asm.JEQ, asm.R7, 0, "out"),
		asm.CoreLoad(asm.W, asm.R2, asm.R7, typ, field),
		asm.Stx(asm.W, asm.R10, asm.R2, -8),
		asm.Ldx(asm.DW, asm.R1, asm.R6, 0), // meta->seq
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -8),
		asm.MovImm(asm.R3, 4),
		asm.Call(asm.FnSeqWrite),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:         "iter_" + target,
		Type:         bpf.Tracing,
		AttachType:   bpf.AttachTraceIter,
		AttachTo:     target,
		License:      "GPL",
		Instructions: insns,
	})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %s iterator: %+v", target, err)
	}
	closeAll(t, prog)
	return prog
}

// readIter runs one walk of it and returns all it wrote.
func readIter(t *testing.T, it *link.Iter) []byte {
	t.Helper()
	r, err := it.Open()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

// readU32s runs one walk of it and decodes its output as native u32s.
func readU32s(t *testing.T, it *link.Iter) []uint32 {
	t.Helper()
	b := readIter(t, it)
	if len(b)%4 != 0 {
		t.Fatalf("iterator wrote %d bytes, not a multiple of 4", len(b))
	}
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.NativeEndian.Uint32(b[4*i:])
	}
	return out
}

// TestIterTask walks every task with a task iterator and finds this process.
func TestIterTask(t *testing.T) {
	testutil.RequireRoot(t)
	prog := iterU32Prog(t, "task", "task_struct", "tgid")
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, it)
	for walk := range 2 { // walks are independent
		tgids := readU32s(t, it)
		if !slices.Contains(tgids, uint32(os.Getpid())) {
			t.Errorf("walk %d: %d tasks, none with this process's tgid %d", walk, len(tgids), os.Getpid())
		}
		if !slices.Contains(tgids, 2) {
			t.Errorf("walk %d: no kthreadd (tgid 2) among %d tasks", walk, len(tgids))
		}
	}
	info, err := it.Info()
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.Type != link.IterType {
		t.Errorf("link type %v, want %v", info.Type, link.IterType)
	}
}

// TestIterBPFMap walks every BPF map and finds the ones the test created.
func TestIterBPFMap(t *testing.T) {
	testutil.RequireRoot(t)
	var ids []uint32
	for range 3 {
		m, err := bpf.NewMap(&bpf.MapSpec{Name: "iter_me", Type: bpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, m)
		id, err := m.ID()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, uint32(id))
	}
	prog := iterU32Prog(t, "bpf_map", "bpf_map", "id")
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, it)
	got := readU32s(t, it)
	for _, id := range ids {
		if !slices.Contains(got, id) {
			t.Errorf("map id %d not among the %d maps the iterator listed", id, len(got))
		}
	}
}

// TestIterClosed checks Open on a closed iterator.
func TestIterClosed(t *testing.T) {
	testutil.RequireRoot(t)
	prog := iterU32Prog(t, "bpf_map", "bpf_map", "id")
	it, err := link.AttachIter(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := it.Open(); err == nil {
		t.Error("open after close: no error")
	}
	if _, err := link.AttachIter(nil, nil); err == nil {
		t.Error("nil program: no error")
	}
}
