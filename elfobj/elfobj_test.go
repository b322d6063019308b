package elfobj

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
)

func mustLoad(t testing.TB, path string) *bpf.CollectionSpec {
	t.Helper()
	spec, err := LoadCollectionSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestMaps(t *testing.T) {
	for _, obj := range []string{"testdata/collection.o", "testdata/collection_eb.o"} {
		t.Run(obj, func(t *testing.T) {
			spec := mustLoad(t, obj)
			for _, tc := range []struct {
				name string
				want bpf.MapSpec
			}{
				{"counts", bpf.MapSpec{Name: "counts", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 4}},
				{"seen", bpf.MapSpec{Name: "seen", Type: bpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 16, Flags: bpf.MapFlagNoPrealloc}},
				{"outer", bpf.MapSpec{Name: "outer", Type: bpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2}},
				{"legacy", bpf.MapSpec{Name: "legacy", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 3}},
				{".rodata", bpf.MapSpec{Name: ".rodata", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1, Flags: bpf.MapFlagRdOnlyProg, Freeze: true}},
				{".data", bpf.MapSpec{Name: ".data", Type: bpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}},
				{".bss", bpf.MapSpec{Name: ".bss", Type: bpf.Array, KeySize: 4, ValueSize: 32, MaxEntries: 1}},
			} {
				got := spec.Maps[tc.name]
				if got == nil {
					t.Errorf("map %q missing", tc.name)
					continue
				}
				if got.Name != tc.want.Name || got.Type != tc.want.Type || got.KeySize != tc.want.KeySize ||
					got.ValueSize != tc.want.ValueSize || got.MaxEntries != tc.want.MaxEntries ||
					got.Flags != tc.want.Flags || got.Freeze != tc.want.Freeze {
					t.Errorf("map %q = %v freeze=%v, want %v freeze=%v", tc.name, got, got.Freeze, &tc.want, tc.want.Freeze)
				}
			}
			if n := len(spec.Maps); n != 9 {
				t.Errorf("%d maps, want 9", n)
			}
			// outer's initialiser: slot 1 holds inner_b.
			if got := spec.InnerMaps["outer"]; len(got) != 1 || got[0] != (bpf.InnerMapSlot{Key: 1, Map: "inner_b"}) {
				t.Errorf("inner maps of outer = %v, want [{1 inner_b}]", got)
			}
			inner := spec.Maps["outer"].InnerMap
			if inner == nil || inner.Type != bpf.Array || inner.KeySize != 4 || inner.ValueSize != 4 || inner.MaxEntries != 2 {
				t.Errorf("outer's inner map = %v, want Array key=4 value=4 max=2", inner)
			}
			// Key and value BTF are kept for BTF-defined maps.
			counts := spec.Maps["counts"]
			if len(counts.BTF) == 0 || counts.BTFKeyTypeID == 0 || counts.BTFValueTypeID == 0 {
				t.Errorf("counts: BTF %d bytes, key id %d, value id %d: want all set", len(counts.BTF), counts.BTFKeyTypeID, counts.BTFValueTypeID)
			}
			// Global data: Contents hold the initial values.
			data := spec.Maps[".data"].Contents
			if len(data) != 1 || !bytes.Equal(data[0].Value, spec.Maps[".data"].Contents[0].Value) || seedValue(data[0].Value, obj) != 7 {
				t.Errorf(".data contents = %v, want seed = 7", data)
			}
			if bss := spec.Maps[".bss"].Contents; len(bss) != 1 || !bytes.Equal(bss[0].Value, make([]byte, 32)) {
				t.Errorf(".bss contents = %v, want 32 zero bytes", bss)
			}
		})
	}
}

func seedValue(b []byte, obj string) uint32 {
	if strings.HasSuffix(obj, "_eb.o") {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

func TestPrograms(t *testing.T) {
	spec := mustLoad(t, "testdata/collection.o")
	for _, tc := range []struct {
		name      string
		typ       bpf.ProgramType
		functions []string // labels in order: entry, then subprograms
		refs      []string // map and global data references in order
		coreRelos int
	}{
		{"xdp_count", bpf.XDP, []string{"xdp_count", "bump"}, []string{".rodata", ".bss", "counts"}, 0},
		{"sock_one", bpf.SocketFilter, []string{"sock_one", "bump", "bump_legacy"}, []string{"counts", "legacy", ".data"}, 0},
		{"sock_two", bpf.SocketFilter, []string{"sock_two", "bump"}, []string{"counts"}, 0},
		{"sys_seed", bpf.Syscall, []string{"sys_seed"}, []string{".data", ".rodata", "seen", ".bss"}, 0},
		{"core_pid", bpf.RawTracepoint, []string{"core_pid", "bump"}, []string{".bss", "counts"}, 2},
		// A callback (ld_imm64 of a function: BPF_PSEUDO_FUNC) and a global function.
		{"loop", bpf.Syscall, []string{"loop", "add_cb", "global_double"}, []string{".bss"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := spec.Programs[tc.name]
			if p == nil {
				t.Fatalf("program %q missing", tc.name)
			}
			if p.Type != tc.typ || p.License != "GPL" || p.Name != tc.name {
				t.Errorf("got %v license %q, want %v license GPL", p, p.License, tc.typ)
			}
			var labels, refs []string
			for _, ins := range p.Instructions {
				switch {
				case ins.IsLabel():
					labels = append(labels, ins.Reference)
				case ins.IsMapLoad():
					refs = append(refs, ins.Reference)
				case ins.IsFunctionCall(), ins.IsLoadImm64() && ins.Src == asm.PseudoFunc:
					if !slices.Contains(tc.functions, ins.Reference) {
						t.Errorf("call of %q, which is not among %q", ins.Reference, tc.functions)
					}
				}
			}
			if !slices.Equal(labels, tc.functions) {
				t.Errorf("functions %q, want %q", labels, tc.functions)
			}
			if !slices.Equal(refs, tc.refs) {
				t.Errorf("map references %q, want %q", refs, tc.refs)
			}
			// The instructions encode: every call resolves to a label.
			if _, err := p.Instructions.AppendEncode(nil, nil); err != nil {
				t.Errorf("encode: %v", err)
			}
			if p.BTF == nil || p.BTF.Spec == nil {
				t.Fatal("no BTF")
			}
			if n := len(p.BTF.FuncInfos); n != len(tc.functions) {
				t.Errorf("%d func_info records, want one per function (%d)", n, len(tc.functions))
			}
			if len(p.BTF.FuncInfos) > 0 && p.BTF.FuncInfos[0].InsnOff != 0 {
				t.Errorf("first func_info at byte %d, want 0", p.BTF.FuncInfos[0].InsnOff)
			}
			for i, fi := range p.BTF.FuncInfos {
				name, err := p.BTF.Spec.NameOf(fi.TypeID)
				if err != nil || i < len(tc.functions) && name != tc.functions[i] {
					t.Errorf("func_info %d names %q (%v), want %q", i, name, err, tc.functions[i])
				}
			}
			if len(p.BTF.LineInfos) == 0 || !strings.HasSuffix(p.BTF.LineInfos[0].FileName, "collection.c") {
				t.Errorf("line_info missing or not from collection.c")
			}
			if n := len(p.BTF.CORERelos); n != tc.coreRelos {
				t.Errorf("%d CO-RE relocations, want %d", n, tc.coreRelos)
			}
		})
	}
	if n := len(spec.Programs); n != 6 {
		t.Errorf("%d programs, want 6", n)
	}
}

// TestGlobalOffsets checks the offsets of global variable references: pair
// sits at offset 8 of .bss, after hits.
func TestGlobalOffsets(t *testing.T) {
	spec := mustLoad(t, "testdata/collection.o")
	var offs []uint32
	for _, ins := range spec.Programs["core_pid"].Instructions {
		if ins.IsMapLoad() && ins.Reference == ".bss" {
			offs = append(offs, uint32(uint64(ins.Constant)>>32))
		}
	}
	if !slices.Equal(offs, []uint32{8}) {
		t.Errorf(".bss offsets %v, want [8]", offs)
	}
	for _, ins := range spec.Programs["core_pid"].Instructions {
		if ins.IsMapLoad() && ins.Src != asm.PseudoMapValue && ins.Src != asm.PseudoMapFD {
			t.Errorf("map load with source %v", ins.Src)
		}
	}
}

// TestBigEndian checks that the big-endian object parses to the same shapes.
func TestBigEndian(t *testing.T) {
	le, be := mustLoad(t, "testdata/collection.o"), mustLoad(t, "testdata/collection_eb.o")
	for name, p := range le.Programs {
		q := be.Programs[name]
		if q == nil {
			t.Errorf("program %q missing from the big-endian object", name)
			continue
		}
		if p.String() != q.String() || len(p.Instructions) != len(q.Instructions) {
			t.Errorf("program %q: %v vs %v", name, p, q)
		}
		for i := range p.Instructions {
			if p.Instructions[i].String() != q.Instructions[i].String() {
				t.Errorf("program %q instruction %d: %v vs %v", name, i, p.Instructions[i], q.Instructions[i])
				break
			}
		}
	}
}

func TestSections(t *testing.T) {
	spec := mustLoad(t, "testdata/sections.o")
	for _, tc := range []struct {
		prog     string
		typ      bpf.ProgramType
		attach   bpf.AttachType
		attachTo string
		flags    uint32
	}{
		{"p_xdp", bpf.XDP, bpf.AttachXDP, "", 0},
		{"p_xdp_frags", bpf.XDP, bpf.AttachXDP, "", sys.BPF_F_XDP_HAS_FRAGS},
		{"p_tc", bpf.SchedCLS, 0, "", 0},
		{"p_classifier", bpf.SchedCLS, 0, "", 0},
		{"p_tcx_ingress", bpf.SchedCLS, bpf.AttachTCXIngress, "", 0},
		{"p_socket", bpf.SocketFilter, 0, "", 0},
		{"p_kprobe", bpf.Kprobe, 0, "do_unlinkat", 0},
		{"p_kretprobe", bpf.Kprobe, 0, "do_unlinkat", 0},
		{"p_uprobe", bpf.Kprobe, 0, "/bin/true:main", 0},
		{"p_uretprobe", bpf.Kprobe, 0, "", 0},
		{"p_tracepoint", bpf.TracePoint, 0, "syscalls/sys_enter_openat", 0},
		{"p_tp", bpf.TracePoint, 0, "sched/sched_switch", 0},
		{"p_raw_tp", bpf.RawTracepoint, 0, "sys_enter", 0},
		{"p_raw_tracepoint", bpf.RawTracepoint, 0, "sys_exit", 0},
		{"p_tp_btf", bpf.Tracing, bpf.AttachTraceRawTp, "sched_switch", 0},
		{"p_fentry", bpf.Tracing, bpf.AttachTraceFEntry, "do_unlinkat", 0},
		{"p_fexit", bpf.Tracing, bpf.AttachTraceFExit, "do_unlinkat", 0},
		{"p_fmod_ret", bpf.Tracing, bpf.AttachModifyReturn, "security_file_open", 0},
		{"p_fentry_s", bpf.Tracing, bpf.AttachTraceFEntry, "bpf_modify_return_test", sys.BPF_F_SLEEPABLE},
		{"p_lsm", bpf.LSM, bpf.AttachLSMMac, "file_open", 0},
		{"p_lsm_s", bpf.LSM, bpf.AttachLSMMac, "file_open", sys.BPF_F_SLEEPABLE},
		{"p_iter", bpf.Tracing, bpf.AttachTraceIter, "task", 0},
		{"p_cgroup_skb_ingress", bpf.CgroupSKB, bpf.AttachCgroupInetIngress, "", 0},
		{"p_cgroup_skb_egress", bpf.CgroupSKB, bpf.AttachCgroupInetEgress, "", 0},
		{"p_cgroup_skb", bpf.CgroupSKB, 0, "", 0},
		{"p_sock_create", bpf.CgroupSock, bpf.AttachCgroupInetSockCreate, "", 0},
		{"p_connect4", bpf.CgroupSockAddr, bpf.AttachCgroupInet4Connect, "", 0},
		{"p_connect6", bpf.CgroupSockAddr, bpf.AttachCgroupInet6Connect, "", 0},
		{"p_sendmsg4", bpf.CgroupSockAddr, bpf.AttachCgroupUDP4Sendmsg, "", 0},
		{"p_dev", bpf.CgroupDevice, bpf.AttachCgroupDevice, "", 0},
		{"p_sysctl", bpf.CgroupSysctl, bpf.AttachCgroupSysctl, "", 0},
		{"p_getsockopt", bpf.CgroupSockopt, bpf.AttachCgroupGetsockopt, "", 0},
		{"p_sockops", bpf.SockOps, bpf.AttachCgroupSockOps, "", 0},
		{"p_sk_lookup", bpf.SkLookup, bpf.AttachSkLookup, "", 0},
		{"p_flow_dissector", bpf.FlowDissector, bpf.AttachFlowDissector, "", 0},
		{"p_sk_msg", bpf.SkMsg, bpf.AttachSkMsgVerdict, "", 0},
		{"p_sk_skb_parser", bpf.SkSKB, bpf.AttachSkSKBStreamParser, "", 0},
		{"p_sk_skb_verdict", bpf.SkSKB, bpf.AttachSkSKBStreamVerdict, "", 0},
		{"p_sk_skb", bpf.SkSKB, 0, "", 0},
		{"p_struct_ops", bpf.StructOps, 0, "", 0},
		{"p_syscall", bpf.Syscall, 0, "", sys.BPF_F_SLEEPABLE},
		{"p_perf_event", bpf.PerfEvent, 0, "", 0},
		{"p_netfilter", bpf.Netfilter, bpf.AttachNetfilter, "", 0},
		{"p_lwt_in", bpf.LWTIn, 0, "", 0},
		{"p_sk_reuseport", bpf.SkReuseport, bpf.AttachSkReuseportSelect, "", 0},
		{"p_uprobe_multi", bpf.Kprobe, bpf.AttachTraceUprobeMulti, "/bin/true:main", 0},
		{"p_kprobe_multi", bpf.Kprobe, bpf.AttachTraceKprobeMulti, "do_*", 0},
	} {
		p := spec.Programs[tc.prog]
		if p == nil {
			t.Errorf("program %q missing", tc.prog)
			continue
		}
		if p.Type != tc.typ || p.AttachType != tc.attach || p.AttachTo != tc.attachTo || p.Flags != tc.flags {
			t.Errorf("%s: got %v attach %v to %q flags %#x, want %v attach %v to %q flags %#x",
				tc.prog, p.Type, p.AttachType, p.AttachTo, p.Flags, tc.typ, tc.attach, tc.attachTo, tc.flags)
		}
		if p.License != "Dual BSD/GPL" || p.KernelVersion != 0x060100 {
			t.Errorf("%s: license %q version %#x, want Dual BSD/GPL, 0x60100", tc.prog, p.License, p.KernelVersion)
		}
	}
	if n := len(spec.Programs); n != 47 {
		t.Errorf("%d programs, want 47", n)
	}
}

func TestClassifySection(t *testing.T) {
	for _, tc := range []struct {
		sec string
		ok  bool
		typ bpf.ProgramType
		to  string
	}{
		{"xdp", true, bpf.XDP, ""},
		{"xdpfoo", false, 0, ""},
		{"kprobe/", true, bpf.Kprobe, ""},
		{"tp_btf/", true, bpf.Tracing, ""},
		{"cgroup/unknown", false, 0, ""},
		{"", false, 0, ""},
		{"iter/bpf_map", true, bpf.Tracing, "bpf_map"},
	} {
		k, ok := ClassifySection(tc.sec)
		if ok != tc.ok || k.Type != tc.typ || k.AttachTo != tc.to {
			t.Errorf("ClassifySection(%q) = %+v, %v; want type %v to %q, %v", tc.sec, k, ok, tc.typ, tc.to, tc.ok)
		}
	}
}

func TestErrors(t *testing.T) {
	obj, err := os.ReadFile("testdata/collection.o")
	if err != nil {
		t.Fatal(err)
	}
	x86 := bytes.Clone(obj)
	x86[18] = 62 // e_machine = EM_X86_64
	for _, tc := range []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"empty", nil, "elf", nil},
		{"not elf", []byte("hello, world, this is not an ELF file at all"), "elf", nil},
		{"x86", x86, "not a BPF object", ErrNotBPF},
		{"truncated", obj[:len(obj)/2], "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCollectionSpecFromReader(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
	if _, err := LoadCollectionSpec("testdata/nonexistent.o"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

// TestCopyIndependent checks that a copied spec can be changed without
// touching the parsed one (Contents are deep-copied).
func TestCopyIndependent(t *testing.T) {
	spec := mustLoad(t, "testdata/collection.o")
	c := spec.Copy()
	c.Maps[".rodata"].Contents[0].Value[0] = 42
	c.Programs["xdp_count"].Instructions[1] = asm.Exit()
	if spec.Maps[".rodata"].Contents[0].Value[0] != 0 {
		t.Error("copy shares .rodata contents")
	}
	if spec.Programs["xdp_count"].Instructions[1].IsExit() {
		t.Error("copy shares instructions")
	}
}

func FuzzLoadCollectionSpec(f *testing.F) {
	for _, name := range []string{"testdata/collection.o", "testdata/collection_eb.o", "testdata/sections.o", "testdata/maps.o", "testdata/kconfig.o", "testdata/ksyms.o", "testdata/struct_ops.o", "testdata/tailcall.o"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := LoadCollectionSpecFromReader(bytes.NewReader(data))
		if err != nil {
			if spec != nil {
				t.Fatal("spec and error")
			}
			if strings.Contains(err.Error(), "malformed input") {
				t.Fatalf("parser panicked: %v", err)
			}
			return
		}
		for _, p := range spec.Programs {
			_ = p.String()
		}
	})
}

func BenchmarkLoadCollectionSpec(b *testing.B) {
	data, err := os.ReadFile("testdata/collection.o")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadCollectionSpecFromReader(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
