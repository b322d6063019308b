package examples

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/mapop"
)

// Category groups the examples as clj-ebpf's catalogue does.
type Category string

// The categories of the catalogue, in the order List returns them.
const (
	CategoryBasicXDP   Category = "basic-xdp"      // the simplest XDP programs
	CategoryParsing    Category = "parsing"        // Ethernet, IPv4 and protocol parsing
	CategoryPorts      Category = "port-filtering" // TCP and UDP port filters
	CategoryMaps       Category = "maps"           // map lookups and counters
	CategoryTC         Category = "tc"             // traffic control (sched_cls) programs
	CategoryTracing    Category = "tracing"        // kprobes and tracing helpers
	CategoryArithmetic Category = "arithmetic"     // ALU and jump demonstrations
	CategorySecurity   Category = "security"       // real-world filters: SYN floods, rate limits, allowlists
	CategoryHelpers    Category = "helpers"        // helper function demonstrations
	CategoryBpfgo      Category = "bpfgo"          // what bpfgo adds: ring buffers, IPv6, CO-RE
)

// ErrUnknown is returned (wrapped in an *UnknownError) by Get for a name not in the catalogue.
var ErrUnknown = errors.New("unknown example")

// UnknownError is Get's error for a name not in the catalogue. It matches ErrUnknown with
// errors.Is and carries the names closest to the one asked for.
type UnknownError struct {
	Name        string   // the name asked for
	Suggestions []string // close matches, best first; may be empty
}

func (e *UnknownError) Error() string {
	if len(e.Suggestions) == 0 {
		return fmt.Sprintf("example %q: %v (see examples.List)", e.Name, ErrUnknown)
	}
	return fmt.Sprintf("example %q: %v; did you mean %s?", e.Name, ErrUnknown, strings.Join(e.Suggestions, ", "))
}

// Is makes errors.Is(err, ErrUnknown) hold.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// Example is one ready program of the catalogue: its description, and the code that builds it.
// Examples are read-only values: List and Get return copies, and MapSpecs returns copies of the
// map specifications.
type Example struct {
	// Name is clj-ebpf's name for the example ("xdp-pass-all"), so its users find it.
	Name string
	// Category groups it.
	Category Category
	// Description says in one line what the program does.
	Description string
	// Type is the program type it is built for.
	Type bpf.ProgramType
	// AttachHint says where to attach it, and how bpfgo does that.
	AttachHint string
	// Notes documents where this port differs from clj-ebpf's example, because the kernel
	// disagreed with it or the example could not be tested as written; empty where it does not.
	Notes string

	maps  []*bpf.MapSpec
	flags uint32
	build func(maps func(name string) asm.MapHandle) asm.Instructions
}

// MapSpecs returns copies of the specifications of the maps the program uses, nil if it uses
// none. A MaxEntries of 0 in a PerfEventArray means "one per possible CPU" (NewMaps fills it in).
func (e *Example) MapSpecs() []*bpf.MapSpec {
	if len(e.maps) == 0 {
		return nil
	}
	out := make([]*bpf.MapSpec, len(e.maps))
	for i, s := range e.maps {
		out[i] = s.Copy()
	}
	return out
}

// Instructions returns the program with its maps referenced by name (resolved by
// bpf.ProgramOptions.Maps when loaded with NewProgramWithOptions). It needs no kernel: use it
// to print or inspect the program. Each call builds a fresh copy.
func (e *Example) Instructions() asm.Instructions {
	return e.build(func(name string) asm.MapHandle { return mapop.Name(name) })
}

// Build returns the program ready for bpf.NewProgram, with its map loads bound to the live
// maps in maps (by the names MapSpecs gives; see NewMaps). Programs that use no map accept
// nil. It returns an error naming the map when one is missing or does not match its spec.
// The maps are not owned by the spec: the caller keeps them open while loading.
func (e *Example) Build(maps Maps) (*bpf.ProgramSpec, error) {
	for _, s := range e.maps {
		m, ok := maps[s.Name]
		if !ok || m == nil {
			return nil, fmt.Errorf("example %q: map %q missing (create it with NewMaps)", e.Name, s.Name)
		}
		want := s.Copy()
		if want.MaxEntries == 0 {
			want.MaxEntries = m.MaxEntries()
		}
		if err := m.Compatible(want); err != nil {
			return nil, fmt.Errorf("example %q: map %q: %w", e.Name, s.Name, err)
		}
	}
	insns := e.build(func(name string) asm.MapHandle { return maps[name] })
	return &bpf.ProgramSpec{
		Name:         progName(e.Name),
		Type:         e.Type,
		License:      "GPL", // bpf_trace_printk, bpf_probe_read_kernel and the perf/ring buffer helpers need it
		Flags:        e.flags,
		Instructions: insns,
	}, nil
}

// progName turns an example name into a kernel program name: '-' becomes '_', at most 15 bytes.
func progName(name string) string {
	n := strings.ReplaceAll(name, "-", "_")
	if len(n) > 15 {
		n = n[:15]
	}
	return n
}

// Maps are the live maps of an example, by name. The caller owns them: Close closes them all.
type Maps map[string]*bpf.Map

// Close closes every map and reports every failure. It is safe on nil.
func (m Maps) Close() error {
	var errs []error
	for _, mp := range m {
		if err := mp.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NewMaps creates the maps the example uses (MapSpecs), empty; nil and no error if it uses
// none. The caller must Close them. On error nothing stays open.
func (e *Example) NewMaps() (Maps, error) {
	if len(e.maps) == 0 {
		return nil, nil
	}
	maps := make(Maps, len(e.maps))
	for _, s := range e.MapSpecs() {
		if s.Type == bpf.PerfEventArray && s.MaxEntries == 0 {
			n, err := bpf.PossibleCPUs()
			if err != nil {
				maps.Close()
				return nil, fmt.Errorf("example %q: map %q: %w", e.Name, s.Name, err)
			}
			s.MaxEntries = uint32(n)
		}
		m, err := bpf.NewMap(s)
		if err != nil {
			maps.Close()
			return nil, fmt.Errorf("example %q: %w", e.Name, err)
		}
		maps[s.Name] = m
	}
	return maps, nil
}

// Loaded is an example loaded into the kernel: its program and its maps, all owned by it.
type Loaded struct {
	Example *Example
	Program *bpf.Program
	Maps    Maps
}

// Close closes the program and the maps, reporting every failure. It is safe on nil and twice.
func (l *Loaded) Close() error {
	if l == nil {
		return nil
	}
	err := errors.Join(l.Program.Close(), l.Maps.Close())
	l.Program, l.Maps = nil, nil
	return err
}

// Load creates the example's maps, builds the program and loads it: the three steps NewMaps,
// Build and bpf.NewProgram in one call. The caller must Close the result. A verifier rejection
// is a *bpf.VerifierError; on error nothing stays open.
func (e *Example) Load() (*Loaded, error) {
	maps, err := e.NewMaps()
	if err != nil {
		return nil, err
	}
	spec, err := e.Build(maps)
	if err != nil {
		maps.Close()
		return nil, err
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		maps.Close()
		return nil, fmt.Errorf("example %q: %w", e.Name, err)
	}
	return &Loaded{Example: e, Program: prog, Maps: maps}, nil
}

// Load is Get followed by Example.Load.
func Load(name string) (*Loaded, error) {
	e, err := Get(name)
	if err != nil {
		return nil, err
	}
	return e.Load()
}

// List returns the catalogue, by category in the order of clj-ebpf's list, bpfgo's own
// examples last. The values are copies.
func List() []Example {
	out := make([]Example, len(catalogue))
	for i, e := range catalogue {
		out[i] = *e
	}
	return out
}

// Names returns the names of the examples, in List's order.
func Names() []string {
	out := make([]string, len(catalogue))
	for i, e := range catalogue {
		out[i] = e.Name
	}
	return out
}

// Get returns the example called name (clj-ebpf's keyword without the colon also works:
// ":xdp-pass-all"). For an unknown name it returns an *UnknownError with the closest names.
func Get(name string) (*Example, error) {
	n := strings.TrimPrefix(strings.TrimSpace(name), ":")
	for _, e := range catalogue {
		if e.Name == n {
			c := *e
			return &c, nil
		}
	}
	return nil, &UnknownError{Name: name, Suggestions: Suggest(n)}
}

// Suggest returns up to three names of the catalogue close to name (by edit distance, or
// containing it), best first.
func Suggest(name string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	name = strings.ToLower(name)
	for _, e := range catalogue {
		d := editDistance(name, e.Name)
		switch {
		case name != "" && strings.Contains(e.Name, name):
			d = 0
		case d > max(2, len(name)/3):
			continue
		}
		cs = append(cs, cand{e.Name, d})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// SampleContext returns the context Program.Run needs for examples that take one instead of a
// packet: the operands a=100, b=7 of the arithmetic, bitwise and conditional demos (a zeroed
// result area follows), and the 8 zero bytes of a raw tracepoint's argument array for the
// tracing examples run as raw tracepoints. It is nil for packet programs (XDP, TC).
func (e *Example) SampleContext() []byte {
	size := 0
	switch e.Type {
	case bpf.Syscall:
		switch e.Name {
		case "arithmetic-demo":
			size = ArithmeticContextSize
		case "bitwise-demo":
			size = BitwiseContextSize
		case "conditional-demo":
			size = ConditionalContextSize
		}
	case bpf.RawTracepoint, bpf.Kprobe:
		return make([]byte, 8)
	default:
		return nil
	}
	ctx := make([]byte, size)
	binary.NativeEndian.PutUint64(ctx[0:], 100)
	binary.NativeEndian.PutUint64(ctx[8:], 7)
	return ctx
}

// IsPacketProgram reports whether the example is run on packets (XDP or TC): Program.Run
// takes a frame in RunOptions.Data.
func (e *Example) IsPacketProgram() bool { return e.Type == bpf.XDP || e.Type == bpf.SchedCLS }
