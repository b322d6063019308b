package bpf

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
)

// BTFID is the kernel's id of a loaded BTF object (bpftool btf show).
type BTFID uint32

// BTFHandle is BTF loaded into the kernel (BPF_BTF_LOAD): the type
// information that maps (btf_fd of BPF_MAP_CREATE) and programs (prog_btf_fd
// of BPF_PROG_LOAD) refer to. It owns a file descriptor; Close releases it
// (the kernel frees the BTF when no map or program holds it either).
// Requires Linux 4.18. The methods are safe for concurrent use.
type BTFHandle struct {
	fd *sys.FD
}

// BTFInfo is what the kernel reports about a loaded BTF object
// (struct bpf_btf_info).
type BTFInfo struct {
	// ID is the object's id.
	ID BTFID
	// Name is the object's name: "vmlinux" or a module's name for kernel
	// BTF, "" for BTF loaded from user space (Linux 5.11).
	Name string
	// Size is the size of the raw BTF in bytes.
	Size uint32
	// Kernel reports whether the BTF is the kernel's or a module's
	// (Linux 5.11).
	Kernel bool
}

// BTFLoadError is the error of a BTF blob the kernel refuses: the errno and
// the kernel's BTF verifier log, which names the offending type ("[12]
// STRUCT foo size=8 vlen=2 Invalid member"). Error returns one line; %+v
// prints the whole log.
type BTFLoadError struct {
	Cause error    // the errno, matched by errors.Is
	Log   []string // the kernel's log, without empty lines
}

// Error returns "load BTF: <errno>: <last log line>".
func (e *BTFLoadError) Error() string {
	msg := "load BTF: " + e.Cause.Error()
	if n := len(e.Log); n > 0 {
		msg += ": " + e.Log[n-1]
	}
	return msg
}

// Unwrap returns the errno.
func (e *BTFLoadError) Unwrap() error { return e.Cause }

// Format prints the whole log with %+v.
func (e *BTFLoadError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('+') {
		fmt.Fprintf(f, "%s\n%s", e.Error(), strings.Join(e.Log, "\n"))
		return
	}
	fmt.Fprint(f, e.Error())
}

// NewBTF marshals spec (see [btf.Spec.Marshal]) and loads it into the kernel.
// Split BTF (a module's, on top of vmlinux) cannot be loaded this way. The
// caller must Close the handle.
func NewBTF(spec *btf.Spec) (*BTFHandle, error) {
	if spec == nil {
		return nil, errors.New("load BTF: nil spec")
	}
	if spec.Base() != nil {
		return nil, errors.New("load BTF: split BTF needs a base object and is not supported")
	}
	raw, err := spec.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("load BTF: %w", err)
	}
	return NewBTFFromBytes(raw)
}

// NewBTFFromBytes loads raw BTF (header, type and string sections in the
// host's byte order, as [btf.Builder.Marshal] writes it) into the kernel. If
// the kernel refuses it, the load is repeated with a log and the error is a
// [*BTFLoadError] carrying it. The caller must Close the handle.
func NewBTFFromBytes(raw []byte) (*BTFHandle, error) {
	fd, err := loadBTF(raw)
	if err != nil {
		return nil, err
	}
	return &BTFHandle{fd: fd}, nil
}

// loadBTF runs BPF_BTF_LOAD, explaining a refusal with the kernel's log.
func loadBTF(raw []byte) (*sys.FD, error) {
	if len(raw) == 0 {
		return nil, errors.New("load BTF: empty blob")
	}
	attr := sys.BTFLoadAttr{BTF: sys.NewSlicePointer(raw), BTFSize: uint32(len(raw))}
	fd, err := sys.BTFLoad(&attr)
	if err == nil {
		return fd, nil
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
		return nil, fmt.Errorf("load BTF: %w", err)
	}
	for size := defaultLogSize; ; size *= 4 {
		buf := make([]byte, size)
		attr.BTFLogBuf = sys.NewSlicePointer(buf)
		attr.BTFLogSize = uint32(size)
		attr.BTFLogLevel = 1
		attr.BTFLogTrueSize = 0
		fd, err2 := sys.BTFLoad(&attr)
		if err2 == nil { // refused once, accepted with a log: take it
			return fd, nil
		}
		if errors.Is(err2, unix.ENOSPC) && size < maxLogSize/4 {
			continue
		}
		var lines []string
		for _, l := range splitLog(buf) {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		if errors.Is(err2, unix.ENOSPC) {
			err2 = err
		}
		return nil, &BTFLoadError{Cause: err2, Log: lines}
	}
}

// NewBTFFromID opens the loaded BTF object with the given id
// (BPF_BTF_GET_FD_BY_ID; needs CAP_SYS_ADMIN), for instance a program's
// ([ProgramInfo.BTFID]) or a map's. The caller must Close the handle.
func NewBTFFromID(id BTFID) (*BTFHandle, error) {
	fd, err := sys.BTFGetFDByID(&sys.GetIDAttr{StartID: uint32(id)})
	if err != nil {
		return nil, fmt.Errorf("btf id %d: %w", id, err)
	}
	return &BTFHandle{fd: fd}, nil
}

// FD returns the file descriptor, or -1 once the handle is closed. The
// handle still owns it.
func (h *BTFHandle) FD() int { return h.fd.Int() }

// Close releases the file descriptor. It is safe on nil and when called
// twice.
func (h *BTFHandle) Close() error {
	if h == nil {
		return nil
	}
	if err := h.fd.Close(); err != nil {
		return fmt.Errorf("btf: %w", err)
	}
	return nil
}

// Info asks the kernel about the object (BPF_OBJ_GET_INFO_BY_FD).
func (h *BTFHandle) Info() (*BTFInfo, error) {
	var name [64]byte
	info := sys.BTFInfo{Name: sys.NewSlicePointer(name[:]), NameLen: uint32(len(name))}
	if err := sys.ObjInfo(h.fd, &info); err != nil {
		return nil, fmt.Errorf("btf: info: %w", err)
	}
	return &BTFInfo{ID: BTFID(info.ID), Name: cString(name[:]), Size: info.BTFSize, Kernel: info.KernelBTF != 0}, nil
}

// ID returns the object's kernel id.
func (h *BTFHandle) ID() (BTFID, error) {
	info, err := h.Info()
	if err != nil {
		return 0, err
	}
	return info.ID, nil
}

// Raw returns the object's raw BTF as the kernel holds it.
func (h *BTFHandle) Raw() ([]byte, error) {
	var info sys.BTFInfo
	if err := sys.ObjInfo(h.fd, &info); err != nil {
		return nil, fmt.Errorf("btf: info: %w", err)
	}
	buf := make([]byte, info.BTFSize)
	second := sys.BTFInfo{BTF: sys.NewSlicePointer(buf), BTFSize: uint32(len(buf))}
	if err := sys.ObjInfo(h.fd, &second); err != nil {
		return nil, fmt.Errorf("btf: read: %w", err)
	}
	return buf[:min(int(second.BTFSize), len(buf))], nil
}

// Spec reads the object's BTF back from the kernel and parses it. base is
// the Spec split BTF (a module's) builds on, nil otherwise.
func (h *BTFHandle) Spec(base *btf.Spec) (*btf.Spec, error) {
	raw, err := h.Raw()
	if err != nil {
		return nil, err
	}
	if base != nil {
		return btf.LoadSplitSpecFromBytes(raw, base)
	}
	return btf.LoadSpecFromBytes(raw)
}
