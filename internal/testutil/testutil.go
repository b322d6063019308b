// Package testutil holds helpers shared by bpfgo's tests: privilege, tool and
// kernel-feature checks that skip with a reason, mounts (bpffs, tracefs,
// cgroup2), and the FD-leak check for TestMain.
//
// Skips follow the project rule: a missing kernel feature may skip (found by a
// probe and named in the message); a setup problem — missing privileges,
// mounts or test tools — skips only on a developer machine and fails the test
// when BPFGO_REQUIRE_KERNEL=1 (set by .ci/run).
package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpfgo/bpf/internal/sys"
)

// RequireKernelEnv is the environment variable that turns setup skips into failures.
const RequireKernelEnv = "BPFGO_REQUIRE_KERNEL"

// Strict reports whether BPFGO_REQUIRE_KERNEL=1, under which setup problems fail tests.
func Strict() bool { return os.Getenv(RequireKernelEnv) == "1" }

// SetupProblem skips t with the reason, or fails it when [Strict]: use it for
// anything a test harness can fix (privileges, mounts, tools).
func SetupProblem(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (%s=1 requires it)", msg, RequireKernelEnv)
		return
	}
	t.Skip(msg)
}

// RequireRoot skips (fails under BPFGO_REQUIRE_KERNEL=1) unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		SetupProblem(t, "test needs root (euid %d)", os.Geteuid())
	}
}

// capNumbers maps capability names to their bit in CapEff (include/uapi/linux/capability.h).
var capNumbers = map[string]uint{
	"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10,
	"CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_SYS_PTRACE": 19,
	"CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_PERFMON": 38, "CAP_BPF": 39,
	"CAP_CHECKPOINT_RESTORE": 40,
}

// HasCapability reports whether the process has capability name (e.g. "CAP_BPF")
// in its effective set, read from /proc/self/status.
func HasCapability(name string) (bool, error) {
	bit, ok := capNumbers[name]
	if !ok {
		return false, fmt.Errorf("unknown capability %q", name)
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false, fmt.Errorf("parse CapEff: %w", err)
			}
			return mask&(1<<bit) != 0, nil
		}
	}
	return false, errors.New("no CapEff in /proc/self/status")
}

// RequirePrivilege skips (fails under BPFGO_REQUIRE_KERNEL=1) unless the process
// has the capability, e.g. RequirePrivilege(t, "CAP_BPF").
func RequirePrivilege(t testing.TB, capability string) {
	t.Helper()
	ok, err := HasCapability(capability)
	if err != nil {
		SetupProblem(t, "check %s: %v", capability, err)
	}
	if !ok {
		SetupProblem(t, "test needs %s", capability)
	}
}

// RequireTool skips (fails under BPFGO_REQUIRE_KERNEL=1) unless the program
// is on PATH, e.g. RequireTool(t, "bpftool"). It returns the tool's path.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SetupProblem(t, "%s not installed", name)
	}
	return p
}

// SkipIfNotSupported skips t when err matches [sys.ErrNotSupported], naming
// the missing feature; that is allowed even under BPFGO_REQUIRE_KERNEL=1
// because the kernel really lacks it. Otherwise it does nothing.
func SkipIfNotSupported(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, sys.ErrNotSupported) {
		t.Skipf("kernel lacks a feature: %v", err)
	}
}

// RequireFeature runs probe and skips t, naming feature, when the answer
// matches [sys.ErrNotSupported]; any other error fails t.
func RequireFeature(t testing.TB, feature string, probe func() error) {
	t.Helper()
	err := probe()
	if errors.Is(err, sys.ErrNotSupported) {
		t.Skipf("kernel lacks %s: %v", feature, err)
	}
	if err != nil {
		t.Fatalf("probe %s: %v", feature, err)
	}
}

// KernelVersion returns the running kernel's version from uname's release
// ("6.18.44-fc" → 6, 18, 44). It returns zeros if the release is unreadable.
func KernelVersion() (major, minor, patch int) {
	return parseRelease(kernelRelease())
}

func parseRelease(rel string) (major, minor, patch int) {
	parts := strings.SplitN(rel, ".", 3)
	nums := [3]int{}
	for i := 0; i < len(parts) && i < 3; i++ {
		digits := parts[i]
		if j := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			digits = digits[:j]
		}
		nums[i], _ = strconv.Atoi(digits)
	}
	return nums[0], nums[1], nums[2]
}

// RequireKernel skips t, naming feature, when the kernel is older than
// major.minor — a kernel absence, so allowed under BPFGO_REQUIRE_KERNEL=1.
// Prefer a probe ([RequireFeature]) where one exists: distributions backport.
func RequireKernel(t testing.TB, major, minor int, feature string) {
	t.Helper()
	ma, mi, _ := KernelVersion()
	if ma < major || (ma == major && mi < minor) {
		t.Skipf("kernel %d.%d lacks %s (requires >= %d.%d)", ma, mi, feature, major, minor)
	}
}

// EmulationSlack is the factor by which [LatencyBound] widens a wake-up latency bound inside a
// vmtest guest. qemu there emulates the CPUs in software on one host thread (tcg,thread=single):
// a woken goroutine waits until the emulator switches to the vCPU that runs it, and the timer
// interrupts that drive the scheduler are emulated too, so a wake-up that takes microseconds on
// hardware was measured at up to ~100 ms in the guest.
const EmulationSlack = 5

// LatencyBound returns the bound a test holds a wake-up latency to, given d, its bound on real
// hardware: d on the host, d·EmulationSlack inside a vmtest guest ([VMKernel] is set). Use it
// only for latencies (how soon a blocked call returns after an event), never to excuse a
// missing feature.
func LatencyBound(d time.Duration) time.Duration {
	if VMKernel() != "" {
		return d * EmulationSlack
	}
	return d
}

// VMKernel returns the Debian kernel series the vmtest harness booted the test in ("6.1",
// "6.12"), from BPFGO_VM_KERNEL, or "" on the host.
func VMKernel() string { return os.Getenv("BPFGO_VM_KERNEL") }

// HostOnly marks a test that shells out to tool (bpftool, clang-19, ...): inside a vmtest guest
// that lacks the tool it skips t and says so. On the host, and in a guest the harness copied the
// tool into (vmtest -tools), it does nothing; there a missing tool is RequireTool's business.
func HostOnly(t testing.TB, tool string) {
	t.Helper()
	k := VMKernel()
	if k == "" {
		return
	}
	if _, err := exec.LookPath(tool); err == nil {
		return
	}
	t.Skipf("host-only: needs %s, which the kernel %s guest does not have (add it with vmtest -tools)", tool, k)
}
