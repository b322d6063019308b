package bpf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// DefaultPinPath is the usual mount point of the BPF file system (bpffs).
const DefaultPinPath = "/sys/fs/bpf"

// bpfFSMagic is BPF_FS_MAGIC, the f_type statfs reports for a bpffs.
const bpfFSMagic = 0xcafe4a11

// checkBPFFS returns a clear error if dir is not on a BPF file system.
func checkBPFFS(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if uint32(st.Type) != bpfFSMagic {
		return fmt.Errorf("%s is not on a BPF file system (mount -t bpf bpf %s)", dir, dir)
	}
	return nil
}

// pinObject pins the object behind fd at path, which must be on a bpffs; the
// parent directory must exist. Errors name the path; EEXIST stays reachable.
// Shared by maps, programs and links.
func pinObject(fd *sys.FD, path string) error {
	if path == "" {
		return errors.New("pin: empty path")
	}
	if err := checkBPFFS(filepath.Dir(path)); err != nil {
		return fmt.Errorf("pin %s: %w", path, err)
	}
	raw, err := fd.Acquire()
	if err != nil {
		return fmt.Errorf("pin %s: %w", path, err)
	}
	defer fd.Release()
	attr := sys.ObjPinAttr{Pathname: sys.NewStringPointer(path), BpfFD: uint32(raw)}
	if err := sys.ObjPin(&attr); err != nil {
		return fmt.Errorf("pin %s: %w", path, err)
	}
	return nil
}

// openPinned opens the object pinned at path (BPF_OBJ_GET) read-write. The
// caller owns the returned FD. A missing pin matches os.ErrNotExist (the
// errno ENOENT does).
func openPinned(path string) (*sys.FD, error) {
	return openPinnedFlags(path, 0)
}

// openPinnedFlags is [openPinned] with BPF_OBJ_GET's file_flags
// (BPF_F_RDONLY, BPF_F_WRONLY).
func openPinnedFlags(path string, flags uint32) (*sys.FD, error) {
	if path == "" {
		return nil, errors.New("open pinned: empty path")
	}
	attr := sys.ObjPinAttr{Pathname: sys.NewStringPointer(path), FileFlags: flags}
	fd, err := sys.ObjGet(&attr)
	if err != nil {
		return nil, fmt.Errorf("open pinned %s: %w", path, err)
	}
	return fd, nil
}

// unpinPath removes a pin; a missing pin is not an error.
func unpinPath(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unpin %s: %w", path, err)
	}
	return nil
}
