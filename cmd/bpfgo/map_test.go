package main

import (
	"encoding/binary"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

// newCLIMap creates a map with a few entries, pinned in a temporary bpffs
// directory. It returns the map, its id and the pin.
func newCLIMap(t *testing.T, spec *bpf.MapSpec) (*bpf.Map, bpf.MapID, string) {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	m, err := bpf.NewMap(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	v := make([]byte, m.ValueBufferSize())
	for i := range uint32(5) {
		for j := range v {
			v[j] = byte(int(i)*16 + j)
		}
		if err := m.Update(binary.NativeEndian.AppendUint32(nil, i*3), v, bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testutil.TempBPFFSDir(t), spec.Name)
	if err := m.Pin(path); err != nil {
		t.Fatal(err)
	}
	return m, id, path
}

func TestMapShowJSON(t *testing.T) {
	spec := &bpf.MapSpec{Name: "cli_show", Type: bpf.LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 32, Flags: bpf.MapFlagNoCommonLRU}
	_, id, path := newCLIMap(t, spec)
	want := mapJSON{ID: uint32(id), Name: "cli_show", Type: "lru_hash", KeySize: 4, ValueSize: 8, MaxEntries: 32,
		Flags: uint32(bpf.MapFlagNoCommonLRU)}
	for _, args := range [][]string{
		{"map", "show", strconv.Itoa(int(id)), "--json"},
		{"map", "--json", "show", strconv.Itoa(int(id))}, // flags before the arguments
		{"map", "show", path, "-j"},
	} {
		code, out, errOut := runCmd(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var got mapJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		got.Memlock, got.Pinned = 0, ""
		if got != want {
			t.Errorf("%v: got %+v, want %+v", args, got, want)
		}
	}
	// The raw JSON has the documented field names.
	_, out, _ := runCmd("map", "show", strconv.Itoa(int(id)), "--json")
	for _, field := range []string{`"id"`, `"name"`, `"type"`, `"key_size"`, `"value_size"`, `"max_entries"`, `"flags"`} {
		if !strings.Contains(out, field) {
			t.Errorf("map show --json lacks %s: %s", field, out)
		}
	}
	// Human-readable output.
	code, out, _ := runCmd("map", "show", path)
	if code != 0 || !strings.Contains(out, "lru_hash  name cli_show") || !strings.Contains(out, "key 4B  value 8B  max_entries 32") || !strings.Contains(out, "pinned "+path) {
		t.Errorf("map show: %d\n%s", code, out)
	}
}

func TestMapShowAgreesWithBpftool(t *testing.T) {
	_, id, _ := newCLIMap(t, &bpf.MapSpec{Name: "cli_bt", Type: bpf.Hash, KeySize: 4, ValueSize: 16, MaxEntries: 8})
	var bt struct {
		ID         uint32 `json:"id"`
		Type       string `json:"type"`
		Name       string `json:"name"`
		Flags      uint32 `json:"flags"`
		KeySize    uint32 `json:"bytes_key"`
		ValueSize  uint32 `json:"bytes_value"`
		MaxEntries uint32 `json:"max_entries"`
	}
	bpftoolJSON(t, &bt, "map", "show", "id", strconv.Itoa(int(id)))
	_, out, _ := runCmd("map", "show", strconv.Itoa(int(id)), "--json")
	var ours mapJSON
	if err := json.Unmarshal([]byte(out), &ours); err != nil {
		t.Fatal(err)
	}
	if bt.ID != ours.ID || bt.Type != ours.Type || bt.Name != ours.Name || bt.Flags != ours.Flags ||
		bt.KeySize != ours.KeySize || bt.ValueSize != ours.ValueSize || bt.MaxEntries != ours.MaxEntries {
		t.Fatalf("bpftool %+v, bpfgo %+v", bt, ours)
	}
}

func TestMapDumpJSONEqualsBpftool(t *testing.T) {
	for _, spec := range []*bpf.MapSpec{
		{Name: "cli_dump", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16},
		{Name: "cli_dump_arr", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 16},
		{Name: "cli_dump_pcpu", Type: bpf.PerCPUHash, KeySize: 4, ValueSize: 4, MaxEntries: 16},
	} {
		t.Run(spec.Type.String(), func(t *testing.T) {
			_, id, path := newCLIMap(t, spec)
			var want any
			bpftoolJSON(t, &want, "map", "dump", "id", strconv.Itoa(int(id)))
			for _, arg := range []string{strconv.Itoa(int(id)), path} {
				code, out, errOut := runCmd("map", "dump", arg, "--json")
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				var got any
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("map dump %s --json:\n%s\nbpftool map dump -j:\n%v", arg, out, want)
				}
			}
			// The plain dump equals bpftool's plain dump too.
			tool := testutil.RequireTool(t, "bpftool")
			plain, err := exec.Command(tool, "map", "dump", "id", strconv.Itoa(int(id))).Output()
			if err != nil {
				t.Fatal(err)
			}
			_, out, _ := runCmd("map", "dump", strconv.Itoa(int(id)))
			if out != string(plain) {
				t.Fatalf("plain dump:\n%s\nbpftool:\n%s", out, plain)
			}
		})
	}
}

func TestMapList(t *testing.T) {
	_, id, _ := newCLIMap(t, &bpf.MapSpec{Name: "cli_list", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 16})
	code, out, errOut := runCmd("map", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var all []mapJSON
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range all {
		if m.ID == uint32(id) {
			found = m.Name == "cli_list" && m.Type == "array" && m.MaxEntries == 16
		}
	}
	if !found {
		t.Fatalf("map list --json lacks map %d: %s", id, out)
	}
	code, out, _ = runCmd("map", "list")
	if code != 0 || !strings.Contains(out, strconv.Itoa(int(id))+": array  name cli_list") {
		t.Fatalf("map list: %d\n%s", code, out)
	}
}

func TestMapCommandErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"map"}, 2, "missing subcommand"},
		{[]string{"map", "frob"}, 2, `unknown subcommand "frob"`},
		{[]string{"map", "show"}, 2, "needs one ID or PATH"},
		{[]string{"map", "list", "extra"}, 2, "takes no arguments"},
		{[]string{"map", "show", "--bogus", "1"}, 2, "flag provided but not defined"},
		{[]string{"map", "dump", "/nonexistent/pin"}, 1, "no such file or directory"},
		{[]string{"map", "show", "4294967290"}, 1, "map id 4294967290"},
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}

func TestTourMapsChapter(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	code, out, errOut := runCmd("tour", "--run", "^maps$")
	if code != 0 {
		t.Fatalf("tour maps: exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"lookup 443 -> 977",
		"BatchLookup read 8 values: 0 1 4 9 16 25 36 49",
		"lookup 10.20.30.40  -> next hop 3",
		"Queue push 1 2 3, pop: 1 2 3",
		"Stack push 1 2 3, pop: 3 2 1",
		"its element 0 is 42",
		"-- ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tour output lacks %q:\n%s", want, out)
		}
	}
}
