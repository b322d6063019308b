package link

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// LWTOptions describes a route whose lightweight tunnel encapsulation runs BPF
// programs (LWTUNNEL_ENCAP_BPF), what `ip route add PREFIX encap bpf in ... out
// ... xmit ... dev DEV` sets up. Each program runs for the packets that use the
// route:
//
//   - In (an [bpf.LWTIn] program) for received packets the route forwards
//     (input route lookup; the interface needs IP forwarding). Local delivery
//     does not use it.
//   - Out (an [bpf.LWTOut] program) for packets this host sends over the
//     route, when they leave the IP layer (dst_output). It may read and drop
//     packets but not change them.
//   - Xmit (an [bpf.LWTXmit] program) just before the neighbour layer; it
//     may change the packet, push an encapsulation header
//     (bpf_lwt_push_encap), redirect it, or ask to route it again
//     (BPF_LWT_REROUTE).
//
// The programs return asm.BPFOk, asm.BPFDrop, asm.BPFRedirect or
// asm.BPFLWTReroute.
type LWTOptions struct {
	// Destination is the route's prefix (IPv4 or IPv6). Required.
	Destination netip.Prefix
	// Interface is the index of the output interface, resolved in the network
	// namespace of the calling thread. Required.
	Interface int
	// Gateway is the next hop; the zero Addr makes a direct (link) route.
	Gateway netip.Addr
	// Table is the routing table; zero means the main table.
	Table int
	// Priority is the route's metric; zero is the kernel's default.
	Priority int
	// In, Out and Xmit are the programs; at least one must be set.
	In, Out, Xmit *bpf.Program
	// XmitHeadroom is the headroom in bytes the Xmit program needs to push
	// an encapsulation header (LWT_BPF_XMIT_HEADROOM, at most 65535).
	XmitHeadroom int
	// Replace replaces an existing route to Destination with the same table
	// and priority (RTM_NEWROUTE with NLM_F_REPLACE) instead of failing with
	// EEXIST. Close then deletes the route; the replaced one is not restored.
	Replace bool
}

// LWTRoute is a route carrying BPF lightweight tunnel programs, added by
// [AttachLWT]. Close deletes the route, in the network namespace it was added
// in. Requires Linux 4.10 and CONFIG_LWTUNNEL_BPF; a kernel without it makes
// AttachLWT fail with an error matching [ErrNotSupported]. Pin, Update and
// Info are not supported: it is not a BPF link.
type LWTRoute struct {
	mu   sync.Mutex
	ns   *sys.FD
	opts LWTOptions // programs cleared; the route's identity for deletion
	name string
}

// AttachLWT adds (or, with opts.Replace, replaces) a route whose BPF
// encapsulation runs opts.In, opts.Out and opts.Xmit. The route holds its own
// references to the programs; the caller must Close the LWTRoute to remove it.
func AttachLWT(opts LWTOptions) (*LWTRoute, error) {
	if err := checkLWT(&opts); err != nil {
		return nil, fmt.Errorf("link: attach LWT: %w", err)
	}
	name := lwtName(&opts)
	ns, err := netCurrentNS()
	if err != nil {
		return nil, fmt.Errorf("link: attach LWT %s: %w", name, err)
	}
	if err := lwtRouteAdd(&opts); err != nil {
		ns.Close()
		return nil, fmt.Errorf("link: attach LWT %s: %w", name, err)
	}
	kept := opts
	kept.In, kept.Out, kept.Xmit = nil, nil, nil
	return &LWTRoute{ns: ns, opts: kept, name: name}, nil
}

func checkLWT(opts *LWTOptions) error {
	if !opts.Destination.IsValid() {
		return errors.New("invalid destination prefix")
	}
	if opts.Destination.Addr().Is4In6() {
		return fmt.Errorf("destination %v is IPv4-mapped: use the IPv4 prefix", opts.Destination)
	}
	if opts.Interface <= 0 {
		return fmt.Errorf("invalid interface index %d", opts.Interface)
	}
	if opts.Gateway.IsValid() && opts.Gateway.Unmap().Is4() != opts.Destination.Addr().Unmap().Is4() {
		return fmt.Errorf("gateway %v and destination %v differ in address family", opts.Gateway, opts.Destination)
	}
	if opts.In == nil && opts.Out == nil && opts.Xmit == nil {
		return errors.New("no program: set In, Out or Xmit")
	}
	for _, h := range []struct {
		hook string
		prog *bpf.Program
		typ  bpf.ProgramType
	}{{"in", opts.In, bpf.LWTIn}, {"out", opts.Out, bpf.LWTOut}, {"xmit", opts.Xmit, bpf.LWTXmit}} {
		if h.prog != nil && h.prog.Type() != h.typ {
			return fmt.Errorf("%s program %q is a %v, want a %v", h.hook, h.prog.Name(), h.prog.Type(), h.typ)
		}
	}
	if opts.XmitHeadroom < 0 || opts.XmitHeadroom > 0xffff {
		return fmt.Errorf("xmit headroom %d out of range 0-65535", opts.XmitHeadroom)
	}
	if opts.XmitHeadroom > 0 && opts.Xmit == nil {
		return errors.New("xmit headroom without an xmit program")
	}
	if opts.Table < 0 || opts.Priority < 0 {
		return fmt.Errorf("negative table %d or priority %d", opts.Table, opts.Priority)
	}
	return nil
}

func lwtName(opts *LWTOptions) string {
	return fmt.Sprintf("route %v dev #%d", opts.Destination.Masked(), opts.Interface)
}

// lwtNotSupported is the error of a kernel without BPF lightweight tunnels.
func lwtNotSupported(err error) error {
	return &sys.FeatureError{Feature: "BPF lightweight tunnels (CONFIG_LWTUNNEL_BPF)", Since: "4.10", Err: err}
}

// Close deletes the route. A route deleted in the meantime (ESRCH) counts as
// deleted. Safe on nil and when called twice.
func (r *LWTRoute) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ns == nil {
		return nil
	}
	ns := r.ns
	r.ns = nil
	err := netRunIn(ns, func() error { return lwtRouteDel(&r.opts) })
	return errors.Join(wrapNil(err, "link: delete LWT %s", r.name), ns.Close())
}

// Pin is not supported for LWT routes.
func (r *LWTRoute) Pin(string) error { return errNetlinkOnly("pin") }

// Unpin is not supported for LWT routes.
func (r *LWTRoute) Unpin() error { return errNetlinkOnly("unpin") }

// Update is not supported for LWT routes; attach again with
// LWTOptions.Replace to swap programs.
func (r *LWTRoute) Update(*bpf.Program) error { return errNetlinkOnly("update") }

// Info is not supported for LWT routes.
func (r *LWTRoute) Info() (*Info, error) { return nil, errNetlinkOnly("info") }

var _ Link = (*LWTRoute)(nil)
