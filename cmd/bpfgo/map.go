package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
)

func init() {
	register(&command{
		Name:    "map",
		Summary: "list, show and dump the BPF maps loaded in the kernel",
		Usage:   "map list | map show ID|PATH | map dump ID|PATH  [--json]",
		Run:     runMap,
	})
}

func runMap(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("map", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.BoolVar(asJSON, "j", false, "print JSON (short for --json)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: missing subcommand", errUsage)
	}
	switch verb, rest := pos[0], pos[1:]; verb {
	case "list", "ls":
		if len(rest) != 0 {
			return fmt.Errorf("%w: map list takes no arguments", errUsage)
		}
		return mapList(rc.Stdout, *asJSON)
	case "show", "dump":
		if len(rest) != 1 {
			return fmt.Errorf("%w: map %s needs one ID or PATH", errUsage, verb)
		}
		m, err := openMapArg(rest[0])
		if err != nil {
			return err
		}
		defer m.Close()
		if verb == "show" {
			return mapShow(rc.Stdout, m, *asJSON)
		}
		return mapDump(rc.Stdout, m, *asJSON)
	default:
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, verb)
	}
}

// openMapArg opens a map by id (a number) or by pinned path (anything else).
func openMapArg(arg string) (*bpf.Map, error) {
	if id, err := strconv.ParseUint(arg, 10, 32); err == nil {
		return bpf.NewMapFromID(bpf.MapID(id))
	}
	return bpf.OpenPinnedMap(arg, nil)
}

// mapJSON is the JSON of `map show` and `map list`.
type mapJSON struct {
	ID         uint32 `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Flags      uint32 `json:"flags"`
	Frozen     bool   `json:"frozen"`
	Memlock    uint64 `json:"memlock,omitempty"`
	BTFID      uint32 `json:"btf_id,omitempty"`
	Pinned     string `json:"pinned,omitempty"`
}

func toJSON(info *bpf.MapInfo, pinned string) mapJSON {
	return mapJSON{
		ID: uint32(info.ID), Name: info.Name, Type: info.Type.KernelName(),
		KeySize: info.KeySize, ValueSize: info.ValueSize, MaxEntries: info.MaxEntries,
		Flags: uint32(info.Flags), Frozen: info.Frozen, Memlock: info.Memlock, BTFID: info.BTFID,
		Pinned: pinned,
	}
}

// printInfo prints a map in bpftool's plain layout.
func printInfo(w io.Writer, info *bpf.MapInfo, pinned string) {
	fmt.Fprintf(w, "%d: %s  name %s  flags %#x\n", info.ID, info.Type.KernelName(), info.Name, uint32(info.Flags))
	fmt.Fprintf(w, "\tkey %dB  value %dB  max_entries %d", info.KeySize, info.ValueSize, info.MaxEntries)
	if info.Memlock != 0 {
		fmt.Fprintf(w, "  memlock %dB", info.Memlock)
	}
	fmt.Fprintln(w)
	if info.Frozen || info.BTFID != 0 || pinned != "" {
		fmt.Fprint(w, "\t")
		if info.Frozen {
			fmt.Fprint(w, "frozen  ")
		}
		if info.BTFID != 0 {
			fmt.Fprintf(w, "btf_id %d  ", info.BTFID)
		}
		if pinned != "" {
			fmt.Fprintf(w, "pinned %s", pinned)
		}
		fmt.Fprintln(w)
	}
}

func mapList(w io.Writer, asJSON bool) error {
	var out []mapJSON
	for id, err := range bpf.MapIDs() {
		if err != nil {
			return err
		}
		m, err := bpf.NewMapFromID(id)
		if errors.Is(err, unix.ENOENT) {
			continue // gone since it was listed
		}
		if err != nil {
			return err
		}
		info, err := m.Info()
		m.Close()
		if err != nil {
			return err
		}
		if asJSON {
			out = append(out, toJSON(info, ""))
			continue
		}
		printInfo(w, info, "")
	}
	if asJSON {
		if out == nil {
			out = []mapJSON{}
		}
		return writeJSON(w, out)
	}
	return nil
}

func mapShow(w io.Writer, m *bpf.Map, asJSON bool) error {
	info, err := m.Info()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, toJSON(info, m.PinPath()))
	}
	printInfo(w, info, m.PinPath())
	return nil
}

// dumpEntry matches bpftool's `map dump -j` for maps without BTF: bytes
// as "0x.." strings, per-CPU values as {cpu, value} objects.
type dumpEntry struct {
	Key    []string     `json:"key"`
	Value  []string     `json:"value,omitempty"`
	Values []cpuEntryJS `json:"values,omitempty"`
}

type cpuEntryJS struct {
	CPU   int      `json:"cpu"`
	Value []string `json:"value"`
}

func hexStrings(b []byte) []string {
	out := make([]string, len(b))
	for i, c := range b {
		out[i] = fmt.Sprintf("0x%02x", c)
	}
	return out
}

func mapDump(w io.Writer, m *bpf.Map, asJSON bool) error {
	if !asJSON {
		return m.Dump(w)
	}
	out := []dumpEntry{}
	it := m.Iterate()
	for k, v := range it.All() {
		e := dumpEntry{Key: hexStrings(k)}
		if m.Type().IsPerCPU() {
			for cpu := 0; ; cpu++ {
				slot := m.PerCPUSlot(v, cpu)
				if slot == nil {
					break
				}
				e.Values = append(e.Values, cpuEntryJS{CPU: cpu, Value: hexStrings(slot)})
			}
		} else {
			e.Value = hexStrings(v)
		}
		out = append(out, e)
	}
	if err := it.Err(); err != nil {
		return err
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}
