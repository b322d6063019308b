package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// ProgramExists reports whether p is open and the kernel still knows it
// (BPF_OBJ_GET_INFO_BY_FD answers): clj-ebpf's program-exists?. It is false
// for a nil or closed program.
func ProgramExists(p *bpf.Program) bool {
	if p == nil || p.FD() < 0 {
		return false
	}
	_, err := p.Info()
	return err == nil
}

// ProgramLinks returns the ids of the BPF links that hold p, found by walking
// every link of the system (BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID;
// Linux 5.8). Links that go away during the walk are skipped.
func ProgramLinks(p *bpf.Program) ([]ID, error) {
	if p == nil {
		return nil, errors.New("link: program links: nil program")
	}
	want, err := p.ID()
	if err != nil {
		return nil, fmt.Errorf("link: program links of %q: %w", p.Name(), err)
	}
	var ids []ID
	attr := sys.GetIDAttr{}
	for {
		err := sys.LinkGetNextID(&attr)
		if errors.Is(err, unix.ENOENT) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("link: program links of %q: next link id: %w", p.Name(), linkErr(err))
		}
		id := attr.NextID
		attr = sys.GetIDAttr{StartID: id}
		l, err := NewRawLinkFromID(ID(id))
		if errors.Is(err, unix.ENOENT) {
			continue // gone meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("link: program links of %q: %w", p.Name(), err)
		}
		info, err := l.Info()
		l.Close()
		if err != nil {
			continue
		}
		if info.Program == want {
			ids = append(ids, info.ID)
		}
	}
}

// ProgramAttached reports whether a BPF link holds p: clj-ebpf's
// program-attached?. Only links are visible system-wide; attachments made
// without one (BPF_PROG_ATTACH, netlink XDP and TC, SO_ATTACH_BPF, the perf
// ioctl) are found by querying their hook instead ([QueryTCX],
// [QuerySockMap], ...). Requires Linux 5.8.
func ProgramAttached(p *bpf.Program) (bool, error) {
	ids, err := ProgramLinks(p)
	return len(ids) > 0, err
}
