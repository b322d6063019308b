package main

import (
	"bytes"
	"encoding/json"
	"go/format"
	"regexp"
	"strings"
	"testing"
)

// fixture is a hand-written bpftool JSON dump covering the shapes the
// generator must handle: a scalar union, a union of structs (variants), a
// collision between a common and a variant field, bitfields, arrays, and a
// pointer-typed __u64.
const fixture = `{"types":[
{"id":1,"kind":"INT","name":"unsigned int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"(none)"},
{"id":2,"kind":"INT","name":"long long unsigned int","size":8,"bits_offset":0,"nr_bits":64,"encoding":"(none)"},
{"id":3,"kind":"TYPEDEF","name":"__u32","type_id":1},
{"id":4,"kind":"UNION","name":"(anon)","size":4,"vlen":2,"members":[{"name":"prog_fd","type_id":3,"bits_offset":0},{"name":"map_fd","type_id":3,"bits_offset":0}]},
{"id":5,"kind":"STRUCT","name":"(anon)","size":16,"vlen":2,"members":[{"name":"key","type_id":2,"bits_offset":0},{"name":"flags","type_id":3,"bits_offset":64}]},
{"id":6,"kind":"STRUCT","name":"(anon)","size":8,"vlen":2,"members":[{"name":"fast","type_id":2,"bits_offset":0,"bitfield_size":1},{"name":"mode","type_id":2,"bits_offset":1,"bitfield_size":3}]},
{"id":7,"kind":"UNION","name":"(anon)","size":16,"vlen":2,"members":[{"name":"one","type_id":5,"bits_offset":0},{"name":"two","type_id":6,"bits_offset":0}]},
{"id":8,"kind":"ARRAY","name":"(anon)","type_id":1,"index_type_id":1,"nr_elems":3},
{"id":9,"kind":"STRUCT","name":"fix","size":40,"vlen":4,"members":[{"name":"(anon)","type_id":4,"bits_offset":0},{"name":"flags","type_id":3,"bits_offset":32},{"name":"(anon)","type_id":7,"bits_offset":64},{"name":"arr","type_id":8,"bits_offset":192}]}
]}`

func loadFixture(t *testing.T) *spec {
	t.Helper()
	var doc struct{ Types []*btfType }
	dec := json.NewDecoder(strings.NewReader(fixture))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	s := &spec{types: map[int]*btfType{}, byName: map[string]*btfType{}, order: doc.Types}
	for _, ty := range doc.Types {
		s.types[ty.ID] = ty
		s.byName[ty.Kind+" "+ty.Name] = ty
	}
	return s
}

func TestLayoutVariants(t *testing.T) {
	g := &gen{s: loadFixture(t)}
	vs := g.layout(9, 0, "", "")
	var got []string
	for _, v := range vs {
		var fs []string
		for _, f := range v.fields {
			fs = append(fs, f.name+"@"+itoa(f.off)+":"+f.goType)
		}
		got = append(got, v.suffix+"{"+strings.Join(fs, " ")+"}")
	}
	want := []string{
		"{ProgFD@0:uint32 Flags@4:uint32 Extra@8:[16]byte Arr@24:[3]uint32}",
		"One{ProgFD@0:uint32 Flags@4:uint32 Key@8:Pointer Flags@16:uint32 Arr@24:[3]uint32}",
		"Two{ProgFD@0:uint32 Flags@4:uint32 @8:uint64 Arr@24:[3]uint32}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("variants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if a := vs[0].fields[0].aliases; len(a) != 1 || a[0] != "map_fd" {
		t.Errorf("aliases of ProgFD: %v", a)
	}
}

func TestEmitStruct(t *testing.T) {
	g := &gen{s: loadFixture(t)}
	vs := g.layout(9, 0, "", "")
	var o out
	o.p("package sys\n\n")
	for _, v := range vs {
		g.emitStruct(&o, "Fix"+v.suffix, "// Fix"+v.suffix+" is a fixture.", v.fields, 40)
	}
	src, err := format.Source(o.Bytes())
	if err != nil {
		t.Fatalf("generated code does not parse: %v\n%s", err, o.Bytes())
	}
	norm := regexp.MustCompile(`[ \t]+`).ReplaceAll(src, []byte(" "))
	for _, want := range []string{
		"OneFlags uint32 `btf:\"one.flags\"`", // collision renamed by parent
		"Key Pointer",                         // pointer-typed __u64
		"_ [4]byte\n Arr",                     // padding before Arr in variant One
		"func (f *Fix) SetMapFD(v uint32) { f.ProgFD = v }",
		"func (f *FixTwo) SetMode(v uint64) { f.Bits = f.Bits&^(0x7<<1) | (v&0x7)<<1 }",
		"_ [4]byte\n}", // trailing padding to 40 bytes
	} {
		if !bytes.Contains(norm, []byte(want)) {
			t.Errorf("generated code lacks %q:\n%s", want, src)
		}
	}
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"map_lookup_elem":           "MapLookupElem",
		"get_smp_processor_id":      "GetSmpProcessorID",
		"btf_vmlinux_value_type_id": "BTFVmlinuxValueTypeID",
		"skb_load_bytes_relative":   "SkbLoadBytesRelative",
		"ktime_get_ns":              "KtimeGetNs",
		"prog_ids":                  "ProgIDs",
		"__reserved":                "Reserved",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Replace(string(rune('0'+i/10))+string(rune('0'+i%10)), "0", " ", 1))
}
