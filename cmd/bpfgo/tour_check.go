package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/link"
)

func init() {
	tour.Register(tour.Chapter{
		Order: 10,
		Name:  "system check",
		Run:   tourCheck,
	})
}

// tourCheck prints the system report, mounts bpffs when it is missing and the tour runs as
// root, and shows the feature probes answering one question each.
func tourCheck(ctx context.Context, w io.Writer) error {
	report, err := bpf.Check()
	if !report.BPFFS.Mounted && os.Geteuid() == 0 {
		if merr := bpf.MountBPFFS(""); merr != nil {
			return fmt.Errorf("mount bpffs: %w", merr)
		}
		fmt.Fprintf(w, "mounted a BPF file system at %s\n", bpf.DefaultPinPath)
		report, err = bpf.Check()
	}
	if werr := report.WriteText(w); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "\nfeature probes answer nil, or an error matching bpf.ErrNotSupported:")
	probes := []struct {
		what string
		err  error
	}{
		{"HaveProgramType(XDP)", bpf.HaveProgramType(bpf.XDP)},
		{"HaveProgramType(LSM)", bpf.HaveProgramType(bpf.LSM)},
		{"HaveMapType(RingBuf)", bpf.HaveMapType(bpf.RingBuf)},
		{"HaveHelper(XDP, bpf_xdp_adjust_tail)", bpf.HaveHelper(bpf.XDP, asm.FnXDPAdjustTail)},
		{"HaveHelper(XDP, bpf_skb_store_bytes)", bpf.HaveHelper(bpf.XDP, asm.FnSkbStoreBytes)},
		{"HaveKfunc(Syscall, bpf_rcu_read_lock)", bpf.HaveKfunc(bpf.Syscall, "bpf_rcu_read_lock")},
		{"HaveKernelVariable(runqueues)", bpf.HaveKernelVariable("runqueues")},
		{"link.HaveTCX()", link.HaveTCX()},
		{"link.HaveSockMapLink()", link.HaveSockMapLink()},
	}
	for _, p := range probes {
		switch {
		case p.err == nil:
			fmt.Fprintf(w, "  %-40s yes\n", p.what)
		case errors.Is(p.err, bpf.ErrNotSupported):
			fmt.Fprintf(w, "  %-40s no: %v\n", p.what, p.err)
		default:
			return fmt.Errorf("%s: %w", p.what, p.err)
		}
	}
	return ctx.Err()
}
