//go:build linux

package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// TestProgLoadRun loads testdata/tailcall.o with `prog load` into a bpffs directory, checks the
// pins with bpftool, and test-runs the entry program with `prog run` for each jump-table slot,
// comparing return value and data out with `bpftool prog run`.
func TestProgLoadRun(t *testing.T) {
	testutil.RequireRoot(t)
	bpftool := testutil.RequireTool(t, "bpftool")
	dir := filepath.Join(testutil.TempBPFFSDir(t), "obj")
	code, stdout, stderr := runCmd("prog", "load", "../../elfobj/testdata/tailcall.o", dir, "--json")
	if code != 0 {
		t.Fatalf("prog load: exit %d: %s", code, stderr)
	}
	var out pinnedObject
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var names []string
	for _, p := range out.Programs {
		names = append(names, p.Name)
		b, err := exec.Command(bpftool, "prog", "show", "pinned", p.Path, "--json").Output()
		if err != nil {
			t.Fatalf("bpftool prog show pinned %s: %v", p.Path, err)
		}
		var info struct {
			ID   uint32 `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &info); err != nil || info.ID != p.ID || info.Name != p.Name || info.Type != "xdp" {
			t.Errorf("bpftool says %+v (%v), we pinned %+v", info, err, p)
		}
	}
	if !slices.Equal(names, []string{"entry", "tail_drop", "tail_tx"}) || len(out.Maps) != 1 || out.Maps[0].Name != "jump_table" {
		t.Fatalf("pinned %+v", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "maps", "jump_table")); err != nil {
		t.Error(err)
	}

	retval := regexp.MustCompile(`Return value: (\d+)`)
	for slot := range 4 {
		frame := make([]byte, 15)
		frame[14] = byte(slot)
		code, stdout, stderr := runCmd("prog", "run", filepath.Join(dir, "entry"), "--data", hex.EncodeToString(frame), "--json")
		if code != 0 {
			t.Fatalf("prog run: exit %d: %s", code, stderr)
		}
		var res runResultJSON
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		in, outFile := filepath.Join(t.TempDir(), "in"), filepath.Join(t.TempDir(), "out")
		if err := os.WriteFile(in, frame, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := exec.Command(bpftool, "prog", "run", "pinned", filepath.Join(dir, "entry"), "data_in", in, "data_out", outFile).CombinedOutput()
		if err != nil {
			t.Fatalf("bpftool prog run: %v\n%s", err, b)
		}
		m := retval.FindStringSubmatch(string(b))
		theirs, _ := os.ReadFile(outFile)
		if m == nil || m[1] != strings.TrimSpace(jsonNumber(res.Retval)) || res.DataOut != hex.EncodeToString(theirs) {
			t.Errorf("slot %d: we say retval %d, data %s; bpftool says %q, data %x", slot, res.Retval, res.DataOut, b, theirs)
		}
	}
	if _, stdout, _ := runCmd("prog", "run", filepath.Join(dir, "entry"), "--data", strings.Repeat("00", 14)+"02"); !strings.Contains(stdout, "return value 3 (XDP_TX)") {
		t.Errorf("text output: %s", stdout)
	}
}

func jsonNumber(v uint32) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestProgLoadErrors: a directory outside a BPF filesystem fails and leaves no pins behind;
// bad arguments are usage errors.
func TestProgLoadErrors(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	if code, _, stderr := runCmd("prog", "load", "../../elfobj/testdata/tailcall.o", dir); code != 1 || stderr == "" {
		t.Errorf("load outside bpffs: exit %d, %q", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	bpffs := testutil.TempBPFFSDir(t)
	for _, args := range [][]string{
		{"prog", "load", "../../elfobj/testdata/tailcall.o"},
		{"prog", "run"},
		{"prog", "run", "1", "--data", "zz"},
		{"prog", "run", "1", "--data", "00", "--data-file", "x"},
		{"prog", "run", "1", "--repeat", "0"},
	} {
		if code, _, stderr := runCmd(args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
	if code, _, stderr := runCmd("prog", "run", filepath.Join(bpffs, "nothing")); code != 1 || !strings.Contains(stderr, "nothing") {
		t.Errorf("missing pin: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd("prog", "load", "elf_test.go", bpffs); code != 1 {
		t.Errorf("not an object: exit %d", code)
	}
}
