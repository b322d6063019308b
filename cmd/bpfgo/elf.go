package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/elfobj"
	"github.com/bpfgo/bpf/internal/sys"
)

func init() {
	register(&command{
		Name:    "elf",
		Summary: "what an ELF object holds: programs, maps, globals, struct_ops tables, kernel symbols",
		Usage:   "elf FILE.o [--json]",
		Run:     runELF,
	})
}

// elfInfo is the JSON output of `bpfgo elf`: the CollectionSpec elfobj parsed, without loading
// anything.
type elfInfo struct {
	File      string         `json:"file"`
	License   string         `json:"license"`
	Programs  []elfProgram   `json:"programs"`
	Maps      []elfMap       `json:"maps"`
	StructOps []elfStructOps `json:"struct_ops"`
	Kconfig   []string       `json:"kconfig"`
}

type elfProgram struct {
	Name         string   `json:"name"`
	Section      string   `json:"section"`
	Type         string   `json:"type"`
	AttachType   string   `json:"attach_type,omitempty"`
	AttachTo     string   `json:"attach_to,omitempty"`
	Sleepable    bool     `json:"sleepable,omitempty"`
	Instructions int      `json:"instructions"`
	Functions    []string `json:"functions"` // the entry, then the subprograms it calls
	Maps         []string `json:"maps"`      // maps and global data it refers to
	Kfuncs       []string `json:"kfuncs"`
	KernelVars   []string `json:"kernel_variables"`
	CORERelos    int      `json:"core_relocations"`
	LineInfo     int      `json:"line_info"`
}

type elfMap struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Flags      uint32 `json:"flags"`
	Pinning    string `json:"pinning,omitempty"`
	Entries    int    `json:"initial_entries"`
	Inner      string `json:"inner,omitempty"`
	// Slots are the initial contents of maps of maps and program arrays: "key=name".
	Slots []string `json:"slots,omitempty"`
}

type elfStructOps struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Link     bool              `json:"link"`
	Programs map[string]string `json:"programs"`
	Data     []string          `json:"data_members"`
}

func runELF(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("elf", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: want one FILE.o", errUsage)
	}
	spec, err := elfobj.LoadCollectionSpec(pos[0])
	if err != nil {
		return err
	}
	info := inspectELF(pos[0], spec)
	if *asJSON {
		return writeJSON(rc.Stdout, info)
	}
	printELF(rc.Stdout, info)
	return nil
}

// inspectELF summarises spec, everything sorted by name.
func inspectELF(file string, spec *bpf.CollectionSpec) elfInfo {
	info := elfInfo{File: file, Programs: []elfProgram{}, Maps: []elfMap{}, StructOps: []elfStructOps{}, Kconfig: []string{}}
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		ps := spec.Programs[name]
		info.License = ps.License
		p := elfProgram{
			Name: name, Section: ps.Section, Type: ps.Type.KernelName(), AttachTo: ps.AttachTo,
			Sleepable: ps.Flags&sys.BPF_F_SLEEPABLE != 0,
			Functions: []string{}, Maps: []string{}, Kfuncs: []string{}, KernelVars: []string{},
		}
		if ps.AttachType != 0 {
			p.AttachType = ps.AttachType.String()
		}
		add := func(list *[]string, s string) {
			if s != "" && !slices.Contains(*list, s) {
				*list = append(*list, s)
			}
		}
		for _, ins := range ps.Instructions {
			switch {
			case ins.IsLabel():
				add(&p.Functions, ins.Reference)
				continue
			case ins.IsKfuncCall() && ins.IsWeak():
				add(&p.Kfuncs, ins.Reference+" (weak)")
			case ins.IsKfuncCall():
				add(&p.Kfuncs, ins.Reference)
			case ins.IsLoadImm64() && ins.Src == asm.PseudoBTFID:
				add(&p.KernelVars, ins.Reference)
			case ins.IsMapLoad():
				add(&p.Maps, ins.Reference)
			}
			p.Instructions++
		}
		slices.Sort(p.Maps)
		slices.Sort(p.Kfuncs)
		slices.Sort(p.KernelVars)
		if ps.BTF != nil {
			p.CORERelos, p.LineInfo = len(ps.BTF.CORERelos), len(ps.BTF.LineInfos)
		}
		info.Programs = append(info.Programs, p)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Maps)) {
		ms := spec.Maps[name]
		m := elfMap{Name: name, Type: ms.Type.KernelName(), KeySize: ms.KeySize, ValueSize: ms.ValueSize,
			MaxEntries: ms.MaxEntries, Flags: uint32(ms.Flags), Entries: len(ms.Contents)}
		if ms.Pinning != bpf.PinNone {
			m.Pinning = ms.Pinning.String()
		}
		if ms.InnerMap != nil {
			m.Inner = ms.InnerMap.Type.KernelName()
		}
		for _, sl := range spec.InnerMaps[name] {
			m.Slots = append(m.Slots, fmt.Sprintf("%d=%s", sl.Key, sl.Map))
		}
		for _, sl := range spec.ProgramArrays[name] {
			m.Slots = append(m.Slots, fmt.Sprintf("%d=%s", sl.Key, sl.Program))
		}
		info.Maps = append(info.Maps, m)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.StructOps)) {
		v := spec.StructOps[name]
		info.StructOps = append(info.StructOps, elfStructOps{Name: name, Type: v.Type, Link: v.Link,
			Programs: v.Programs, Data: slices.Sorted(maps.Keys(v.Data))})
	}
	for _, k := range spec.Kconfig {
		info.Kconfig = append(info.Kconfig, k.Name)
	}
	return info
}

func printELF(w io.Writer, info elfInfo) {
	fmt.Fprintf(w, "%s: license %q\n", info.File, info.License)
	fmt.Fprintf(w, "programs (%d):\n", len(info.Programs))
	for _, p := range info.Programs {
		fmt.Fprintf(w, "  %-20s %-24s %s, %d instructions", p.Name, "SEC(\""+p.Section+"\")", p.Type, p.Instructions)
		if p.AttachType != "" {
			fmt.Fprintf(w, ", %s", p.AttachType)
		}
		if p.AttachTo != "" {
			fmt.Fprintf(w, " → %s", p.AttachTo)
		}
		if p.Sleepable {
			fmt.Fprint(w, ", sleepable")
		}
		fmt.Fprintln(w)
		for _, l := range []struct {
			label string
			list  []string
		}{{"subprograms", p.Functions[min(1, len(p.Functions)):]}, {"maps", p.Maps}, {"kfuncs", p.Kfuncs}, {"kernel variables", p.KernelVars}} {
			if len(l.list) > 0 {
				fmt.Fprintf(w, "      %s: %s\n", l.label, strings.Join(l.list, ", "))
			}
		}
		if p.CORERelos > 0 {
			fmt.Fprintf(w, "      CO-RE relocations: %d\n", p.CORERelos)
		}
	}
	fmt.Fprintf(w, "maps (%d):\n", len(info.Maps))
	for _, m := range info.Maps {
		fmt.Fprintf(w, "  %-20s %-16s key %d, value %d, max %d", m.Name, m.Type, m.KeySize, m.ValueSize, m.MaxEntries)
		if m.Flags != 0 {
			fmt.Fprintf(w, ", flags %#x", m.Flags)
		}
		if m.Inner != "" {
			fmt.Fprintf(w, ", of %s", m.Inner)
		}
		if m.Pinning != "" {
			fmt.Fprintf(w, ", pinning %s", m.Pinning)
		}
		if m.Entries > 0 {
			fmt.Fprintf(w, ", %d initial entries", m.Entries)
		}
		if len(m.Slots) > 0 {
			fmt.Fprintf(w, ", holds %s", strings.Join(m.Slots, " "))
		}
		fmt.Fprintln(w)
	}
	if len(info.StructOps) > 0 {
		fmt.Fprintf(w, "struct_ops tables (%d):\n", len(info.StructOps))
		for _, s := range info.StructOps {
			via := "map update"
			if s.Link {
				via = "link"
			}
			fmt.Fprintf(w, "  %-20s struct %s (registered by %s)\n", s.Name, s.Type, via)
			for _, m := range slices.Sorted(maps.Keys(s.Programs)) {
				fmt.Fprintf(w, "      .%s = %s\n", m, s.Programs[m])
			}
			if len(s.Data) > 0 {
				fmt.Fprintf(w, "      data: %s\n", strings.Join(s.Data, ", "))
			}
		}
	}
	if len(info.Kconfig) > 0 {
		fmt.Fprintf(w, "kconfig externs: %s\n", strings.Join(info.Kconfig, ", "))
	}
}
