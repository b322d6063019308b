package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// NetkitOptions describes the attachment of a program to a netkit device
// pair (Linux 6.7, CONFIG_NETKIT).
type NetkitOptions struct {
	// Program is a SchedCLS program. Its return value is a netkit verdict,
	// numerically the TC one: asm.TCActUnspec (NETKIT_NEXT) runs the next
	// program, asm.TCActOK (NETKIT_PASS) passes, asm.TCActShot (NETKIT_DROP)
	// drops, asm.TCActRedirect (NETKIT_REDIRECT) redirects.
	Program *bpf.Program
	// Interface is the index of the netkit primary device, resolved in the
	// network namespace of the calling thread. Both hooks are reached
	// through the primary.
	Interface int
	// Attach is bpf.AttachNetkitPrimary (BPF_NETKIT_PRIMARY: runs for what
	// the primary device transmits) or bpf.AttachNetkitPeer
	// (BPF_NETKIT_PEER: runs for what the peer device, typically inside a
	// container's namespace, transmits).
	Attach bpf.AttachType
	// Anchor places the program among those already attached; the zero
	// value appends it.
	Anchor Anchor
	// ExpectedRevision, when non-zero, makes the attach fail (wrapping
	// ESTALE) unless the hook is at this revision.
	ExpectedRevision uint64
}

// NetkitLink is a program attached to a netkit device through a BPF link
// (BPF_LINK_CREATE, BPF_LINK_TYPE_NETKIT). Requires Linux 6.7. Close detaches
// it unless it is pinned; Update replaces the program.
type NetkitLink struct {
	*RawLink
}

// AttachNetkit attaches opts.Program to a netkit device. On a kernel
// without netkit links the error matches [ErrNotSupported]; on an interface
// that is not a netkit primary the kernel answers ENXIO. The caller must Close
// the link.
func AttachNetkit(opts NetkitOptions) (*NetkitLink, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach netkit: nil program")
	}
	if opts.Interface <= 0 {
		return nil, fmt.Errorf("link: attach netkit: invalid interface index %d", opts.Interface)
	}
	if opts.Attach != bpf.AttachNetkitPrimary && opts.Attach != bpf.AttachNetkitPeer {
		return nil, fmt.Errorf("link: attach netkit: attach type %s is not AttachNetkitPrimary or AttachNetkitPeer", attachName(opts.Attach))
	}
	flags, rel, release, err := opts.Anchor.resolve()
	if err != nil {
		return nil, fmt.Errorf("link: attach netkit: %w", err)
	}
	defer release()
	attr := sys.LinkCreateNetkitAttr{
		ProgFD:           uint32(opts.Program.FD()),
		AttachType:       uint32(opts.Attach),
		Flags:            flags,
		RelativeFD:       rel,
		ExpectedRevision: opts.ExpectedRevision,
	}
	attr.SetTargetIfindex(uint32(opts.Interface))
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && HaveTCX() != nil {
			// netkit came with the multi-program hooks of TCX (6.6/6.7)
			err = &sys.FeatureError{Feature: "netkit link", Since: "6.7", Err: err}
		}
		return nil, fmt.Errorf("link: attach netkit program %q to ifindex %d (%s): %w", opts.Program.Name(), opts.Interface, attachName(opts.Attach), explainTCXErr(err, &TCXOptions{Anchor: opts.Anchor, ExpectedRevision: opts.ExpectedRevision}))
	}
	return &NetkitLink{newRawLink(fd)}, nil
}

// QueryNetkit lists the programs attached to hook a (bpf.AttachNetkitPrimary
// or AttachNetkitPeer) of the netkit primary device with index ifindex, in
// run order, with the hook's revision. Requires Linux 6.7.
func QueryNetkit(ifindex int, a bpf.AttachType) (*QueryResult, error) {
	if ifindex <= 0 {
		return nil, fmt.Errorf("link: query netkit: invalid interface index %d", ifindex)
	}
	if a != bpf.AttachNetkitPrimary && a != bpf.AttachNetkitPeer {
		return nil, fmt.Errorf("link: query netkit: attach type %s is not AttachNetkitPrimary or AttachNetkitPeer", attachName(a))
	}
	res, err := progQuery(uint32(ifindex), sys.AttachType(a), true)
	if err != nil {
		return nil, fmt.Errorf("link: query netkit ifindex %d (%s): %w", ifindex, attachName(a), err)
	}
	return res, nil
}

// NetkitInfo is the netkit part of a link's [Info].
type NetkitInfo struct {
	Interface int            // ifindex of the primary device (0 once detached)
	Attach    bpf.AttachType // AttachNetkitPrimary or AttachNetkitPeer
}

// Netkit returns the netkit part of the info, or nil for a link of another type.
func (i *Info) Netkit() *NetkitInfo {
	if i.Type != NetkitType {
		return nil
	}
	n := infoAs[sys.LinkInfoNetkit](i)
	return &NetkitInfo{Interface: int(n.Ifindex), Attach: bpf.AttachType(n.AttachType)}
}

var _ Link = (*NetkitLink)(nil)
