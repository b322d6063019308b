package link

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
)

// TCXOptions describes a TCX attachment.
type TCXOptions struct {
	// Program is a SchedCLS program. Its return value is a TCX verdict
	// (asm.TCActOK passes to the next program, asm.TCActShot drops, ...).
	Program *bpf.Program
	// Interface is the index of the network interface, resolved in the network
	// namespace of the calling thread.
	Interface int
	// Direction picks the ingress (BPF_TCX_INGRESS) or egress (BPF_TCX_EGRESS) hook.
	Direction TCDirection
}

// TCXLink is a SchedCLS program attached to an interface's TCX hook through a
// BPF link (BPF_LINK_CREATE with BPF_TCX_INGRESS or BPF_TCX_EGRESS). Requires
// Linux 6.6. No qdisc is involved; several programs can be attached to one
// hook. Close detaches it unless it is pinned; Update replaces the program.
type TCXLink struct {
	*RawLink
}

// AttachTCX attaches opts.Program to an interface's TCX hook. Requires Linux
// 6.6: on older kernels the error matches [ErrNotSupported]. The caller must
// Close the link.
func AttachTCX(opts TCXOptions) (*TCXLink, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach TCX: nil program")
	}
	if opts.Interface <= 0 {
		return nil, fmt.Errorf("link: attach TCX: invalid interface index %d", opts.Interface)
	}
	at, err := tcxAttachType(opts.Direction)
	if err != nil {
		return nil, fmt.Errorf("link: attach TCX: %w", err)
	}
	attr := sys.LinkCreateTCXAttr{ProgFD: uint32(opts.Program.FD()), AttachType: uint32(at)}
	attr.SetTargetIfindex(uint32(opts.Interface))
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && HaveTCX() != nil {
			err = HaveTCX()
		}
		return nil, fmt.Errorf("link: attach TCX program %q to ifindex %d %v: %w", opts.Program.Name(), opts.Interface, opts.Direction, linkErr(err))
	}
	return &TCXLink{newRawLink(fd)}, nil
}

func tcxAttachType(d TCDirection) (sys.AttachType, error) {
	switch d {
	case Ingress:
		return sys.BPF_TCX_INGRESS, nil
	case Egress:
		return sys.BPF_TCX_EGRESS, nil
	}
	return 0, fmt.Errorf("invalid direction %v", d)
}

// TCXInfo is the TCX part of a link's [Info].
type TCXInfo struct {
	Interface int         // ifindex (0 once detached)
	Direction TCDirection // ingress or egress
}

// TCX returns the TCX part of the info, or nil for a link of another type.
func (i *Info) TCX() *TCXInfo {
	if i.Type != TCXType {
		return nil
	}
	x := infoAs[sys.LinkInfoTCX](i)
	d := Ingress
	if sys.AttachType(x.AttachType) == sys.BPF_TCX_EGRESS {
		d = Egress
	}
	return &TCXInfo{Interface: int(x.Ifindex), Direction: d}
}

var (
	tcxOnce sync.Once
	tcxErr  error
)

// HaveTCX reports whether the kernel has TCX links (Linux 6.6): nil if it
// does, an error matching [ErrNotSupported] if it does not. The probe loads a
// tiny SchedCLS program and asks for a TCX link on interface index 0: a kernel
// with TCX answers ENODEV (no such device), an older one EINVAL.
func HaveTCX() error {
	tcxOnce.Do(func() { tcxErr = probeTCX() })
	return tcxErr
}

func probeTCX() error {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "tcx_probe", Type: bpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.TCActOK), asm.Exit()},
	})
	if err != nil {
		return fmt.Errorf("probe TCX: load: %w", err)
	}
	defer prog.Close()
	attr := sys.LinkCreateTCXAttr{ProgFD: uint32(prog.FD()), AttachType: uint32(sys.BPF_TCX_INGRESS)}
	fd, err := sys.LinkCreate(&attr)
	switch {
	case err == nil:
		fd.Close()
		return nil
	case errors.Is(err, unix.ENODEV):
		return nil
	case errors.Is(err, unix.EINVAL):
		return &sys.FeatureError{Feature: "TCX link", Since: "6.6", Err: err}
	}
	return fmt.Errorf("probe TCX: %w", err)
}

var _ Link = (*TCXLink)(nil)
