package bpf

import (
	"errors"
	"iter"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// MapID is the kernel's id of a map, unique while the map exists.
type MapID uint32

// idSeq walks the ids a BPF_*_GET_NEXT_ID command yields, in increasing
// order, stopping at the first error (yielded once). Shared by maps,
// programs, links and BTF objects.
func idSeq(next func(*sys.GetIDAttr) error) iter.Seq2[uint32, error] {
	return func(yield func(uint32, error) bool) {
		var id uint32
		for {
			attr := sys.GetIDAttr{StartID: id}
			err := next(&attr)
			if errors.Is(err, unix.ENOENT) {
				return
			}
			if err != nil {
				yield(0, err)
				return
			}
			id = attr.NextID
			if !yield(id, nil) {
				return
			}
		}
	}
}

// MapIDs yields the ids of all maps loaded in the kernel in increasing order
// (BPF_MAP_GET_NEXT_ID). An error ends the sequence. Requires Linux 4.13 and
// CAP_SYS_ADMIN.
func MapIDs() iter.Seq2[MapID, error] {
	return func(yield func(MapID, error) bool) {
		for id, err := range idSeq(sys.MapGetNextID) {
			if err != nil {
				yield(0, &opError{kind: "map", op: "next id", err: err})
				return
			}
			if !yield(MapID(id), nil) {
				return
			}
		}
	}
}
