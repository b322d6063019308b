package btf

import (
	"github.com/bpfgo/bpf/internal/testutil"
	"os"
	"os/exec"
	"testing"
)

// requireKernelBTF skips (or fails under BPFGO_REQUIRE_KERNEL=1) when the
// running kernel exposes no BTF.
func requireKernelBTF(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(KernelBTFPath); err != nil {
		if testutil.Strict() {
			tb.Fatalf("kernel BTF: %v", err)
		}
		tb.Skipf("kernel has no BTF (CONFIG_DEBUG_INFO_BTF): %v", err)
	}
}

func mustLoadKernel(tb testing.TB) *Spec {
	tb.Helper()
	requireKernelBTF(tb)
	s, err := LoadKernelSpec()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// runTool runs a command and returns its standard output.
func runTool(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}
