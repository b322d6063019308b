//go:build linux

package sys_test

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/btf"
	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

// loadProg loads hand-encoded instructions (little endian) of the given type.
func loadProg(t *testing.T, typ sys.ProgType, attach sys.AttachType, insns []uint64) *sys.FD {
	t.Helper()
	testutil.RequirePrivilege(t, "CAP_BPF")
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("hand-encoded instructions assume little endian")
	}
	var buf []byte
	for _, ins := range insns {
		buf = binary.LittleEndian.AppendUint64(buf, ins)
	}
	logBuf := make([]byte, 4096)
	fd, err := sys.ProgLoad(&sys.ProgLoadAttr{
		ProgType: uint32(typ), ExpectedAttachType: uint32(attach), InsnCnt: uint32(len(insns)),
		Insns: sys.NewSlicePointer(buf), License: sys.NewStringPointer("GPL"),
		LogLevel: 1, LogSize: uint32(len(logBuf)), LogBuf: sys.NewSlicePointer(logBuf),
	})
	if err != nil {
		t.Fatalf("load %v: %v\n%s", typ, err, unix.ByteSliceToString(logBuf))
	}
	t.Cleanup(func() { fd.Close() })
	return fd
}

// kernelHasEnumValue reports whether the running kernel's BTF has the enumerator value in
// enum: a probe for attach types and other constants older kernels do not know.
func kernelHasEnumValue(t *testing.T, enum, value string) bool {
	t.Helper()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatalf("kernel BTF: %v", err)
	}
	_, e, err := btf.Find[*btf.Enum](spec, enum)
	if err != nil {
		t.Fatalf("kernel BTF: enum %s: %v", enum, err)
	}
	for _, v := range e.Values {
		if v.Name == value {
			return true
		}
	}
	return false
}

// retZero is `r0 = 0; exit`.
var retZero = []uint64{0xb7, 0x95}

// TestLinkCreateTCX attaches a sched_cls program to lo's TCX ingress through
// the TCX variant of the link_create attr, then reads the link back.
func TestLinkCreateTCX(t *testing.T) {
	if !kernelHasEnumValue(t, "bpf_attach_type", "BPF_TCX_INGRESS") {
		t.Skip("kernel lacks TCX links (Linux 6.6): no BPF_TCX_INGRESS in its enum bpf_attach_type")
	}
	prog := loadProg(t, sys.BPF_PROG_TYPE_SCHED_CLS, sys.BPF_TCX_INGRESS, retZero)
	ifc, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	lo := ifc.Index
	attr := sys.LinkCreateTCXAttr{ProgFD: prog.Uint(), AttachType: uint32(sys.BPF_TCX_INGRESS)}
	attr.SetTargetIfindex(uint32(lo))
	link, err := sys.LinkCreate(&attr)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("link create tcx: %v", err)
	}
	defer link.Close()

	var info sys.LinkInfoTCX
	if err := sys.ObjInfo(link, &info); err != nil {
		t.Fatalf("link info: %v", err)
	}
	if sys.LinkType(info.Type) != sys.BPF_LINK_TYPE_TCX || info.Ifindex != uint32(lo) ||
		sys.AttachType(info.AttachType) != sys.BPF_TCX_INGRESS {
		t.Fatalf("link info: type %v ifindex %d attach %v", sys.LinkType(info.Type), info.Ifindex, sys.AttachType(info.AttachType))
	}

	ids := make([]uint32, 8)
	q := sys.ProgQueryAttr{TargetFD: uint32(lo), AttachType: uint32(sys.BPF_TCX_INGRESS),
		ProgIDs: sys.NewSlicePointerOf(ids), ProgCnt: uint32(len(ids))}
	if err := sys.ProgQuery(&q); err != nil {
		t.Fatalf("query tcx: %v", err)
	}
	var pinfo sys.ProgInfo
	if err := sys.ObjInfo(prog, &pinfo); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, id := range ids[:q.ProgCnt] {
		found = found || id == pinfo.ID
	}
	if !found {
		t.Fatalf("prog %d not in tcx query %v", pinfo.ID, ids[:q.Count()])
	}

	var gid sys.GetIDAttr
	gid.SetLinkID(info.ID)
	again, err := sys.LinkGetFDByID(&gid)
	if err != nil {
		t.Fatalf("link by id: %v", err)
	}
	again.Close()
	if err := sys.LinkDetach(&sys.LinkDetachAttr{LinkFD: link.Uint()}); err != nil {
		t.Fatalf("link detach: %v", err)
	}
}

func TestRawTracepointOpen(t *testing.T) {
	prog := loadProg(t, sys.BPF_PROG_TYPE_RAW_TRACEPOINT, 0, retZero)
	link, err := sys.RawTracepointOpen(&sys.RawTracepointOpenAttr{Name: sys.NewStringPointer("sys_enter"), ProgFD: prog.Uint()})
	if err != nil {
		t.Fatalf("raw tracepoint open: %v", err)
	}
	defer link.Close()
	var info sys.LinkInfoRawTracepoint
	tp := make([]byte, 32)
	info.TpName, info.TpNameLen = sys.NewSlicePointer(tp), uint32(len(tp))
	if err := sys.ObjInfo(link, &info); err != nil {
		t.Fatal(err)
	}
	if got := unix.ByteSliceToString(tp); got != "sys_enter" || sys.LinkType(info.Type) != sys.BPF_LINK_TYPE_RAW_TRACEPOINT {
		t.Fatalf("link info: type %v, tp_name %q", sys.LinkType(info.Type), got)
	}
}

// TestBTFLoad loads a one-type BTF blob: `int` (4 bytes, signed).
func TestBTFLoad(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	const btfKindInt, btfIntSigned = 1, 1
	strs := []byte("\x00int\x00")
	var types []byte
	types = binary.NativeEndian.AppendUint32(types, 1)                   // name_off "int"
	types = binary.NativeEndian.AppendUint32(types, btfKindInt<<24)      // info: kind INT, vlen 0
	types = binary.NativeEndian.AppendUint32(types, 4)                   // size
	types = binary.NativeEndian.AppendUint32(types, btfIntSigned<<24|32) // encoding, offset 0, 32 bits
	var blob []byte
	blob = binary.NativeEndian.AppendUint16(blob, 0xeB9F)
	blob = append(blob, 1, 0) // version, flags
	blob = binary.NativeEndian.AppendUint32(blob, 24)
	blob = binary.NativeEndian.AppendUint32(blob, 0)
	blob = binary.NativeEndian.AppendUint32(blob, uint32(len(types)))
	blob = binary.NativeEndian.AppendUint32(blob, uint32(len(types)))
	blob = binary.NativeEndian.AppendUint32(blob, uint32(len(strs)))
	blob = append(append(blob, types...), strs...)

	logBuf := make([]byte, 4096)
	fd, err := sys.BTFLoad(&sys.BTFLoadAttr{BTF: sys.NewSlicePointer(blob), BTFSize: uint32(len(blob)),
		BTFLogBuf: sys.NewSlicePointer(logBuf), BTFLogSize: uint32(len(logBuf)), BTFLogLevel: 1})
	if err != nil {
		t.Fatalf("btf load: %v\n%s", err, unix.ByteSliceToString(logBuf))
	}
	defer fd.Close()
	var info sys.BTFInfo
	if err := sys.ObjInfo(fd, &info); err != nil {
		t.Fatal(err)
	}
	if info.BTFSize != uint32(len(blob)) || info.ID == 0 {
		t.Fatalf("btf info: %+v", info)
	}

	// Corrupt magic: EINVAL, and the errno is reachable.
	blob[0] = 0
	_, err = sys.BTFLoad(&sys.BTFLoadAttr{BTF: sys.NewSlicePointer(blob), BTFSize: uint32(len(blob))})
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("bad magic: %v, want EINVAL", err)
	}
}

func TestPerfEventOpen(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_PERFMON")
	attr := sys.PerfEventAttr{Type: sys.PERF_TYPE_SOFTWARE, Config: sys.PERF_COUNT_SW_CPU_CLOCK, SamplePeriod: 1_000_000}
	attr.SetDisabled(1)
	fd, err := sys.PerfEventOpen(&attr, 0, -1, -1, 0)
	if err != nil {
		t.Fatalf("perf_event_open: %v", err)
	}
	defer fd.Close()
	if attr.Size != uint32(unsafe.Sizeof(attr)) {
		t.Fatalf("Size not filled: %d", attr.Size)
	}
	flags, err := unix.FcntlInt(uintptr(fd.Int()), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("perf fd not close-on-exec: %#x %v", flags, err)
	}
}
