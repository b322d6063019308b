package link

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// XDPMode selects where an XDP program runs (the XDP_FLAGS_*_MODE flags).
type XDPMode uint32

// XDP attach modes.
const (
	// XDPModeDefault lets the kernel choose: the driver hook if the driver has
	// one, else generic XDP.
	XDPModeDefault XDPMode = 0
	// XDPGeneric runs the program on the skb after the driver (XDP_FLAGS_SKB_MODE,
	// "xdpgeneric"). Works on every device; slower, and sees GSO/GRO-merged packets.
	XDPGeneric XDPMode = sys.XDP_FLAGS_SKB_MODE
	// XDPDriver runs the program in the driver before an skb exists
	// (XDP_FLAGS_DRV_MODE, "xdpdrv"). The driver must support it (veth does).
	XDPDriver XDPMode = sys.XDP_FLAGS_DRV_MODE
	// XDPOffload runs the program on the NIC (XDP_FLAGS_HW_MODE, "xdpoffload").
	XDPOffload XDPMode = sys.XDP_FLAGS_HW_MODE
)

// String returns the iproute2 name of the mode ("xdpgeneric").
func (m XDPMode) String() string {
	switch m {
	case XDPModeDefault:
		return "xdp"
	case XDPGeneric:
		return "xdpgeneric"
	case XDPDriver:
		return "xdpdrv"
	case XDPOffload:
		return "xdpoffload"
	}
	return fmt.Sprintf("XDPMode(%#x)", uint32(m))
}

// XDPOptions describes an XDP attachment.
type XDPOptions struct {
	// Program is an XDP program (bpf.XDP). For a bpf_link it must have been
	// loaded with AttachType bpf.AttachXDP or none.
	Program *bpf.Program
	// Interface is the index of the network interface, resolved in the network
	// namespace of the calling thread.
	Interface int
	// Mode selects generic, driver or offload XDP; zero lets the kernel choose.
	Mode XDPMode
}

func (o *XDPOptions) check(op string) error {
	if o == nil || o.Program == nil {
		return fmt.Errorf("link: %s: nil program", op)
	}
	if o.Interface <= 0 {
		return fmt.Errorf("link: %s: invalid interface index %d", op, o.Interface)
	}
	switch o.Mode {
	case XDPModeDefault, XDPGeneric, XDPDriver, XDPOffload:
	default:
		return fmt.Errorf("link: %s: invalid mode %v", op, o.Mode)
	}
	return nil
}

// XDPLink is an XDP program attached through a BPF link (BPF_LINK_CREATE with
// BPF_XDP). Requires Linux 5.9. Close detaches it unless it is pinned. Only one
// XDP link per interface and mode can exist; attaching a second answers EBUSY.
type XDPLink struct {
	*RawLink
}

// AttachXDP attaches opts.Program to an interface with a BPF link. Requires
// Linux 5.9. The caller must Close the link.
func AttachXDP(opts XDPOptions) (*XDPLink, error) {
	if err := opts.check("attach XDP"); err != nil {
		return nil, err
	}
	attr := sys.LinkCreateAttr{
		ProgFD:     uint32(opts.Program.FD()),
		AttachType: uint32(sys.BPF_XDP),
		Flags:      uint32(opts.Mode),
	}
	attr.SetTargetIfindex(uint32(opts.Interface))
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		return nil, fmt.Errorf("link: attach XDP program %q to ifindex %d (%v): %w", opts.Program.Name(), opts.Interface, opts.Mode, linkErr(err))
	}
	return &XDPLink{newRawLink(fd)}, nil
}

// XDPInfo is the XDP part of a link's [Info].
type XDPInfo struct {
	Interface int // ifindex the program is attached to (0 once detached)
}

// XDP returns the XDP part of the info, or nil for a link of another type.
func (i *Info) XDP() *XDPInfo {
	if i.Type != XDPType {
		return nil
	}
	x := infoAs[sys.LinkInfoXDP](i)
	return &XDPInfo{Interface: int(x.Ifindex)}
}

// XDPNetlink is an XDP program attached through netlink (IFLA_XDP), the way
// `ip link set dev X xdpgeneric obj ...` attaches it. It works on kernels
// without XDP links, but nothing ties the attachment to this process: Close
// detaches it (it removes whatever XDP program is attached in that mode).
// Pin, Update and Info are not supported.
type XDPNetlink struct {
	ns      *sys.FD // network namespace of the interface
	ifindex int
	mode    XDPMode
	name    string
}

// AttachXDPNetlink attaches opts.Program to an interface through netlink
// (RTM_SETLINK with IFLA_XDP), replacing any program attached in the same mode.
// The caller must Close the attachment to detach it.
func AttachXDPNetlink(opts XDPOptions) (*XDPNetlink, error) {
	if err := opts.check("attach XDP (netlink)"); err != nil {
		return nil, err
	}
	ns, err := netCurrentNS()
	if err != nil {
		return nil, fmt.Errorf("link: attach XDP (netlink): %w", err)
	}
	dev := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: opts.Interface}}
	if err := netlink.LinkSetXdpFdWithFlags(dev, opts.Program.FD(), int(opts.Mode)); err != nil {
		ns.Close()
		return nil, fmt.Errorf("link: attach XDP program %q to ifindex %d (%v, netlink): %w", opts.Program.Name(), opts.Interface, opts.Mode, err)
	}
	x := &XDPNetlink{ns: ns, ifindex: opts.Interface, mode: opts.Mode, name: opts.Program.Name()}
	return x, nil
}

// ProgramID returns the id of the XDP program netlink reports on the interface
// for this attachment's mode (0 if none).
func (x *XDPNetlink) ProgramID() (bpf.ProgramID, error) {
	var id uint32
	err := netRunIn(x.ns, func() error {
		l, err := netlink.LinkByIndex(x.ifindex)
		if err != nil {
			return err
		}
		if xdp := l.Attrs().Xdp; xdp != nil && xdp.Attached {
			id = xdp.ProgId
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("link: XDP (netlink) on ifindex %d: query: %w", x.ifindex, err)
	}
	return bpf.ProgramID(id), nil
}

// Close detaches the program. Safe on nil and when called twice.
func (x *XDPNetlink) Close() error {
	if x == nil || x.ns == nil {
		return nil
	}
	ns := x.ns
	x.ns = nil
	err := netRunIn(ns, func() error {
		dev := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: x.ifindex}}
		return netlink.LinkSetXdpFdWithFlags(dev, -1, int(x.mode))
	})
	return errors.Join(wrapNil(err, "link: detach XDP program %q from ifindex %d (netlink)", x.name, x.ifindex), ns.Close())
}

// Pin is not supported for netlink XDP attachments.
func (x *XDPNetlink) Pin(string) error { return errNetlinkOnly("pin") }

// Unpin is not supported for netlink XDP attachments.
func (x *XDPNetlink) Unpin() error { return errNetlinkOnly("unpin") }

// Update is not supported for netlink XDP attachments; attach the new program
// with [AttachXDPNetlink] instead (it replaces the old one).
func (x *XDPNetlink) Update(*bpf.Program) error { return errNetlinkOnly("update") }

// Info is not supported for netlink XDP attachments; see [XDPNetlink.ProgramID].
func (x *XDPNetlink) Info() (*Info, error) { return nil, errNetlinkOnly("info") }

func errNetlinkOnly(op string) error {
	return fmt.Errorf("link: %s: %w (attachment is not a BPF link)", op, ErrNotSupported)
}

func wrapNil(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

var (
	_ Link = (*XDPLink)(nil)
	_ Link = (*XDPNetlink)(nil)
)
