package bpf

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// bpftoolProg is the part of `bpftool prog show --json` the tests compare.
type bpftoolProg struct {
	ID     uint32   `json:"id"`
	Type   string   `json:"type"`
	Name   string   `json:"name"`
	Tag    string   `json:"tag"`
	GPL    bool     `json:"gpl_compatible"`
	MapIDs []uint32 `json:"map_ids"`
	Xlated uint32   `json:"bytes_xlated"`
	Jited  uint32   `json:"bytes_jited"`
	UID    uint32   `json:"uid"`
	BTFID  uint32   `json:"btf_id"`
}

func bpftoolProgShow(t *testing.T, id ProgramID) bpftoolProg {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(tool, "prog", "show", "id", strconv.Itoa(int(id)), "--json").Output()
	if err != nil {
		t.Fatalf("bpftool prog show id %d: %v", id, err)
	}
	var p bpftoolProg
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("bpftool output %s: %v", out, err)
	}
	return p
}

// TestProgramInfoMatchesBpftool loads a program that uses two maps and compares Info with what
// bpftool reads from the kernel.
func TestProgramInfoMatchesBpftool(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	var maps []*Map
	for _, name := range []string{"info_a", "info_b"} {
		m, err := NewMap(&MapSpec{Name: name, Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		maps = append(maps, m)
	}
	start := time.Now()
	p := loadTestProg(t, &ProgramSpec{Name: "info_test", Type: SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMap(asm.R1, maps[0]),
		asm.LoadMap(asm.R1, maps[1]),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}})
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	want := bpftoolProgShow(t, info.ID)
	var mapIDs []uint32
	for _, id := range info.MapIDs {
		mapIDs = append(mapIDs, uint32(id))
	}
	got := bpftoolProg{ID: uint32(info.ID), Type: info.Type.KernelName(), Name: info.Name, Tag: info.Tag,
		GPL: info.GPLCompatible, MapIDs: mapIDs, Xlated: info.XlatedSize, Jited: info.JitedSize,
		UID: info.CreatedByUID, BTFID: info.BTFID}
	slices.Sort(got.MapIDs)
	slices.Sort(want.MapIDs)
	if !slices.Equal(got.MapIDs, want.MapIDs) || len(got.MapIDs) != 2 {
		t.Errorf("map ids %v, bpftool %v", got.MapIDs, want.MapIDs)
	}
	got.MapIDs, want.MapIDs = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Info:\n got %+v\nbpftool %+v", got, want)
	}
	if info.Type != SchedCLS || info.Name != "info_test" || len(info.Tag) != 16 {
		t.Errorf("info %+v", info)
	}
	if d := info.LoadTime.Sub(start); d < -2*time.Second || d > 10*time.Second {
		t.Errorf("load time %v, test started %v", info.LoadTime, start)
	}
	if info.VerifiedInsns == 0 {
		t.Error("verified insns 0")
	}
	tag, err := p.Tag()
	if err != nil || tag != want.Tag {
		t.Errorf("Tag() = %q, %v; bpftool %q", tag, err, want.Tag)
	}
}

func TestProgramIDsAndFromID(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "by_id", Type: XDP, License: "GPL", Instructions: retZero()})
	id, err := p.ID()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	var last ProgramID
	for got, err := range ProgramIDs() {
		if err != nil {
			t.Fatal(err)
		}
		if got <= last {
			t.Fatalf("ids not increasing: %d after %d", got, last)
		}
		last = got
		found = found || got == id
	}
	if !found {
		t.Fatalf("ProgramIDs lacks %d", id)
	}
	q, err := NewProgramFromID(id)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Name() != "by_id" || q.Type() != XDP {
		t.Fatalf("from id: %v", q)
	}
	if _, err := NewProgramFromID(0xfffffff0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing id: %v, want ErrNotExist", err)
	}
	// Breaking out of the walk early stops it.
	n := 0
	for range ProgramIDs() {
		n++
		break
	}
	if n != 1 {
		t.Fatal("early break")
	}
}

func TestProgramFromFD(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "from_fd", Type: SocketFilter, License: "GPL", Instructions: retZero()})
	c, err := p.Clone()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.fd.Take()
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewProgramFromFD(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Name() != "from_fd" || q.Type() != SocketFilter {
		t.Fatalf("from fd: %v", q)
	}
	// A map fd is not a program.
	m, err := NewMap(&MapSpec{Name: "notprog", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := m.Clone()
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	mraw := mc.FD()
	if _, err := NewProgramFromFD(mraw); err == nil {
		t.Fatal("a map fd became a program")
	}
	// NewProgramFromFD took ownership of mraw and closed it on error.
	mc.fd.Take()
}

func TestProgramPin(t *testing.T) {
	dir := testutil.TempBPFFSDir(t)
	path := filepath.Join(dir, "prog")
	p := loadTestProg(t, &ProgramSpec{Name: "pinned", Type: XDP, License: "GPL", Instructions: asm.Instructions{asm.MovImm(asm.R0, 2), asm.Exit()}})
	if err := p.Pin(path); err != nil {
		t.Fatal(err)
	}
	id, _ := p.ID()
	p.Close()

	q, err := OpenPinnedProgram(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	qid, _ := q.ID()
	if qid != id || q.Name() != "pinned" || q.Type() != XDP {
		t.Fatalf("reopened %v id %d, want id %d", q, qid, id)
	}
	res, err := q.Run(&RunOptions{Data: make([]byte, 14)})
	if err != nil || res.ReturnValue != 2 {
		t.Fatalf("run pinned: %v %v", res, err)
	}
	if err := q.Unpin(path); err != nil {
		t.Fatal(err)
	}
	if err := q.Unpin(path); err != nil {
		t.Fatalf("second unpin: %v", err)
	}
	if _, err := OpenPinnedProgram(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open removed pin: %v", err)
	}
	// A pinned map is not a program.
	m, err := NewMap(&MapSpec{Name: "pinmap", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	mpath := filepath.Join(dir, "map")
	if err := m.Pin(mpath); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPinnedProgram(mpath); err == nil {
		t.Fatal("opened a pinned map as a program")
	}
	if err := p.Pin(filepath.Join(dir, "x")); err == nil {
		t.Fatal("pinned a closed program")
	}
}

// TestProgramRunStats turns run-time statistics on and sees test runs counted in Info.
func TestProgramRunStats(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_SYS_ADMIN")
	p := loadTestProg(t, &ProgramSpec{Name: "stats", Type: XDP, License: "GPL", Instructions: retZero()})
	stats, err := EnableRunStats()
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	if _, err := p.Run(&RunOptions{Data: make([]byte, 64), Repeat: 100}); err != nil {
		t.Fatal(err)
	}
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.RunCount < 100 || info.RunTime <= 0 {
		t.Fatalf("run count %d, run time %v after 100 runs", info.RunCount, info.RunTime)
	}
}

func TestProgramSpecString(t *testing.T) {
	spec := &ProgramSpec{Name: "f", Type: XDP, Instructions: asm.Instructions{asm.Label("x"), asm.MovImm(asm.R0, 0), asm.Exit()}}
	if got := spec.String(); got != `XDP("f", 2 instructions)` {
		t.Fatalf("String() = %s", got)
	}
}

// TestXlatedInstructions reads back the translated program and compares it with bpftool's
// dump: same number of instructions, same opcodes.
func TestXlatedInstructions(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "xlated", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),
		asm.LoadImm64(asm.R3, 1<<40),
		asm.MovImm(asm.R0, 2),
		asm.Exit(),
	}})
	insns, err := p.XlatedInstructions()
	if err != nil {
		t.Fatal(err)
	}
	if len(insns) != 4 || !insns[1].IsLoadImm64() || insns[1].Constant != 1<<40 || !insns[3].IsExit() {
		t.Fatalf("xlated:\n%v", insns)
	}
	id, _ := p.ID()
	tool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(tool, "prog", "dump", "xlated", "id", strconv.Itoa(int(id)), "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var dump []struct {
		Disasm string `json:"disasm"`
	}
	if err := json.Unmarshal(out, &dump); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(dump) != len(insns) {
		t.Fatalf("bpftool shows %d instructions, we decoded %d", len(dump), len(insns))
	}
}
