//go:build linux

package elfobj

import (
	"slices"
	"testing"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// TestTailCallTable loads testdata/tailcall.o, whose program array names its
// initial programs in C, and runs the entry program on frames whose last byte
// picks the slot: 0 and 2 jump to tail_drop (XDP_DROP) and tail_tx (XDP_TX),
// the empty slots 1 and 3 and one past the end fall through (XDP_PASS).
// Emptying slot 0 from Go makes it fall through too.
func TestTailCallTable(t *testing.T) {
	spec := mustLoad(t, "testdata/tailcall.o")
	want := []bpf.ProgramSlot{{Key: 0, Program: "tail_drop"}, {Key: 2, Program: "tail_tx"}}
	if got := spec.ProgramArrays["jump_table"]; !slices.Equal(got, want) {
		t.Fatalf("program array slots %v, want %v", got, want)
	}
	testutil.RequireRoot(t)
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	run := func(slot byte) uint32 {
		t.Helper()
		frame := make([]byte, 15)
		frame[14] = slot
		res, err := coll.Programs["entry"].Run(&bpf.RunOptions{Data: frame})
		if err != nil {
			t.Fatal(err)
		}
		return res.ReturnValue
	}
	for slot, ret := range map[byte]uint32{0: 1, 1: 2, 2: 3, 3: 2, 4: 2} {
		if got := run(slot); got != ret {
			t.Errorf("slot %d: returned %d, want %d", slot, got, ret)
		}
	}
	if err := coll.Maps["jump_table"].Delete(make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	if got := run(0); got != 2 {
		t.Errorf("slot 0 emptied: returned %d, want 2 (XDP_PASS)", got)
	}
}
