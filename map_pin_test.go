package bpf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// helperEnv names what a re-executed test binary should do.
const helperEnv = "BPFGO_TEST_HELPER"

// runHelperProcess runs the helper role requested through helperEnv and
// reports whether it did (TestMain then returns without running tests).
func runHelperProcess() bool {
	switch os.Getenv(helperEnv) {
	case "read-pin":
		// Open the pin given in BPFGO_TEST_PIN and print key 1..3's values.
		m, err := OpenPinnedMap(os.Getenv("BPFGO_TEST_PIN"), hashSpec("persist", 16))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer m.Close()
		tm, err := NewTypedMap[uint32, uint64](m)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for k := uint32(1); k <= 3; k++ {
			v, err := tm.Lookup(k)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("%d=%d\n", k, v)
		}
		return true
	}
	return false
}

func TestPinnedMapSurvivesProcess(t *testing.T) {
	testutil.RequireRoot(t)
	dir := testutil.TempBPFFSDir(t)
	path := filepath.Join(dir, "persist")
	m := mustNewMap(t, hashSpec("persist", 16))
	tm, err := NewTypedMap[uint32, uint64](m)
	if err != nil {
		t.Fatal(err)
	}
	for k := uint32(1); k <= 3; k++ {
		if err := tm.Update(k, uint64(k)*100, UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Pin(path); err != nil {
		t.Fatal(err)
	}
	if !m.IsPinned() || m.PinPath() != path {
		t.Fatalf("pin path %q", m.PinPath())
	}
	// Close every fd of this process: only the pin keeps the map alive.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=read-pin", "BPFGO_TEST_PIN="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper process: %v: %s", err, stderr.String())
	}
	if got, want := string(out), "1=100\n2=200\n3=300\n"; got != want {
		t.Fatalf("helper process read %q, want %q", got, want)
	}
	reopened, err := OpenPinnedMap(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if err := reopened.Unpin(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pin still exists after Unpin: %v", err)
	}
}

func TestOpenPinnedMapChecksSpec(t *testing.T) {
	testutil.RequireRoot(t)
	dir := testutil.TempBPFFSDir(t)
	path := filepath.Join(dir, "checked")
	spec := &MapSpec{Name: "checked", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16, Flags: MapFlagNoPrealloc}
	m := mustNewMap(t, spec)
	if err := m.Pin(path); err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(path); err == nil {
		t.Fatal("pinning twice at the same path succeeded")
	}
	ok, err := OpenPinnedMap(path, spec)
	if err != nil {
		t.Fatal(err)
	}
	ok.Close()

	bad := spec.Copy()
	bad.Type = Array
	bad.ValueSize = 4
	bad.Flags = 0
	_, err = OpenPinnedMap(path, bad)
	if !errors.Is(err, ErrSpecMismatch) {
		t.Fatalf("mismatch: got %v, want ErrSpecMismatch", err)
	}
	for _, want := range []string{"type is Hash, want Array", "value size is 8, want 4", "flags is NoPrealloc, want 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("mismatch error %q lacks %q", err, want)
		}
	}
	if _, err := OpenPinnedMap(filepath.Join(dir, "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing pin: %v", err)
	}
	if err := m.Pin("/tmp/not-bpffs-pin"); err == nil || !strings.Contains(err.Error(), "not on a BPF file system") {
		t.Fatalf("pin outside bpffs: %v", err)
	}
}

func TestPinByNameReuseOrCreate(t *testing.T) {
	testutil.RequireRoot(t)
	dir := testutil.TempBPFFSDir(t)
	spec := &MapSpec{Name: "shared", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 2, Pinning: PinByName}
	opts := &MapOptions{PinPath: dir}
	a, err := NewMapWithOptions(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.PinPath() != filepath.Join(dir, "shared") {
		t.Fatalf("pin path %q", a.PinPath())
	}
	if err := a.Update(u32(1), u32(77), UpdateAny); err != nil {
		t.Fatal(err)
	}
	b, err := NewMapWithOptions(spec, opts) // reuses the pinned map
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v := make([]byte, 4)
	if err := b.Lookup(u32(1), v); err != nil || !bytes.Equal(v, u32(77)) {
		t.Fatalf("reused map: %v %x", err, v)
	}
	other := spec.Copy()
	other.MaxEntries = 3
	if _, err := NewMapWithOptions(other, opts); !errors.Is(err, ErrSpecMismatch) {
		t.Fatalf("incompatible reuse: %v", err)
	}
	if err := a.Unpin(); err != nil {
		t.Fatal(err)
	}
}
