// Package link attaches loaded BPF programs to kernel hooks and represents each
// attachment as a [Link].
//
// Where the kernel offers a BPF link (BPF_LINK_CREATE, Linux 5.7 and later for
// most hooks), the attachment is a [*RawLink]: it owns the link's file
// descriptor, the program stays attached while the descriptor is open or the link
// is pinned to bpffs, and Close detaches it unless it is pinned. Older
// attachment styles — XDP and TC through netlink, BPF_PROG_ATTACH to a cgroup,
// SO_ATTACH_BPF on a socket — implement the same [Link] interface, so Close
// detaches them too; Pin, Info and Update report [ErrNotSupported] for them.
//
// Everything here needs Linux and the privileges to load and attach BPF
// programs (CAP_BPF plus CAP_NET_ADMIN or CAP_PERFMON, or root).
package link

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// Sentinel errors. Kernel errnos stay reachable through errors.Is as well.
var (
	// ErrNotSupported matches every error about a feature the running kernel
	// lacks, and operations an attachment style does not have (pinning a
	// netlink XDP attachment, for example). It is [bpf.ErrNotSupported].
	ErrNotSupported = bpf.ErrNotSupported
	// ErrClosed is returned by operations on a closed link. It is [bpf.ErrClosed].
	ErrClosed = bpf.ErrClosed
)

// Link is an attachment of a program to a kernel hook.
//
// Close detaches the program, unless the link is pinned to bpffs (then the pin
// keeps it attached until it is removed). Close is safe on a nil link and when
// called twice. Pin, Unpin, Update and Info return an error matching
// [ErrNotSupported] for attachments that are not kernel BPF links.
type Link interface {
	// Close releases the attachment: the program is detached unless the link is pinned.
	Close() error
	// Pin pins the link to path in bpffs (BPF_OBJ_PIN), so it outlives this process.
	Pin(path string) error
	// Unpin removes the pin created by Pin (or the one a pinned link was loaded from).
	Unpin() error
	// Update atomically replaces the attached program (BPF_LINK_UPDATE, Linux 5.7).
	Update(prog *bpf.Program) error
	// Info reports what the kernel says about the link (bpf_link_info).
	Info() (*Info, error)
}

// ID is a link's kernel id (bpf_link_info.id), unique while the link exists.
type ID uint32

// Type is a kernel link type (enum bpf_link_type).
type Type uint32

// Link types (enum bpf_link_type). Each names the kernel's BPF_LINK_TYPE_* value.
const (
	UnspecifiedType   Type = Type(sys.BPF_LINK_TYPE_UNSPEC)         // BPF_LINK_TYPE_UNSPEC
	RawTracepointType Type = Type(sys.BPF_LINK_TYPE_RAW_TRACEPOINT) // BPF_LINK_TYPE_RAW_TRACEPOINT, Linux 5.8
	TracingType       Type = Type(sys.BPF_LINK_TYPE_TRACING)        // BPF_LINK_TYPE_TRACING, Linux 5.8
	CgroupType        Type = Type(sys.BPF_LINK_TYPE_CGROUP)         // BPF_LINK_TYPE_CGROUP, Linux 5.7
	IterType          Type = Type(sys.BPF_LINK_TYPE_ITER)           // BPF_LINK_TYPE_ITER, Linux 5.8
	NetNsType         Type = Type(sys.BPF_LINK_TYPE_NETNS)          // BPF_LINK_TYPE_NETNS, Linux 5.8
	XDPType           Type = Type(sys.BPF_LINK_TYPE_XDP)            // BPF_LINK_TYPE_XDP, Linux 5.9
	PerfEventType     Type = Type(sys.BPF_LINK_TYPE_PERF_EVENT)     // BPF_LINK_TYPE_PERF_EVENT, Linux 5.15
	KprobeMultiType   Type = Type(sys.BPF_LINK_TYPE_KPROBE_MULTI)   // BPF_LINK_TYPE_KPROBE_MULTI, Linux 5.18
	StructOpsType     Type = Type(sys.BPF_LINK_TYPE_STRUCT_OPS)     // BPF_LINK_TYPE_STRUCT_OPS, Linux 6.4
	NetfilterType     Type = Type(sys.BPF_LINK_TYPE_NETFILTER)      // BPF_LINK_TYPE_NETFILTER, Linux 6.4
	TCXType           Type = Type(sys.BPF_LINK_TYPE_TCX)            // BPF_LINK_TYPE_TCX, Linux 6.6
	UprobeMultiType   Type = Type(sys.BPF_LINK_TYPE_UPROBE_MULTI)   // BPF_LINK_TYPE_UPROBE_MULTI, Linux 6.6
	NetkitType        Type = Type(sys.BPF_LINK_TYPE_NETKIT)         // BPF_LINK_TYPE_NETKIT, Linux 6.7
	SockmapType       Type = Type(sys.BPF_LINK_TYPE_SOCKMAP)        // BPF_LINK_TYPE_SOCKMAP, Linux 6.10
)

// String returns the kernel's name of the link type ("BPF_LINK_TYPE_XDP").
func (t Type) String() string { return sys.LinkType(t).String() }

// Info is what the kernel reports about a link (struct bpf_link_info, from
// BPF_OBJ_GET_INFO_BY_FD). The type-specific part is reached through methods
// named after the link type ([Info.XDP], [Info.TCX], ...), which return nil for a
// link of another type.
type Info struct {
	Type    Type          // link type
	ID      ID            // kernel link id
	Program bpf.ProgramID // id of the attached program

	raw sys.LinkInfo // the whole bpf_link_info, for the type-specific accessors
}

// infoAs reinterprets the raw bpf_link_info as one of its generated union
// variants (sys.LinkInfoXDP, sys.LinkInfoTracing, ...). All are 64 bytes.
func infoAs[T any](i *Info) *T {
	var v T
	if unsafe.Sizeof(v) != unsafe.Sizeof(i.raw) {
		return &v
	}
	v = *(*T)(unsafe.Pointer(&i.raw))
	return &v
}

// RawLink is a kernel BPF link: it owns the link's file descriptor. Every
// link-based attachment in this package is a RawLink or embeds one. The methods
// are safe for concurrent use.
type RawLink struct {
	fd *sys.FD

	mu     sync.Mutex
	pinned string // bpffs path of the pin this RawLink made or was opened from
}

// RawLinkOptions describes a generic BPF_LINK_CREATE call.
type RawLinkOptions struct {
	// Target is the attach target's fd (a cgroup, a netns, ...) or ifindex,
	// depending on Attach.
	Target int
	// Program is the program to attach.
	Program *bpf.Program
	// Attach is the attach type (bpf_attr.link_create.attach_type).
	Attach bpf.AttachType
	// Flags are bpf_attr.link_create.flags.
	Flags uint32
}

// NewRawLink creates a link with BPF_LINK_CREATE from opts, for attach points
// that need nothing beyond a target, a program and an attach type. Requires
// Linux 5.7. The caller must Close the RawLink.
func NewRawLink(opts RawLinkOptions) (*RawLink, error) {
	if opts.Program == nil {
		return nil, errors.New("link: create: nil program")
	}
	if opts.Target < 0 {
		return nil, fmt.Errorf("link: create: invalid target %d", opts.Target)
	}
	attr := sys.LinkCreateAttr{
		ProgFD:     uint32(opts.Program.FD()),
		TargetFD:   uint32(opts.Target),
		AttachType: uint32(opts.Attach),
		Flags:      opts.Flags,
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		return nil, fmt.Errorf("link: create %s for program %q: %w", attachName(opts.Attach), opts.Program.Name(), linkErr(err))
	}
	return newRawLink(fd), nil
}

// newRawLink wraps fd, which must be a BPF link, and takes ownership of it.
func newRawLink(fd *sys.FD) *RawLink {
	return &RawLink{fd: fd}
}

// NewRawLinkFromFD adopts fd, which must be a BPF link, and takes ownership of
// it (Close closes it). On error the caller keeps fd.
func NewRawLinkFromFD(fd int) (*RawLink, error) {
	f, err := sys.NewFD(fd)
	if err != nil {
		return nil, fmt.Errorf("link: from fd %d: %w", fd, err)
	}
	l := newRawLink(f)
	if _, err := l.Info(); err != nil {
		l.fd.Disown()
		return nil, fmt.Errorf("link: from fd %d: %w", fd, err)
	}
	return l, nil
}

// NewRawLinkFromID opens the link with the given kernel id
// (BPF_LINK_GET_FD_BY_ID, Linux 5.8). The caller must Close the RawLink;
// closing it does not detach a link something else still holds.
func NewRawLinkFromID(id ID) (*RawLink, error) {
	attr := sys.GetIDAttr{StartID: uint32(id)}
	fd, err := sys.LinkGetFDByID(&attr)
	if err != nil {
		return nil, fmt.Errorf("link %d: open by id: %w", id, linkErr(err))
	}
	return newRawLink(fd), nil
}

// LoadPinnedLink opens the link pinned at path (BPF_OBJ_GET). Close on the
// returned link does not detach it while the pin exists; call Unpin first.
func LoadPinnedLink(path string) (*RawLink, error) {
	attr := sys.ObjPinAttr{Pathname: sys.NewStringPointer(path)}
	fd, err := sys.ObjGet(&attr)
	if err != nil {
		return nil, fmt.Errorf("link %q: open pinned: %w", path, linkErr(err))
	}
	l := newRawLink(fd)
	if _, err := l.Info(); err != nil {
		fd.Close()
		return nil, fmt.Errorf("link %q: open pinned: %w", path, err)
	}
	l.pinned = path
	return l, nil
}

// FD returns the link's file descriptor, or -1 after Close. The RawLink keeps
// ownership.
func (l *RawLink) FD() int {
	if l == nil {
		return -1
	}
	return l.fd.Int()
}

// Close closes the link's file descriptor. The kernel detaches the program
// unless the link is pinned or another descriptor refers to it. Close is safe on
// nil and when called twice.
func (l *RawLink) Close() error {
	if l == nil {
		return nil
	}
	return l.fd.Close()
}

// Pin pins the link at path, which must be in a bpffs mount (BPF_OBJ_PIN). A
// pinned link stays attached after Close and after the process exits.
func (l *RawLink) Pin(path string) error {
	raw, err := l.fd.Acquire()
	if err != nil {
		return fmt.Errorf("link: pin %q: %w", path, err)
	}
	attr := sys.ObjPinAttr{Pathname: sys.NewStringPointer(path), BpfFD: uint32(raw)}
	err = sys.ObjPin(&attr)
	l.fd.Release()
	if err != nil {
		return fmt.Errorf("link: pin %q: %w", path, err)
	}
	l.mu.Lock()
	l.pinned = path
	l.mu.Unlock()
	return nil
}

// Unpin removes the link's pin. Without a pin it does nothing. After Unpin,
// Close detaches the link (unless other references exist).
func (l *RawLink) Unpin() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pinned == "" {
		return nil
	}
	if err := os.Remove(l.pinned); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("link: unpin: %w", err)
	}
	l.pinned = ""
	return nil
}

// IsPinned reports whether this RawLink pinned the link or was loaded from a
// pin that has not been removed through Unpin.
func (l *RawLink) IsPinned() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pinned != ""
}

// Update replaces the attached program with prog (BPF_LINK_UPDATE, Linux 5.7;
// not every link type supports it — those answer an error matching
// [ErrNotSupported]).
func (l *RawLink) Update(prog *bpf.Program) error {
	return l.update(prog, nil)
}

// UpdateReplacing replaces old with prog, failing (EPERM) when old is no longer
// the attached program (BPF_LINK_UPDATE with BPF_F_REPLACE).
func (l *RawLink) UpdateReplacing(prog, old *bpf.Program) error {
	if old == nil {
		return errors.New("link: update: nil old program")
	}
	return l.update(prog, old)
}

func (l *RawLink) update(prog, old *bpf.Program) error {
	if prog == nil {
		return errors.New("link: update: nil program")
	}
	raw, err := l.fd.Acquire()
	if err != nil {
		return fmt.Errorf("link: update: %w", err)
	}
	defer l.fd.Release()
	attr := sys.LinkUpdateAttr{LinkFD: uint32(raw), NewProgFD: uint32(prog.FD())}
	if old != nil {
		attr.Flags = sys.BPF_F_REPLACE
		attr.OldProgFD = uint32(old.FD())
	}
	if err := sys.LinkUpdate(&attr); err != nil {
		return fmt.Errorf("link: update to program %q: %w", prog.Name(), linkErr(err))
	}
	return nil
}

// Detach detaches the program from its hook without closing the link
// (BPF_LINK_DETACH, Linux 5.9): the link becomes defunct but stays valid, so
// pins and descriptors held elsewhere see it as detached.
func (l *RawLink) Detach() error {
	raw, err := l.fd.Acquire()
	if err != nil {
		return fmt.Errorf("link: detach: %w", err)
	}
	defer l.fd.Release()
	if err := sys.LinkDetach(&sys.LinkDetachAttr{LinkFD: uint32(raw)}); err != nil {
		return fmt.Errorf("link: detach: %w", linkErr(err))
	}
	return nil
}

// Info asks the kernel about the link (BPF_OBJ_GET_INFO_BY_FD).
func (l *RawLink) Info() (*Info, error) {
	var raw sys.LinkInfo
	if err := sys.ObjInfo(l.fd, &raw); err != nil {
		return nil, fmt.Errorf("link: info: %w", err)
	}
	return &Info{Type: Type(raw.Type), ID: ID(raw.ID), Program: bpf.ProgramID(raw.ProgID), raw: raw}, nil
}

// ID returns the link's kernel id.
func (l *RawLink) ID() (ID, error) {
	info, err := l.Info()
	if err != nil {
		return 0, err
	}
	return info.ID, nil
}

// attachName names an attach type for error messages.
func attachName(a bpf.AttachType) string {
	return sys.AttachType(a).String()
}

// linkErr maps errnos with one meaning for link commands to sentinels:
// EINVAL from an unknown attach type and EOPNOTSUPP/ENOTSUPP mean the kernel
// lacks the feature. The errno stays reachable.
func linkErr(err error) error {
	if errors.Is(err, errENOTSUPP) || errors.Is(err, errEOPNOTSUPP) {
		return &notSupportedError{err}
	}
	return err
}

const (
	errENOTSUPP   = unix.Errno(524) // kernel-internal ENOTSUPP
	errEOPNOTSUPP = unix.EOPNOTSUPP
)

// notSupportedError matches ErrNotSupported and its errno.
type notSupportedError struct{ err error }

func (e *notSupportedError) Error() string { return e.err.Error() + " (not supported by this kernel)" }
func (e *notSupportedError) Unwrap() []error {
	return []error{ErrNotSupported, e.err}
}
