package bpf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

func TestMapDump(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "dump", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if err := m.Update(u32(1), []byte{0xde, 0xad, 0xbe, 0xef}, UpdateAny); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.Dump(&b); err != nil {
		t.Fatal(err)
	}
	want := "key: 00 00 00 00  value: 00 00 00 00\nkey: 01 00 00 00  value: de ad be ef\nFound 2 elements\n"
	if b.String() != want {
		t.Fatalf("Dump:\n%s\nwant:\n%s", b.String(), want)
	}
}

// bpftoolJSON runs bpftool with -j and decodes its output into v.
func bpftoolJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(tool, append(args, "-j")...).Output()
	if err != nil {
		t.Fatalf("bpftool %s: %v", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("bpftool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestBpftoolAgreesOnMaps(t *testing.T) {
	testutil.RequireTool(t, "bpftool")
	specs := []*MapSpec{
		{Name: "bt_hash", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 100},
		{Name: "bt_pcpu", Type: PerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 3},
		{Name: "bt_lru", Type: LRUHash, KeySize: 16, ValueSize: 32, MaxEntries: 64, Flags: MapFlagNoCommonLRU},
		{Name: "bt_queue", Type: Queue, ValueSize: 8, MaxEntries: 10},
		{Name: "bt_lpm", Type: LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 10},
	}
	for _, spec := range specs {
		t.Run(spec.Type.String(), func(t *testing.T) {
			m := mustNewMap(t, spec)
			id, err := m.ID()
			if err != nil {
				t.Fatal(err)
			}
			var show struct {
				ID         uint32 `json:"id"`
				Type       string `json:"type"`
				Name       string `json:"name"`
				Flags      uint32 `json:"flags"`
				KeySize    uint32 `json:"bytes_key"`
				ValueSize  uint32 `json:"bytes_value"`
				MaxEntries uint32 `json:"max_entries"`
			}
			bpftoolJSON(t, &show, "map", "show", "id", fmt.Sprint(id))
			wantFlags := uint32(m.Flags())
			if show.ID != uint32(id) || show.Type != spec.Type.KernelName() || show.Name != spec.Name ||
				show.KeySize != spec.KeySize || show.ValueSize != spec.ValueSize ||
				show.MaxEntries != spec.MaxEntries || show.Flags != wantFlags {
				t.Fatalf("bpftool shows %+v for %v", show, spec)
			}
		})
	}
}

// bpftoolEntry is one element of `bpftool map dump -j` for a map without BTF.
type bpftoolEntry struct {
	Key    []string `json:"key"`
	Value  []string `json:"value"`
	Values []struct {
		CPU   int      `json:"cpu"`
		Value []string `json:"value"`
	} `json:"values"`
}

func hexList(b []byte) []string {
	out := make([]string, len(b))
	for i, c := range b {
		out[i] = fmt.Sprintf("0x%02x", c)
	}
	return out
}

func TestBpftoolDumpMatchesIteration(t *testing.T) {
	testutil.RequireTool(t, "bpftool")
	for _, spec := range []*MapSpec{
		{Name: "bt_dump_hash", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 100},
		{Name: "bt_dump_pcpu", Type: PerCPUHash, KeySize: 4, ValueSize: 4, MaxEntries: 100},
	} {
		t.Run(spec.Type.String(), func(t *testing.T) {
			m := mustNewMap(t, spec)
			v := make([]byte, m.ValueBufferSize())
			for i := range uint32(50) {
				for j := range v {
					v[j] = byte(int(i) + j)
				}
				if err := m.Update(u32(i*7), v, UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			id, _ := m.ID()
			var dump []bpftoolEntry
			bpftoolJSON(t, &dump, "map", "dump", "id", fmt.Sprint(id))
			want := map[string]string{}
			for _, e := range dump {
				val := e.Value
				for _, pc := range e.Values {
					val = append(val, pc.Value...)
				}
				want[strings.Join(e.Key, " ")] = strings.Join(val, " ")
			}
			got := map[string]string{}
			it := m.Iterate()
			for k, v := range it.All() {
				var val []string
				if m.Type().IsPerCPU() {
					for cpu := range m.ValueBufferSize() / 8 {
						val = append(val, hexList(m.PerCPUSlot(v, cpu))...)
					}
				} else {
					val = hexList(v)
				}
				got[strings.Join(hexList(k), " ")] = strings.Join(val, " ")
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 50 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("our walk and bpftool differ:\nours: %v\nbpftool: %v", got, want)
			}
		})
	}
}
