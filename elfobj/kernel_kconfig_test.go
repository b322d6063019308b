//go:build linux

package elfobj

import (
	"encoding/binary"
	"os"
	"testing"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// TestKernelKconfig runs a program reading extern .kconfig variables:
// LINUX_KERNEL_VERSION, CONFIG_BPF_SYSCALL (1 where the kernel configuration
// is readable, else 0: it is __weak) and a __weak option no kernel has (0).
func TestKernelKconfig(t *testing.T) {
	testutil.RequireRoot(t)
	spec := mustLoad(t, "testdata/kconfig.o")
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	if _, err := coll.Programs["kconf"].Run(nil); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 24)
	if err := coll.Maps[".bss"].Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	major, minor, patch := testutil.KernelVersion()
	if got, want := binary.NativeEndian.Uint64(v), uint64(major<<16+minor<<8+min(patch, 255)); got != want {
		t.Errorf("LINUX_KERNEL_VERSION = %#x, want %#x", got, want)
	}
	wantSyscall := uint64(0)
	if haveKernelConfig() {
		wantSyscall = 1
	}
	if got := binary.NativeEndian.Uint64(v[8:]); got != wantSyscall {
		t.Errorf("CONFIG_BPF_SYSCALL = %d, want %d", got, wantSyscall)
	}
	if got := binary.NativeEndian.Uint64(v[16:]); got != 7 {
		t.Errorf("missing weak option + 7 = %d, want 7", got)
	}
}

func haveKernelConfig() bool {
	if _, err := os.Stat("/proc/config.gz"); err == nil {
		return true
	}
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	_, err = os.Stat("/boot/config-" + string(release[:len(release)-1]))
	return err == nil
}
