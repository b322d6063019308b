package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/examples"
	"github.com/bpfgo/bpf/packet"
	"github.com/bpfgo/bpf/perf"
	"github.com/bpfgo/bpf/ringbuf"
)

func init() {
	register(&command{
		Name:    "examples",
		Summary: "the catalogue of ready programs (clj-ebpf.examples): list, show, run",
		Usage: "examples [list [--json]] | examples show NAME | " +
			"examples run NAME [--proto tcp|udp|icmp|arp] [--port N] [--ipv6] [--size N] [--src IP] [--repeat N]",
		Run: runExamples,
	})
}

func runExamples(rc *runContext, args []string) error {
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON (list)")
	fs.BoolVar(asJSON, "j", false, "print JSON (short for --json)")
	var fo frameOptions
	fs.StringVar(&fo.proto, "proto", "tcp", "run: protocol of the sample frame: tcp, udp, icmp or arp")
	fs.UintVar(&fo.port, "port", 80, "run: destination port of the sample frame")
	fs.BoolVar(&fo.ipv6, "ipv6", false, "run: IPv6 sample frame")
	fs.UintVar(&fo.size, "size", 0, "run: pad the sample frame to this many bytes")
	fs.StringVar(&fo.src, "src", "", "run: source address of the sample frame")
	repeat := fs.Uint("repeat", 1, "run: run the program this many times (packet programs)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return examplesList(rc.Stdout, *asJSON)
	}
	switch verb, rest := pos[0], pos[1:]; verb {
	case "list", "ls":
		if len(rest) != 0 {
			return fmt.Errorf("%w: examples list takes no arguments", errUsage)
		}
		return examplesList(rc.Stdout, *asJSON)
	case "show", "run":
		if len(rest) != 1 {
			return fmt.Errorf("%w: examples %s needs one NAME", errUsage, verb)
		}
		e, err := examples.Get(rest[0])
		if err != nil {
			return err
		}
		if verb == "show" {
			return examplesShow(rc.Stdout, e)
		}
		frame, err := fo.build()
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if *repeat == 0 || *repeat > 1<<24 {
			return fmt.Errorf("%w: --repeat must be 1 to %d", errUsage, 1<<24)
		}
		return examplesRun(rc.Stdout, e, frame, uint32(*repeat))
	default:
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, verb)
	}
}

// exampleJSON is the JSON of `examples list --json`.
type exampleJSON struct {
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	AttachHint  string   `json:"attach_hint"`
	Maps        []string `json:"maps,omitempty"`
	Notes       string   `json:"notes,omitempty"`
}

func examplesList(w io.Writer, asJSON bool) error {
	list := examples.List()
	if asJSON {
		out := make([]exampleJSON, 0, len(list))
		for _, e := range list {
			j := exampleJSON{Name: e.Name, Category: string(e.Category), Type: e.Type.KernelName(),
				Description: e.Description, AttachHint: e.AttachHint, Notes: e.Notes}
			for _, s := range e.MapSpecs() {
				j.Maps = append(j.Maps, s.Name)
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCATEGORY\tTYPE\tDESCRIPTION")
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, e.Category, e.Type.KernelName(), e.Description)
	}
	return tw.Flush()
}

func examplesShow(w io.Writer, e *examples.Example) error {
	fmt.Fprintf(w, "%s (%s, %s)\n  %s\n  attach: %s\n", e.Name, e.Category, e.Type.KernelName(), e.Description, e.AttachHint)
	if e.Notes != "" {
		fmt.Fprintf(w, "  note: %s\n", e.Notes)
	}
	for _, s := range e.MapSpecs() {
		fmt.Fprintf(w, "  map %s\n", s)
	}
	insns := e.Instructions()
	fmt.Fprintf(w, "\n%s: %d instructions\n", e.Name, insns.EncodedSize()/asm.InstructionSize)
	return insns.Fprint(w, &asm.FormatOptions{HelperNames: true})
}

// frameOptions describe the sample frame of `examples run`.
type frameOptions struct {
	proto string
	port  uint
	ipv6  bool
	size  uint
	src   string
}

func (o frameOptions) build() ([]byte, error) {
	if o.port > 65535 {
		return nil, fmt.Errorf("--port %d: not a port", o.port)
	}
	if o.size > 4000 {
		return nil, fmt.Errorf("--size %d: at most 4000 bytes", o.size)
	}
	spec := packet.Spec{DstPort: uint16(o.port), IPv6: o.ipv6}
	if o.src != "" {
		a, err := netip.ParseAddr(o.src)
		if err != nil {
			return nil, fmt.Errorf("--src: %v", err)
		}
		spec.SrcIP = a
		spec.DstIP = packet.DefaultDstIP
		if a.Is6() {
			spec.DstIP = packet.DefaultDstIP6
		}
	}
	var frame []byte
	var err error
	switch strings.ToLower(o.proto) {
	case "tcp":
		frame, err = spec.Build()
	case "udp":
		spec.Protocol = packet.IPProtoUDP
		frame, err = spec.Build()
	case "icmp":
		spec.Protocol = packet.IPProtoICMP
		frame, err = spec.Build()
	case "arp":
		frame, err = packet.Build(packet.Ethernet{Src: packet.DefaultSrcMAC, Dst: packet.DefaultDstMAC, EtherType: 0x0806},
			packet.Payload(make([]byte, 28)))
	default:
		return nil, fmt.Errorf("--proto %q: want tcp, udp, icmp or arp", o.proto)
	}
	if err != nil {
		return nil, err
	}
	if int(o.size) > len(frame) {
		frame = append(frame, make([]byte, int(o.size)-len(frame))...)
	}
	return frame, nil
}

func examplesRun(w io.Writer, e *examples.Example, frame []byte, repeat uint32) error {
	l, err := e.Load()
	if err != nil {
		return err
	}
	defer l.Close()
	info := ""
	if id, err := l.Program.ID(); err == nil {
		info = fmt.Sprintf(" id %d", id)
	}
	fmt.Fprintf(w, "%s: loaded as %s%s, %d instructions, accepted by the verifier\n",
		e.Name, e.Type.KernelName(), info, e.Instructions().EncodedSize()/asm.InstructionSize)
	switch {
	case e.IsPacketProgram():
		events, err := openEvents(l.Maps)
		if err != nil {
			return err
		}
		defer events.Close()
		res, err := l.Program.Run(&bpf.RunOptions{Data: frame, Repeat: repeat})
		if err != nil {
			return err
		}
		defer events.print(w)
		desc := "frame"
		if p, err := packet.Parse(frame); err == nil {
			desc = p.String()
		}
		fmt.Fprintf(w, "input: %d bytes: %s\n", len(frame), desc)
		fmt.Fprintf(w, "verdict: %s  (%v per run, %d runs)\n", verdictName(e.Type, res.ReturnValue), res.Duration, max(repeat, 1))
		if e.Type == bpf.SchedCLS {
			// tc-classifier sets skb->priority: show it.
			res, err := l.Program.Run(&bpf.RunOptions{Data: frame, ContextOutSize: 192})
			if err == nil && len(res.Context) >= int(asm.SkBuffPriority)+4 {
				fmt.Fprintf(w, "skb->priority after the run: %d\n", binary.NativeEndian.Uint32(res.Context[asm.SkBuffPriority:]))
			}
		}
	case e.Type == bpf.Syscall:
		res, err := l.Program.Run(&bpf.RunOptions{Context: e.SampleContext()})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "return value %d, context after the run (u64 fields):\n", res.ReturnValue)
		for i := 0; i+8 <= len(res.Context); i += 8 {
			v := binary.NativeEndian.Uint64(res.Context[i:])
			fmt.Fprintf(w, "  +%-3d %20d  %#x\n", i, int64(v), v)
		}
	case e.Type == bpf.RawTracepoint:
		return runTracing(w, l.Program, e)
	default:
		// kprobes: the same body runs here as a raw tracepoint.
		spec, err := e.Build(l.Maps)
		if err != nil {
			return err
		}
		spec.Type = bpf.RawTracepoint
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			return err
		}
		defer prog.Close()
		fmt.Fprintf(w, "the same body loaded as a raw tracepoint for BPF_PROG_TEST_RUN\n")
		if err := runTracing(w, prog, e); err != nil {
			return err
		}
	}
	for name, m := range l.Maps {
		if n, err := m.Count(); err == nil && m.Type() != bpf.PerfEventArray && m.Type() != bpf.RingBuf {
			fmt.Fprintf(w, "map %s: %d entries after the run\n", name, n)
		}
	}
	return nil
}

// eventReaders reads the perf event array or ring buffer of an example, if it has one.
type eventReaders struct {
	perf *perf.Reader
	ring *ringbuf.Reader
}

func openEvents(maps examples.Maps) (*eventReaders, error) {
	var r eventReaders
	for _, m := range maps {
		var err error
		switch m.Type() {
		case bpf.PerfEventArray:
			r.perf, err = perf.NewReader(m, nil)
		case bpf.RingBuf:
			r.ring, err = ringbuf.NewReader(m)
		}
		if err != nil {
			r.Close()
			return nil, err
		}
	}
	return &r, nil
}

func (r *eventReaders) Close() error {
	var errs []error
	if r.perf != nil {
		errs = append(errs, r.perf.Close())
	}
	if r.ring != nil {
		errs = append(errs, r.ring.Close())
	}
	return errors.Join(errs...)
}

// print prints the records the run produced; it waits at most a second for the first.
func (r *eventReaders) print(w io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	show := func(kind string, sample []byte) {
		fmt.Fprintf(w, "%s record, %d bytes: % x\n", kind, len(sample), sample)
	}
	if r.perf != nil {
		r.perf.Drain(ctx, func(cpu int, sample []byte, lost uint64) bool {
			show(fmt.Sprintf("perf (CPU %d)", cpu), sample)
			return true
		})
	}
	if r.ring != nil && r.ring.AvailableBytes() > 0 {
		r.ring.Drain(ctx, func(sample []byte) bool {
			show("ring buffer", sample)
			return true
		})
	}
}

func runTracing(w io.Writer, prog *bpf.Program, e *examples.Example) error {
	res, err := prog.Run(&bpf.RunOptions{Context: e.SampleContext()})
	if err != nil {
		if errors.Is(err, bpf.ErrNotSupported) {
			return fmt.Errorf("%s: test run: %w", e.Name, err)
		}
		return err
	}
	fmt.Fprintf(w, "return value: %d\n", res.ReturnValue)
	return nil
}
