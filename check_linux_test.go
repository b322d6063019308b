//go:build linux

package bpf

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMountBPFFS(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.EnsureBPFFS(t)
	// Already mounted: nothing to do.
	if err := MountBPFFS(""); err != nil {
		t.Fatal(err)
	}
	// A fresh mount point.
	dir := t.TempDir()
	if err := MountBPFFS(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dir, 0) })
	r := isFSType(dir, unix.BPF_FS_MAGIC)
	if !r {
		t.Fatal("not a bpffs after MountBPFFS")
	}
}
