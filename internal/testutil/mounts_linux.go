package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Default mount points.
const (
	BPFFSPath   = "/sys/fs/bpf"
	TracefsPath = "/sys/kernel/tracing"
)

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func isFS(path string, magic int64) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return int64(st.Type) == magic
}

// ensureMount mounts fstype at path unless it is already mounted there.
func ensureMount(t testing.TB, path, fstype string, magic int64) string {
	t.Helper()
	if isFS(path, magic) {
		return path
	}
	if os.Geteuid() != 0 {
		SetupProblem(t, "%s is not mounted at %s and mounting it needs root", fstype, path)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		SetupProblem(t, "create %s: %v", path, err)
	}
	if err := unix.Mount(fstype, path, fstype, 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		SetupProblem(t, "mount %s at %s: %v", fstype, path, err)
	}
	if !isFS(path, magic) {
		SetupProblem(t, "%s is still not a %s mount", path, fstype)
	}
	return path
}

// EnsureBPFFS returns /sys/fs/bpf, mounting a bpffs there (as root) when it is
// not one yet. Without root it skips (fails under BPFGO_REQUIRE_KERNEL=1).
func EnsureBPFFS(t testing.TB) string {
	t.Helper()
	return ensureMount(t, BPFFSPath, "bpf", unix.BPF_FS_MAGIC)
}

// EnsureTracefs returns /sys/kernel/tracing, mounting tracefs there when needed.
func EnsureTracefs(t testing.TB) string {
	t.Helper()
	return ensureMount(t, TracefsPath, "tracefs", unix.TRACEFS_MAGIC)
}

// TempBPFFSDir creates a directory under the bpffs for t and removes it with
// everything pinned in it when t ends.
func TempBPFFSDir(t testing.TB) string {
	t.Helper()
	root := EnsureBPFFS(t)
	dir, err := os.MkdirTemp(root, "bpfgo-test-")
	if err != nil {
		SetupProblem(t, "create temp dir in bpffs: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Cgroup2Root returns the mount point of the cgroup v2 hierarchy, read from
// /proc/mounts (/sys/fs/cgroup/unified on hybrid systems, /sys/fs/cgroup on
// unified ones).
func Cgroup2Root() (string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[2] == "cgroup2" {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	return "", errors.New("find cgroup2 mount: no cgroup2 in /proc/mounts")
}

// OpenFDCount returns the number of open file descriptors of the process
// (entries of /proc/self/fd), or -1 if it cannot be read.
func OpenFDCount() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // the directory handle ReadDir itself held
}

// OpenFDs returns the open file descriptors of the process, each with what it refers to (the
// target of its /proc/self/fd link, e.g. "anon_inode:bpf-prog"), leaving out the descriptor it
// reads the directory with. It returns nil if /proc/self/fd cannot be read.
func OpenFDs() map[int]string {
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil
	}
	defer dir.Close()
	self := int(dir.Fd())
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil
	}
	fds := make(map[int]string, len(names))
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd == self {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			continue // closed meanwhile
		}
		fds[fd] = target
	}
	return fds
}
