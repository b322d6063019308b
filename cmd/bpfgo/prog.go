package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bpfgo/bpf"
)

func init() {
	register(&command{
		Name:    "prog",
		Summary: "list, show, dump, load (from an ELF object, pinned) and test-run BPF programs, like bpftool prog",
		Usage: "prog list [--json] | prog show ID|PATH [--json] | prog dump ID|PATH [--json] |\n" +
			"  prog load FILE.o DIR [--json] | prog run ID|PATH [--data HEX|--data-file F] [--ctx HEX] [--repeat N] [--json]",
		Run: runProg,
	})
}

// progJSON is the JSON form of a program; the keys follow `bpftool prog show --json`.
type progJSON struct {
	ID            uint32   `json:"id"`
	Type          string   `json:"type"`
	Name          string   `json:"name"`
	Tag           string   `json:"tag"`
	GPLCompatible bool     `json:"gpl_compatible"`
	RunTimeNs     uint64   `json:"run_time_ns,omitempty"`
	RunCnt        uint64   `json:"run_cnt,omitempty"`
	LoadedAt      int64    `json:"loaded_at"`
	UID           uint32   `json:"uid"`
	BytesXlated   uint32   `json:"bytes_xlated"`
	Jited         bool     `json:"jited"`
	BytesJited    uint32   `json:"bytes_jited"`
	MapIDs        []uint32 `json:"map_ids,omitempty"`
	BTFID         uint32   `json:"btf_id,omitempty"`
	VerifiedInsns uint32   `json:"verified_insns,omitempty"`
}

func newProgJSON(info *bpf.ProgramInfo) progJSON {
	p := progJSON{
		ID:            uint32(info.ID),
		Type:          info.Type.KernelName(),
		Name:          info.Name,
		Tag:           info.Tag,
		GPLCompatible: info.GPLCompatible,
		RunTimeNs:     uint64(info.RunTime),
		RunCnt:        info.RunCount,
		UID:           info.CreatedByUID,
		BytesXlated:   info.XlatedSize,
		Jited:         info.JitedSize > 0,
		BytesJited:    info.JitedSize,
		BTFID:         info.BTFID,
		VerifiedInsns: info.VerifiedInsns,
	}
	if !info.LoadTime.IsZero() {
		p.LoadedAt = info.LoadTime.Unix()
	}
	for _, id := range info.MapIDs {
		p.MapIDs = append(p.MapIDs, uint32(id))
	}
	return p
}

func runProg(rc *runContext, args []string) error {
	// load and run take flags of their own.
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		rest := append(append([]string(nil), args[:i]...), args[i+1:]...)
		switch a {
		case "load":
			return progLoad(rc, rest)
		case "run":
			return progRun(rc, rest)
		}
		break
	}
	fs := flag.NewFlagSet("prog", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: missing subcommand (list or show)", errUsage)
	}
	switch pos[0] {
	case "list", "ls":
		if len(pos) != 1 {
			return fmt.Errorf("%w: prog list takes no arguments", errUsage)
		}
		return progList(rc.Stdout, *asJSON)
	case "dump":
		if len(pos) != 2 {
			return fmt.Errorf("%w: prog dump takes one ID or PATH", errUsage)
		}
		return progDump(rc.Stdout, pos[1], *asJSON)
	case "show":
		if len(pos) != 2 {
			return fmt.Errorf("%w: prog show takes one ID or PATH", errUsage)
		}
		info, err := progInfoByArg(pos[1])
		if err != nil {
			return err
		}
		if *asJSON {
			return progWriteJSON(rc.Stdout, newProgJSON(info))
		}
		writeProgText(rc.Stdout, info)
		return nil
	}
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, pos[0])
}

// openProgByArg opens the program an argument names: a number is an id, anything else a pin.
func openProgByArg(arg string) (*bpf.Program, error) {
	if id, err := strconv.ParseUint(arg, 10, 32); err == nil {
		return bpf.NewProgramFromID(bpf.ProgramID(id))
	}
	return bpf.OpenPinnedProgram(arg)
}

func progInfoByArg(arg string) (*bpf.ProgramInfo, error) {
	p, err := openProgByArg(arg)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Info()
}

// progDump prints the program's translated instructions (bpftool prog dump xlated).
func progDump(w io.Writer, arg string, asJSON bool) error {
	p, err := openProgByArg(arg)
	if err != nil {
		return err
	}
	defer p.Close()
	insns, err := p.XlatedInstructions()
	if err != nil {
		return err
	}
	if asJSON {
		type insnJSON struct {
			Slot   int    `json:"slot"`
			Disasm string `json:"disasm"`
		}
		out := []insnJSON{}
		slot := 0
		for _, ins := range insns {
			out = append(out, insnJSON{Slot: slot, Disasm: fmt.Sprintf("%+v", ins)})
			slot += ins.Slots()
		}
		return progWriteJSON(w, out)
	}
	_, err = fmt.Fprintf(w, "%+v", insns)
	return err
}

// progList walks every program. Programs unloaded during the walk are skipped.
func progList(w io.Writer, asJSON bool) error {
	var list []progJSON
	var infos []*bpf.ProgramInfo
	for id, err := range bpf.ProgramIDs() {
		if err != nil {
			return err
		}
		p, err := bpf.NewProgramFromID(id)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			return err
		}
		infos = append(infos, info)
		list = append(list, newProgJSON(info))
	}
	if asJSON {
		if list == nil {
			list = []progJSON{}
		}
		return progWriteJSON(w, list)
	}
	for _, info := range infos {
		writeProgText(w, info)
	}
	return nil
}

// writeProgText prints a program the way bpftool does.
func writeProgText(w io.Writer, info *bpf.ProgramInfo) {
	fmt.Fprintf(w, "%d: %s  name %s  tag %s", info.ID, info.Type.KernelName(), info.Name, info.Tag)
	if info.GPLCompatible {
		fmt.Fprint(w, "  gpl")
	}
	if info.RunCount > 0 {
		fmt.Fprintf(w, " run_time_ns %d run_cnt %d", info.RunTime.Nanoseconds(), info.RunCount)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\tloaded_at %s  uid %d\n", info.LoadTime.Format(time.RFC3339), info.CreatedByUID)
	fmt.Fprintf(w, "\txlated %dB  ", info.XlatedSize)
	if info.JitedSize > 0 {
		fmt.Fprintf(w, "jited %dB", info.JitedSize)
	} else {
		fmt.Fprint(w, "not jited")
	}
	if len(info.MapIDs) > 0 {
		ids := make([]string, len(info.MapIDs))
		for i, id := range info.MapIDs {
			ids[i] = strconv.FormatUint(uint64(id), 10)
		}
		fmt.Fprintf(w, "  map_ids %s", strings.Join(ids, ","))
	}
	fmt.Fprintln(w)
	if info.BTFID != 0 || info.VerifiedInsns != 0 {
		fmt.Fprintf(w, "\tbtf_id %d  verified_insns %d\n", info.BTFID, info.VerifiedInsns)
	}
}

// progWriteJSON writes v as indented JSON followed by a newline.
func progWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
