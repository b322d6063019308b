package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEnd boots Debian's 6.1 and 6.12 kernels with the harness and
// checks its verdicts: a passing package, a deliberately failing test, a
// hung guest and a guest that never reaches /init. It needs qemu, busybox-static
// and the kernel packages (downloaded on first use), takes a few minutes, and
// runs only when BPFGO_VMTEST_E2E=1 on the host.
func TestEndToEnd(t *testing.T) {
	if os.Getenv("BPFGO_VM_KERNEL") != "" {
		t.Skip("inside a vmtest guest: no qemu here to nest")
	}
	if os.Getenv("BPFGO_VMTEST_E2E") != "1" {
		t.Skip("boots qemu for minutes: set BPFGO_VMTEST_E2E=1 to run")
	}
	bin := filepath.Join(t.TempDir(), "vmtest")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      []string
		exit     int
		contains []string
	}{
		{
			name:     "pass",
			args:     []string{"-kernel", "6.1,6.12"},
			exit:     0,
			contains: []string{"(uname -r 6.1.0-", "(uname -r 6.12.", "TestMapCreate", "PASS, 1 test binaries"},
		},
		{
			name:     "deliberate failure",
			args:     []string{"-kernel", "6.1", "-env", "BPFGO_VMTEST_SELFTEST_FAIL=1"},
			exit:     1,
			contains: []string{"--- FAIL: TestDeliberateFailure", `deliberate failure on kernel "6.1"`, "FAIL"},
		},
		{
			name:     "hung guest",
			args:     []string{"-kernel", "6.12", "-timeout", "45s", "-env", "BPFGO_VMTEST_SELFTEST_HANG=1"},
			exit:     1,
			contains: []string{"guest hung: killed after 45s while running github.com/bpfgo/bpf/internal/vmtest/selftest"},
		},
		{
			name:     "no init",
			args:     []string{"-kernel", "6.1", "-kernel-args", "rdinit=/nonexistent"},
			exit:     2,
			contains: []string{"HARNESS FAILURE", "never reached /init", "(after 2 attempts)", "Kernel panic"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "./internal/vmtest/selftest")
			cmd := exec.Command(bin, args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), tt.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != tt.exit {
				t.Errorf("exit status %d, want %d", exit, tt.exit)
			}
			for _, c := range tt.contains {
				if !strings.Contains(out.String(), c) {
					t.Errorf("output lacks %q", c)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}
