// Command gen writes internal/sys/types_gen.go (and asm/helpers_gen.go) from the
// running kernel's BTF, read through bpftool:
//
//	bpftool -j btf dump file /sys/kernel/btf/vmlinux format raw
//
// The JSON form carries exact member bit offsets, so every generated struct
// reproduces the kernel's layout byte for byte, with explicit padding. Run it
// with `go generate ./internal/sys`. Output is deterministic for a given BTF.
//
// Flags:
//
//	-btf   BTF file to dump (default /sys/kernel/btf/vmlinux)
//	-json  read a saved bpftool JSON dump instead of running bpftool
//	-out   output path for the sys package file (default types_gen.go)
//	-asm   output path for the asm helper table (default ../../asm/helpers_gen.go; "" disables)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
)

type member struct {
	Name         string `json:"name"`
	TypeID       int    `json:"type_id"`
	BitsOffset   int    `json:"bits_offset"`
	BitfieldSize int    `json:"bitfield_size"`
}

type enumVal struct {
	Name string      `json:"name"`
	Val  json.Number `json:"val"`
}

type btfType struct {
	ID       int       `json:"id"`
	Kind     string    `json:"kind"`
	Name     string    `json:"name"`
	Size     int       `json:"size"`
	TypeID   int       `json:"type_id"`
	NrElems  int       `json:"nr_elems"`
	Encoding string    `json:"encoding"`
	Members  []member  `json:"members"`
	Values   []enumVal `json:"values"`
}

type spec struct {
	types  map[int]*btfType
	byName map[string]*btfType // "KIND name"
	order  []*btfType
}

func load(jsonPath, btfPath string) (*spec, error) {
	var raw []byte
	var err error
	if jsonPath != "" {
		raw, err = os.ReadFile(jsonPath)
	} else {
		raw, err = exec.Command("bpftool", "-j", "btf", "dump", "file", btfPath, "format", "raw").Output()
	}
	if err != nil {
		return nil, fmt.Errorf("read BTF: %w", err)
	}
	var doc struct {
		Types []*btfType `json:"types"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode bpftool JSON: %w", err)
	}
	s := &spec{types: map[int]*btfType{}, byName: map[string]*btfType{}, order: doc.Types}
	for _, t := range doc.Types {
		s.types[t.ID] = t
		k := t.Kind + " " + t.Name
		if _, dup := s.byName[k]; !dup {
			s.byName[k] = t
		}
	}
	return s, nil
}

func (s *spec) named(kind, name string) *btfType {
	t := s.byName[kind+" "+name]
	if t == nil {
		log.Fatalf("BTF has no %s %s", kind, name)
	}
	return t
}

// resolve skips typedefs and qualifiers.
func (s *spec) resolve(id int) *btfType {
	for {
		t := s.types[id]
		if t == nil {
			log.Fatalf("BTF type id %d missing", id)
		}
		switch t.Kind {
		case "TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG":
			id = t.TypeID
		default:
			return t
		}
	}
}

func (s *spec) sizeof(id int) int {
	t := s.resolve(id)
	switch t.Kind {
	case "ARRAY":
		return t.NrElems * s.sizeof(t.TypeID)
	case "PTR":
		return 8
	}
	return t.Size
}

// ---- naming ----

var initialisms = map[string]string{
	"fd": "FD", "fds": "FDs", "id": "ID", "ids": "IDs", "btf": "BTF", "cpu": "CPU",
	"tcp": "TCP", "udp": "UDP", "xdp": "XDP", "ip": "IP", "ipv4": "IPv4", "ipv6": "IPv6",
	"jit": "JIT", "tcx": "TCX", "gpl": "GPL", "uid": "UID", "gid": "GID", "mtu": "MTU",
	"ns": "Ns", "tls": "TLS", "lsm": "LSM",
}

func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if w == "" {
			continue
		}
		if v, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(v)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// pointerNames lists __u64 members that carry a user-space address. BTF types
// them as plain __u64, so this is the one hand-maintained fact; the layout test
// checks sizes, and the names come from include/uapi/linux/bpf.h comments.
var pointerNames = map[string]bool{
	"key": true, "value": true, "next_key": true, "in_batch": true, "out_batch": true,
	"keys": true, "values": true, "insns": true, "license": true, "log_buf": true,
	"func_info": true, "line_info": true, "fd_array": true, "core_relos": true,
	"signature": true, "pathname": true, "prog_ids": true, "prog_attach_flags": true,
	"link_ids": true, "link_attach_flags": true, "data_in": true, "data_out": true,
	"ctx_in": true, "ctx_out": true, "info": true, "name": true, "btf": true,
	"btf_log_buf": true, "buf": true, "iter_info": true, "syms": true, "addrs": true,
	"cookies": true, "path": true, "offsets": true, "ref_ctr_offsets": true,
	"stream_buf": true, "excl_prog_hash": true,
	// info structs
	"jited_prog_insns": true, "xlated_prog_insns": true, "map_ids": true,
	"jited_ksyms": true, "jited_func_lens": true, "jited_line_info": true,
	"prog_tags": true, "tp_name": true, "target_name": true, "file_name": true,
	"func_name": true,
}

// ---- layout ----

type bitfield struct {
	name  string
	shift int
	width int
}

type field struct {
	name    string // Go name; "_" for padding
	goType  string
	off     int
	size    int
	tag     string // btf path
	aliases []string
	bits    []bitfield
	parent  string // C name of the enclosing named member, for collision renames
}

type variant struct {
	suffix string
	fields []field
}

type gen struct {
	s *spec
}

func (g *gen) scalarType(t *btfType, name string) (string, bool) {
	switch t.Kind {
	case "INT":
		signed := t.Encoding == "SIGNED"
		switch t.Size {
		case 1:
			if signed {
				return "int8", true
			}
			return "uint8", true
		case 2:
			if signed {
				return "int16", true
			}
			return "uint16", true
		case 4:
			if signed {
				return "int32", true
			}
			return "uint32", true
		case 8:
			if pointerNames[name] {
				return "Pointer", true
			}
			if signed {
				return "int64", true
			}
			return "uint64", true
		}
	case "ENUM", "ENUM64":
		signed := t.Encoding == "SIGNED"
		switch t.Size {
		case 4:
			if signed {
				return "int32", true
			}
			return "uint32", true
		case 8:
			return "uint64", true
		}
	case "PTR":
		return "Pointer", true
	}
	return "", false
}

func (g *gen) goType(id int, name string) string {
	t := g.s.resolve(id)
	if st, ok := g.scalarType(t, name); ok {
		return st
	}
	if t.Kind == "ARRAY" {
		return fmt.Sprintf("[%d]%s", t.NrElems, g.goType(t.TypeID, ""))
	}
	log.Fatalf("no Go type for %s %s (member %s)", t.Kind, t.Name, name)
	return ""
}

func isAnon(n string) bool { return n == "" || n == "(anon)" }

func join(path, name string) string {
	if isAnon(name) {
		return path
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// layout returns the variants of the aggregate type id placed at byte offset
// base. parent is the C name of the nearest named member.
func (g *gen) layout(id int, base int, path, parent string) []variant {
	t := g.s.resolve(id)
	if t.Kind == "UNION" {
		return g.union(t, base, path, parent)
	}
	if t.Kind != "STRUCT" {
		log.Fatalf("layout of %s", t.Kind)
	}
	vs := []variant{{}}
	for i := 0; i < len(t.Members); i++ {
		m := t.Members[i]
		if m.BitfieldSize > 0 {
			// Group consecutive bitfields sharing one storage unit.
			unit := g.s.sizeof(m.TypeID)
			start := m.BitsOffset / (unit * 8) * (unit * 8)
			f := field{name: "", goType: g.goType(m.TypeID, ""), off: base + start/8, size: unit,
				tag: join(path, m.Name), parent: parent}
			for ; i < len(t.Members); i++ {
				b := t.Members[i]
				if b.BitfieldSize == 0 || b.BitsOffset >= start+unit*8 {
					break
				}
				f.bits = append(f.bits, bitfield{name: b.Name, shift: b.BitsOffset - start, width: b.BitfieldSize})
			}
			i--
			for j := range vs {
				vs[j].fields = append(vs[j].fields, f)
			}
			continue
		}
		mt := g.s.resolve(m.TypeID)
		off := base + m.BitsOffset/8
		var mvs []variant
		switch mt.Kind {
		case "STRUCT", "UNION":
			p := parent
			if !isAnon(m.Name) {
				p = m.Name
			}
			mvs = g.layout(m.TypeID, off, join(path, m.Name), p)
		default:
			mvs = []variant{{fields: []field{{
				name: camel(m.Name), goType: g.goType(m.TypeID, m.Name), off: off,
				size: g.s.sizeof(m.TypeID), tag: join(path, m.Name), parent: parent,
			}}}}
		}
		var next []variant
		for _, v := range vs {
			for _, mv := range mvs {
				next = append(next, variant{
					suffix: v.suffix + mv.suffix,
					fields: append(slices.Clone(v.fields), mv.fields...),
				})
			}
		}
		vs = next
	}
	return vs
}

// isBitsStruct reports whether m is an anonymous struct of bitfields only, of size size.
func (g *gen) isBitsStruct(m member, size int) bool {
	t := g.s.resolve(m.TypeID)
	if !isAnon(m.Name) || t.Kind != "STRUCT" || t.Size != size || len(t.Members) == 0 {
		return false
	}
	for _, b := range t.Members {
		if b.BitfieldSize == 0 || g.s.sizeof(b.TypeID) != size {
			return false
		}
	}
	return true
}

func (g *gen) isScalar(id int) bool {
	t := g.s.resolve(id)
	_, ok := g.scalarType(t, "")
	return ok
}

func (g *gen) union(t *btfType, base int, path, parent string) []variant {
	// A union of same-size scalars (and anonymous structs made only of
	// bitfields filling the same storage) is one field with aliases.
	scalar, first := true, -1
	for i, m := range t.Members {
		if g.isBitsStruct(m, t.Size) {
			continue
		}
		if !g.isScalar(m.TypeID) || g.s.sizeof(m.TypeID) != t.Size {
			scalar = false
		}
		if first < 0 {
			first = i
		}
	}
	if scalar && first >= 0 {
		m := t.Members[first]
		f := field{name: camel(m.Name), goType: g.goType(m.TypeID, m.Name), off: base, size: t.Size,
			tag: join(path, m.Name), parent: parent}
		for i, a := range t.Members {
			switch {
			case i == first:
			case g.isBitsStruct(a, t.Size):
				for _, b := range g.s.resolve(a.TypeID).Members {
					f.bits = append(f.bits, bitfield{name: b.Name, shift: b.BitsOffset, width: b.BitfieldSize})
				}
			default:
				f.aliases = append(f.aliases, a.Name)
			}
		}
		return []variant{{fields: []field{f}}}
	}
	if len(t.Members) == 1 {
		m := t.Members[0]
		p := parent
		if !isAnon(m.Name) {
			p = m.Name
		}
		return g.member(m, base, path, p)
	}
	// A union of aggregates: the base variant holds it as opaque bytes,
	// and every member yields a variant of its own.
	vs := []variant{{fields: []field{{name: "Extra", goType: fmt.Sprintf("[%d]byte", t.Size), off: base, size: t.Size}}}}
	for _, m := range t.Members {
		p := parent
		if !isAnon(m.Name) {
			p = m.Name
		}
		suffix := camel(m.Name)
		if isAnon(m.Name) {
			mt := g.s.resolve(m.TypeID)
			suffix = camel(strings.SplitN(mt.Members[0].Name, "_", 2)[0])
		}
		for _, mv := range g.member(m, base, path, p) {
			vs = append(vs, variant{suffix: suffix + mv.suffix, fields: mv.fields})
		}
	}
	return vs
}

func (g *gen) member(m member, base int, path, parent string) []variant {
	off := base + m.BitsOffset/8
	mt := g.s.resolve(m.TypeID)
	if mt.Kind == "STRUCT" || mt.Kind == "UNION" {
		return g.layout(m.TypeID, off, join(path, m.Name), parent)
	}
	return []variant{{fields: []field{{
		name: camel(m.Name), goType: g.goType(m.TypeID, m.Name), off: off,
		size: g.s.sizeof(m.TypeID), tag: join(path, m.Name), parent: parent,
	}}}}
}

// ---- output ----

type out struct {
	bytes.Buffer
}

func (o *out) p(format string, args ...any) { fmt.Fprintf(&o.Buffer, format, args...) }

type emitted struct {
	goName string
	root   string // test locator: "bpf_attr/<first field or member>" or a struct name
	size   int
}

func (g *gen) emitStruct(o *out, goName, doc string, fields []field, size int) {
	// Resolve name collisions and bitfield storage names.
	seen := map[string]bool{}
	nbits := 0
	for i := range fields {
		f := &fields[i]
		if f.bits != nil && f.name == "" {
			f.name = "Bits"
			if nbits > 0 {
				f.name = fmt.Sprintf("Bits%d", nbits)
			}
			nbits++
		}
		if seen[f.name] && f.name != "_" {
			f.name = camel(f.parent) + f.name
		}
		if seen[f.name] && f.name != "_" {
			log.Fatalf("%s: duplicate field %s", goName, f.name)
		}
		seen[f.name] = true
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].off < fields[j].off })
	o.p("%s\n", doc)
	o.p("type %s struct {\n", goName)
	off := 0
	for _, f := range fields {
		if f.off < off {
			log.Fatalf("%s: field %s at %d overlaps previous end %d", goName, f.name, f.off, off)
		}
		if f.off > off {
			o.p("\t_ [%d]byte\n", f.off-off)
		}
		if strings.HasPrefix(f.tag[strings.LastIndex(f.tag, ".")+1:], "__") && f.bits == nil {
			f.name = "_"
		}
		tag := ""
		if f.tag != "" {
			tag = fmt.Sprintf(" `btf:%q`", f.tag)
			if f.bits != nil {
				tag = fmt.Sprintf(" `btf:%q bits:\"\"`", f.tag)
			}
		}
		o.p("\t%s %s%s\n", f.name, f.goType, tag)
		off = f.off + f.size
	}
	if off < size {
		o.p("\t_ [%d]byte\n", size-off)
	}
	o.p("}\n\n")
	recv := strings.ToLower(goName[:1])
	for _, f := range fields {
		for _, a := range f.aliases {
			an := camel(a)
			if seen[an] {
				log.Fatalf("%s: alias %s collides with a field", goName, an)
			}
			o.p("// %s returns %s, which shares storage with %s (C union member %s).\n", an, f.name, f.name, a)
			o.p("func (%s *%s) %s() %s { return %s.%s }\n\n", recv, goName, an, f.goType, recv, f.name)
			o.p("// Set%s sets %s (C union member %s, shares storage with %s).\n", an, f.name, a, f.name)
			o.p("func (%s *%s) Set%s(v %s) { %s.%s = v }\n\n", recv, goName, an, f.goType, recv, f.name)
		}
		for _, b := range f.bits {
			bn := camel(b.name)
			if strings.HasPrefix(b.name, "__") {
				continue
			}
			if seen[bn] {
				bn = "Bit" + bn
			}
			mask := uint64(1)<<b.width - 1
			o.p("// %s returns the %d-bit C bitfield %s stored in %s.\n", bn, b.width, b.name, f.name)
			o.p("func (%s *%s) %s() %s { return %s.%s >> %d & %#x }\n\n", recv, goName, bn, f.goType, recv, f.name, b.shift, mask)
			o.p("// Set%s sets the %d-bit C bitfield %s stored in %s.\n", bn, b.width, b.name, f.name)
			o.p("func (%s *%s) Set%s(v %s) { %s.%s = %s.%s&^(%#x<<%d) | (v&%#x)<<%d }\n\n",
				recv, goName, bn, f.goType, recv, f.name, recv, f.name, mask, b.shift, mask, b.shift)
		}
	}
}

// attrNames names the anonymous members of union bpf_attr by their first named
// field, and renames the named ones after the command they serve.
var attrNames = map[string]string{
	"map_type": "MapCreate", "map_fd": "MapElem", "prog_type": "ProgLoad", "pathname": "ObjPin",
	"target_fd": "ProgAttach", "start_id": "GetID", "btf": "BTFLoad",
	"batch": "MapBatch", "test": "ProgTestRun", "info": "ObjInfo", "query": "ProgQuery",
	"raw_tracepoint": "RawTracepointOpen", "task_fd_query": "TaskFDQuery",
}

var attrCmds = map[string]string{
	"MapCreate":         "BPF_MAP_CREATE",
	"MapElem":           "BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY, BPF_MAP_LOOKUP_AND_DELETE_ELEM and BPF_MAP_FREEZE",
	"MapBatch":          "BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH and BPF_MAP_DELETE_BATCH",
	"ProgLoad":          "BPF_PROG_LOAD",
	"ObjPin":            "BPF_OBJ_PIN and BPF_OBJ_GET",
	"ProgAttach":        "BPF_PROG_ATTACH and BPF_PROG_DETACH",
	"ProgTestRun":       "BPF_PROG_TEST_RUN",
	"GetID":             "BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID",
	"ObjInfo":           "BPF_OBJ_GET_INFO_BY_FD",
	"ProgQuery":         "BPF_PROG_QUERY",
	"RawTracepointOpen": "BPF_RAW_TRACEPOINT_OPEN",
	"BTFLoad":           "BPF_BTF_LOAD",
	"TaskFDQuery":       "BPF_TASK_FD_QUERY",
	"LinkCreate":        "BPF_LINK_CREATE",
	"LinkUpdate":        "BPF_LINK_UPDATE",
	"LinkDetach":        "BPF_LINK_DETACH",
	"EnableStats":       "BPF_ENABLE_STATS",
	"IterCreate":        "BPF_ITER_CREATE",
	"ProgBindMap":       "BPF_PROG_BIND_MAP",
	"TokenCreate":       "BPF_TOKEN_CREATE",
	"ProgStreamRead":    "BPF_PROG_STREAM_READ_BY_FD",
}

func (g *gen) firstNamed(id int) string {
	t := g.s.resolve(id)
	for _, m := range t.Members {
		if !isAnon(m.Name) {
			return m.Name
		}
		if n := g.firstNamed(m.TypeID); n != "" {
			return n
		}
	}
	return ""
}

type enumSpec struct {
	btf, goName, doc string
	strMethod        bool
}

var typedEnums = []enumSpec{
	{"bpf_cmd", "Cmd", "Cmd is a bpf(2) command (enum bpf_cmd).", true},
	{"bpf_map_type", "MapType", "MapType is a map type (enum bpf_map_type).", true},
	{"bpf_prog_type", "ProgType", "ProgType is a program type (enum bpf_prog_type).", true},
	{"bpf_attach_type", "AttachType", "AttachType is an attach type (enum bpf_attach_type).", true},
	{"bpf_link_type", "LinkType", "LinkType is a link type (enum bpf_link_type).", true},
	{"bpf_stats_type", "StatsType", "StatsType selects statistics for BPF_ENABLE_STATS (enum bpf_stats_type).", true},
	{"bpf_task_fd_type", "TaskFDType", "TaskFDType is the kind of object BPF_TASK_FD_QUERY found (enum bpf_task_fd_type).", true},
	{"bpf_perf_event_type", "PerfEventType", "PerfEventType is the kind of perf event behind a perf_event link (enum bpf_perf_event_type).", true},
}

// untypedEnums are emitted as untyped constants.
var untypedEnums = []string{
	"perf_type_id", "perf_sw_ids", "perf_hw_id", "perf_event_sample_format",
	"perf_event_read_format", "perf_event_type", "bpf_func_id_unused",
	"nf_inet_hooks", "bpf_addr_space_cast", "bpf_text_poke_type_unused",
	"bpf_netfilter_unused", "xdp_action", "sk_action", "bpf_ret_code",
}

func (g *gen) enumValues(t *btfType) [][2]string {
	var vs [][2]string
	for _, v := range t.Values {
		if strings.HasPrefix(v.Name, "__") {
			continue
		}
		vs = append(vs, [2]string{v.Name, v.Val.String()})
	}
	return vs
}

func main() {
	btfPath := flag.String("btf", "/sys/kernel/btf/vmlinux", "BTF file to dump with bpftool")
	jsonPath := flag.String("json", "", "read this bpftool JSON dump instead of running bpftool")
	outPath := flag.String("out", "types_gen.go", "output file")
	asmPath := flag.String("asm", "../../asm/helpers_gen.go", "asm helper table output (empty: skip)")
	testPath := flag.String("test", "layout_gen_test.go", "layout table for the test (empty: skip)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	s, err := load(*jsonPath, *btfPath)
	if err != nil {
		log.Fatal(err)
	}
	g := &gen{s: s}
	var o out
	var list []emitted
	o.p("// Code generated by internal/sys/gen from the running kernel's BTF; DO NOT EDIT.\n\n")
	o.p("package sys\n\n")

	// union bpf_attr
	attr := s.named("UNION", "bpf_attr")
	for _, m := range attr.Members {
		key := m.Name
		if isAnon(key) {
			key = g.firstNamed(m.TypeID)
		}
		base, ok := attrNames[key]
		if !ok {
			if !isAnon(m.Name) {
				base = camel(m.Name)
			} else {
				log.Fatalf("bpf_attr: anonymous member starting with %q has no Go name: add it to attrNames", key)
			}
		}
		size := s.sizeof(m.TypeID)
		cmds := attrCmds[base]
		if cmds == "" {
			cmds = "the command using bpf_attr." + key
		}
		vs := g.layout(m.TypeID, 0, "", m.Name)
		if len(vs) > 1 {
			o.p("// %sAttrs is the set of %sAttr variants, one per target-specific part of its union.\n", base, base)
			o.p("type %sAttrs interface {\n\t", base)
			for i, v := range vs {
				if i > 0 {
					o.p(" | ")
				}
				o.p("%s%sAttr", base, v.suffix)
			}
			o.p("\n}\n\n")
		}
		for _, v := range vs {
			name := base + v.suffix + "Attr"
			doc := fmt.Sprintf("// %s is the bpf_attr layout of %s (%d bytes).", name, cmds, size)
			if v.suffix != "" {
				doc = fmt.Sprintf("// %s is the bpf_attr layout of %s with the %s part of its union (%d bytes).", name, cmds, v.suffix, size)
			}
			g.emitStruct(&o, name, doc, v.fields, size)
			list = append(list, emitted{name, "bpf_attr/" + key, size})
		}
	}

	structs := []struct{ btf, goName, doc string }{
		{"bpf_map_info", "MapInfo", "is struct bpf_map_info, filled by BPF_OBJ_GET_INFO_BY_FD for a map"},
		{"bpf_prog_info", "ProgInfo", "is struct bpf_prog_info, filled by BPF_OBJ_GET_INFO_BY_FD for a program"},
		{"bpf_btf_info", "BTFInfo", "is struct bpf_btf_info, filled by BPF_OBJ_GET_INFO_BY_FD for a BTF object"},
		{"bpf_link_info", "LinkInfo", "is struct bpf_link_info, filled by BPF_OBJ_GET_INFO_BY_FD for a link"},
		{"perf_event_attr", "PerfEventAttr", "is struct perf_event_attr, the argument of perf_event_open(2)"},
	}
	for _, st := range structs {
		t := s.named("STRUCT", st.btf)
		for _, v := range g.layout(t.ID, 0, "", "") {
			name := st.goName + v.suffix
			doc := fmt.Sprintf("// %s %s (%d bytes).", name, st.doc, t.Size)
			if v.suffix != "" {
				doc = fmt.Sprintf("// %s %s, with the %s part of its union (%d bytes).", name, st.doc, v.suffix, t.Size)
			}
			g.emitStruct(&o, name, doc, v.fields, t.Size)
			list = append(list, emitted{name, st.btf, t.Size})
		}
	}

	// Typed enums.
	for _, e := range typedEnums {
		t := s.named("ENUM", e.btf)
		under := "uint32"
		if t.Encoding == "SIGNED" {
			under = "int32"
		}
		o.p("// %s\ntype %s %s\n\n", e.doc, e.goName, under)
		o.p("// Values of enum %s.\nconst (\n", e.btf)
		vals := g.enumValues(t)
		for _, v := range vals {
			o.p("\t%s %s = %s\n", v[0], e.goName, v[1])
		}
		o.p(")\n\n")
		if e.strMethod {
			o.p("// String returns the kernel's name for the value.\nfunc (v %s) String() string {\n\tswitch v {\n", e.goName)
			done := map[string]bool{}
			for _, v := range vals {
				if done[v[1]] {
					continue
				}
				done[v[1]] = true
				o.p("\tcase %s:\n\t\treturn %q\n", v[0], v[0])
			}
			o.p("\t}\n\treturn fmt.Sprintf(\"%s(%%d)\", uint32(v))\n}\n\n", e.goName)
		}
	}

	// Untyped constants from named enums and from anonymous BPF_* enums.
	o.p("// Constants of enums that have no Go type of their own.\nconst (\n")
	for _, n := range untypedEnums {
		t := s.byName["ENUM "+n]
		if t == nil {
			t = s.byName["ENUM64 "+n]
		}
		if t == nil {
			continue
		}
		o.p("\t// enum %s\n", n)
		for _, v := range g.enumValues(t) {
			o.p("\t%s = %s\n", v[0], v[1])
		}
	}
	var anon []*btfType
	for _, t := range s.order {
		if (t.Kind == "ENUM" || t.Kind == "ENUM64") && isAnon(t.Name) && len(t.Values) > 0 &&
			strings.HasPrefix(t.Values[0].Name, "BPF_") {
			anon = append(anon, t)
		}
	}
	sort.SliceStable(anon, func(i, j int) bool { return anon[i].Values[0].Name < anon[j].Values[0].Name })
	seenConst := map[string]bool{}
	for _, t := range anon {
		o.p("\t// anonymous enum\n")
		for _, v := range g.enumValues(t) {
			if seenConst[v[0]] {
				continue
			}
			seenConst[v[0]] = true
			o.p("\t%s = %s\n", v[0], v[1])
		}
	}
	o.p(")\n\n")

	// Helper function names.
	fid := s.named("ENUM", "bpf_func_id")
	var fnames []string
	type fn struct {
		name string
		id   int
	}
	var fns []fn
	for _, v := range fid.Values {
		if !strings.HasPrefix(v.Name, "BPF_FUNC_") {
			continue
		}
		n, _ := v.Val.Int64()
		fns = append(fns, fn{strings.TrimPrefix(v.Name, "BPF_FUNC_"), int(n)})
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].id < fns[j].id })
	o.p("// FuncNames maps a helper id (enum bpf_func_id) to the kernel's name of the\n")
	o.p("// helper without its BPF_FUNC_ prefix, e.g. FuncNames[1] == \"map_lookup_elem\".\n")
	o.p("var FuncNames = [...]string{\n")
	for _, f := range fns {
		o.p("\t%d: %q,\n", f.id, f.name)
		fnames = append(fnames, f.name)
	}
	o.p("}\n")
	_ = fnames

	src := o.Bytes()
	if bytes.Contains(src, []byte("fmt.Sprintf")) {
		src = bytes.Replace(src, []byte("package sys\n\n"), []byte("package sys\n\nimport \"fmt\"\n\n"), 1)
	}
	write(*outPath, src)

	if *testPath != "" {
		var t out
		t.p("// Code generated by internal/sys/gen from the running kernel's BTF; DO NOT EDIT.\n\n")
		t.p("package sys\n\nimport \"reflect\"\n\n")
		rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
		if *jsonPath != "" || *btfPath != "/sys/kernel/btf/vmlinux" {
			rel = nil
		}
		t.p("// generatedKernel is the release of the kernel whose BTF the layouts come from.\n")
		t.p("const generatedKernel = %q\n\n", strings.TrimSpace(string(rel)))
		t.p("// generatedLayouts lists every generated struct with the BTF type it mirrors.\n")
		t.p("var generatedLayouts = []struct {\n\ttyp  reflect.Type\n\troot string\n\tsize uintptr\n}{\n")
		for _, e := range list {
			t.p("\t{reflect.TypeFor[%s](), %q, %d},\n", e.goName, e.root, e.size)
		}
		t.p("}\n")
		write(*testPath, t.Bytes())
	}

	if *asmPath != "" {
		var a out
		a.p("// Code generated by internal/sys/gen from the running kernel's BTF; DO NOT EDIT.\n\n")
		a.p("package asm\n\n")
		a.p("// Helper functions (enum bpf_func_id), named after the kernel's BPF_FUNC_* values.\nconst (\n")
		for _, f := range fns {
			a.p("\tFn%s BuiltinFunc = %d // bpf_%s\n", camel(f.name), f.id, f.name)
		}
		a.p(")\n\n")
		a.p("// builtinFuncNames holds the kernel's name of each helper, indexed by id.\n")
		a.p("var builtinFuncNames = [...]string{\n")
		for _, f := range fns {
			a.p("\t%d: %q,\n", f.id, f.name)
		}
		a.p("}\n")
		write(*asmPath, a.Bytes())
	}
}

func write(path string, src []byte) {
	fmted, err := format.Source(src)
	if err != nil {
		os.WriteFile(path+".broken", src, 0o644)
		log.Fatalf("format %s: %v", path, err)
	}
	if err := os.WriteFile(path, fmted, 0o644); err != nil {
		log.Fatal(err)
	}
}
