package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
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
