package bpf

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// TestNewBTFVmlinux loads the marshalled kernel BTF through BPF_BTF_LOAD, reads it back
// from the kernel and checks the round trip.
func TestNewBTFVmlinux(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	raw, err := spec.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewBTFFromBytes(raw)
	if err != nil {
		t.Fatalf("load vmlinux-derived BTF (%d bytes, %d types): %+v", len(raw), spec.LastID(), err)
	}
	defer h.Close()
	info, err := h.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == 0 || info.Kernel || info.Size != uint32(len(raw)) {
		t.Errorf("info = %+v; want an id, not kernel BTF, size %d", info, len(raw))
	}
	if id, err := h.ID(); err != nil || id != info.ID {
		t.Errorf("ID() = %d, %v; want %d", id, err, info.ID)
	}
	back, err := h.Spec(nil)
	if err != nil {
		t.Fatalf("parse BTF read back from the kernel: %v", err)
	}
	if back.LastID() != spec.LastID() {
		t.Fatalf("read back %d types, loaded %d", back.LastID(), spec.LastID())
	}
	for _, name := range []string{"task_struct", "sk_buff", "bpf_attr"} {
		id, _, err := spec.AnyTypeByName(name)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := spec.FormatRaw(id)
		got, err := back.FormatRaw(id)
		if err != nil || got != want {
			t.Errorf("%s after the round trip through the kernel:\n%s\nwant\n%s (%v)", name, got, want, err)
		}
	}
	t.Logf("kernel accepted %d bytes, %d types, as BTF id %d", len(raw), spec.LastID(), info.ID)

	// The handle reopens by id.
	h2, err := NewBTFFromID(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := h2.ID(); id != info.ID {
		t.Errorf("NewBTFFromID(%d) opened id %d", info.ID, id)
	}
	if err := h2.Close(); err != nil {
		t.Error(err)
	}
	if err := h2.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNewBTFSpec loads a Spec built from Go types through NewBTF.
func TestNewBTFSpec(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	b := btf.NewBuilder()
	if _, err := b.AddGoType(reflect.TypeFor[flowStats]()); err != nil {
		t.Fatal(err)
	}
	raw, err := b.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.LoadSpecFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewBTF(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer h.Close()
	if h.FD() < 3 {
		t.Errorf("fd %d", h.FD())
	}
	if _, err := NewBTF(nil); err == nil {
		t.Error("NewBTF(nil) succeeded")
	}
	var nilHandle *BTFHandle
	if err := nilHandle.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
}

// TestNewBTFRejected checks that the kernel's complaint about bad BTF reaches the caller.
func TestNewBTFRejected(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	good, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[flowStats]())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		raw     func() []byte
		wantLog string
	}{
		{"empty", func() []byte { return nil }, ""},
		{"bad magic", func() []byte { b := append([]byte(nil), good.BTF...); b[0] ^= 0xff; return b }, "magic"},
		{"member beyond struct", func() []byte {
			b := btf.NewBuilder()
			u64, _ := b.Add(&btf.Int{Name: "u64", Size: 8, Bits: 64})
			_, _ = b.Add(&btf.Struct{Name: "s", Size: 4, Members: []btf.Member{{Name: "x", Type: u64}}})
			raw, err := b.Marshal(nil)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}, "Member exceeds struct_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewBTFFromBytes(tt.raw())
			if err == nil {
				h.Close()
				t.Fatal("kernel accepted bad BTF")
			}
			if tt.wantLog == "" {
				return
			}
			var le *BTFLoadError
			if !errors.As(err, &le) || !errors.Is(err, unix.EINVAL) {
				t.Fatalf("got %v (%T), want a *BTFLoadError matching EINVAL", err, err)
			}
			if full := fmt.Sprintf("%+v", err); !strings.Contains(full, tt.wantLog) {
				t.Errorf("log does not mention %q:\n%s", tt.wantLog, full)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Error() is not one line: %q", err.Error())
			}
		})
	}
}

// flowStats is a map value with named fields for the bpftool test.
type flowStats struct {
	Packets uint64
	Bytes   uint64
	Proto   uint8
	Flags   [3]uint8
	Port    uint16
	_       [2]byte
}

// TestMapBTFFromGoStruct creates a map with BTF derived from a Go struct and checks that
// bpftool prints its entries with the struct's field names.
func TestMapBTFFromGoStruct(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	bpftool := testutil.RequireTool(t, "bpftool")
	mb, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[flowStats]())
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMap(&MapSpec{
		Name: "flow_stats", Type: Hash, KeySize: 4, ValueSize: uint32(unsafe.Sizeof(flowStats{})), MaxEntries: 8,
		BTF: mb.BTF, BTFKeyTypeID: uint32(mb.KeyTypeID), BTFValueTypeID: uint32(mb.ValueTypeID),
	})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer m.Close()
	want := flowStats{Packets: 12345, Bytes: 987654321, Proto: 6, Flags: [3]uint8{1, 2, 3}, Port: 443}
	val := make([]byte, unsafe.Sizeof(want))
	copy(val, unsafe.Slice((*byte)(unsafe.Pointer(&want)), len(val)))
	if err := m.Update(binary.NativeEndian.AppendUint32(nil, 7), val, UpdateAny); err != nil {
		t.Fatal(err)
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bpftool, "-j", "map", "dump", "id", fmt.Sprint(id)).Output()
	if err != nil {
		t.Fatalf("bpftool map dump: %v", err)
	}
	var entries []struct {
		Formatted struct {
			Key   uint32 `json:"key"`
			Value map[string]any
		} `json:"formatted"`
	}
	if err := json.Unmarshal(out, &entries); err != nil {
		t.Fatalf("bpftool output %s: %v", out, err)
	}
	if len(entries) != 1 {
		t.Fatalf("bpftool dumped %d entries: %s", len(entries), out)
	}
	f := entries[0].Formatted
	if f.Key != 7 {
		t.Errorf("formatted key = %d, want 7 (%s)", f.Key, out)
	}
	for field, want := range map[string]any{
		"Packets": float64(12345), "Bytes": float64(987654321), "Proto": float64(6),
		"Flags": []any{float64(1), float64(2), float64(3)}, "Port": float64(443),
	} {
		if got := f.Value[field]; !reflect.DeepEqual(got, want) {
			t.Errorf("formatted value field %s = %v, want %v (%s)", field, got, want, out)
		}
	}
	t.Logf("bpftool: %s", out)
}

// ExampleNewBTFFromBytes loads BTF built from Go types and creates a map with it, so that
// bpftool prints the map's values with their field names. It needs CAP_BPF.
func ExampleNewBTFFromBytes() {
	type stats struct {
		Packets, Bytes uint64
	}
	mb, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[stats]())
	if err != nil {
		fmt.Println(err)
		return
	}
	// NewMap loads MapSpec.BTF itself; a BTFHandle is for BTF shared by several objects.
	h, err := NewBTFFromBytes(mb.BTF)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	m, err := NewMap(&MapSpec{Name: "stats", Type: Hash, KeySize: 4, ValueSize: 16, MaxEntries: 64,
		BTF: mb.BTF, BTFKeyTypeID: uint32(mb.KeyTypeID), BTFValueTypeID: uint32(mb.ValueTypeID)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
}
