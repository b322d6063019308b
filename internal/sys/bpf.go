package sys

import (
	"errors"
	"syscall"
	"unsafe"
)

// Wrappers, one per bpf command. Each takes the generated attr by pointer
// and returns the raw errno (bare unix.Errno, match with errors.Is). The
// caller fills descriptor fields (MapFD, ProgFD, ...) and keeps them valid for
// the call, normally between FD.Acquire and FD.Release. Wrappers that create
// a kernel object return an *FD the caller owns. None of them allocates
// except when it returns a new FD.

func fdResult(r uintptr, err error) (*FD, error) {
	if err != nil {
		return nil, err
	}
	return NewFD(int(r))
}

// MapCreate creates a map (BPF_MAP_CREATE).
func MapCreate(attr *MapCreateAttr) (*FD, error) {
	return fdResult(BPF(BPF_MAP_CREATE, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

func mapElem(cmd Cmd, attr *MapElemAttr) error {
	_, err := BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// MapLookupElem copies the value of attr.Key into attr.Value
// (BPF_MAP_LOOKUP_ELEM). ENOENT: no such key.
func MapLookupElem(attr *MapElemAttr) error { return mapElem(BPF_MAP_LOOKUP_ELEM, attr) }

// MapUpdateElem stores attr.Value under attr.Key with attr.Flags
// (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK) (BPF_MAP_UPDATE_ELEM).
func MapUpdateElem(attr *MapElemAttr) error { return mapElem(BPF_MAP_UPDATE_ELEM, attr) }

// MapDeleteElem deletes attr.Key (BPF_MAP_DELETE_ELEM).
func MapDeleteElem(attr *MapElemAttr) error { return mapElem(BPF_MAP_DELETE_ELEM, attr) }

// MapGetNextKey writes the key following attr.Key (the first key if
// attr.Key is nil or absent) to attr.NextKey (BPF_MAP_GET_NEXT_KEY). ENOENT:
// attr.Key was the last one.
func MapGetNextKey(attr *MapElemAttr) error { return mapElem(BPF_MAP_GET_NEXT_KEY, attr) }

// MapLookupAndDeleteElem looks up and deletes attr.Key, or pops from a queue
// or stack when attr.Key is nil (BPF_MAP_LOOKUP_AND_DELETE_ELEM). Requires
// Linux 4.20 (queue/stack), 5.14 (hash maps).
func MapLookupAndDeleteElem(attr *MapElemAttr) error {
	return mapElem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, attr)
}

// MapFreeze makes a map read-only for user space (BPF_MAP_FREEZE). Requires Linux 5.2.
func MapFreeze(attr *MapElemAttr) error { return mapElem(BPF_MAP_FREEZE, attr) }

func mapBatch(cmd Cmd, attr *MapBatchAttr) error {
	_, err := BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// MapLookupBatch reads up to attr.Count entries (BPF_MAP_LOOKUP_BATCH);
// attr.Count is updated to the number read. ENOENT with Count > 0 means the
// end of the map was reached. Requires Linux 5.6.
func MapLookupBatch(attr *MapBatchAttr) error { return mapBatch(BPF_MAP_LOOKUP_BATCH, attr) }

// MapLookupAndDeleteBatch is [MapLookupBatch] that also deletes what it read
// (BPF_MAP_LOOKUP_AND_DELETE_BATCH). Requires Linux 5.6.
func MapLookupAndDeleteBatch(attr *MapBatchAttr) error {
	return mapBatch(BPF_MAP_LOOKUP_AND_DELETE_BATCH, attr)
}

// MapUpdateBatch writes attr.Count entries (BPF_MAP_UPDATE_BATCH).
// Requires Linux 5.6.
func MapUpdateBatch(attr *MapBatchAttr) error { return mapBatch(BPF_MAP_UPDATE_BATCH, attr) }

// MapDeleteBatch deletes attr.Count keys (BPF_MAP_DELETE_BATCH). Requires Linux 5.6.
func MapDeleteBatch(attr *MapBatchAttr) error { return mapBatch(BPF_MAP_DELETE_BATCH, attr) }

// ProgLoad loads a program (BPF_PROG_LOAD), retrying a few times when the
// kernel answers EAGAIN (the verifier was interrupted).
func ProgLoad(attr *ProgLoadAttr) (*FD, error) {
	for i := 0; ; i++ {
		r, err := BPF(BPF_PROG_LOAD, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
		if errors.Is(err, syscall.EAGAIN) && i < 5 {
			continue
		}
		return fdResult(r, err)
	}
}

// ObjPin pins attr.BpfFD at attr.Pathname in a bpffs (BPF_OBJ_PIN).
func ObjPin(attr *ObjPinAttr) error {
	_, err := BPF(BPF_OBJ_PIN, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ObjGet opens the object pinned at attr.Pathname (BPF_OBJ_GET).
func ObjGet(attr *ObjPinAttr) (*FD, error) {
	return fdResult(BPF(BPF_OBJ_GET, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// ProgAttach attaches a program to a cgroup, sockmap, netns, ... (BPF_PROG_ATTACH).
func ProgAttach(attr *ProgAttachAttr) error {
	_, err := BPF(BPF_PROG_ATTACH, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ProgDetach detaches what [ProgAttach] attached (BPF_PROG_DETACH).
func ProgDetach(attr *ProgAttachAttr) error {
	_, err := BPF(BPF_PROG_DETACH, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ProgQuery lists the programs attached to a hook (BPF_PROG_QUERY).
func ProgQuery(attr *ProgQueryAttr) error {
	_, err := BPF(BPF_PROG_QUERY, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ProgTestRun runs a program on test input (BPF_PROG_TEST_RUN); results are
// written back into attr (Retval, Duration, DataSizeOut, CtxSizeOut).
//
// A repeated run (Repeat > 1) stops with EINTR when a signal is pending, after
// some repetitions already ran with their side effects (map updates, ring
// buffer records); retrying would run them again. So a repeated run happens
// on a locked thread with signals blocked, and is never retried.
func ProgTestRun(attr *ProgTestRunAttr) error {
	if attr.Repeat <= 1 {
		_, err := BPF(BPF_PROG_TEST_RUN, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
		return err
	}
	return bpfSignalsBlocked(BPF_PROG_TEST_RUN, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
}

func nextID(cmd Cmd, attr *GetIDAttr) error {
	_, err := BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// MapGetNextID writes the id of the map after attr.StartID to attr.NextID
// (BPF_MAP_GET_NEXT_ID). ENOENT: no more maps.
func MapGetNextID(attr *GetIDAttr) error { return nextID(BPF_MAP_GET_NEXT_ID, attr) }

// ProgGetNextID is [MapGetNextID] for programs (BPF_PROG_GET_NEXT_ID).
func ProgGetNextID(attr *GetIDAttr) error { return nextID(BPF_PROG_GET_NEXT_ID, attr) }

// LinkGetNextID is [MapGetNextID] for links (BPF_LINK_GET_NEXT_ID). Requires Linux 5.8.
func LinkGetNextID(attr *GetIDAttr) error { return nextID(BPF_LINK_GET_NEXT_ID, attr) }

// BTFGetNextID is [MapGetNextID] for BTF objects (BPF_BTF_GET_NEXT_ID). Requires Linux 5.4.
func BTFGetNextID(attr *GetIDAttr) error { return nextID(BPF_BTF_GET_NEXT_ID, attr) }

func fdByID(cmd Cmd, attr *GetIDAttr) (*FD, error) {
	return fdResult(BPF(cmd, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// MapGetFDByID opens the map with id attr.StartID (alias MapID)
// (BPF_MAP_GET_FD_BY_ID).
func MapGetFDByID(attr *GetIDAttr) (*FD, error) { return fdByID(BPF_MAP_GET_FD_BY_ID, attr) }

// ProgGetFDByID opens a program by id (BPF_PROG_GET_FD_BY_ID).
func ProgGetFDByID(attr *GetIDAttr) (*FD, error) { return fdByID(BPF_PROG_GET_FD_BY_ID, attr) }

// LinkGetFDByID opens a link by id (BPF_LINK_GET_FD_BY_ID). Requires Linux 5.8.
func LinkGetFDByID(attr *GetIDAttr) (*FD, error) { return fdByID(BPF_LINK_GET_FD_BY_ID, attr) }

// BTFGetFDByID opens a BTF object by id (BPF_BTF_GET_FD_BY_ID).
func BTFGetFDByID(attr *GetIDAttr) (*FD, error) { return fdByID(BPF_BTF_GET_FD_BY_ID, attr) }

// ObjGetInfoByFD fills the info struct at attr.Info (BPF_OBJ_GET_INFO_BY_FD);
// attr.InfoLen is updated to the length the kernel wrote.
func ObjGetInfoByFD(attr *ObjInfoAttr) error {
	_, err := BPF(BPF_OBJ_GET_INFO_BY_FD, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// ObjInfo fills info ([MapInfo], [ProgInfo], [BTFInfo], [LinkInfo] or one of
// its variants) for fd, holding fd for the call.
func ObjInfo[T any](fd *FD, info *T) error {
	raw, err := fd.Acquire()
	if err != nil {
		return err
	}
	defer fd.Release()
	attr := ObjInfoAttr{
		BpfFD:   uint32(raw),
		InfoLen: uint32(unsafe.Sizeof(*info)),
		Info:    NewPointer(unsafe.Pointer(info)),
	}
	return ObjGetInfoByFD(&attr)
}

// BTFLoad loads BTF (BPF_BTF_LOAD), retrying EAGAIN like [ProgLoad]. Requires Linux 4.18.
func BTFLoad(attr *BTFLoadAttr) (*FD, error) {
	for i := 0; ; i++ {
		r, err := BPF(BPF_BTF_LOAD, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
		if errors.Is(err, syscall.EAGAIN) && i < 5 {
			continue
		}
		return fdResult(r, err)
	}
}

// RawTracepointOpen attaches a raw tracepoint (or a tracing program) and
// returns the link (BPF_RAW_TRACEPOINT_OPEN). Requires Linux 4.17.
func RawTracepointOpen(attr *RawTracepointOpenAttr) (*FD, error) {
	return fdResult(BPF(BPF_RAW_TRACEPOINT_OPEN, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// TaskFDQuery describes what a task's FD attaches (BPF_TASK_FD_QUERY). Requires Linux 4.18.
func TaskFDQuery(attr *TaskFDQueryAttr) error {
	_, err := BPF(BPF_TASK_FD_QUERY, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// LinkCreate creates a link (BPF_LINK_CREATE). A is [LinkCreateAttr] or the
// variant that carries the target-specific part ([LinkCreateTCXAttr],
// [LinkCreatePerfEventAttr], ...). Requires Linux 5.7.
func LinkCreate[A LinkCreateAttrs](attr *A) (*FD, error) {
	return fdResult(BPF(BPF_LINK_CREATE, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// LinkUpdate replaces a link's program (BPF_LINK_UPDATE). Requires Linux 5.7.
func LinkUpdate(attr *LinkUpdateAttr) error {
	_, err := BPF(BPF_LINK_UPDATE, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// LinkDetach detaches a link while its FD stays open (BPF_LINK_DETACH). Requires Linux 5.9.
func LinkDetach(attr *LinkDetachAttr) error {
	_, err := BPF(BPF_LINK_DETACH, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// EnableStats turns on run-time statistics until the returned FD is closed
// (BPF_ENABLE_STATS). Requires Linux 5.8.
func EnableStats(attr *EnableStatsAttr) (*FD, error) {
	return fdResult(BPF(BPF_ENABLE_STATS, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// IterCreate opens a readable iterator instance from an iterator link
// (BPF_ITER_CREATE). Requires Linux 5.8.
func IterCreate(attr *IterCreateAttr) (*FD, error) {
	return fdResult(BPF(BPF_ITER_CREATE, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// ProgBindMap ties a map's lifetime to a program (BPF_PROG_BIND_MAP). Requires Linux 5.10.
func ProgBindMap(attr *ProgBindMapAttr) error {
	_, err := BPF(BPF_PROG_BIND_MAP, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return err
}

// TokenCreate creates a BPF token from a bpffs (BPF_TOKEN_CREATE). Requires Linux 6.9.
func TokenCreate(attr *TokenCreateAttr) (*FD, error) {
	return fdResult(BPF(BPF_TOKEN_CREATE, unsafe.Pointer(attr), unsafe.Sizeof(*attr)))
}

// ProgStreamRead reads from a program's stdout/stderr stream
// (BPF_PROG_STREAM_READ_BY_FD) and returns the number of bytes read.
func ProgStreamRead(attr *ProgStreamReadAttr) (int, error) {
	r, err := BPF(BPF_PROG_STREAM_READ_BY_FD, unsafe.Pointer(attr), unsafe.Sizeof(*attr))
	return int(r), err
}
