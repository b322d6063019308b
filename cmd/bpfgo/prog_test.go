package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// runCmd runs the CLI in-process and returns its exit status, stdout and stderr.
func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(&runContext{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// loadCLITestProg loads an XDP program that uses a map, pinned in a temporary bpffs directory.
func loadCLITestProg(t *testing.T) (*bpf.Program, bpf.ProgramID, string) {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "cli_map", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "cli_prog", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMap(asm.R1, m), asm.MovImm(asm.R0, 2), asm.Exit(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	id, err := p.ID()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testutil.TempBPFFSDir(t), "cli_prog")
	if err := p.Pin(path); err != nil {
		t.Fatal(err)
	}
	return p, id, path
}

// bpftoolJSON runs bpftool with --json and decodes the output into v.
func bpftoolJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(tool, append(args, "--json")...).Output()
	if err != nil {
		t.Fatalf("bpftool %v: %v", args, err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("bpftool %v: %v\n%s", args, err, out)
	}
}

// progKeys are the fields `prog show --json` must share with bpftool.
type progKeys struct {
	ID            uint32   `json:"id"`
	Type          string   `json:"type"`
	Name          string   `json:"name"`
	Tag           string   `json:"tag"`
	GPLCompatible bool     `json:"gpl_compatible"`
	LoadedAt      int64    `json:"loaded_at"`
	UID           uint32   `json:"uid"`
	BytesXlated   uint32   `json:"bytes_xlated"`
	Jited         bool     `json:"jited"`
	BytesJited    uint32   `json:"bytes_jited"`
	MapIDs        []uint32 `json:"map_ids"`
}

func TestProgShowMatchesBpftool(t *testing.T) {
	_, id, path := loadCLITestProg(t)
	var want progKeys
	bpftoolJSON(t, &want, "prog", "show", "id", strconv.Itoa(int(id)))
	for _, args := range [][]string{
		{"prog", "show", strconv.Itoa(int(id)), "--json"},
		{"prog", "--json", "show", strconv.Itoa(int(id))},
		{"prog", "show", path, "--json"},
	} {
		code, out, errOut := runCmd(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var got progKeys
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		// bpftool's loaded_at is rounded to seconds from the same boot-time stamp.
		if d := got.LoadedAt - want.LoadedAt; d >= -1 && d <= 1 {
			got.LoadedAt = want.LoadedAt
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n got     %+v\n bpftool %+v", args, got, want)
		}
	}
}

func TestProgListMatchesBpftool(t *testing.T) {
	_, id, _ := loadCLITestProg(t)
	code, out, errOut := runCmd("prog", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got, want []progKeys
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	bpftoolJSON(t, &want, "prog", "show")
	byID := func(l []progKeys) map[uint32]progKeys {
		m := map[uint32]progKeys{}
		for _, p := range l {
			p.LoadedAt = 0
			m[p.ID] = p
		}
		return m
	}
	g, w := byID(got), byID(want)
	if _, ok := g[uint32(id)]; !ok {
		t.Fatalf("prog list lacks our program %d", id)
	}
	for pid, wp := range w {
		if gp, ok := g[pid]; ok && !reflect.DeepEqual(gp, wp) {
			t.Errorf("program %d:\n got     %+v\n bpftool %+v", pid, gp, wp)
		}
	}

	code, out, _ = runCmd("prog", "list")
	if code != 0 || !strings.Contains(out, "name cli_prog") || !strings.Contains(out, strconv.Itoa(int(id))+": xdp") {
		t.Fatalf("text list (exit %d):\n%s", code, out)
	}
}

func TestProgShowText(t *testing.T) {
	p, id, path := loadCLITestProg(t)
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd("prog", "show", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{strconv.Itoa(int(id)) + ": xdp", "name cli_prog", "tag " + info.Tag, "gpl", "map_ids " + strconv.Itoa(int(info.MapIDs[0]))} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestProgDump(t *testing.T) {
	_, id, path := loadCLITestProg(t)
	for _, arg := range []string{strconv.Itoa(int(id)), path} {
		code, out, errOut := runCmd("prog", "dump", arg)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		// The map load is rewritten by the kernel; r0 = 2 and exit stay.
		for _, want := range []string{"r0 = 0x2", "exit"} {
			if !strings.Contains(out, want) {
				t.Errorf("dump lacks %q:\n%s", want, out)
			}
		}
	}
	code, out, _ := runCmd("prog", "dump", strconv.Itoa(int(id)), "--json")
	var insns []struct {
		Slot   int    `json:"slot"`
		Disasm string `json:"disasm"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &insns) != nil || len(insns) != 3 || insns[2].Disasm != "exit" {
		t.Fatalf("dump --json: exit %d\n%s", code, out)
	}
}

func TestProgErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"prog"}, 2, "missing subcommand"},
		{[]string{"prog", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"prog", "show"}, 2, "one ID or PATH"},
		{[]string{"prog", "show", "1", "2"}, 2, "one ID or PATH"},
		{[]string{"prog", "list", "x"}, 2, "no arguments"},
		{[]string{"prog", "list", "--bogus"}, 2, "bogus"},
		{[]string{"prog", "show", "4294967295"}, 1, "no such program"},
		{[]string{"prog", "show", "/sys/fs/bpf/does/not/exist"}, 1, "no such file"},
	} {
		code, _, errOut := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}
