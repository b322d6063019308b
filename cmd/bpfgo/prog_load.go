package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/elfobj"
)

// pinnedObject is the JSON output of `prog load`: what was pinned where.
type pinnedObject struct {
	Programs []pinnedEntry `json:"programs"`
	Maps     []pinnedEntry `json:"maps"`
}

type pinnedEntry struct {
	Name string `json:"name"`
	ID   uint32 `json:"id"`
	Path string `json:"path"`
}

// progLoad loads every program of an ELF object and pins the programs at DIR/NAME and the maps
// at DIR/maps/NAME (bpftool prog loadall with pinmaps). The pins keep them loaded after bpfgo
// exits; on any error nothing stays pinned.
func progLoad(rc *runContext, args []string) (err error) {
	fs := flag.NewFlagSet("prog load", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: prog load takes FILE.o and a directory in a BPF filesystem", errUsage)
	}
	file, dir := pos[0], pos[1]
	spec, err := elfobj.LoadCollectionSpec(file)
	if err != nil {
		return err
	}
	if len(spec.Programs) == 0 {
		return fmt.Errorf("%s: no programs", file)
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer coll.Close() // the pins keep what must stay

	var pinned []string
	defer func() {
		if err != nil {
			for _, p := range slices.Backward(pinned) {
				os.Remove(p)
			}
			os.Remove(filepath.Join(dir, "maps")) // only if empty: we may have made it
			os.Remove(dir)
		}
	}()
	if err := os.MkdirAll(filepath.Join(dir, "maps"), 0o755); err != nil {
		return err
	}
	var out pinnedObject
	pin := func(name string, path string, pinFn func(string) error, id func() (uint32, error)) (pinnedEntry, error) {
		if strings.ContainsRune(name, '/') {
			return pinnedEntry{}, fmt.Errorf("%q: a name with a slash cannot be pinned", name)
		}
		if err := pinFn(path); err != nil {
			return pinnedEntry{}, err
		}
		pinned = append(pinned, path)
		n, err := id()
		if err != nil {
			return pinnedEntry{}, err
		}
		return pinnedEntry{Name: name, ID: n, Path: path}, nil
	}
	for _, name := range slices.Sorted(maps.Keys(coll.Programs)) {
		p := coll.Programs[name]
		e, err := pin(name, filepath.Join(dir, name), p.Pin, func() (uint32, error) { id, err := p.ID(); return uint32(id), err })
		if err != nil {
			return fmt.Errorf("program %s: %w", name, err)
		}
		out.Programs = append(out.Programs, e)
	}
	for _, name := range slices.Sorted(maps.Keys(coll.Maps)) {
		m := coll.Maps[name]
		e, err := pin(name, filepath.Join(dir, "maps", name), m.Pin, func() (uint32, error) { id, err := m.ID(); return uint32(id), err })
		if err != nil {
			return fmt.Errorf("map %s: %w", name, err)
		}
		out.Maps = append(out.Maps, e)
	}
	if *asJSON {
		return writeJSON(rc.Stdout, out)
	}
	for _, e := range out.Programs {
		fmt.Fprintf(rc.Stdout, "program %-20s id %-6d pinned at %s\n", e.Name, e.ID, e.Path)
	}
	for _, e := range out.Maps {
		fmt.Fprintf(rc.Stdout, "map     %-20s id %-6d pinned at %s\n", e.Name, e.ID, e.Path)
	}
	if len(spec.StructOps) > 0 {
		fmt.Fprintf(rc.Stdout, "note: the object's struct_ops tables (%s) are not registered by prog load\n",
			strings.Join(slices.Sorted(maps.Keys(spec.StructOps)), ", "))
	}
	return nil
}

// runResultJSON is the JSON output of `prog run`.
type runResultJSON struct {
	Retval     uint32 `json:"retval"`
	DurationNs int64  `json:"duration_ns"`
	DataOut    string `json:"data_out,omitempty"` // hex
	CtxOut     string `json:"ctx_out,omitempty"`  // hex
}

// progRun runs a loaded program once (or --repeat times) with BPF_PROG_TEST_RUN on the given
// input, like bpftool prog run.
func progRun(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("prog run", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	dataHex := fs.String("data", "", "input packet (data_in) in hex")
	dataFile := fs.String("data-file", "", "file holding the input packet")
	ctxHex := fs.String("ctx", "", "input context (ctx_in) in hex")
	repeat := fs.Uint("repeat", 1, "run the program this many times; the duration is the mean")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: prog run takes one ID or PATH", errUsage)
	}
	if *dataHex != "" && *dataFile != "" {
		return fmt.Errorf("%w: --data and --data-file both given", errUsage)
	}
	if *repeat == 0 || *repeat > 1<<31 {
		return fmt.Errorf("%w: --repeat %d: want 1 to 2^31", errUsage, *repeat)
	}
	opts := &bpf.RunOptions{Repeat: uint32(*repeat)}
	if *dataHex != "" {
		if opts.Data, err = parseHex("--data", *dataHex); err != nil {
			return err
		}
	}
	if *dataFile != "" {
		if opts.Data, err = os.ReadFile(*dataFile); err != nil {
			return err
		}
	}
	if *ctxHex != "" {
		if opts.Context, err = parseHex("--ctx", *ctxHex); err != nil {
			return err
		}
	}
	p, err := openProgByArg(pos[0])
	if err != nil {
		return err
	}
	defer p.Close()
	res, err := p.Run(opts)
	if err != nil {
		return err
	}
	out := runResultJSON{Retval: res.ReturnValue, DurationNs: res.Duration.Nanoseconds(),
		DataOut: hex.EncodeToString(res.Data), CtxOut: hex.EncodeToString(res.Context)}
	if *asJSON {
		return writeJSON(rc.Stdout, out)
	}
	fmt.Fprintf(rc.Stdout, "return value %d%s, duration (mean of %d) %v\n", res.ReturnValue,
		retvalName(p.Type(), res.ReturnValue), *repeat, res.Duration.Round(time.Nanosecond))
	if len(res.Data) > 0 {
		changed := ""
		if string(res.Data) == string(opts.Data) {
			changed = " (unchanged)"
		}
		fmt.Fprintf(rc.Stdout, "data out, %d bytes%s:\n%s", len(res.Data), changed, hex.Dump(res.Data))
	}
	if len(res.Context) > 0 {
		fmt.Fprintf(rc.Stdout, "context out, %d bytes:\n%s", len(res.Context), hex.Dump(res.Context))
	}
	return nil
}

// parseHex decodes hex with optional spaces, colons or a 0x prefix.
func parseHex(flagName, s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	s = strings.NewReplacer(" ", "", ":", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errUsage, flagName, err)
	}
	return b, nil
}
