//go:build linux

package elfobj

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// sectionSince is the first kernel that loads the program of each section in
// testdata/sections.o where that is newer than Debian's 6.1.
var sectionSince = map[string][2]int{
	"p_netfilter":      {6, 4}, // BPF_PROG_TYPE_NETFILTER
	"p_tcx_ingress":    {6, 6}, // BPF_TCX_INGRESS
	"p_uprobe_multi":   {6, 6}, // BPF_TRACE_UPROBE_MULTI
	"p_kprobe_multi":   {5, 18},
	"p_xdp_frags":      {5, 18},
	"p_iter":           {5, 8},
	"p_sk_reuseport":   {4, 19},
	"p_raw_tracepoint": {4, 17},
}

// trampoline lists the programs the 6.18 CI host refuses with EPERM by
// policy (fentry, fexit, fmod_ret, LSM); the 6.1 and 6.12 guests load them.
var trampoline = []string{"p_fentry", "p_fexit", "p_fmod_ret", "p_lsm", "p_lsm_s"}

// TestKernelLoadSections loads the program of every SEC() convention as
// parsed, so the program and attach types, attach targets (tp_btf, iter,
// fentry, LSM resolve theirs in the kernel's BTF) and flags are what the
// kernel expects.
func TestKernelLoadSections(t *testing.T) {
	testutil.RequireRoot(t)
	spec := mustLoad(t, "testdata/sections.o")
	major, minor, _ := testutil.KernelVersion()
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		ps := spec.Programs[name]
		switch {
		case ps.Type == bpf.StructOps:
			// A struct_ops program loads only for a member of a kernel struct,
			// which a .struct_ops table of the object names; sections.o has
			// none (testdata/struct_ops.o does: TestStructOpsFromELF in link).
			continue
		case name == "p_fentry_s":
			// Which functions take a sleepable fentry program depends on the
			// kernel's error-injection list (6.1 and 6.12 refuse
			// bpf_modify_return_test): the section is checked by TestSections.
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := bpf.NewProgram(ps)
			if err == nil {
				p.Close()
				return
			}
			if v, ok := sectionSince[name]; ok && (major < v[0] || major == v[0] && minor < v[1]) {
				t.Skipf("%v needs Linux %d.%d, running %d.%d: %v", ps.Type, v[0], v[1], major, minor, err)
			}
			if errors.Is(err, unix.EPERM) && slices.Contains(trampoline, name) && testutil.VMKernel() == "" {
				t.Skipf("kernel refuses trampoline programs (%v: load answers EPERM): %v", ps.Type, err)
			}
			t.Fatalf("%+v", err)
		})
	}
}
