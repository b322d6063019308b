package harness

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOutput(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		qemuExit int
		release  string
		status   int
		pkgs     []PackageExit
		running  string
		failures []string
	}{
		{
			name: "pass",
			out: "VMTEST-INIT 6.1.0-56-cloud-amd64\r\nVMTEST-PKG example.com/a\r\n=== RUN   TestX\r\n--- PASS: TestX (0.00s)\r\nPASS\r\n" +
				"VMTEST-PKG-EXIT example.com/a 0 1.25s\r\nVMTEST-STATUS 0\r\n",
			qemuExit: 1, release: "6.1.0-56-cloud-amd64", status: 0,
			pkgs: []PackageExit{{"example.com/a", 0, 1250 * time.Millisecond}},
		},
		{
			name: "fail",
			out: "VMTEST-INIT 6.12.117+deb12-cloud-amd64\nVMTEST-PKG a\n--- FAIL: TestY (0.01s)\n    --- FAIL: TestY/sub (0.00s)\nVMTEST-PKG-EXIT a 1\n" +
				"VMTEST-PKG b\nVMTEST-PKG-EXIT b 0\nVMTEST-STATUS 1\n",
			qemuExit: 3, release: "6.12.117+deb12-cloud-amd64", status: 1,
			pkgs:     []PackageExit{{"a", 1, 0}, {"b", 0, 0}},
			failures: []string{"TestY (0.01s)", "TestY/sub (0.00s)"},
		},
		{
			name: "status line without isa-debug-exit",
			out:  "VMTEST-INIT r\nVMTEST-STATUS 1\n", qemuExit: 0, release: "r", status: 1,
		},
		{
			name: "crash in a test binary",
			out:  "VMTEST-INIT r\nVMTEST-PKG a\n=== RUN   TestZ\n", qemuExit: 0, release: "r", status: -1,
			running: "a",
		},
		{
			name: "isa-debug-exit without a status line",
			out:  "VMTEST-INIT r\nVMTEST-PKG a\n", qemuExit: 3, release: "r", status: 1, running: "a",
		},
		{name: "qemu could not start", out: "", qemuExit: 1, status: -1},
		{name: "nothing", out: "", qemuExit: 0, status: -1},
		{name: "garbage", out: "VMTEST-STATUS x\nVMTEST-PKG-EXIT a b\nVMTEST-INIT\n", status: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &BootResult{Output: []byte(tt.out), QEMUExit: tt.qemuExit}
			parseOutput(res)
			if res.Release != tt.release || res.Status != tt.status || res.Running != tt.running {
				t.Errorf("release %q status %d running %q; want %q %d %q", res.Release, res.Status, res.Running, tt.release, tt.status, tt.running)
			}
			if !slices.Equal(res.Packages, tt.pkgs) {
				t.Errorf("packages %v, want %v", res.Packages, tt.pkgs)
			}
			if !slices.Equal(res.Failures, tt.failures) {
				t.Errorf("failures %q, want %q", res.Failures, tt.failures)
			}
		})
	}
}

func FuzzParseOutput(f *testing.F) {
	f.Add([]byte("VMTEST-INIT r\nVMTEST-PKG a\n--- FAIL: T\nVMTEST-PKG-EXIT a 1\nVMTEST-STATUS 1\n"), 3)
	f.Add([]byte("VMTEST-STATUS -7\n"), 255)
	f.Fuzz(func(t *testing.T, out []byte, exit int) {
		res := &BootResult{Output: out, QEMUExit: exit}
		parseOutput(res)
		fromExit := res.Release != "" && exit&1 == 1
		if res.Status != -1 && !fromExit && !strings.Contains(string(out), markStatus) {
			t.Errorf("status %d without a status line or isa-debug-exit", res.Status)
		}
		if fromExit && res.Status != exit>>1 {
			t.Errorf("status %d, want %d from qemu's exit %d", res.Status, exit>>1, exit)
		}
	})
}

func TestQEMUArgs(t *testing.T) {
	b := &Boot{Kernel: "/k/vmlinuz", Initrd: "/k/initrd", KernelArgs: []string{"quiet"}, Args: []string{"x"}}
	args := strings.Join(b.QEMUArgs("/d/console.log", "/d/output.log"), " ")
	for _, want := range []string{
		"-accel tcg,thread=single", "-cpu max", "-smp 2", "-m 2048", "-no-reboot",
		"-kernel /k/vmlinuz", "-initrd /k/initrd",
		"-append console=ttyS0 lsm=lockdown,capability,bpf panic=-1 quiet -- x",
		"-serial file:/d/console.log -serial file:/d/output.log",
		"-device isa-debug-exit,iobase=0xf4,iosize=0x04",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("qemu arguments %q lack %q", args, want)
		}
	}
}
