package bpf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/bpfgo/bpf/internal/sys"
)

// MapInfo describes a map as the kernel reports it (BPF_OBJ_GET_INFO_BY_FD,
// and /proc/self/fdinfo for what the info struct lacks).
type MapInfo struct {
	// ID is the kernel's id of the map.
	ID MapID
	// Name is map_name (up to 15 bytes).
	Name string
	// Type, KeySize, ValueSize, MaxEntries and Flags are as created.
	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      MapFlags
	// MapExtra is map_extra (bloom filter hashes, arena address). Requires Linux 5.16.
	MapExtra uint64
	// BTFID is the id of the map's BTF object, 0 if none; BTFKeyTypeID and
	// BTFValueTypeID are type ids inside it.
	BTFID, BTFKeyTypeID, BTFValueTypeID uint32
	// Ifindex is the device of an offloaded map, else 0.
	Ifindex uint32
	// Frozen reports whether user space can no longer write (BPF_MAP_FREEZE),
	// from fdinfo; false if fdinfo could not be read.
	Frozen bool
	// Memlock is the memory the kernel charges for the map in bytes (fdinfo), 0 if unknown.
	Memlock uint64
}

// Info asks the kernel about the map. Requires Linux 4.13.
func (m *Map) Info() (*MapInfo, error) {
	if m == nil {
		return nil, ErrClosed
	}
	var ki sys.MapInfo
	if err := sys.ObjInfo(m.fd, &ki); err != nil {
		return nil, m.opError("info", err)
	}
	info := &MapInfo{
		ID:             MapID(ki.ID),
		Name:           cString(ki.Name[:]),
		Type:           MapType(ki.Type),
		KeySize:        ki.KeySize,
		ValueSize:      ki.ValueSize,
		MaxEntries:     ki.MaxEntries,
		Flags:          MapFlags(ki.MapFlags),
		MapExtra:       ki.MapExtra,
		BTFID:          ki.BTFID,
		BTFKeyTypeID:   ki.BTFKeyTypeID,
		BTFValueTypeID: ki.BTFValueTypeID,
		Ifindex:        ki.Ifindex,
	}
	if raw, err := m.fd.Acquire(); err == nil {
		fields := readFDInfo(raw)
		m.fd.Release()
		info.Frozen = fields["frozen"] == "1"
		info.Memlock, _ = strconv.ParseUint(fields["memlock"], 10, 64)
	}
	return info, nil
}

// ID returns the map's kernel id.
func (m *Map) ID() (MapID, error) {
	var ki sys.MapInfo
	if err := sys.ObjInfo(m.fd, &ki); err != nil {
		return 0, m.opError("info", err)
	}
	return MapID(ki.ID), nil
}

// readFDInfo parses /proc/self/fdinfo/<fd> ("key:\tvalue" lines).
func readFDInfo(fd int) map[string]string {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// NewMapFromFD wraps an existing map fd and takes ownership of it: the
// returned Map closes it, and it is closed on error too. The map's type and
// sizes are read from the kernel.
func NewMapFromFD(fd int) (*Map, error) {
	f, err := sys.NewFD(fd)
	if err != nil {
		return nil, fmt.Errorf("map from fd: %w", err)
	}
	return newMapFromSysFD(f)
}

// NewMapFromID opens the map with the given id (BPF_MAP_GET_FD_BY_ID). The
// caller must Close it. Requires Linux 4.13 and CAP_SYS_ADMIN.
func NewMapFromID(id MapID) (*Map, error) {
	fd, err := sys.MapGetFDByID(&sys.GetIDAttr{StartID: uint32(id)})
	if err != nil {
		return nil, fmt.Errorf("map id %d: %w", id, err)
	}
	return newMapFromSysFD(fd)
}

// newMapFromSysFD takes ownership of fd (closing it on error).
func newMapFromSysFD(fd *sys.FD) (*Map, error) {
	var ki sys.MapInfo
	if err := sys.ObjInfo(fd, &ki); err != nil {
		fd.Close()
		return nil, fmt.Errorf("map info: %w", err)
	}
	m, err := newMap(fd, cString(ki.Name[:]), MapType(ki.Type), ki.KeySize, ki.ValueSize, ki.MaxEntries, MapFlags(ki.MapFlags))
	if err != nil {
		fd.Close()
		return nil, err
	}
	return m, nil
}
