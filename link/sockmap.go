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

// SockMapOptions describes the attachment of an sk_msg or sk_skb program to a
// socket map: the program then runs for the sockets stored in the map. A
// socket takes the map's programs when it is added to the map: attach first,
// then store sockets. Sockets already in the map keep the programs they were
// added with, also after a detach, until they leave the map.
type SockMapOptions struct {
	// Map is a [bpf.SockMap] or [bpf.SockHash]. The attachment belongs to the
	// map, not to a socket; closing the map's last reference detaches it.
	Map *bpf.Map
	// Program is an SkMsg program (Attach is bpf.AttachSkMsgVerdict) or an
	// SkSKB program (the other attach types).
	Program *bpf.Program
	// Attach is the hook:
	//   - bpf.AttachSkMsgVerdict: runs on sendmsg/sendfile of a socket in the
	//     map (BPF_SK_MSG_VERDICT); returns SK_PASS, SK_DROP (the sender gets
	//     EACCES) or redirects with bpf_msg_redirect_map/hash.
	//   - bpf.AttachSkSKBStreamParser: returns the length of the next message
	//     in the received byte stream (BPF_SK_SKB_STREAM_PARSER); without it,
	//     a stream verdict program sees each skb whole.
	//   - bpf.AttachSkSKBStreamVerdict: decides over each received message
	//     (BPF_SK_SKB_STREAM_VERDICT): SK_PASS, SK_DROP, or a redirect with
	//     bpf_sk_redirect_map/hash.
	//   - bpf.AttachSkSKBVerdict: like the stream verdict, per skb and
	//     without the strparser (BPF_SK_SKB_VERDICT, Linux 5.13); the kernel
	//     refuses it next to a stream verdict program (EBUSY).
	Attach bpf.AttachType
}

func (o *SockMapOptions) check(op string) error {
	if o.Map == nil {
		return fmt.Errorf("link: %s: nil map", op)
	}
	if t := o.Map.Type(); t != bpf.SockMap && t != bpf.SockHash {
		return fmt.Errorf("link: %s: map %q is a %v, want a %v or %v", op, o.Map.Name(), t, bpf.SockMap, bpf.SockHash)
	}
	if o.Program == nil {
		return fmt.Errorf("link: %s: nil program", op)
	}
	want, err := sockMapProgType(o.Attach)
	if err != nil {
		return fmt.Errorf("link: %s: %w", op, err)
	}
	if t := o.Program.Type(); t != want {
		return fmt.Errorf("link: %s: program %q is %v, %s needs %v", op, o.Program.Name(), t, attachName(o.Attach), want)
	}
	return nil
}

// sockMapProgType is the program type an attach type of a socket map takes.
func sockMapProgType(a bpf.AttachType) (bpf.ProgramType, error) {
	switch a {
	case bpf.AttachSkMsgVerdict:
		return bpf.SkMsg, nil
	case bpf.AttachSkSKBStreamParser, bpf.AttachSkSKBStreamVerdict, bpf.AttachSkSKBVerdict:
		return bpf.SkSKB, nil
	}
	return 0, fmt.Errorf("attach type %s is not a socket map hook (want AttachSkMsgVerdict, AttachSkSKBStreamParser, AttachSkSKBStreamVerdict or AttachSkSKBVerdict)", attachName(a))
}

// SockMapAttach is an sk_msg or sk_skb program attached to a socket map with
// BPF_PROG_ATTACH (target: the map's fd), the interface of Linux 4.14 (sk_skb)
// and 4.17 (sk_msg). A map has one program per hook: attaching another
// replaces it. The SockMapAttach holds its own reference to the map; Close
// detaches the program (BPF_PROG_DETACH). Update replaces the program. Pin and
// Info are not supported: use [AttachSockMapLink] for a BPF link.
type SockMapAttach struct {
	progAttached // Pin, Unpin and Info answer ErrNotSupported
	mu           sync.Mutex
	m            *bpf.Map // a clone of the caller's map
	attach       bpf.AttachType
	prog         *bpf.Program // attached program; the caller owns it
}

// AttachSockMap attaches opts.Program to opts.Map with BPF_PROG_ATTACH (the
// seed's attach-sk-msg and attach-sk-skb). The kernel takes no attach flags and
// no replace fd for socket maps. The caller must Close the attachment and keep
// the program open until then: the kernel holds its own reference to the
// program, but Close detaches by the program's fd.
func AttachSockMap(opts SockMapOptions) (*SockMapAttach, error) {
	if err := opts.check("attach sockmap"); err != nil {
		return nil, err
	}
	m, err := opts.Map.Clone()
	if err != nil {
		return nil, fmt.Errorf("link: attach sockmap: map %q: %w", opts.Map.Name(), err)
	}
	if err := sockMapProgAttach(m, opts.Program, opts.Attach); err != nil {
		m.Close()
		return nil, err
	}
	return &SockMapAttach{m: m, attach: opts.Attach, prog: opts.Program}, nil
}

func sockMapProgAttach(m *bpf.Map, prog *bpf.Program, a bpf.AttachType) error {
	attr := sys.ProgAttachAttr{
		TargetFD:    uint32(m.FD()),
		AttachBpfFD: uint32(prog.FD()),
		AttachType:  uint32(a),
	}
	if err := sys.ProgAttach(&attr); err != nil {
		return fmt.Errorf("link: attach program %q to map %q (%s): %w", prog.Name(), m.Name(), attachName(a), sockMapErr(err, a))
	}
	return nil
}

// DetachSockMap detaches prog from hook a of the socket map m
// (BPF_PROG_DETACH), the seed's detach-sk-msg and detach-sk-skb. The kernel
// needs the program: detaching "whatever is attached" means asking
// [QuerySockMap] for its id and opening it with [bpf.NewProgramFromID]. A
// program that is not the attached one fails with ENOENT.
func DetachSockMap(m *bpf.Map, a bpf.AttachType, prog *bpf.Program) error {
	opts := SockMapOptions{Map: m, Program: prog, Attach: a}
	if err := opts.check("detach sockmap"); err != nil {
		return err
	}
	attr := sys.ProgAttachAttr{
		TargetFD:    uint32(m.FD()),
		AttachBpfFD: uint32(prog.FD()),
		AttachType:  uint32(a),
	}
	if err := sys.ProgDetach(&attr); err != nil {
		return fmt.Errorf("link: detach program %q from map %q (%s): %w", prog.Name(), m.Name(), attachName(a), sockMapErr(err, a))
	}
	return nil
}

// Close detaches the program and releases the map reference. Safe on nil and
// when called twice.
func (s *SockMapAttach) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prog == nil {
		return nil
	}
	err := DetachSockMap(s.m, s.attach, s.prog)
	s.prog = nil
	return errors.Join(err, s.m.Close())
}

// Update attaches prog in place of the current program (a socket map has one
// program per hook, so a new BPF_PROG_ATTACH replaces the old one
// atomically). Like every change of a map's programs it applies to sockets
// added to the map afterwards. The caller keeps owning both programs.
func (s *SockMapAttach) Update(prog *bpf.Program) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prog == nil {
		return fmt.Errorf("link: sockmap update: %w", ErrClosed)
	}
	opts := SockMapOptions{Map: s.m, Program: prog, Attach: s.attach}
	if err := opts.check("sockmap update"); err != nil {
		return err
	}
	if err := sockMapProgAttach(s.m, prog, s.attach); err != nil {
		return err
	}
	s.prog = prog
	return nil
}

// SockMapLink is an sk_msg or sk_skb program attached to a socket map
// through a BPF link (BPF_LINK_CREATE with the map's fd as target,
// BPF_LINK_TYPE_SOCKMAP). Requires Linux 6.10. Close detaches it unless it is
// pinned; Update replaces the program; while the link exists,
// BPF_PROG_ATTACH on the same hook fails with EBUSY.
type SockMapLink struct {
	*RawLink
}

// AttachSockMapLink attaches opts.Program to opts.Map through a BPF link.
// Requires Linux 6.10: on older kernels the error matches [ErrNotSupported].
// The caller must Close the link.
func AttachSockMapLink(opts SockMapOptions) (*SockMapLink, error) {
	if err := opts.check("attach sockmap link"); err != nil {
		return nil, err
	}
	attr := sys.LinkCreateAttr{
		ProgFD:     uint32(opts.Program.FD()),
		TargetFD:   uint32(opts.Map.FD()),
		AttachType: uint32(opts.Attach),
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		if errors.Is(err, unix.EINVAL) {
			if perr := HaveSockMapLink(); perr != nil {
				err = perr
			}
		}
		return nil, fmt.Errorf("link: attach program %q to map %q (%s, link): %w", opts.Program.Name(), opts.Map.Name(), attachName(opts.Attach), sockMapErr(err, opts.Attach))
	}
	return &SockMapLink{newRawLink(fd)}, nil
}

func sockMapErr(err error, a bpf.AttachType) error {
	if errors.Is(err, unix.EINVAL) && a == bpf.AttachSkSKBVerdict {
		if perr := haveSkSKBVerdict(); perr != nil {
			return perr
		}
	}
	return linkErr(err)
}

// SockMapInfo is the socket map part of a link's [Info].
type SockMapInfo struct {
	Map    bpf.MapID      // id of the socket map
	Attach bpf.AttachType // the hook
}

// SockMap returns the socket map part of the info, or nil for a link of
// another type.
func (i *Info) SockMap() *SockMapInfo {
	if i.Type != SockmapType {
		return nil
	}
	s := infoAs[sys.LinkInfoSockmap](i)
	return &SockMapInfo{Map: bpf.MapID(s.MapID), Attach: bpf.AttachType(s.AttachType)}
}

var (
	sockMapLinkOnce sync.Once
	sockMapLinkErr  error
	skbVerdictOnce  sync.Once
	skbVerdictErr   error
)

// HaveSockMapLink reports whether the kernel has socket map links (Linux
// 6.10): nil if it does, an error matching [ErrNotSupported] if not. The probe
// creates a sockmap and an sk_msg program and links them.
func HaveSockMapLink() error {
	sockMapLinkOnce.Do(func() {
		sockMapLinkErr = probeSockMapAttach(bpf.SkMsg, bpf.AttachSkMsgVerdict, true,
			&sys.FeatureError{Feature: "sockmap BPF link", Since: "6.10"})
	})
	return sockMapLinkErr
}

// haveSkSKBVerdict probes for BPF_SK_SKB_VERDICT (Linux 5.13).
func haveSkSKBVerdict() error {
	skbVerdictOnce.Do(func() {
		skbVerdictErr = probeSockMapAttach(bpf.SkSKB, bpf.AttachSkSKBVerdict, false,
			&sys.FeatureError{Feature: "sk_skb verdict (BPF_SK_SKB_VERDICT)", Since: "5.13"})
	})
	return skbVerdictErr
}

// probeSockMapAttach attaches a trivial program of type typ to a fresh
// sockmap at hook a, through a link or BPF_PROG_ATTACH; EINVAL means the
// kernel lacks the feature, reported as missing.
func probeSockMapAttach(typ bpf.ProgramType, a bpf.AttachType, asLink bool, missing *sys.FeatureError) error {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "probe_sockmap", Type: bpf.SockMap, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		return fmt.Errorf("probe %s: %w", missing.Feature, err)
	}
	defer m.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "probe_sockmap", Type: typ, AttachType: a, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, asm.SKPass), asm.Exit()},
	})
	if err != nil {
		if errors.Is(err, unix.EINVAL) {
			missing.Err = err
			return missing
		}
		return fmt.Errorf("probe %s: %w", missing.Feature, err)
	}
	defer prog.Close()
	if asLink {
		attr := sys.LinkCreateAttr{ProgFD: uint32(prog.FD()), TargetFD: uint32(m.FD()), AttachType: uint32(a)}
		fd, err := sys.LinkCreate(&attr)
		if err == nil {
			return fd.Close()
		}
		if errors.Is(err, unix.EINVAL) {
			missing.Err = err
			return missing
		}
		return fmt.Errorf("probe %s: %w", missing.Feature, err)
	}
	attr := sys.ProgAttachAttr{TargetFD: uint32(m.FD()), AttachBpfFD: uint32(prog.FD()), AttachType: uint32(a)}
	if err := sys.ProgAttach(&attr); err != nil {
		if errors.Is(err, unix.EINVAL) {
			missing.Err = err
			return missing
		}
		return fmt.Errorf("probe %s: %w", missing.Feature, err)
	}
	return sys.ProgDetach(&attr)
}

var (
	_ Link = (*SockMapAttach)(nil)
	_ Link = (*SockMapLink)(nil)
)
