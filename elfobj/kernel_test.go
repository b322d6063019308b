//go:build linux

package elfobj

import (
	"encoding/binary"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// loadCollection parses testdata/collection.o, sets the .rodata variable
// magic, and creates the collection.
func loadCollection(t *testing.T, magic uint32) *bpf.Collection {
	t.Helper()
	testutil.RequireRoot(t)
	spec, err := LoadCollectionSpec("testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	binary.NativeEndian.PutUint32(spec.Maps[".rodata"].Contents[0].Value, magic)
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}

func lookupU64(t *testing.T, m *bpf.Map, key uint32) uint64 {
	t.Helper()
	v := make([]byte, m.ValueSize())
	if err := m.Lookup(binary.NativeEndian.AppendUint32(nil, key), v); err != nil {
		t.Fatalf("map %s: lookup %d: %v", m.Name(), key, err)
	}
	return binary.NativeEndian.Uint64(v)
}

// bss returns the .bss variables: hits, pair[0], pair[1].
func bss(t *testing.T, coll *bpf.Collection) (hits, pid, tgid uint64) {
	t.Helper()
	v := make([]byte, 32)
	if err := coll.Maps[".bss"].Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(v), binary.NativeEndian.Uint64(v[8:]), binary.NativeEndian.Uint64(v[16:])
}

var frame = make([]byte, 64) // an all-zero Ethernet frame is enough for these programs

func TestKernelXDPRodata(t *testing.T) {
	for _, tc := range []struct {
		magic uint32
		want  uint32
	}{
		{42, asm.XDPPass},
		{0, asm.XDPDrop},
		{7, asm.XDPDrop},
	} {
		coll := loadCollection(t, tc.magic)
		res, err := coll.Programs["xdp_count"].Run(&bpf.RunOptions{Data: frame})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != tc.want {
			t.Errorf("magic %d: xdp_count returned %d, want %d", tc.magic, res.ReturnValue, tc.want)
		}
		if hits, _, _ := bss(t, coll); hits != uint64(tc.magic) {
			t.Errorf("magic %d: .bss hits = %d, want %d", tc.magic, hits, tc.magic)
		}
		if n := lookupU64(t, coll.Maps["counts"], 0); n != 1 {
			t.Errorf("magic %d: counts[0] = %d after one run, want 1 (bpf-to-bpf call into .text)", tc.magic, n)
		}
		// .rodata is frozen: user space cannot change it any more.
		err = coll.Maps[".rodata"].Update(make([]byte, 4), make([]byte, 4), bpf.UpdateAny)
		if !errors.Is(err, unix.EPERM) {
			t.Errorf("update of frozen .rodata: %v, want EPERM", err)
		}
		coll.Close()
	}
}

func TestKernelSocketFilters(t *testing.T) {
	coll := loadCollection(t, 0)
	res, err := coll.Programs["sock_one"].Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 0 {
		t.Errorf("sock_one returned %d, want 0", res.ReturnValue)
	}
	res, err = coll.Programs["sock_two"].Run(&bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatal(err)
	}
	// skb->len of a socket filter under test-run excludes the Ethernet header.
	if want := uint32(len(frame) - 14); res.ReturnValue != want {
		t.Errorf("sock_two returned %d, want skb->len %d", res.ReturnValue, want)
	}
	for key, want := range map[uint32]uint64{0: 0, 1: 1, 2: 1, 3: 0} {
		if got := lookupU64(t, coll.Maps["counts"], key); got != want {
			t.Errorf("counts[%d] = %d, want %d", key, got, want)
		}
	}
	// The legacy map got the .data variable seed (7) added by bump_legacy.
	if got := lookupU64(t, coll.Maps["legacy"], 1); got != 7 {
		t.Errorf("legacy[1] = %d, want 7 (seed from .data)", got)
	}
}

func TestKernelSyscall(t *testing.T) {
	coll := loadCollection(t, 99)
	if _, err := coll.Programs["sys_seed"].Run(nil); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 4)
	if err := coll.Maps["seen"].Lookup(binary.NativeEndian.AppendUint32(nil, 7), v); err != nil {
		t.Fatalf("seen[7]: %v", err)
	}
	if got := binary.NativeEndian.Uint32(v); got != 99 {
		t.Errorf("seen[7] = %d, want 99 (magic from .rodata)", got)
	}
	if hits, _, _ := bss(t, coll); hits != 7 {
		t.Errorf(".bss hits = %d, want 7", hits)
	}
}

// TestKernelCallback runs a syscall program that passes a callback to
// bpf_loop (BPF_PSEUDO_FUNC, which the kernel accepts only with func_info) and
// calls a global function, which the verifier checks on its own from BTF.
func TestKernelCallback(t *testing.T) {
	coll := loadCollection(t, 0)
	if _, err := coll.Programs["loop"].Run(nil); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 32)
	if err := coll.Maps[".bss"].Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint64(v[24:]); got != 210 {
		t.Errorf("loop_sum = %d, want 0+1+2+3+4 + 2*100 = 210", got)
	}
}

// TestKernelCORE runs a raw tracepoint program that reads task_struct->pid
// and ->tgid through CO-RE relocations resolved against the running kernel.
func TestKernelCORE(t *testing.T) {
	coll := loadCollection(t, 0)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, err := coll.Programs["core_pid"].Run(nil); err != nil {
		t.Fatal(err)
	}
	_, pid, tgid := bss(t, coll)
	if pid != uint64(unix.Gettid()) || tgid != uint64(unix.Getpid()) {
		t.Errorf("task pid/tgid = %d/%d, want %d/%d", pid, tgid, unix.Gettid(), unix.Getpid())
	}
	if n := lookupU64(t, coll.Maps["counts"], 3); n != 1 {
		t.Errorf("counts[3] = %d, want 1", n)
	}
}

// TestKernelBTF checks that the kernel got the object's BTF: func_info names
// the program and its subprogram as in C, and the verifier log shows the C
// source lines from line_info.
func TestKernelBTF(t *testing.T) {
	testutil.RequireRoot(t)
	spec, err := LoadCollectionSpec("testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	coll, err := bpf.NewCollectionWithOptions(spec, &bpf.CollectionOptions{
		Programs: bpf.ProgramOptions{LogLevel: bpf.LogLevelInstruction},
	})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	log := strings.Join(coll.Programs["xdp_count"].VerifierLog(), "\n")
	for _, want := range []string{"hits += magic;", "bump(0);"} { // "@ collection.c:NN" only since Linux 6.3
		if !strings.Contains(log, want) {
			t.Errorf("verifier log lacks %q (C line info):\n%s", want, log)
		}
	}
	funcs, err := coll.Programs["xdp_count"].Functions()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range funcs {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"xdp_count", "bump"}) {
		t.Errorf("functions = %q, want xdp_count, bump", names)
	}
}

// TestKernelInnerMaps checks the initial contents of the map of maps: slot 1
// holds inner_b (user space reads the inner map's id), slot 0 is empty.
func TestKernelInnerMaps(t *testing.T) {
	coll := loadCollection(t, 0)
	outer := coll.Maps["outer"]
	if outer.Type() != bpf.ArrayOfMaps {
		t.Errorf("outer: type %v", outer.Type())
	}
	info, err := coll.Maps["inner_b"].Info()
	if err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 4)
	if err := outer.Lookup(binary.NativeEndian.AppendUint32(nil, 1), v); err != nil {
		t.Fatalf("outer[1]: %v", err)
	}
	if got := binary.NativeEndian.Uint32(v); got != uint32(info.ID) {
		t.Errorf("outer[1] = map id %d, want inner_b's %d", got, info.ID)
	}
	if err := outer.Lookup(binary.NativeEndian.AppendUint32(nil, 0), v); !errors.Is(err, bpf.ErrKeyNotExist) {
		t.Errorf("outer[0]: %v, want ErrKeyNotExist", err)
	}
}

// TestKernelAssign moves objects into a struct and closes the rest.
func TestKernelAssign(t *testing.T) {
	testutil.RequireRoot(t)
	spec, err := LoadCollectionSpec("testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	var objs struct {
		XDP    *bpf.Program `bpf:"xdp_count"`
		Counts *bpf.Map     `bpf:"counts"`
		Other  int
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		t.Fatal(err)
	}
	defer objs.XDP.Close()
	defer objs.Counts.Close()
	if _, err := objs.XDP.Run(&bpf.RunOptions{Data: frame}); err != nil {
		t.Fatal(err)
	}
	if n := lookupU64(t, objs.Counts, 0); n != 1 {
		t.Errorf("counts[0] = %d, want 1", n)
	}
}
