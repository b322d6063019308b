package link

import (
	"errors"
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// NetNsLink is a program attached to a network namespace through a BPF link
// (BPF_LINK_TYPE_NETNS, Linux 5.8 for flow dissectors, 5.9 for sk_lookup).
// Close detaches it unless it is pinned; Update replaces the program.
type NetNsLink struct {
	*RawLink
}

// AttachNetNs attaches prog to the network namespace open at nsFD (for example
// /proc/self/ns/net, or /proc/thread-self/ns/net of a thread inside another
// namespace). The hook follows from the program type: SkLookup programs run on
// every socket lookup (BPF_SK_LOOKUP) and may steer the packet to a socket of
// their choice with bpf_sk_assign; FlowDissector programs replace the kernel's
// flow dissector (BPF_FLOW_DISSECTOR). The caller keeps owning nsFD and must
// Close the link.
func AttachNetNs(nsFD int, prog *bpf.Program) (*NetNsLink, error) {
	if prog == nil {
		return nil, errors.New("link: attach netns: nil program")
	}
	var at sys.AttachType
	switch prog.Type() {
	case bpf.SkLookup:
		at = sys.BPF_SK_LOOKUP
	case bpf.FlowDissector:
		at = sys.BPF_FLOW_DISSECTOR
	default:
		return nil, fmt.Errorf("link: attach program %q to netns: program type %v has no netns hook", prog.Name(), prog.Type())
	}
	if nsFD < 0 {
		return nil, fmt.Errorf("link: attach program %q to netns: invalid fd %d", prog.Name(), nsFD)
	}
	attr := sys.LinkCreateAttr{ProgFD: uint32(prog.FD()), TargetFD: uint32(nsFD), AttachType: uint32(at)}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		return nil, fmt.Errorf("link: attach program %q to netns (%v): %w", prog.Name(), at, linkErr(err))
	}
	return &NetNsLink{newRawLink(fd)}, nil
}

// NetNsInfo is the network-namespace part of a link's [Info].
type NetNsInfo struct {
	Inode  uint32         // the namespace's inode number (0 once it is gone)
	Attach bpf.AttachType // bpf.AttachSkLookup or bpf.AttachFlowDissector
}

// NetNs returns the network-namespace part of the info, or nil for a link of
// another type.
func (i *Info) NetNs() *NetNsInfo {
	if i.Type != NetNsType {
		return nil
	}
	n := infoAs[sys.LinkInfoNetns](i)
	return &NetNsInfo{Inode: n.NetnsIno, Attach: bpf.AttachType(n.AttachType)}
}

var _ Link = (*NetNsLink)(nil)
