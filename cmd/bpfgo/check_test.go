package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

func TestCheckCommand(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	code, out, errOut := runCmd("check")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"kernel ", "bpffs ", "capabilities ", "kernel BTF", "JIT ", "program types", "map types"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCmd("check", "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var r bpf.SystemReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.KernelRelease == "" || len(r.ProgramTypes) == 0 || len(r.MapTypes) == 0 || !r.Capabilities.BPF {
		t.Errorf("report %+v", r)
	}
	if code, _, _ := runCmd("check", "extra"); code != 2 {
		t.Errorf("check extra: exit %d, want 2", code)
	}
}

// TestCheckFeatures: check lists the probed features, in text and JSON, and each answer agrees
// with the library's probe asked directly.
func TestCheckFeatures(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	code, out, errOut := runCmd("check", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.SystemReport == nil || r.KernelRelease == "" {
		t.Errorf("the system report's fields are missing from the JSON: %s", out)
	}
	direct := map[string]error{"TCX links": link.HaveTCX(), "sockmap links": link.HaveSockMapLink(), "kprobes": link.HaveKprobes(),
		"typed kernel variables (.ksyms, asm.LoadKsym)": bpf.HaveKernelVariable("runqueues")}
	seen := 0
	for _, f := range r.Features {
		if err, ok := direct[f.Name]; ok {
			seen++
			if f.Available != (err == nil) {
				t.Errorf("%s: check says available=%v, the probe says %v", f.Name, f.Available, err)
			}
		}
		if !f.Available && f.Reason == "" {
			t.Errorf("%s: not available and no reason", f.Name)
		}
	}
	if seen != len(direct) {
		t.Errorf("features %+v lack some of %d probed directly", r.Features, len(direct))
	}
	_, text, _ := runCmd("check")
	if !strings.Contains(text, "\nfeatures\n") || !strings.Contains(text, "TCX links (Linux 6.6)") {
		t.Errorf("text lacks the features:\n%s", text)
	}
}
