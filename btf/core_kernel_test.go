package btf

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// libbpfRelo is one relocation result from libbpf's debug log.
type libbpfRelo struct {
	insn   int
	val    uint64
	poison bool
}

var (
	libbpfPatched = regexp.MustCompile(`prog '(\w+)': relo #(\d+): patched insn #(\d+) \([^)]*\) (?:imm|off|imm64) \d+ -> (\d+)`)
	libbpfPoison  = regexp.MustCompile(`prog '(\w+)': relo #(\d+): (?:substituting|poisoning) insn #(\d+)`)
)

// libbpfCORE runs `bpftool -d prog loadall` on an object and returns, per program, the value
// libbpf's CO-RE relocation wrote for each record (libbpf logs it before loading, so the
// programs need not pass the verifier).
func libbpfCORE(t *testing.T, obj string) map[string]map[int]libbpfRelo {
	t.Helper()
	bpftool := testutil.RequireTool(t, "bpftool")
	testutil.RequireRoot(t) // bpftool prog loadall
	pin := "/sys/fs/bpf/bpfgo_core_" + strconv.Itoa(os.Getpid())
	out, _ := exec.Command(bpftool, "-d", "prog", "loadall", obj, pin).CombinedOutput()
	os.RemoveAll(pin)
	res := map[string]map[int]libbpfRelo{}
	add := func(prog, relo, insn string, r libbpfRelo) {
		n, _ := strconv.Atoi(relo)
		r.insn, _ = strconv.Atoi(insn)
		if res[prog] == nil {
			res[prog] = map[int]libbpfRelo{}
		}
		res[prog][n] = r
	}
	for _, m := range libbpfPatched.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseUint(string(m[4]), 10, 64)
		add(string(m[1]), string(m[2]), string(m[3]), libbpfRelo{val: v})
	}
	for _, m := range libbpfPoison.FindAllSubmatch(out, -1) {
		add(string(m[1]), string(m[2]), string(m[3]), libbpfRelo{poison: true})
	}
	if len(res) == 0 {
		t.Fatalf("no CO-RE relocations in bpftool's debug output:\n%s", out)
	}
	return res
}

// TestCOREKernelObject applies the relocations of the clang-compiled testdata/core_kernel.o
// (every relocation kind) against the running kernel's BTF and checks that each one writes
// the value libbpf writes for the same object on the same kernel.
func TestCOREKernelObject(t *testing.T) {
	const obj = "testdata/core_kernel.o"
	target := mustLoadKernel(t)
	want := libbpfCORE(t, obj)
	for _, sec := range []struct{ name, prog string }{{"raw_tp/sys_enter", "values"}, {"raw_tp/sys_exit", "loads"}} {
		local, es, insns := loadObject(t, obj, sec.name)
		lw := want[sec.prog]
		if len(lw) != len(es.CORERelos) {
			t.Fatalf("%s: libbpf reports %d relocations, the object has %d", sec.name, len(lw), len(es.CORERelos))
		}
		out, err := ApplyCORERelos(insns, local, es.CORERelos, target)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[COREReloKind]bool{}
		for i, r := range es.CORERelos {
			kinds[r.Kind] = true
			f, err := CalcCORE(local, r, target)
			if err != nil {
				t.Fatalf("%s relo #%d %s %q: %v", sec.name, i, r.Kind, r.Access, err)
			}
			w := lw[i]
			if w.insn != int(r.InsnOff/asm.InstructionSize) {
				t.Fatalf("%s relo #%d: libbpf patched insn %d, record says %d", sec.name, i, w.insn, r.InsnOff/8)
			}
			if f.Poison != w.poison || (!w.poison && f.Target != w.val) {
				t.Errorf("%s relo #%d %s %q: ours %d (poison %v), libbpf %d (poison %v)", sec.name, i, r.Kind, r.Access, f.Target, f.Poison, w.val, w.poison)
			}
			// The instruction in the output holds the value.
			ins := insnAtSlot(out, w.insn)
			var got int64
			switch cl := ins.OpCode.Class(); {
			case cl == asm.ClassLDX || cl == asm.ClassST || cl == asm.ClassSTX:
				got = int64(ins.Offset)
			default:
				got = ins.Constant
			}
			if !w.poison && uint64(got) != w.val {
				t.Errorf("%s relo #%d: instruction %v, want value %d", sec.name, i, ins, w.val)
			}
		}
		t.Logf("%s: %d relocations of %d kinds agree with libbpf", sec.name, len(es.CORERelos), len(kinds))
	}
}

// insnAtSlot returns the instruction that starts at 8-byte slot n.
func insnAtSlot(insns asm.Instructions, n int) asm.Instruction {
	slot := 0
	for _, ins := range insns {
		if slot == n && !ins.IsLabel() {
			return ins
		}
		slot += ins.Slots()
	}
	return asm.Instruction{}
}

// TestCOREKernelBpftool cross-checks values from the object against bpftool's raw dump of the
// kernel's BTF: the target type id and size of task_struct, and pid's offset.
func TestCOREKernelBpftool(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	target := mustLoadKernel(t)
	out := runTool(t, bpftool, "-j", "btf", "dump", "file", KernelBTFPath, "format", "raw")
	var dump struct {
		Types []bpftoolType `json:"types"`
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&dump); err != nil {
		t.Fatal(err)
	}
	var task *bpftoolType
	for i := range dump.Types {
		if dump.Types[i].Kind == "STRUCT" && dump.Types[i].Name == "task_struct" {
			task = &dump.Types[i]
			break
		}
	}
	if task == nil {
		t.Fatal("bpftool: no task_struct")
	}
	var pidBits uint32
	for _, m := range task.Members {
		if m.Name == "pid" {
			pidBits = m.BitsOffset
		}
	}
	local, es, _ := loadObject(t, "testdata/core_kernel.o", "raw_tp/sys_enter")
	checks := map[int]uint64{ // relocation index → value from bpftool
		0:  uint64(pidBits / 8),
		17: uint64(task.ID),
		20: uint64(task.Size),
	}
	for i, want := range checks {
		f, err := CalcCORE(local, es.CORERelos[i], target)
		if err != nil {
			t.Fatal(err)
		}
		if f.Target != want {
			t.Errorf("relo #%d %s: %d, bpftool says %d", i, es.CORERelos[i].Kind, f.Target, want)
		}
	}
}

// TestCOREMinCoreBTF relocates testdata/core_kernel.o against the minimal BTF that
// `bpftool gen min_core_btf` (libbpf's own relocation logic) extracts from the kernel's for
// this object: every value must equal the one computed against the whole kernel BTF (type IDs
// are renumbered, so those are compared by name).
func TestCOREMinCoreBTF(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	full := mustLoadKernel(t)
	minPath := t.TempDir() + "/min.btf"
	runTool(t, bpftool, "gen", "min_core_btf", KernelBTFPath, minPath, "testdata/core_kernel.o")
	minSpec, err := LoadSpec(minPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{"raw_tp/sys_enter", "raw_tp/sys_exit"} {
		local, es, _ := loadObject(t, "testdata/core_kernel.o", sec)
		for i, r := range es.CORERelos {
			a, err := CalcCORE(local, r, full)
			if err != nil {
				t.Fatal(err)
			}
			b, err := CalcCORE(local, r, minSpec)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind == CORETypeIDTarget {
				na, _ := full.NameOf(TypeID(a.Target))
				nb, _ := minSpec.NameOf(TypeID(b.Target))
				if na != nb || na == "" {
					t.Errorf("%s relo #%d: target type %q in vmlinux, %q in min_core_btf", sec, i, na, nb)
				}
				continue
			}
			if a.Target != b.Target || a.Poison != b.Poison {
				t.Errorf("%s relo #%d %s %q: %d (poison %v) in vmlinux, %d (poison %v) in min_core_btf", sec, i, r.Kind, r.Access, a.Target, a.Poison, b.Target, b.Poison)
			}
		}
	}
}
