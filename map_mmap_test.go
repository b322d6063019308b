package bpf

import (
	"encoding/binary"
	"testing"

	"github.com/bpfgo/bpf/asm"
)

func TestMapMmap(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "mmapable", Type: Array, KeySize: 4, ValueSize: 12, MaxEntries: 10, Flags: MapFlagMmapable})
	mm, err := m.Mmap()
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	b := mm.Bytes()
	if !mm.Writable() || len(b) < 16*10 {
		t.Fatalf("mapping: writable=%v len=%d", mm.Writable(), len(b))
	}
	// Go writes element 3 (stride 16) through the mapping; a lookup sees it.
	binary.NativeEndian.PutUint32(b[3*16:], 0xabcd)
	v := make([]byte, 12)
	if err := m.Lookup(u32(3), v); err != nil || binary.NativeEndian.Uint32(v) != 0xabcd {
		t.Fatalf("lookup after write through the mapping: %v %x", err, v)
	}
	// An update is visible through the mapping.
	copy(v, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	if err := m.Update(u32(9), v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	if b[9*16] != 1 || b[9*16+11] != 12 {
		t.Fatalf("mapping after update: %x", b[9*16:9*16+12])
	}
	// The mapping outlives the Map's fd.
	m.Close()
	if b[9*16] != 1 {
		t.Fatal("mapping lost after Close")
	}
	if err := mm.Close(); err != nil {
		t.Fatal(err)
	}
	if mm.Bytes() != nil || mm.Close() != nil {
		t.Fatal("Close not idempotent")
	}
	var nilMM *MapMemory
	if nilMM.Close() != nil {
		t.Fatal("nil Close")
	}

	plain := mustNewMap(t, &MapSpec{Name: "plain", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if _, err := plain.Mmap(); err == nil {
		t.Fatal("mmap of an array without MapFlagMmapable succeeded")
	}
}

func TestMapMmapFrozenIsReadOnly(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "mmap_ro", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: MapFlagMmapable})
	if err := m.Update(u32(0), u64(5), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	mm, err := m.Mmap()
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	if mm.Writable() {
		t.Fatal("mapping of a frozen map is writable")
	}
	if binary.NativeEndian.Uint64(mm.Bytes()) != 5 {
		t.Fatal("frozen mapping content")
	}
}

// TestMapMmapSharedWithProgram checks the mapping against the BPF side: Go
// writes element 2 through the mapping, an XDP program run by
// BPF_PROG_TEST_RUN increments it, and Go sees the result in the mapping.
func TestMapMmapSharedWithProgram(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "mmap_prog", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: MapFlagMmapable})
	mm, err := m.Mmap()
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	prog, err := NewProgram(&ProgramSpec{Name: "mmap_inc", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.St(asm.W, asm.R10, -4, 2), // key = 2
		asm.LoadMap(asm.R1, m),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.Ldx(asm.DW, asm.R1, asm.R0, 0),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("out"),
		asm.MovImm(asm.R0, 2), // XDP_PASS
		asm.Exit(),
	}})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer prog.Close()
	b := mm.Bytes()
	binary.NativeEndian.PutUint64(b[2*8:], 41)
	if _, err := prog.Run(&RunOptions{Data: make([]byte, 64)}); err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint64(b[2*8:]); got != 42 {
		t.Fatalf("element 2 after the program ran: %d, want 42", got)
	}
}
