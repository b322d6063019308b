package link

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// IterOptions are the optional settings of [AttachIter].
type IterOptions struct {
	// Map is the map a map-element iterator (bpf_map_elem, sockmap, ...) walks;
	// nil for iterators over kernel objects (task, bpf_map, ...).
	Map *bpf.Map
}

// Iter is a BPF iterator link (BPF_LINK_TYPE_ITER): a [bpf.Tracing] program
// loaded with AttachType [bpf.AttachTraceIter] and AttachTo naming the target
// ("task", "bpf_map", "bpf_map_elem", ...). Each [Iter.Open] starts a new walk
// whose output is what the program wrote with bpf_seq_write or
// bpf_seq_printf. Requires Linux 5.8. The caller must Close it.
type Iter struct {
	*RawLink
}

// AttachIter creates an iterator link for prog (BPF_LINK_CREATE with
// BPF_TRACE_ITER). Requires Linux 5.8.
func AttachIter(prog *bpf.Program, opts *IterOptions) (*Iter, error) {
	if prog == nil {
		return nil, errors.New("iter: attach: nil program")
	}
	attr := sys.LinkCreateIterAttr{
		ProgFD:     uint32(prog.FD()),
		AttachType: uint32(sys.BPF_TRACE_ITER),
	}
	// union bpf_iter_link_info: the map variant is a __u32 map_fd at offset 0;
	// the union is 16 bytes and the rest must be zero.
	var info [4]uint32
	if opts != nil && opts.Map != nil {
		info[0] = uint32(opts.Map.FD())
		attr.IterInfo = sys.NewSlicePointerOf(info[:])
		attr.IterInfoLen = uint32(len(info) * 4)
	}
	fd, err := sys.LinkCreate(&attr)
	if err != nil {
		return nil, fmt.Errorf("iter: attach program %q: %w", prog.Name(), linkErr(err))
	}
	return &Iter{RawLink: newRawLink(fd)}, nil
}

// Open starts a walk of the iterator (BPF_ITER_CREATE) and returns its output
// as a reader; each Read runs the program over more objects. Walks are
// independent: Open can be called again, also concurrently. The caller must
// Close the reader.
func (it *Iter) Open() (io.ReadCloser, error) {
	raw, err := it.fd.Acquire()
	if err != nil {
		return nil, fmt.Errorf("iter: open: %w", err)
	}
	fd, err := sys.IterCreate(&sys.IterCreateAttr{LinkFD: uint32(raw)})
	it.fd.Release()
	if err != nil {
		return nil, fmt.Errorf("iter: open: %w", err)
	}
	n, err := fd.Take()
	if err != nil {
		return nil, fmt.Errorf("iter: open: %w", err)
	}
	return os.NewFile(uintptr(n), "bpf_iter"), nil
}
