package bpf

import (
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/sys"
)

// ProgramID is the kernel's id of a loaded program, unique while it exists (bpftool's "id").
type ProgramID uint32

// ProgramInfo is what the kernel reports about a loaded program (struct bpf_prog_info, read
// with BPF_OBJ_GET_INFO_BY_FD).
type ProgramInfo struct {
	ID   ProgramID
	Name string
	Type ProgramType
	// Tag is the program's tag: a hash of its instructions, as bpftool prints it
	// (16 hex digits).
	Tag string
	// MapIDs are the ids of the maps the program uses.
	MapIDs []MapID
	// LoadTime is when the program was loaded (wall clock, derived from the kernel's boot-time
	// stamp); zero if unknown.
	LoadTime time.Time
	// CreatedByUID is the uid of the loading process.
	CreatedByUID uint32
	// GPLCompatible reports whether the license allows GPL-only helpers.
	GPLCompatible bool
	// XlatedSize and JitedSize are the sizes in bytes of the translated bytecode and the JIT
	// image (0 without JIT, or when the kernel hides them).
	XlatedSize uint32
	JitedSize  uint32
	// BTFID is the id of the program's BTF object, 0 if none.
	BTFID uint32
	// RunTime and RunCount are the program's accumulated run time and count while run-time
	// statistics are on (sysctl kernel.bpf_stats_enabled or BPF_ENABLE_STATS); Linux 5.1.
	RunTime  time.Duration
	RunCount uint64
	// RecursionMisses counts runs skipped because the program was already running on the CPU.
	RecursionMisses uint64
	// VerifiedInsns is the number of instructions the verifier processed (Linux 5.16).
	VerifiedInsns uint32
	// AttachBTFObjID and AttachBTFID identify the attach target of tracing programs.
	AttachBTFObjID uint32
	AttachBTFID    uint32
	// Ifindex is the device of an offloaded or device-bound program.
	Ifindex uint32
}

// Info reads the program's information from the kernel. Requires Linux 4.13.
func (p *Program) Info() (*ProgramInfo, error) {
	info, err := programInfo(p.fd)
	if err != nil {
		return nil, fmt.Errorf("program %q: info: %w", p.name, err)
	}
	return info, nil
}

// XlatedInstructions returns the program as the kernel keeps it after verification: the
// "translated" bytecode of `bpftool prog dump xlated`, with the kernel's rewrites (context
// accesses, inlined helpers, map pointers). The kernel hides it without CAP_SYS_ADMIN (or
// CAP_PERFMON), and then this returns an error. Requires Linux 4.13.
func (p *Program) XlatedInstructions() (asm.Instructions, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(p.fd, &info); err != nil {
		return nil, fmt.Errorf("program %q: xlated instructions: %w", p.name, err)
	}
	if info.XlatedProgLen == 0 {
		return nil, fmt.Errorf("program %q: xlated instructions: %w (the kernel withholds them)", p.name, unix.EPERM)
	}
	buf := make([]byte, info.XlatedProgLen)
	second := sys.ProgInfo{XlatedProgLen: uint32(len(buf)), XlatedProgInsns: sys.NewSlicePointer(buf)}
	if err := sys.ObjInfo(p.fd, &second); err != nil {
		return nil, fmt.Errorf("program %q: xlated instructions: %w", p.name, err)
	}
	insns, err := asm.DecodeNative(buf[:min(int(second.XlatedProgLen), len(buf))])
	if err != nil {
		return nil, fmt.Errorf("program %q: xlated instructions: %w", p.name, err)
	}
	return insns, nil
}

// Tag returns the program's tag as bpftool prints it (16 hex digits), read from the kernel.
func (p *Program) Tag() (string, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(p.fd, &info); err != nil {
		return "", fmt.Errorf("program %q: tag: %w", p.name, err)
	}
	return hex.EncodeToString(info.Tag[:]), nil
}

// ID returns the program's kernel id.
func (p *Program) ID() (ProgramID, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(p.fd, &info); err != nil {
		return 0, fmt.Errorf("program %q: id: %w", p.name, err)
	}
	return ProgramID(info.ID), nil
}

func programInfo(fd *sys.FD) (*ProgramInfo, error) {
	var info sys.ProgInfo
	if err := sys.ObjInfo(fd, &info); err != nil {
		return nil, err
	}
	var mapIDs []MapID
	// The map set can change between the calls (BPF_PROG_BIND_MAP); ask until it fits.
	for n := info.NrMapIDs; n > 0; {
		mapIDs = make([]MapID, n)
		second := sys.ProgInfo{NrMapIDs: n, MapIDs: sys.NewSlicePointerOf(mapIDs)}
		if err := sys.ObjInfo(fd, &second); err != nil {
			return nil, err
		}
		if second.NrMapIDs <= n {
			mapIDs = mapIDs[:second.NrMapIDs]
			break
		}
		n = second.NrMapIDs
	}
	pi := &ProgramInfo{
		ID:              ProgramID(info.ID),
		Name:            cString(info.Name[:]),
		Type:            ProgramType(info.Type),
		Tag:             hex.EncodeToString(info.Tag[:]),
		MapIDs:          mapIDs,
		CreatedByUID:    info.CreatedByUID,
		GPLCompatible:   info.GPLCompatible() != 0,
		XlatedSize:      info.XlatedProgLen,
		JitedSize:       info.JitedProgLen,
		BTFID:           info.BTFID,
		RunTime:         time.Duration(info.RunTimeNs),
		RunCount:        info.RunCnt,
		RecursionMisses: info.RecursionMisses,
		VerifiedInsns:   info.VerifiedInsns,
		AttachBTFObjID:  info.AttachBTFObjID,
		AttachBTFID:     info.AttachBTFID,
		Ifindex:         info.Ifindex,
	}
	if info.LoadTime != 0 {
		pi.LoadTime = bootTimeToWall(info.LoadTime)
	}
	return pi, nil
}

// ProgramIDs yields the ids of all programs loaded in the kernel, in increasing order
// (BPF_PROG_GET_NEXT_ID; needs CAP_SYS_ADMIN). A program loaded or unloaded during the walk
// may or may not appear. An error ends the walk and is yielded with id 0. Requires Linux 4.13.
func ProgramIDs() iter.Seq2[ProgramID, error] {
	return func(yield func(ProgramID, error) bool) {
		for id, err := range idSeq(sys.ProgGetNextID) {
			if err != nil {
				yield(0, fmt.Errorf("program ids: %w", err))
				return
			}
			if !yield(ProgramID(id), nil) {
				return
			}
		}
	}
}

// EnableRunStats turns on the kernel's run-time statistics for all programs (BPF_ENABLE_STATS
// with BPF_STATS_RUN_TIME) until the returned Closer is closed; [ProgramInfo.RunTime] and
// RunCount then grow with every run. It needs CAP_SYS_ADMIN. Requires Linux 5.8.
func EnableRunStats() (io.Closer, error) {
	attr := sys.EnableStatsAttr{Type: uint32(sys.BPF_STATS_RUN_TIME)}
	fd, err := sys.EnableStats(&attr)
	if err != nil {
		return nil, fmt.Errorf("enable run-time stats: %w", err)
	}
	return fd, nil
}

// Pin pins the program at path on a BPF file system (BPF_OBJ_PIN), so that it outlives the
// process; the parent directory must exist. Remove the pin with [Program.Unpin] or os.Remove.
func (p *Program) Pin(path string) error {
	if err := pinObject(p.fd, path); err != nil {
		return fmt.Errorf("program %q: %w", p.name, err)
	}
	return nil
}

// Unpin removes the pin at path; a missing pin is not an error. The program itself stays
// loaded while p is open.
func (p *Program) Unpin(path string) error {
	if err := unpinPath(path); err != nil {
		return fmt.Errorf("program %q: %w", p.name, err)
	}
	return nil
}

// OpenPinnedProgram opens the program pinned at path (BPF_OBJ_GET). It fails if the pin is not
// a program. A missing pin matches os.ErrNotExist. The caller must Close the Program.
func OpenPinnedProgram(path string) (*Program, error) {
	fd, err := openPinned(path)
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	if err := checkFDKind(fd, "bpf-prog"); err != nil {
		fd.Close()
		return nil, fmt.Errorf("program: open pinned %s: %w", path, err)
	}
	p, err := newProgramFromFD(fd)
	if err != nil {
		return nil, fmt.Errorf("program: open pinned %s: %w", path, err)
	}
	return p, nil
}
