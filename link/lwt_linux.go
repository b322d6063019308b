//go:build linux

package link

import (
	"errors"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// lwtRoute is the netlink form of the route opts describes (without encap).
func lwtRoute(opts *LWTOptions) *netlink.Route {
	p := opts.Destination.Masked()
	addr := p.Addr()
	family, size := unix.AF_INET, 32
	if addr.Is6() {
		family, size = unix.AF_INET6, 128
	}
	rt := &netlink.Route{
		Family:    family,
		LinkIndex: opts.Interface,
		Dst:       &net.IPNet{IP: net.IP(addr.AsSlice()), Mask: net.CIDRMask(p.Bits(), size)},
		Table:     opts.Table,
		Priority:  opts.Priority,
	}
	if opts.Gateway.IsValid() {
		rt.Gw = net.IP(opts.Gateway.Unmap().AsSlice())
	}
	return rt
}

func lwtRouteAdd(opts *LWTOptions) error {
	rt := lwtRoute(opts)
	encap := &netlink.BpfEncap{}
	for _, h := range []struct {
		mode int
		prog interface {
			FD() int
			Name() string
		}
		set bool
	}{{nl.LWT_BPF_IN, opts.In, opts.In != nil}, {nl.LWT_BPF_OUT, opts.Out, opts.Out != nil}, {nl.LWT_BPF_XMIT, opts.Xmit, opts.Xmit != nil}} {
		if !h.set {
			continue
		}
		// The kernel requires a name with each program; it shows in `ip route`.
		if err := encap.SetProg(h.mode, h.prog.FD(), h.prog.Name()); err != nil {
			return err
		}
	}
	if opts.XmitHeadroom > 0 {
		if err := encap.SetXmitHeadroom(opts.XmitHeadroom); err != nil {
			return err
		}
	}
	rt.Encap = encap
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	if opts.Replace {
		err = h.RouteReplace(rt)
	} else {
		err = h.RouteAdd(rt)
	}
	if errors.Is(err, unix.EOPNOTSUPP) {
		return lwtNotSupported(err)
	}
	return err
}

func lwtRouteDel(opts *LWTOptions) error {
	err := netlink.RouteDel(lwtRoute(opts))
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return err
}
