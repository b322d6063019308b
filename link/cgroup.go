package link

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// CgroupAttachMode selects how [AttachCgroup] attaches a program.
type CgroupAttachMode int

// Cgroup attach modes.
const (
	// CgroupLinkOrMulti creates a BPF link (BPF_LINK_CREATE, Linux 5.7) and
	// falls back to BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI on kernels without
	// cgroup links. This is the default.
	CgroupLinkOrMulti CgroupAttachMode = iota
	// CgroupLinkOnly creates a BPF link and fails if the kernel cannot.
	CgroupLinkOnly
	// CgroupAttachMulti uses BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI: the
	// program runs together with others attached to the same cgroup and hook.
	CgroupAttachMulti
	// CgroupAttachOverride uses BPF_PROG_ATTACH with BPF_F_ALLOW_OVERRIDE:
	// the one program of this hook, which a descendant cgroup may override.
	CgroupAttachOverride
)

// CgroupOptions describes a cgroup attachment.
type CgroupOptions struct {
	// Path is the cgroup's directory in the cgroup v2 hierarchy.
	Path string
	// Attach is the hook: bpf.AttachCgroupInetIngress, AttachCgroupInetEgress
	// (CgroupSKB programs), AttachCgroupInetSockCreate (CgroupSock),
	// AttachCgroupInet4Connect and the other sock_addr hooks (CgroupSockAddr),
	// AttachCgroupSysctl, AttachCgroupGetsockopt/Setsockopt, AttachCgroupSockOps,
	// AttachCgroupDevice, ...
	Attach bpf.AttachType
	// Program is the program to attach; its type must match Attach.
	Program *bpf.Program
	// Mode selects a BPF link or BPF_PROG_ATTACH; the zero value tries a link first.
	Mode CgroupAttachMode
}

// AttachCgroup attaches opts.Program to a cgroup v2 hook. With a BPF link the
// result is a [*CgroupLink]; with BPF_PROG_ATTACH (chosen, or the fallback) it is
// a [*CgroupProgAttach]. Either way Close detaches the program. The caller must
// Close the returned Link.
func AttachCgroup(opts CgroupOptions) (Link, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach cgroup: nil program")
	}
	cg, err := unix.Open(opts.Path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("link: attach cgroup %q: open: %w", opts.Path, err)
	}
	cgfd, err := sys.NewFD(cg)
	if err != nil {
		return nil, fmt.Errorf("link: attach cgroup %q: %w", opts.Path, err)
	}
	switch opts.Mode {
	case CgroupLinkOrMulti, CgroupLinkOnly:
		l, err := cgroupLinkCreate(cgfd, opts)
		if err == nil {
			cgfd.Close()
			return l, nil
		}
		if opts.Mode == CgroupLinkOnly || !errors.Is(err, ErrNotSupported) {
			cgfd.Close()
			return nil, err
		}
		return cgroupProgAttach(cgfd, opts, sys.BPF_F_ALLOW_MULTI)
	case CgroupAttachMulti:
		return cgroupProgAttach(cgfd, opts, sys.BPF_F_ALLOW_MULTI)
	case CgroupAttachOverride:
		return cgroupProgAttach(cgfd, opts, sys.BPF_F_ALLOW_OVERRIDE)
	}
	cgfd.Close()
	return nil, fmt.Errorf("link: attach cgroup %q: invalid mode %d", opts.Path, opts.Mode)
}

// CgroupLink is a program attached to a cgroup through a BPF link
// (BPF_LINK_CREATE, BPF_LINK_TYPE_CGROUP). Requires Linux 5.7. It behaves like
// BPF_F_ALLOW_MULTI: other programs may run on the same hook. Close detaches it
// unless it is pinned; Update replaces the program.
type CgroupLink struct {
	*RawLink
}

func cgroupLinkCreate(cg *sys.FD, opts CgroupOptions) (*CgroupLink, error) {
	raw, err := cg.Acquire()
	if err != nil {
		return nil, err
	}
	defer cg.Release()
	attr := sys.LinkCreateCgroupAttr{
		ProgFD:     uint32(opts.Program.FD()),
		TargetFD:   uint32(raw),
		AttachType: uint32(opts.Attach),
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && haveCgroupLink() != nil {
			err = haveCgroupLink()
		}
		return nil, fmt.Errorf("link: attach program %q to cgroup %q (%s): %w", opts.Program.Name(), opts.Path, attachName(opts.Attach), linkErr(err))
	}
	return &CgroupLink{newRawLink(fd)}, nil
}

// CgroupInfo is the cgroup part of a link's [Info].
type CgroupInfo struct {
	CgroupID uint64         // the cgroup's id (its inode number in cgroupfs)
	Attach   bpf.AttachType // the hook
}

// Cgroup returns the cgroup part of the info, or nil for a link of another type.
func (i *Info) Cgroup() *CgroupInfo {
	if i.Type != CgroupType {
		return nil
	}
	c := infoAs[sys.LinkInfoCgroup](i)
	return &CgroupInfo{CgroupID: c.CgroupID, Attach: bpf.AttachType(c.AttachType)}
}

// CgroupProgAttach is a program attached to a cgroup with BPF_PROG_ATTACH, the
// pre-link interface (Linux 4.10; BPF_F_ALLOW_MULTI since 4.15). It holds the
// cgroup's directory open; Close detaches the program (BPF_PROG_DETACH).
// Update replaces the program in place (BPF_F_REPLACE, Linux 5.6, multi mode
// only). Pin and Info are not supported.
type CgroupProgAttach struct {
	progAttached // Pin, Unpin and Info answer ErrNotSupported
	mu           sync.Mutex
	cg           *sys.FD
	path         string
	attach       bpf.AttachType
	flags        uint32
	prog         *bpf.Program // attached program; the caller owns it
}

func cgroupProgAttach(cg *sys.FD, opts CgroupOptions, flags uint32) (*CgroupProgAttach, error) {
	a := &CgroupProgAttach{cg: cg, path: opts.Path, attach: opts.Attach, flags: flags, prog: opts.Program}
	if err := a.progAttach(opts.Program, nil); err != nil {
		cg.Close()
		return nil, err
	}
	return a, nil
}

func (a *CgroupProgAttach) progAttach(prog, old *bpf.Program) error {
	raw, err := a.cg.Acquire()
	if err != nil {
		return fmt.Errorf("link: cgroup %q: %w", a.path, err)
	}
	defer a.cg.Release()
	attr := sys.ProgAttachAttr{
		TargetFD:    uint32(raw),
		AttachBpfFD: uint32(prog.FD()),
		AttachType:  uint32(a.attach),
		AttachFlags: a.flags,
	}
	if old != nil {
		attr.AttachFlags |= sys.BPF_F_REPLACE
		attr.ReplaceBpfFD = uint32(old.FD())
	}
	if err := sys.ProgAttach(&attr); err != nil {
		return fmt.Errorf("link: attach program %q to cgroup %q (%s, prog_attach): %w", prog.Name(), a.path, attachName(a.attach), linkErr(err))
	}
	return nil
}

// Close detaches the program. Safe on nil and when called twice.
func (a *CgroupProgAttach) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prog == nil {
		return nil
	}
	raw, err := a.cg.Acquire()
	if err != nil {
		return fmt.Errorf("link: cgroup %q: detach: %w", a.path, err)
	}
	attr := sys.ProgAttachAttr{TargetFD: uint32(raw), AttachBpfFD: uint32(a.prog.FD()), AttachType: uint32(a.attach)}
	err = sys.ProgDetach(&attr)
	a.cg.Release()
	name := a.prog.Name()
	a.prog = nil
	return errors.Join(wrapNil(err, "link: detach program %q from cgroup %q", name, a.path), a.cg.Close())
}

// Update replaces the attached program with prog atomically (BPF_F_REPLACE,
// Linux 5.6); it needs the multi mode. The caller keeps owning both programs and
// must keep prog open while it is attached.
func (a *CgroupProgAttach) Update(prog *bpf.Program) error {
	if prog == nil {
		return errors.New("link: cgroup update: nil program")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prog == nil {
		return fmt.Errorf("link: cgroup %q: update: %w", a.path, ErrClosed)
	}
	if a.flags&sys.BPF_F_ALLOW_MULTI == 0 {
		if err := a.progAttach(prog, nil); err != nil { // override mode: attaching replaces
			return err
		}
	} else if err := a.progAttach(prog, a.prog); err != nil {
		return err
	}
	a.prog = prog
	return nil
}

// progAttached gives the attachments made with BPF_PROG_ATTACH, which are not BPF links,
// the Link methods they cannot offer.
type progAttached struct{}

// Pin is not supported for BPF_PROG_ATTACH attachments.
func (progAttached) Pin(string) error { return errProgAttachOnly("pin") }

// Unpin is not supported for BPF_PROG_ATTACH attachments.
func (progAttached) Unpin() error { return errProgAttachOnly("unpin") }

// Info is not supported for BPF_PROG_ATTACH attachments.
func (progAttached) Info() (*Info, error) { return nil, errProgAttachOnly("info") }

func errProgAttachOnly(op string) error {
	return fmt.Errorf("link: %s: %w (BPF_PROG_ATTACH attachment is not a BPF link)", op, ErrNotSupported)
}

var (
	cgroupLinkOnce sync.Once
	cgroupLinkErr  error
)

// haveCgroupLink probes for BPF_LINK_CREATE on cgroups (Linux 5.7): on a kernel
// with it, a link create with an invalid target fd answers EBADF; without it, EINVAL.
func haveCgroupLink() error {
	cgroupLinkOnce.Do(func() {
		attr := sys.LinkCreateCgroupAttr{ProgFD: ^uint32(0), TargetFD: ^uint32(0), AttachType: uint32(sys.BPF_CGROUP_INET_INGRESS)}
		fd, err := sys.LinkCreate(&attr)
		if err == nil {
			fd.Close()
			return
		}
		if errors.Is(err, unix.EINVAL) {
			cgroupLinkErr = &sys.FeatureError{Feature: "cgroup BPF link", Since: "5.7", Err: err}
		}
	})
	return cgroupLinkErr
}

var (
	_ Link = (*CgroupLink)(nil)
	_ Link = (*CgroupProgAttach)(nil)
)
