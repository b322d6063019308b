//go:build linux

package bpf

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

func TestCheck(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	testutil.EnsureBPFFS(t)
	r, err := Check()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	ma, mi, pa := testutil.KernelVersion()
	if r.KernelVersion != [3]int{ma, mi, pa} || r.KernelRelease == "" || r.Arch == "" {
		t.Errorf("kernel %q %v %q, uname says %d.%d.%d", r.KernelRelease, r.KernelVersion, r.Arch, ma, mi, pa)
	}
	if !r.BPFFS.Mounted {
		t.Error("bpffs not reported mounted")
	}
	for _, c := range []struct {
		name string
		got  bool
	}{{"CAP_BPF", r.Capabilities.BPF}, {"CAP_SYS_ADMIN", r.Capabilities.SysAdmin}, {"CAP_PERFMON", r.Capabilities.Perfmon}, {"CAP_NET_ADMIN", r.Capabilities.NetAdmin}} {
		want, err := testutil.HasCapability(c.name)
		if err != nil || want != c.got {
			t.Errorf("%s: report %v, testutil %v (%v)", c.name, c.got, want, err)
		}
	}
	_, statErr := os.Stat("/sys/kernel/btf/vmlinux")
	if r.BTF.Available != (statErr == nil) {
		t.Errorf("BTF available %v, stat %v", r.BTF.Available, statErr)
	}
	if b, err := os.ReadFile("/proc/sys/net/core/bpf_jit_enable"); err == nil && strings.TrimSpace(string(b)) != string(rune('0'+r.JIT.Enabled)) {
		t.Errorf("JIT enable %d, file %q", r.JIT.Enabled, b)
	}
	if r.UnprivilegedBPFDisabled < 0 || r.PossibleCPUs < 1 {
		t.Errorf("unprivileged %d, cpus %d", r.UnprivilegedBPFDisabled, r.PossibleCPUs)
	}
	if len(r.ProgramTypes) != int(lastProgramType) || len(r.MapTypes) < 30 {
		t.Errorf("%d program types, %d map types probed", len(r.ProgramTypes), len(r.MapTypes))
	}
	if !r.programSupported("xdp") {
		t.Error("xdp not supported?")
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kernel ", r.KernelRelease, "CAP_BPF yes", "program types", "xdp"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestParseKernelRelease(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want [3]int
	}{
		{"6.18.44-fc-v669", [3]int{6, 18, 44}},
		{"6.1.0-28-amd64", [3]int{6, 1, 0}},
		{"5.15", [3]int{5, 15, 0}},
		{"garbage", [3]int{}},
		{"", [3]int{}},
	} {
		if got := parseKernelRelease(tt.in); got != tt.want {
			t.Errorf("parseKernelRelease(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
