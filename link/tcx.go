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
	// Anchor places the program among those already attached to the hook
	// ([BeforeLink], [AfterProgram], [First], ...). The zero value appends
	// it: programs run in attach order.
	Anchor Anchor
	// ExpectedRevision, when non-zero, makes the attach fail unless the hook
	// is still at this revision (as [QueryTCX] reported it): the error then
	// wraps ESTALE. Zero attaches whatever the revision.
	ExpectedRevision uint64
	// Replace is for [AttachTCXProgram] only: the attached program (attached
	// with BPF_PROG_ATTACH too) that Program takes the place of, atomically
	// (BPF_F_REPLACE). A TCX link replaces its program with Update instead.
	Replace *bpf.Program
}

// Anchor is the position of a new program on a multi-program hook (TCX,
// netkit): before or after a program or link, given by object or by kernel id,
// or first or last. Its zero value means last. Requires Linux 6.6.
type Anchor struct {
	flags uint32 // BPF_F_BEFORE / BPF_F_AFTER, BPF_F_ID, BPF_F_LINK
	prog  *bpf.Program
	link  *RawLink
	id    uint32
	bad   string // why the anchor is unusable (a nil relative object)
}

// First places the program before all others (BPF_F_BEFORE with no relative object).
func First() Anchor { return Anchor{flags: sys.BPF_F_BEFORE} }

// Last places the program after all others (BPF_F_AFTER with no relative
// object); the same as the zero Anchor.
func Last() Anchor { return Anchor{flags: sys.BPF_F_AFTER} }

// BeforeProgram places the program right before p, which must be attached to the hook.
func BeforeProgram(p *bpf.Program) Anchor {
	return Anchor{flags: sys.BPF_F_BEFORE, prog: p, bad: nilIf(p == nil, "program")}
}

// AfterProgram places the program right after p, which must be attached to the hook.
func AfterProgram(p *bpf.Program) Anchor {
	return Anchor{flags: sys.BPF_F_AFTER, prog: p, bad: nilIf(p == nil, "program")}
}

// BeforeLink places the program right before the program of link l.
func BeforeLink(l *RawLink) Anchor {
	return Anchor{flags: sys.BPF_F_BEFORE | sys.BPF_F_LINK, link: l, bad: nilIf(l == nil, "link")}
}

// AfterLink places the program right after the program of link l.
func AfterLink(l *RawLink) Anchor {
	return Anchor{flags: sys.BPF_F_AFTER | sys.BPF_F_LINK, link: l, bad: nilIf(l == nil, "link")}
}

func nilIf(isNil bool, what string) string {
	if isNil {
		return "nil " + what
	}
	return ""
}

// BeforeProgramID places the program right before the program with kernel id id.
func BeforeProgramID(id bpf.ProgramID) Anchor {
	return Anchor{flags: sys.BPF_F_BEFORE | sys.BPF_F_ID, id: uint32(id)}
}

// AfterProgramID places the program right after the program with kernel id id.
func AfterProgramID(id bpf.ProgramID) Anchor {
	return Anchor{flags: sys.BPF_F_AFTER | sys.BPF_F_ID, id: uint32(id)}
}

// BeforeLinkID places the program right before the program of the link with kernel id id.
func BeforeLinkID(id ID) Anchor {
	return Anchor{flags: sys.BPF_F_BEFORE | sys.BPF_F_ID | sys.BPF_F_LINK, id: uint32(id)}
}

// AfterLinkID places the program right after the program of the link with kernel id id.
func AfterLinkID(id ID) Anchor {
	return Anchor{flags: sys.BPF_F_AFTER | sys.BPF_F_ID | sys.BPF_F_LINK, id: uint32(id)}
}

// resolve returns the flags and the relative fd or id for the kernel. The
// caller must call release afterwards (it releases a link's fd).
func (a Anchor) resolve() (flags, relative uint32, release func(), err error) {
	release = func() {}
	if a.bad != "" {
		return 0, 0, release, fmt.Errorf("anchor: %s", a.bad)
	}
	switch {
	case a.prog != nil:
		return a.flags, uint32(a.prog.FD()), release, nil
	case a.link != nil:
		raw, err := a.link.fd.Acquire()
		if err != nil {
			return 0, 0, release, fmt.Errorf("anchor link: %w", err)
		}
		return a.flags, uint32(raw), a.link.fd.Release, nil
	}
	return a.flags, a.id, release, nil
}

// explainTCXErr explains ESTALE (the hook's revision moved on) and ENOENT from a
// relative object that is not attached to the hook.
func explainTCXErr(err error, opts *TCXOptions) error {
	switch {
	case errors.Is(err, unix.ESTALE):
		return fmt.Errorf("hook revision is not %d any more: %w", opts.ExpectedRevision, err)
	case errors.Is(err, unix.ENOENT) && (opts.Anchor.prog != nil || opts.Anchor.link != nil || opts.Anchor.id != 0):
		return fmt.Errorf("anchor is not attached to this hook: %w", err)
	}
	return linkErr(err)
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
	if opts.Replace != nil {
		return nil, errors.New("link: attach TCX: Replace needs AttachTCXProgram (a TCX link replaces its program with Update)")
	}
	flags, rel, release, err := opts.Anchor.resolve()
	if err != nil {
		return nil, fmt.Errorf("link: attach TCX: %w", err)
	}
	defer release()
	attr := sys.LinkCreateTCXAttr{
		ProgFD:           uint32(opts.Program.FD()),
		AttachType:       uint32(at),
		Flags:            flags,
		RelativeFD:       rel,
		ExpectedRevision: opts.ExpectedRevision,
	}
	attr.SetTargetIfindex(uint32(opts.Interface))
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) && HaveTCX() != nil {
			err = HaveTCX()
		}
		return nil, fmt.Errorf("link: attach TCX program %q to ifindex %d %v: %w", opts.Program.Name(), opts.Interface, opts.Direction, explainTCXErr(err, &opts))
	}
	return &TCXLink{newRawLink(fd)}, nil
}

// TCXProgAttach is a SchedCLS program attached to a TCX hook with
// BPF_PROG_ATTACH (target: the interface index), without a BPF link.
// Requires Linux 6.6. It stays attached until Close (BPF_PROG_DETACH) or
// until the interface goes away — not when the process exits. Update
// replaces the program in place (BPF_F_REPLACE). Pin and Info are not
// supported. Close and Update resolve the interface index in the calling
// thread's network namespace, like the attach: call them from the same one.
type TCXProgAttach struct {
	progAttached // Pin, Unpin and Info answer ErrNotSupported
	mu           sync.Mutex
	ifindex      int
	dir          TCDirection
	attach       sys.AttachType
	prog         *bpf.Program // attached program; the caller owns it
}

// AttachTCXProgram attaches opts.Program to a TCX hook with BPF_PROG_ATTACH,
// honouring Anchor, ExpectedRevision and Replace. The interface index is
// resolved in the calling thread's network namespace, at attach and at
// Close. The caller must Close the attachment and keep the program open until
// then.
func AttachTCXProgram(opts TCXOptions) (*TCXProgAttach, error) {
	if opts.Program == nil {
		return nil, errors.New("link: attach TCX program: nil program")
	}
	if opts.Interface <= 0 {
		return nil, fmt.Errorf("link: attach TCX program: invalid interface index %d", opts.Interface)
	}
	at, err := tcxAttachType(opts.Direction)
	if err != nil {
		return nil, fmt.Errorf("link: attach TCX program: %w", err)
	}
	a := &TCXProgAttach{ifindex: opts.Interface, dir: opts.Direction, attach: at, prog: opts.Program}
	if err := a.progAttach(&opts); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *TCXProgAttach) progAttach(opts *TCXOptions) error {
	flags, rel, release, err := opts.Anchor.resolve()
	if err != nil {
		return fmt.Errorf("link: attach TCX program: %w", err)
	}
	defer release()
	attr := sys.ProgAttachAttr{
		AttachBpfFD:      uint32(opts.Program.FD()),
		AttachType:       uint32(a.attach),
		AttachFlags:      flags,
		RelativeFD:       rel,
		ExpectedRevision: opts.ExpectedRevision,
	}
	attr.SetTargetIfindex(uint32(a.ifindex))
	if opts.Replace != nil {
		attr.AttachFlags |= sys.BPF_F_REPLACE
		attr.ReplaceBpfFD = uint32(opts.Replace.FD())
	}
	if err := sys.ProgAttach(&attr); err != nil {
		if errors.Is(err, unix.EINVAL) && HaveTCX() != nil {
			err = HaveTCX()
		}
		return fmt.Errorf("link: attach TCX program %q to ifindex %d %v (prog_attach): %w", opts.Program.Name(), a.ifindex, a.dir, explainTCXErr(err, opts))
	}
	return nil
}

// Close detaches the program (BPF_PROG_DETACH). Safe on nil and when called
// twice.
func (a *TCXProgAttach) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prog == nil {
		return nil
	}
	attr := sys.ProgAttachAttr{AttachBpfFD: uint32(a.prog.FD()), AttachType: uint32(a.attach)}
	attr.SetTargetIfindex(uint32(a.ifindex))
	err := sys.ProgDetach(&attr)
	name := a.prog.Name()
	a.prog = nil
	return wrapNil(err, "link: detach TCX program %q from ifindex %d %v", name, a.ifindex, a.dir)
}

// Update puts prog in the place of the attached program atomically
// (BPF_PROG_ATTACH with BPF_F_REPLACE). The caller keeps owning both.
func (a *TCXProgAttach) Update(prog *bpf.Program) error {
	if prog == nil {
		return errors.New("link: TCX program update: nil program")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prog == nil {
		return fmt.Errorf("link: TCX program update: %w", ErrClosed)
	}
	if err := a.progAttach(&TCXOptions{Program: prog, Replace: a.prog}); err != nil {
		return err
	}
	a.prog = prog
	return nil
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

var (
	_ Link = (*TCXLink)(nil)
	_ Link = (*TCXProgAttach)(nil)
)
