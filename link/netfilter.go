package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// NetfilterProtocol is a netfilter protocol family (NFPROTO_*).
type NetfilterProtocol uint32

// Protocol families a netfilter link can hook.
const (
	NetfilterIPv4 NetfilterProtocol = 2  // NFPROTO_IPV4 (include/uapi/linux/netfilter.h)
	NetfilterIPv6 NetfilterProtocol = 10 // NFPROTO_IPV6
)

// NetfilterHook is a netfilter hook point (enum nf_inet_hooks).
type NetfilterHook uint32

// Netfilter hook points.
const (
	NetfilterPreRouting  NetfilterHook = sys.NF_INET_PRE_ROUTING  // NF_INET_PRE_ROUTING
	NetfilterLocalIn     NetfilterHook = sys.NF_INET_LOCAL_IN     // NF_INET_LOCAL_IN
	NetfilterForward     NetfilterHook = sys.NF_INET_FORWARD      // NF_INET_FORWARD
	NetfilterLocalOut    NetfilterHook = sys.NF_INET_LOCAL_OUT    // NF_INET_LOCAL_OUT
	NetfilterPostRouting NetfilterHook = sys.NF_INET_POST_ROUTING // NF_INET_POST_ROUTING
)

// NetfilterOptions describes a netfilter link.
type NetfilterOptions struct {
	// Program is a Netfilter program (loaded with AttachType bpf.AttachNetfilter).
	// It returns a verdict: 1 (NF_ACCEPT) or 0 (NF_DROP).
	Program *bpf.Program
	// Protocol is the family, NetfilterIPv4 or NetfilterIPv6.
	Protocol NetfilterProtocol
	// Hook is the hook point.
	Hook NetfilterHook
	// Priority orders the program among the hook's functions (lower runs first);
	// the kernel refuses the extreme values INT_MIN and INT_MAX.
	Priority int32
	// Defrag asks for defragmented packets (BPF_F_NETFILTER_IP_DEFRAG, Linux 6.6).
	Defrag bool
}

// NetfilterLink is a Netfilter program hooked into netfilter through a BPF link
// (BPF_LINK_TYPE_NETFILTER). Requires Linux 6.4. The hook belongs to the
// network namespace of the thread that attached it. Close detaches it unless it
// is pinned.
type NetfilterLink struct {
	*RawLink
}

// AttachNetfilter hooks opts.Program into netfilter in the calling thread's
// network namespace. Requires Linux 6.4: on older kernels the error matches
// [ErrNotSupported]. The caller must Close the link.
func AttachNetfilter(opts NetfilterOptions) (*NetfilterLink, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach netfilter: nil program")
	}
	attr := sys.LinkCreateNetfilterAttr{
		ProgFD:     uint32(opts.Program.FD()),
		AttachType: uint32(sys.BPF_NETFILTER),
		Pf:         uint32(opts.Protocol),
		Hooknum:    uint32(opts.Hook),
		Priority:   opts.Priority,
	}
	if opts.Defrag {
		attr.NetfilterFlags = sys.BPF_F_NETFILTER_IP_DEFRAG
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && bpf.HaveProgramType(bpf.Netfilter) != nil {
			err = &sys.FeatureError{Feature: "netfilter link", Since: "6.4", Err: err}
		}
		return nil, fmt.Errorf("link: attach netfilter program %q (pf %d, hook %d, priority %d): %w", opts.Program.Name(), opts.Protocol, opts.Hook, opts.Priority, linkErr(err))
	}
	return &NetfilterLink{newRawLink(fd)}, nil
}

// NetfilterInfo is the netfilter part of a link's [Info].
type NetfilterInfo struct {
	Protocol NetfilterProtocol
	Hook     NetfilterHook
	Priority int32
	Flags    uint32
}

// Netfilter returns the netfilter part of the info, or nil for a link of
// another type.
func (i *Info) Netfilter() *NetfilterInfo {
	if i.Type != NetfilterType {
		return nil
	}
	n := infoAs[sys.LinkInfoNetfilter](i)
	return &NetfilterInfo{Protocol: NetfilterProtocol(n.Pf), Hook: NetfilterHook(n.Hooknum), Priority: n.Priority, Flags: n.Flags}
}

var _ Link = (*NetfilterLink)(nil)
