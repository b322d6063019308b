package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bpfgo/bpf/btf"
)

func init() {
	register(&command{
		Name:    "btf",
		Summary: "print BTF types in C syntax or as JSON, or dump a whole BTF file, like bpftool btf",
		Usage:   "btf show NAME [--id N] [--file F] [--json] | btf dump [--file F] [--format raw|c]",
		Run:     runBTF,
	})
}

// btfJSON is the JSON form of one type printed by `bpfgo btf show --json`.
type btfJSON struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Size uint64 `json:"size"`
	// Members is set for structs and unions, Values for enums (empty lists are printed).
	Members *[]btfMemberJSON `json:"members,omitempty"`
	Values  *[]btfValueJSON  `json:"values,omitempty"`
}

type btfMemberJSON struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	BitOffset    uint32 `json:"bit_offset"`
	BitfieldSize uint8  `json:"bitfield_size"`
}

// btfValueJSON is an enumerator; Value is an int64 for signed enums and a uint64 otherwise,
// so that JSON shows the number C would.
type btfValueJSON struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

func runBTF(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("btf", flag.ContinueOnError)
	file := fs.String("file", btf.KernelBTFPath, "raw BTF file or ELF object with a .BTF section")
	idFlag := fs.Uint("id", 0, "the type id, where several types share the name")
	asJSON := fs.Bool("json", false, "print JSON (show)")
	format := fs.String("format", "raw", "dump format: raw or c (dump)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: missing subcommand (show or dump)", errUsage)
	}
	switch pos[0] {
	case "show":
		if len(pos) > 2 || len(pos) == 1 && *idFlag == 0 {
			return fmt.Errorf("%w: btf show takes one type name (or --id)", errUsage)
		}
		name := ""
		if len(pos) == 2 {
			name = pos[1]
		}
		spec, err := loadBTFFile(*file)
		if err != nil {
			return err
		}
		id, err := pickType(spec, name, btf.TypeID(*idFlag))
		if err != nil {
			return err
		}
		if *asJSON {
			j, err := typeJSON(spec, id)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(rc.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(j)
		}
		out, err := spec.FormatC(id, nil)
		if err != nil {
			return fmt.Errorf("type %d: %w", id, err)
		}
		_, err = fmt.Fprintln(rc.Stdout, out)
		return err
	case "dump":
		if len(pos) != 1 {
			return fmt.Errorf("%w: btf dump takes no arguments", errUsage)
		}
		if *format != "raw" && *format != "c" {
			return fmt.Errorf("%w: --format %q: want raw or c", errUsage, *format)
		}
		spec, err := loadBTFFile(*file)
		if err != nil {
			return err
		}
		return dumpBTF(rc, spec, *format)
	}
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, pos[0])
}

// loadBTFFile parses the kernel's BTF, a module's (split on top of the kernel's), a raw BTF
// file or an ELF object's .BTF section.
func loadBTFFile(path string) (*btf.Spec, error) {
	if path == btf.KernelBTFPath {
		return btf.LoadKernelSpec()
	}
	if dir, mod := filepath.Split(path); filepath.Clean(dir) == filepath.Dir(btf.KernelBTFPath) && mod != "vmlinux" {
		base, err := btf.LoadKernelSpec()
		if err != nil {
			return nil, err
		}
		return btf.LoadKernelModuleSpec(mod, base)
	}
	spec, err := btf.LoadSpec(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// pickType returns the type NAME names: the one --id gives, or else the lowest id.
func pickType(spec *btf.Spec, name string, id btf.TypeID) (btf.TypeID, error) {
	if id != 0 {
		got, err := spec.NameOf(id)
		if err != nil {
			return 0, fmt.Errorf("type id %d: %w", id, err)
		}
		if name != "" && got != name {
			return 0, fmt.Errorf("type id %d is %q, not %q", id, got, name)
		}
		return id, nil
	}
	ids := spec.TypeIDsByName(name)
	if len(ids) == 0 {
		return 0, fmt.Errorf("type %q: not found", name)
	}
	lowest := ids[0]
	for _, i := range ids[1:] {
		lowest = min(lowest, i)
	}
	return lowest, nil
}

// typeJSON describes type id for --json.
func typeJSON(spec *btf.Spec, id btf.TypeID) (*btfJSON, error) {
	t, err := spec.TypeByID(id)
	if err != nil {
		return nil, fmt.Errorf("type %d: %w", id, err)
	}
	j := &btfJSON{ID: uint32(id), Name: t.TypeName(), Kind: strings.ToLower(t.Kind().String())}
	if n, err := spec.Sizeof(id); err == nil {
		j.Size = uint64(n)
	}
	var members []btf.Member
	switch t := t.(type) {
	case *btf.Struct:
		members = t.Members
		j.Members = &[]btfMemberJSON{}
	case *btf.Union:
		members = t.Members
		j.Members = &[]btfMemberJSON{}
	case *btf.Enum:
		values := make([]btfValueJSON, 0, len(t.Values))
		for _, v := range t.Values {
			var val any = v.Value
			if t.Signed {
				val = int64(v.Value)
			}
			values = append(values, btfValueJSON{Name: v.Name, Value: val})
		}
		j.Values = &values
	}
	for _, m := range members {
		ts, err := spec.TypeString(m.Type)
		if err != nil {
			return nil, fmt.Errorf("type %d: member %q: %w", id, m.Name, err)
		}
		if strings.Contains(ts, "\n") { // an anonymous struct or union: one line
			ts = strings.Join(strings.Fields(ts), " ")
		}
		*j.Members = append(*j.Members, btfMemberJSON{Name: m.Name, Type: ts, BitOffset: m.BitOffset, BitfieldSize: m.BitfieldSize})
	}
	return j, nil
}

// dumpBTF prints every type: in bpftool's raw format, or as C definitions of the named
// structs, unions, enums and typedefs in id order (for reading; a header a compiler takes
// needs the dependency order `bpfgo btf show NAME` does not print either).
func dumpBTF(rc *runContext, spec *btf.Spec, format string) error {
	w := bufio.NewWriterSize(rc.Stdout, 1<<16)
	for id, t := range spec.All() {
		if id == 0 {
			continue
		}
		var s string
		var err error
		if format == "raw" {
			s, err = spec.FormatRaw(id)
		} else {
			switch t.Kind() {
			case btf.KindStruct, btf.KindUnion, btf.KindEnum, btf.KindEnum64, btf.KindTypedef:
				if t.TypeName() == "" {
					continue
				}
				s, err = spec.FormatC(id, nil)
				if err == nil && !strings.HasSuffix(s, ";") {
					s += ";"
				}
				s += "\n"
			default:
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("type %d: %w", id, err)
		}
		if _, err := fmt.Fprintln(w, s); err != nil {
			return err
		}
	}
	return w.Flush()
}
