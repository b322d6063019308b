//go:build linux && amd64

package selftest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// bpf(2) commands and map types (include/uapi/linux/bpf.h).
const (
	bpfMapLookupElem = 1
	bpfMapUpdateElem = 2
	bpfMapCreate     = 0
	bpfMapTypeArray  = 2

	// sysBPF is the number of bpf(2) on x86-64 (arch/x86/entry/syscalls/syscall_64.tbl).
	sysBPF = 321
)

// release returns uname -r.
func release(t *testing.T) string {
	t.Helper()
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatalf("uname: %v", err)
	}
	b := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// vmKernel returns the kernel series the harness booted ("6.1"), or "" on
// the host.
func vmKernel() string { return os.Getenv("BPFGO_VM_KERNEL") }

func TestUname(t *testing.T) {
	release := release(t)
	t.Logf("uname -r: %s", release)
	k := vmKernel()
	if k == "" {
		return
	}
	if !strings.HasPrefix(release, k+".") && !strings.HasPrefix(release, k+"-") {
		t.Errorf("BPFGO_VM_KERNEL=%s but uname -r is %s", k, release)
	}
}

// TestMapCreate creates a BPF array map with a raw bpf(2) BPF_MAP_CREATE and
// writes and reads an element back.
func TestMapCreate(t *testing.T) {
	type mapCreateAttr struct {
		mapType, keySize, valueSize, maxEntries, flags uint32
	}
	attr := mapCreateAttr{mapType: bpfMapTypeArray, keySize: 4, valueSize: 8, maxEntries: 1}
	fd, _, errno := syscall.Syscall(sysBPF, bpfMapCreate, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		t.Fatalf("bpf(BPF_MAP_CREATE): %v", errno)
	}
	defer syscall.Close(int(fd))

	type elemAttr struct {
		mapFD uint32
		_     uint32
		key   uint64
		value uint64
		flags uint64
	}
	key, in, out := uint32(0), uint64(0xdecafbad), uint64(0)
	upd := elemAttr{mapFD: uint32(fd), key: uint64(uintptr(unsafe.Pointer(&key))), value: uint64(uintptr(unsafe.Pointer(&in)))}
	if _, _, errno := syscall.Syscall(sysBPF, bpfMapUpdateElem, uintptr(unsafe.Pointer(&upd)), unsafe.Sizeof(upd)); errno != 0 {
		t.Fatalf("bpf(BPF_MAP_UPDATE_ELEM): %v", errno)
	}
	look := elemAttr{mapFD: uint32(fd), key: uint64(uintptr(unsafe.Pointer(&key))), value: uint64(uintptr(unsafe.Pointer(&out)))}
	if _, _, errno := syscall.Syscall(sysBPF, bpfMapLookupElem, uintptr(unsafe.Pointer(&look)), unsafe.Sizeof(look)); errno != 0 {
		t.Fatalf("bpf(BPF_MAP_LOOKUP_ELEM): %v", errno)
	}
	if out != in {
		t.Errorf("lookup: got %#x, want %#x", out, in)
	}
}

// mounts returns the file system type mounted at each mount point.
func mounts(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 {
			m[f[1]] = f[2]
		}
	}
	return m
}

func TestMounts(t *testing.T) {
	m := mounts(t)
	var cgroup2 string
	for dir, typ := range m {
		if typ == "cgroup2" {
			cgroup2 = dir
		}
	}
	if cgroup2 == "" {
		t.Error("no cgroup2 mount in /proc/mounts")
	}
	t.Logf("cgroup2 at %s", cgroup2)
	if vmKernel() == "" {
		return // on the host, mounting is internal/testutil's job
	}
	for dir, typ := range map[string]string{"/sys/fs/bpf": "bpf", "/sys/kernel/tracing": "tracefs", "/sys/kernel/debug": "debugfs", "/sys/kernel/security": "securityfs"} {
		if m[dir] != typ {
			t.Errorf("%s: mounted %q, want %s", dir, m[dir], typ)
		}
	}
}

// TestModules checks that the network modules tests need are in the kernel,
// loaded or built in.
func TestModules(t *testing.T) {
	for _, mod := range []string{"veth", "cls_bpf", "sch_ingress"} {
		if _, err := os.Stat("/sys/module/" + mod); err == nil {
			continue
		}
		b, _ := os.ReadFile("/proc/modules")
		if strings.Contains(string(b), mod+" ") {
			continue
		}
		// Built-in modules without parameters have no /sys/module entry.
		if b, err := os.ReadFile("/lib/modules/" + release(t) + "/modules.builtin"); err == nil && strings.Contains(string(b), "/"+mod+".ko") {
			continue
		}
		if vmKernel() == "" {
			t.Logf("module %s: not found loaded (host kernel may have it built in)", mod)
			continue
		}
		t.Errorf("module %s: not loaded in the guest", mod)
	}
}

func TestTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/hello.txt")
	if err != nil {
		t.Fatalf("testdata beside the test binary: %v", err)
	}
	if got := strings.TrimSpace(string(b)); got != "hello from testdata" {
		t.Errorf("testdata/hello.txt: got %q", got)
	}
}

func TestRequireKernelPassedThrough(t *testing.T) {
	if vmKernel() == "" {
		return
	}
	t.Logf("BPFGO_REQUIRE_KERNEL=%q", os.Getenv("BPFGO_REQUIRE_KERNEL"))
}

func TestDeliberateFailure(t *testing.T) {
	if os.Getenv("BPFGO_VMTEST_SELFTEST_FAIL") != "1" {
		return
	}
	t.Fatalf("deliberate failure on kernel %q (BPFGO_VMTEST_SELFTEST_FAIL=1)", vmKernel())
}

func TestDeliberateHang(t *testing.T) {
	if os.Getenv("BPFGO_VMTEST_SELFTEST_HANG") != "1" {
		return
	}
	t.Logf("hanging on purpose (BPFGO_VMTEST_SELFTEST_HANG=1)")
	time.Sleep(1 << 62) // a timer, so the runtime sees no deadlock
}

func TestTempDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/f", []byte("x"), 0o644); err != nil {
		t.Fatalf("write in t.TempDir(): %v", err)
	}
}

// TestGuestTools runs the host tools the harness copied into the guest
// (BPFGO_VMTEST_TOOLS), proving their shared libraries came along.
func TestGuestTools(t *testing.T) {
	for _, tool := range strings.Split(os.Getenv("BPFGO_VMTEST_TOOLS"), ",") {
		if tool == "" {
			continue
		}
		args := []string{"--version"}
		if tool == "bpftool" {
			args = []string{"version"}
		}
		out, err := exec.Command(tool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
			continue
		}
		t.Logf("%s: %s", tool, strings.SplitN(string(out), "\n", 2)[0])
	}
}
