//go:build linux

package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

func TestMain(m *testing.M) { os.Exit(CheckFDs(m)) }

func TestParseRelease(t *testing.T) {
	for _, tc := range []struct {
		rel                 string
		major, minor, patch int
	}{
		{"6.18.44-fc-v669", 6, 18, 44},
		{"6.1.0-28-amd64", 6, 1, 0},
		{"5.15", 5, 15, 0},
		{"6.12.3+deb13", 6, 12, 3},
		{"", 0, 0, 0},
		{"garbage", 0, 0, 0},
	} {
		ma, mi, pa := parseRelease(tc.rel)
		if ma != tc.major || mi != tc.minor || pa != tc.patch {
			t.Errorf("parseRelease(%q) = %d.%d.%d, want %d.%d.%d", tc.rel, ma, mi, pa, tc.major, tc.minor, tc.patch)
		}
	}
	if ma, _, _ := KernelVersion(); ma < 3 {
		t.Errorf("KernelVersion major %d", ma)
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of acting.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skip(args ...any)          { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }

func TestSetupProblemStrictness(t *testing.T) {
	for _, tc := range []struct {
		env        string
		wantSkip   bool
		wantFailed bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv(RequireKernelEnv, tc.env)
		r := &recorder{TB: t}
		RequireTool(r, "bpfgo-no-such-tool")
		if (r.skipped != "") != tc.wantSkip || (r.failed != "") != tc.wantFailed {
			t.Errorf("env %q: skipped %q, failed %q", tc.env, r.skipped, r.failed)
		}
		if msg := r.skipped + r.failed; !strings.Contains(msg, "bpfgo-no-such-tool not installed") {
			t.Errorf("env %q: message %q lacks the reason", tc.env, msg)
		}
	}
}

func TestSkipIfNotSupported(t *testing.T) {
	t.Setenv(RequireKernelEnv, "1")
	r := &recorder{TB: t}
	SkipIfNotSupported(r, fmt.Errorf("map: %w", &sys.FeatureError{Feature: "BPF arena", Since: "6.9"}))
	if !strings.Contains(r.skipped, "BPF arena not supported (requires >= 6.9)") || r.failed != "" {
		t.Errorf("feature error: skipped %q, failed %q", r.skipped, r.failed)
	}
	r = &recorder{TB: t}
	SkipIfNotSupported(r, unix.EPERM)
	SkipIfNotSupported(r, nil)
	if r.skipped != "" || r.failed != "" {
		t.Errorf("other errors: skipped %q, failed %q", r.skipped, r.failed)
	}
}

func TestHasCapability(t *testing.T) {
	if _, err := HasCapability("CAP_NO_SUCH"); err == nil {
		t.Error("unknown capability accepted")
	}
	ok, err := HasCapability("CAP_SYS_ADMIN")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && !ok {
		t.Log("root without CAP_SYS_ADMIN (user namespace?)")
	}
}

func TestMounts(t *testing.T) {
	RequireRoot(t)
	dir := TempBPFFSDir(t)
	if !isFS(dir, unix.BPF_FS_MAGIC) {
		t.Fatalf("%s is not on a bpffs", dir)
	}
	if p := EnsureTracefs(t); !isFS(p, unix.TRACEFS_MAGIC) {
		t.Fatalf("%s is not a tracefs", p)
	}
	cg, err := Cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cg, "cgroup.procs")); err != nil {
		t.Fatalf("cgroup2 root %s: %v", cg, err)
	}
}

func TestTempBPFFSDirRemoved(t *testing.T) {
	RequireRoot(t)
	var dir string
	t.Run("inner", func(t *testing.T) { dir = TempBPFFSDir(t) })
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after the test: %v", dir, err)
	}
}

func TestOpenFDCount(t *testing.T) {
	before := OpenFDCount()
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	if got := OpenFDCount(); got != before+1 {
		t.Errorf("after open: %d, want %d", got, before+1)
	}
	f.Close()
	if got := OpenFDCount(); got != before {
		t.Errorf("after close: %d, want %d", got, before)
	}
}

// TestCheckFDsReportsLeak runs TestHelperLeak in a child test binary, which
// forgets an FD; CheckFDs must make the child fail and print the stack.
func TestCheckFDsReportsLeak(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLeak$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BPFGO_TESTUTIL_LEAK=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child with a leaked FD passed:\n%s", out)
	}
	for _, want := range []string{"left for the garbage collector", "leakOne"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

//go:noinline
func leakOne() int {
	raw, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	fd, err := sys.NewFD(raw)
	if err != nil {
		return -1
	}
	return fd.Int() // fd becomes unreachable here, still open
}

func TestHelperLeak(t *testing.T) {
	if os.Getenv("BPFGO_TESTUTIL_LEAK") != "1" {
		t.Skip("helper for TestCheckFDsReportsLeak")
	}
	if leakOne() < 0 {
		t.Fatal("open failed")
	}
}
