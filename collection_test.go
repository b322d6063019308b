package bpf

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// counterSpec is a collection of an array "counts" and a ".data" array whose
// value the XDP program "count" adds to counts[0] on every run; it returns
// XDP_PASS.
func counterSpec() *CollectionSpec {
	return &CollectionSpec{
		Maps: map[string]*MapSpec{
			"counts": {Name: "counts", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1},
			".data": {Name: ".data", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
				Contents: []MapEntry{{Key: make([]byte, 4), Value: binary.NativeEndian.AppendUint64(nil, 5)}}},
		},
		Programs: map[string]*ProgramSpec{
			"count": {Name: "count", Type: XDP, License: "GPL", Instructions: asm.Instructions{
				asm.Mov32Imm(asm.R1, 0),
				asm.Stx(asm.W, asm.R10, asm.R1, -4),
				asm.LoadMapPtr(asm.R1, "counts"),
				asm.MovReg(asm.R2, asm.R10),
				asm.AddImm(asm.R2, -4),
				asm.Call(asm.FnMapLookupElem),
				asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
				asm.LoadMapValue(asm.R1, ".data", 0),
				asm.Ldx(asm.DW, asm.R1, asm.R1, 0),
				asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0),
				asm.Label("out"),
				asm.MovImm(asm.R0, asm.XDPPass),
				asm.Exit(),
			}},
		},
	}
}

func counter(t *testing.T, m *Map) uint64 {
	t.Helper()
	v := make([]byte, 8)
	if err := m.Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(v)
}

func TestCollection(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	spec := counterSpec()
	before := spec.Copy()
	coll, err := NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	if len(coll.Maps) != 2 || len(coll.Programs) != 1 {
		t.Fatalf("collection has %d maps and %d programs, want 2 and 1", len(coll.Maps), len(coll.Programs))
	}
	for range 3 {
		res, err := coll.Programs["count"].Run(&RunOptions{Data: make([]byte, 64)})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != asm.XDPPass {
			t.Errorf("returned %d, want XDP_PASS", res.ReturnValue)
		}
	}
	if got := counter(t, coll.Maps["counts"]); got != 15 {
		t.Errorf("counts[0] = %d after 3 runs adding .data's 5, want 15", got)
	}
	if spec.Maps[".data"].String() != before.Maps[".data"].String() || len(spec.Programs["count"].Instructions) != len(before.Programs["count"].Instructions) {
		t.Error("NewCollection changed the spec")
	}
	if err := coll.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := coll.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if len(coll.Maps)+len(coll.Programs) != 0 {
		t.Error("Close left objects in the collection")
	}
}

func TestCollectionErrors(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	for _, tc := range []struct {
		name   string
		change func(*CollectionSpec)
		want   string
	}{
		{"missing map", func(cs *CollectionSpec) { delete(cs.Maps, "counts") }, `map "counts": not given`},
		{"bad map", func(cs *CollectionSpec) { cs.Maps["counts"].ValueSize = 0 }, `map "counts"`},
		{"nil map", func(cs *CollectionSpec) { cs.Maps["x"] = nil }, `map "x": nil spec`},
		{"nil program", func(cs *CollectionSpec) { cs.Programs["x"] = nil }, `program "x": nil spec`},
		{"verifier", func(cs *CollectionSpec) { cs.Programs["count"].Instructions = asm.Instructions{asm.Exit()} }, `program "count"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := counterSpec()
			tc.change(spec)
			before := testutil.OpenFDCount()
			coll, err := NewCollection(spec)
			if err == nil {
				coll.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if after := testutil.OpenFDCount(); after != before {
				t.Errorf("%d fds open after the failed NewCollection, %d before", after, before)
			}
		})
	}
	if _, err := NewCollection(nil); err == nil {
		t.Error("nil spec: no error")
	}
}

func TestCollectionMapReplacement(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	shared, err := NewMap(counterSpec().Maps["counts"])
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	coll, err := NewCollectionWithOptions(counterSpec(), &CollectionOptions{MapReplacements: map[string]*Map{"counts": shared}})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	if _, err := coll.Programs["count"].Run(&RunOptions{Data: make([]byte, 64)}); err != nil {
		t.Fatal(err)
	}
	if err := coll.Close(); err != nil {
		t.Fatal(err)
	}
	// The replacement is still open and saw the program's update.
	if got := counter(t, shared); got != 5 {
		t.Errorf("shared counts[0] = %d, want 5", got)
	}
}

func TestCollectionAssign(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	coll, err := NewCollection(counterSpec())
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	bad := []struct {
		name string
		to   any
		want string
	}{
		{"not a pointer", struct{}{}, "want a pointer to a struct"},
		{"missing map", &struct {
			M *Map `bpf:"nope"`
		}{}, `no map "nope"`},
		{"missing program", &struct {
			P *Program `bpf:"nope"`
		}{}, `no program "nope"`},
		{"wrong type", &struct {
			M int `bpf:"counts"`
		}{}, "want *bpf.Map or *bpf.Program"},
		{"partial", &struct {
			P *Program `bpf:"count"`
			M *Map     `bpf:"nope"`
		}{}, `no map "nope"`},
	}
	for _, tc := range bad {
		if err := coll.Assign(tc.to); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if len(coll.Programs) != 1 || len(coll.Maps) != 2 {
		t.Fatal("a failed Assign moved objects")
	}
	var objs struct {
		Count  *Program `bpf:"count"`
		Counts *Map     `bpf:"counts"`
		Other  string
	}
	if err := coll.Assign(&objs); err != nil {
		t.Fatal(err)
	}
	defer objs.Count.Close()
	defer objs.Counts.Close()
	if len(coll.Programs) != 0 || len(coll.Maps) != 1 {
		t.Errorf("after Assign the collection holds %d programs and %d maps, want 0 and 1", len(coll.Programs), len(coll.Maps))
	}
	if _, err := objs.Count.Run(&RunOptions{Data: make([]byte, 64)}); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, objs.Counts); got != 5 {
		t.Errorf("counts[0] = %d, want 5", got)
	}
}

func TestCollectionSpecCopy(t *testing.T) {
	spec := counterSpec()
	c := spec.Copy()
	c.Maps[".data"].Contents[0].Value[0] = 99
	c.Programs["count"].Instructions[0] = asm.Exit()
	delete(c.Maps, "counts")
	if spec.Maps[".data"].Contents[0].Value[0] != 5 || spec.Programs["count"].Instructions[0].IsExit() || spec.Maps["counts"] == nil {
		t.Error("Copy shares data with the original")
	}
	var nilSpec *CollectionSpec
	if nilSpec.Copy() != nil {
		t.Error("nil Copy")
	}
	var nilColl *Collection
	if nilColl.Close() != nil {
		t.Error("nil Close")
	}
}
