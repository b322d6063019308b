package main

import (
	"encoding/json"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// readelfPrograms lists the programs of an object as llvm-readelf sees them: global functions
// outside .text, by name, with their section.
func readelfPrograms(t *testing.T, obj string) map[string]string {
	t.Helper()
	readelf := testutil.RequireTool(t, "llvm-readelf-19")
	out := func(args ...string) string {
		b, err := exec.Command(readelf, append(args, obj)...).CombinedOutput()
		if err != nil {
			t.Fatalf("llvm-readelf %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	secs := map[string]string{} // index → name
	for _, m := range regexp.MustCompile(`(?m)^\s*\[\s*(\d+)\]\s+(\S+)`).FindAllStringSubmatch(out("-S", "--wide"), -1) {
		secs[m[1]] = m[2]
	}
	progs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)\sFUNC\s+GLOBAL\s+\S+\s+(\d+)\s+(\S+)$`).FindAllStringSubmatch(out("-s", "--wide"), -1) {
		if sec := secs[m[1]]; sec != ".text" {
			progs[m[2]] = sec
		}
	}
	return progs
}

// TestELFCommand inspects the test objects of elfobj and checks the programs and their sections
// against llvm-readelf, and the struct_ops table, kfuncs and kernel variables it reports.
func TestELFCommand(t *testing.T) {
	for _, obj := range []string{"collection.o", "sections.o", "ksyms.o", "struct_ops.o", "maps.o"} {
		path := "../../elfobj/testdata/" + obj
		code, stdout, stderr := runCmd("elf", path, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", obj, code, stderr)
		}
		var info elfInfo
		if err := json.Unmarshal([]byte(stdout), &info); err != nil {
			t.Fatalf("%s: %v\n%s", obj, err, stdout)
		}
		got := map[string]string{}
		for _, p := range info.Programs {
			got[p.Name] = p.Section
			if p.Instructions == 0 || len(p.Functions) == 0 || p.Functions[0] == "" {
				t.Errorf("%s: program %s: %d instructions, functions %v", obj, p.Name, p.Instructions, p.Functions)
			}
		}
		if want := readelfPrograms(t, path); !maps.Equal(got, want) {
			t.Errorf("%s: programs and sections\n%v\nllvm-readelf says\n%v", obj, got, want)
		}
	}

	_, stdout, _ := runCmd("elf", "../../elfobj/testdata/ksyms.o")
	for _, w := range []string{"kfuncs: bpf_task_from_pid, bpf_task_release", "kernel variables: runqueues", `SEC("syscall")`, "sleepable"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("ksyms.o: output lacks %q:\n%s", w, stdout)
		}
	}
	code, stdout, _ := runCmd("elf", "--json", "../../elfobj/testdata/struct_ops.o")
	var info elfInfo
	if err := json.Unmarshal([]byte(stdout), &info); code != 0 || err != nil || len(info.StructOps) != 1 {
		t.Fatalf("struct_ops.o: exit %d, %v, %+v", code, err, info.StructOps)
	}
	so := info.StructOps[0]
	if so.Name != "bpfgo_elf_cc" || so.Type != "tcp_congestion_ops" || !so.Link || so.Programs["init"] != "cc_init" || !slices.Equal(so.Data, []string{"name"}) {
		t.Errorf("struct_ops table %+v", so)
	}

	if code, _, stderr := runCmd("elf"); code != 2 || !strings.Contains(stderr, "FILE.o") {
		t.Errorf("no file: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd("elf", "elf_test.go"); code != 1 || stderr == "" {
		t.Errorf("not an object: exit %d, %q", code, stderr)
	}
}
