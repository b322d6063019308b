package asm

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/bpfgo/bpf/internal/testutil"
)

// rawBTF is what `bpftool btf dump format raw` says about the structs and enums we check.
type rawBTF struct {
	structs map[string]btfStruct
	enums   map[string]map[string]int64
}

type btfStruct struct {
	size    int
	members []btfMember
}

type btfMember struct {
	name string
	off  int // bytes
}

var (
	rawKind   = regexp.MustCompile(`^\[\d+\] (STRUCT|ENUM|ENUM64) '([^']*)' (?:encoding=\S+ )?size=(\d+)`)
	rawMember = regexp.MustCompile(`^\t'([^']*)' type_id=\d+ bits_offset=(\d+)`)
	rawEnum   = regexp.MustCompile(`^\t'([^']*)' val=(-?\d+)`)
)

func vmlinuxBTF(t *testing.T) rawBTF {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	const vmlinux = "/sys/kernel/btf/vmlinux"
	if _, err := os.Stat(vmlinux); err != nil {
		t.Skipf("kernel has no BTF (CONFIG_DEBUG_INFO_BTF): %v", err)
	}
	out, err := exec.Command(tool, "btf", "dump", "file", vmlinux, "format", "raw").Output()
	if err != nil {
		t.Fatalf("bpftool btf dump: %v", err)
	}
	res := rawBTF{structs: map[string]btfStruct{}, enums: map[string]map[string]int64{}}
	var st *btfStruct
	var en map[string]int64
	var stName string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	flush := func() {
		if st != nil {
			if _, dup := res.structs[stName]; !dup {
				res.structs[stName] = *st
			}
		}
		st, en = nil, nil
	}
	for sc.Scan() {
		line := sc.Text()
		if m := rawKind.FindStringSubmatch(line); m != nil {
			flush()
			size, _ := strconv.Atoi(m[3])
			if m[1] == "STRUCT" {
				st, stName = &btfStruct{size: size}, m[2]
			} else if m[2] != "(anon)" {
				en = map[string]int64{}
				res.enums[m[2]] = en
			} else {
				en = map[string]int64{}
				res.enums["(anon)"+strconv.Itoa(len(res.enums))] = en
			}
			continue
		}
		if line != "" && line[0] == '[' {
			flush()
			continue
		}
		if m := rawMember.FindStringSubmatch(line); m != nil && st != nil {
			bits, _ := strconv.Atoi(m[2])
			st.members = append(st.members, btfMember{name: m[1], off: bits / 8})
		} else if m := rawEnum.FindStringSubmatch(line); m != nil && en != nil {
			v, _ := strconv.ParseInt(m[2], 10, 64)
			en[m[1]] = v
		}
	}
	flush()
	return res
}

// TestContextLayoutsMatchBTF checks the offsets, sizes and order of XDPMdFields and SkBuffFields
// against the running kernel's BTF.
func TestContextLayoutsMatchBTF(t *testing.T) {
	btf := vmlinuxBTF(t)
	for _, tc := range []struct {
		name   string
		size   int
		fields []CtxField
		anon   map[string]bool // our names of BTF's anonymous union members
	}{
		{"xdp_md", XDPMdSize, XDPMdFields, nil},
		{"__sk_buff", SkBuffSize, SkBuffFields, map[string]bool{"flow_keys": true, "sk": true}},
	} {
		st, ok := btf.structs[tc.name]
		if !ok {
			t.Fatalf("no struct %s in vmlinux BTF", tc.name)
		}
		if st.size != tc.size {
			t.Errorf("sizeof(struct %s) = %d in BTF, %d here", tc.name, st.size, tc.size)
		}
		if len(st.members) != len(tc.fields) {
			t.Fatalf("struct %s: %d members in BTF, %d here", tc.name, len(st.members), len(tc.fields))
		}
		for i, m := range st.members {
			f := tc.fields[i]
			end := st.size
			if i+1 < len(st.members) {
				end = st.members[i+1].off
			}
			switch {
			case m.name == "(anon)" && !tc.anon[f.Name], m.name != "(anon)" && m.name != f.Name:
				t.Errorf("%s member %d: BTF %q, here %q", tc.name, i, m.name, f.Name)
			case m.off != int(f.Offset):
				t.Errorf("%s.%s: offset %d in BTF, %d here", tc.name, f.Name, m.off, f.Offset)
			case f.Size > end-m.off || f.Size < end-m.off && f.Name != "tstamp_type":
				// tstamp_type is a __u8 followed by padding.
				t.Errorf("%s.%s: %d bytes up to the next member in BTF, size %d here", tc.name, f.Name, end-m.off, f.Size)
			}
		}
	}
}

func TestReturnCodesMatchBTF(t *testing.T) {
	btf := vmlinuxBTF(t)
	want := map[string]map[string]int64{
		"xdp_action":      {"XDP_ABORTED": XDPAborted, "XDP_DROP": XDPDrop, "XDP_PASS": XDPPass, "XDP_TX": XDPTx, "XDP_REDIRECT": XDPRedirect},
		"tcx_action_base": {"TCX_NEXT": TCXNext, "TCX_PASS": TCXPass, "TCX_DROP": TCXDrop, "TCX_REDIRECT": TCXRedirect},
		"sk_action":       {"SK_DROP": SKDrop, "SK_PASS": SKPass},
		"bpf_ret_code": {"BPF_OK": BPFOk, "BPF_DROP": BPFDrop, "BPF_REDIRECT": BPFRedirect,
			"BPF_LWT_REROUTE": BPFLWTReroute, "BPF_FLOW_DISSECTOR_CONTINUE": BPFFlowDissectorContinue},
	}
	// Kernels older than the feature an enum belongs to lack the enum.
	since := map[string]string{"tcx_action_base": "TCX (Linux 6.6)"}
	for enum, vals := range want {
		t.Run(enum, func(t *testing.T) {
			got, ok := btf.enums[enum]
			if !ok {
				if feature, newer := since[enum]; newer {
					t.Skipf("kernel lacks %s: no enum %s in vmlinux BTF", feature, enum)
				}
				t.Fatalf("no enum %s in vmlinux BTF", enum)
			}
			for name, v := range vals {
				if g, ok := got[name]; !ok || g != v {
					t.Errorf("%s: BTF %d (present %v), here %d", name, g, ok, v)
				}
			}
		})
	}
}

func TestCtxFieldCanLoad(t *testing.T) {
	field := func(fields []CtxField, name string) CtxField {
		for _, f := range fields {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("no field %s", name)
		return CtxField{}
	}
	for _, tc := range []struct {
		f    CtxField
		off  int16
		size Size
		want bool
	}{
		{field(XDPMdFields, "data"), XDPMdData, W, true},
		{field(XDPMdFields, "data"), XDPMdData, DW, false}, // clj-ebpf's docs got this wrong
		{field(XDPMdFields, "data_end"), XDPMdDataEnd, H, false},
		{field(SkBuffFields, "len"), SkBuffLen + 2, H, true},
		{field(SkBuffFields, "len"), SkBuffLen + 1, H, false},
		{field(SkBuffFields, "data"), SkBuffData, B, false},
		{field(SkBuffFields, "cb"), SkBuffCB + 8, DW, true},
		{field(SkBuffFields, "cb"), SkBuffCB + 16, DW, false}, // crosses the end of cb
		{field(SkBuffFields, "tstamp"), SkBuffTstamp, W, false},
		{field(SkBuffFields, "flow_keys"), SkBuffFlowKeys, DW, false},
	} {
		if got := tc.f.CanLoad(tc.off, tc.size); got != tc.want {
			t.Errorf("%s: CanLoad(%d, %v) = %v, want %v", tc.f.Name, tc.off, tc.size, got, tc.want)
		}
	}
}
