package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// AttachedProgram is one program a hook runs, as BPF_PROG_QUERY reports it.
type AttachedProgram struct {
	// Program is the program's kernel id.
	Program bpf.ProgramID
	// Link is the id of the BPF link that holds the program, or 0 when it
	// was attached with BPF_PROG_ATTACH (or the hook does not report links).
	Link ID
}

// QueryResult is what BPF_PROG_QUERY reports about a hook.
type QueryResult struct {
	// Programs lists the attached programs in the order the hook runs them.
	Programs []AttachedProgram
	// Revision is the hook's revision counter (Linux 6.6, TCX and netkit):
	// every attach and detach increments it. Pass it as ExpectedRevision to
	// make an attach fail with ESTALE if the hook changed since the query.
	// Zero for hooks without revisions.
	Revision uint64
}

// QueryTCX lists the programs attached to the TCX hook of the interface with
// index ifindex (in the calling thread's network namespace), in the order they
// run, with the hook's revision (BPF_PROG_QUERY with BPF_TCX_INGRESS or
// BPF_TCX_EGRESS). Requires Linux 6.6.
func QueryTCX(ifindex int, dir TCDirection) (*QueryResult, error) {
	if ifindex <= 0 {
		return nil, fmt.Errorf("link: query TCX: invalid interface index %d", ifindex)
	}
	at, err := tcxAttachType(dir)
	if err != nil {
		return nil, fmt.Errorf("link: query TCX: %w", err)
	}
	res, err := progQuery(uint32(ifindex), at, true)
	if err != nil {
		return nil, fmt.Errorf("link: query TCX ifindex %d %v: %w", ifindex, dir, err)
	}
	return res, nil
}

// QuerySockMap reports the program attached to hook a of the socket map m
// (BPF_PROG_QUERY on the map's fd; Linux 6.0). A socket map runs at most one
// program per hook, so Programs has zero or one entry.
func QuerySockMap(m *bpf.Map, a bpf.AttachType) (*QueryResult, error) {
	if m == nil {
		return nil, errors.New("link: query sockmap: nil map")
	}
	if _, err := sockMapProgType(a); err != nil {
		return nil, fmt.Errorf("link: query sockmap: %w", err)
	}
	res, err := progQuery(uint32(m.FD()), sys.AttachType(a), false)
	if err != nil {
		return nil, fmt.Errorf("link: query map %q (%s): %w", m.Name(), attachName(a), err)
	}
	return res, nil
}

// progQuery runs BPF_PROG_QUERY on target for attach type at, growing the id
// buffers until everything fits; withLinks asks for link ids too (mprog hooks).
func progQuery(target uint32, at sys.AttachType, withLinks bool) (*QueryResult, error) {
	n := uint32(8)
	for range 4 {
		progs := make([]uint32, n)
		var links []uint32
		attr := sys.ProgQueryAttr{
			TargetFD:   target,
			AttachType: uint32(at),
			ProgIDs:    sys.NewSlicePointerOf(progs),
			ProgCnt:    n,
		}
		if withLinks {
			links = make([]uint32, n)
			attr.LinkIDs = sys.NewSlicePointerOf(links)
		}
		err := sys.ProgQuery(&attr)
		if errors.Is(err, unix.ENOSPC) && attr.ProgCnt > n {
			n = attr.ProgCnt
			continue
		}
		if err != nil {
			return nil, linkErr(err)
		}
		res := &QueryResult{Revision: attr.Revision, Programs: make([]AttachedProgram, attr.ProgCnt)}
		for i := range res.Programs {
			res.Programs[i].Program = bpf.ProgramID(progs[i])
			if withLinks {
				res.Programs[i].Link = ID(links[i])
			}
		}
		return res, nil
	}
	return nil, errors.New("hook keeps growing while queried")
}
