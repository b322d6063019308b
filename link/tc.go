package link

import (
	"errors"
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// TCDirection is the side of the clsact qdisc (or TCX hook) a program sits on.
type TCDirection int

// Directions.
const (
	// Ingress sees packets the interface receives.
	Ingress TCDirection = iota
	// Egress sees packets the interface sends.
	Egress
)

// String returns "ingress" or "egress".
func (d TCDirection) String() string {
	switch d {
	case Ingress:
		return "ingress"
	case Egress:
		return "egress"
	}
	return fmt.Sprintf("TCDirection(%d)", int(d))
}

// TCOptions describes a cls_bpf filter on a clsact qdisc.
type TCOptions struct {
	// Program is a SchedCLS program.
	Program *bpf.Program
	// Interface is the index of the network interface, resolved in the network
	// namespace of the calling thread.
	Interface int
	// Direction picks the clsact ingress or egress hook.
	Direction TCDirection
	// Priority is the filter's priority (lower runs first); zero lets the kernel
	// pick one.
	Priority uint16
	// Handle is the filter's handle; zero lets the kernel pick one.
	Handle uint32
	// Name is the filter's name shown by `tc filter show`; empty uses the
	// program's name.
	Name string
}

// TCFilter is a SchedCLS program attached as a cls_bpf filter in direct-action
// mode (its return value is the TC action: asm.TCActOK, asm.TCActShot, ...) on an
// interface's clsact qdisc, the way `tc filter add dev X ingress bpf da ...`
// attaches it. AttachTC creates the clsact qdisc if it is missing; Close deletes
// the filter and leaves the qdisc. Requires the cls_bpf and sch_ingress (clsact)
// kernel modules. Pin, Update and Info are not supported: it is not a BPF link
// (see [AttachTCX] for Linux 6.6 and later).
type TCFilter struct {
	ns       *sys.FD
	ifindex  int
	parent   uint32
	priority uint16
	handle   uint32
	name     string
}

// AttachTC adds a cls_bpf filter running opts.Program to an interface's
// clsact qdisc, creating the qdisc if needed. The caller must Close the filter.
func AttachTC(opts TCOptions) (*TCFilter, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach TC: nil program")
	}
	if opts.Interface <= 0 {
		return nil, fmt.Errorf("link: attach TC: invalid interface index %d", opts.Interface)
	}
	parent, err := tcParent(opts.Direction)
	if err != nil {
		return nil, fmt.Errorf("link: attach TC: %w", err)
	}
	name := opts.Name
	if name == "" {
		name = opts.Program.Name()
	}
	ns, err := netCurrentNS()
	if err != nil {
		return nil, fmt.Errorf("link: attach TC: %w", err)
	}
	f := &TCFilter{ns: ns, ifindex: opts.Interface, parent: parent, name: name}
	if err := f.add(opts); err != nil {
		ns.Close()
		return nil, fmt.Errorf("link: attach TC program %q to ifindex %d %v: %w", opts.Program.Name(), opts.Interface, opts.Direction, err)
	}
	return f, nil
}

// Priority returns the filter's priority (chosen by the kernel if the options left it zero).
func (f *TCFilter) Priority() uint16 { return f.priority }

// Handle returns the filter's handle (chosen by the kernel if the options left it zero).
func (f *TCFilter) Handle() uint32 { return f.handle }

// Close deletes the filter. Safe on nil and when called twice.
func (f *TCFilter) Close() error {
	if f == nil || f.ns == nil {
		return nil
	}
	ns := f.ns
	f.ns = nil
	err := f.del(ns)
	return errors.Join(wrapNil(err, "link: delete TC filter %q from ifindex %d", f.name, f.ifindex), ns.Close())
}

// Pin is not supported for TC filters.
func (f *TCFilter) Pin(string) error { return errNetlinkOnly("pin") }

// Unpin is not supported for TC filters.
func (f *TCFilter) Unpin() error { return errNetlinkOnly("unpin") }

// Update is not supported for TC filters.
func (f *TCFilter) Update(*bpf.Program) error { return errNetlinkOnly("update") }

// Info is not supported for TC filters.
func (f *TCFilter) Info() (*Info, error) { return nil, errNetlinkOnly("info") }

var _ Link = (*TCFilter)(nil)
