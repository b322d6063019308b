//go:build linux

package link

import (
	"errors"
	"fmt"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// tcParent is the clsact parent handle of a direction.
func tcParent(d TCDirection) (uint32, error) {
	switch d {
	case Ingress:
		return netlink.HANDLE_MIN_INGRESS, nil
	case Egress:
		return netlink.HANDLE_MIN_EGRESS, nil
	}
	return 0, fmt.Errorf("invalid direction %v", d)
}

func (f *TCFilter) add(opts TCOptions) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	dev := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: f.ifindex}}
	qdisc := &netlink.GenericQdisc{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: f.ifindex, Handle: netlink.MakeHandle(0xffff, 0), Parent: netlink.HANDLE_CLSACT},
		QdiscType:  "clsact",
	}
	if err := h.QdiscAdd(qdisc); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add clsact qdisc: %w", err)
	}
	progID, err := opts.Program.ID()
	if err != nil {
		return err
	}
	var before []netlink.Filter
	if opts.Priority == 0 || opts.Handle == 0 {
		if before, err = h.FilterList(dev, f.parent); err != nil {
			return fmt.Errorf("list filters: %w", err)
		}
	}
	filter := &netlink.BpfFilter{
		FilterAttrs: netlink.FilterAttrs{
			LinkIndex: f.ifindex,
			Parent:    f.parent,
			Handle:    opts.Handle,
			Priority:  opts.Priority,
			Protocol:  unix.ETH_P_ALL,
		},
		Fd:           opts.Program.FD(),
		Name:         f.name,
		DirectAction: true,
	}
	if err := h.FilterAdd(filter); err != nil {
		return fmt.Errorf("add cls_bpf filter: %w", err)
	}
	f.priority, f.handle = opts.Priority, opts.Handle
	if opts.Priority != 0 && opts.Handle != 0 {
		return nil
	}
	// The kernel chose the priority or handle: find the new filter.
	after, err := h.FilterList(dev, f.parent)
	if err != nil {
		return fmt.Errorf("list filters: %w", err)
	}
	for _, fl := range after {
		bf, ok := fl.(*netlink.BpfFilter)
		if !ok || bf.Id != int(progID) || slices.ContainsFunc(before, func(o netlink.Filter) bool { return sameFilter(o.Attrs(), &bf.FilterAttrs) }) {
			continue
		}
		if (opts.Priority == 0 || bf.Priority == opts.Priority) && (opts.Handle == 0 || bf.Handle == opts.Handle) {
			f.priority, f.handle = bf.Priority, bf.Handle
			return nil
		}
	}
	return errors.New("added cls_bpf filter not found")
}

func sameFilter(a, b *netlink.FilterAttrs) bool {
	return a.Handle == b.Handle && a.Priority == b.Priority
}

// del deletes the filter, in the network namespace ns it was added in.
func (f *TCFilter) del(ns *sys.FD) error {
	return netRunIn(ns, func() error {
		return netlink.FilterDel(&netlink.BpfFilter{FilterAttrs: netlink.FilterAttrs{
			LinkIndex: f.ifindex,
			Parent:    f.parent,
			Handle:    f.handle,
			Priority:  f.priority,
			Protocol:  unix.ETH_P_ALL,
		}})
	})
}
