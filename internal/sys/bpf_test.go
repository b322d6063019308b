//go:build linux

package sys_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
	"github.com/bpfgo/bpf/internal/testutil"
)

func newMap(tb testing.TB, typ sys.MapType, keySize, valueSize, maxEntries uint32, flags uint32) *sys.FD {
	tb.Helper()
	testutil.RequirePrivilege(tb, "CAP_BPF")
	fd, err := sys.MapCreate(&sys.MapCreateAttr{
		MapType: uint32(typ), KeySize: keySize, ValueSize: valueSize, MaxEntries: maxEntries,
		MapFlags: flags, MapName: sys.ObjName("sys_test"),
	})
	if err != nil {
		tb.Fatalf("create %v: %v", typ, err)
	}
	tb.Cleanup(func() { fd.Close() })
	return fd
}

func elem(fd *sys.FD, key, value []byte, flags uint64) sys.MapElemAttr {
	return sys.MapElemAttr{MapFD: fd.Uint(), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(value), Flags: flags}
}

func TestArrayMap(t *testing.T) {
	fd := newMap(t, sys.BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0)
	key := binary.NativeEndian.AppendUint32(nil, 1)
	val := binary.NativeEndian.AppendUint64(nil, 42)
	attr := elem(fd, key, val, sys.BPF_ANY)
	if err := sys.MapUpdateElem(&attr); err != nil {
		t.Fatalf("update: %v", err)
	}
	out := make([]byte, 8)
	attr = elem(fd, key, out, 0)
	if err := sys.MapLookupElem(&attr); err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if got := binary.NativeEndian.Uint64(out); got != 42 {
		t.Fatalf("lookup: got %d, want 42", got)
	}
	attr = elem(fd, key, val, sys.BPF_NOEXIST)
	if err := sys.MapUpdateElem(&attr); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("update NOEXIST on an array: %v, want EEXIST", err)
	}
	attr = elem(fd, binary.NativeEndian.AppendUint32(nil, 10), out, 0)
	if err := sys.MapLookupElem(&attr); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("lookup out of range: %v, want ENOENT", err)
	}
	next := make([]byte, 4)
	attr = sys.MapElemAttr{MapFD: fd.Uint()}
	attr.SetNextKey(sys.NewSlicePointer(next))
	if err := sys.MapGetNextKey(&attr); err != nil || binary.NativeEndian.Uint32(next) != 0 {
		t.Fatalf("first key: %v, %x", err, next)
	}

	var info sys.MapInfo
	if err := sys.ObjInfo(fd, &info); err != nil {
		t.Fatalf("info: %v", err)
	}
	if sys.MapType(info.Type) != sys.BPF_MAP_TYPE_ARRAY || info.KeySize != 4 || info.ValueSize != 8 ||
		info.MaxEntries != 4 || unix.ByteSliceToString(info.Name[:]) != "sys_test" {
		t.Fatalf("info: %+v", info)
	}

	// Reopen by id and through a pin; all three see the same map.
	var ids sys.GetIDAttr
	ids.SetMapID(info.ID)
	byID, err := sys.MapGetFDByID(&ids)
	if err != nil {
		t.Fatalf("get fd by id %d: %v", info.ID, err)
	}
	defer byID.Close()
	path := filepath.Join(testutil.TempBPFFSDir(t), "array")
	if err := sys.ObjPin(&sys.ObjPinAttr{Pathname: sys.NewStringPointer(path), BpfFD: fd.Uint()}); err != nil {
		t.Fatalf("pin: %v", err)
	}
	pinned, err := sys.ObjGet(&sys.ObjPinAttr{Pathname: sys.NewStringPointer(path)})
	if err != nil {
		t.Fatalf("open pinned: %v", err)
	}
	defer pinned.Close()
	for _, other := range []*sys.FD{byID, pinned} {
		var oi sys.MapInfo
		if err := sys.ObjInfo(other, &oi); err != nil || oi.ID != info.ID {
			t.Fatalf("%v: info id %d (%v), want %d", other, oi.ID, err, info.ID)
		}
	}

	// The map is listed by BPF_MAP_GET_NEXT_ID.
	found := false
	for ids = (sys.GetIDAttr{}); sys.MapGetNextID(&ids) == nil; ids.StartID = ids.NextID {
		found = found || ids.NextID == info.ID
	}
	if !found {
		t.Fatalf("map id %d not listed by BPF_MAP_GET_NEXT_ID", info.ID)
	}
}

func TestHashBatch(t *testing.T) {
	fd := newMap(t, sys.BPF_MAP_TYPE_HASH, 4, 8, 64, 0)
	const n = 32
	keys := make([]uint32, n)
	vals := make([]uint64, n)
	for i := range n {
		keys[i], vals[i] = uint32(i), uint64(i*i)
	}
	up := sys.MapBatchAttr{MapFD: fd.Uint(), Keys: sys.NewSlicePointerOf(keys), Values: sys.NewSlicePointerOf(vals), Count: n}
	if err := sys.MapUpdateBatch(&up); err != nil {
		t.Fatalf("update batch: %v", err)
	}
	gotK := make([]uint32, n)
	gotV := make([]uint64, n)
	var out uint32
	look := sys.MapBatchAttr{MapFD: fd.Uint(), OutBatch: sys.NewPointer(unsafe.Pointer(&out)),
		Keys: sys.NewSlicePointerOf(gotK), Values: sys.NewSlicePointerOf(gotV), Count: n}
	if err := sys.MapLookupBatch(&look); err != nil && !errors.Is(err, unix.ENOENT) {
		t.Fatalf("lookup batch: %v", err)
	}
	if look.Count != n {
		t.Fatalf("lookup batch read %d, want %d", look.Count, n)
	}
	for i, k := range gotK {
		if gotV[i] != uint64(k)*uint64(k) {
			t.Fatalf("key %d: value %d", k, gotV[i])
		}
	}
	slices.Sort(gotK)
	if !slices.Equal(gotK, keys) {
		t.Fatalf("keys %v", gotK)
	}
	miss := elem(fd, binary.NativeEndian.AppendUint32(nil, 1000), make([]byte, 8), 0)
	if err := sys.MapLookupElem(&miss); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("lookup missing key: %v, want ENOENT", err)
	}
}

// xdpPass is `r0 = 2 (XDP_PASS); exit` encoded by hand (struct bpf_insn:
// code, dst:4|src:4, off, imm): BPF_ALU64|BPF_MOV|BPF_K = 0xb7, BPF_JMP|BPF_EXIT = 0x95.
var xdpPass = []uint64{
	0xb7 | 2<<32,
	0x95,
}

func TestProgLoadTestRun(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	insns := make([]byte, 0, 16)
	for _, ins := range xdpPass {
		insns = binary.LittleEndian.AppendUint64(insns, ins)
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("hand-encoded instructions assume little endian")
	}
	logBuf := make([]byte, 4096)
	prog, err := sys.ProgLoad(&sys.ProgLoadAttr{
		ProgType: uint32(sys.BPF_PROG_TYPE_XDP), InsnCnt: uint32(len(xdpPass)),
		Insns: sys.NewSlicePointer(insns), License: sys.NewStringPointer("GPL"),
		LogLevel: 1, LogSize: uint32(len(logBuf)), LogBuf: sys.NewSlicePointer(logBuf),
		ProgName: sys.ObjName("sys_xdp_pass"),
	})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, unix.ByteSliceToString(logBuf))
	}
	defer prog.Close()

	pkt := make([]byte, 64)
	out := make([]byte, 128)
	run := sys.ProgTestRunAttr{ProgFD: prog.Uint(), Repeat: 10,
		DataIn: sys.NewSlicePointer(pkt), DataSizeIn: uint32(len(pkt)),
		DataOut: sys.NewSlicePointer(out), DataSizeOut: uint32(len(out))}
	if err := sys.ProgTestRun(&run); err != nil {
		t.Fatalf("test run: %v", err)
	}
	if run.Retval != 2 || run.DataSizeOut != uint32(len(pkt)) {
		t.Fatalf("test run: retval %d, data out %d bytes", run.Retval, run.DataSizeOut)
	}

	var info sys.ProgInfo
	if err := sys.ObjInfo(prog, &info); err != nil {
		t.Fatalf("info: %v", err)
	}
	if sys.ProgType(info.Type) != sys.BPF_PROG_TYPE_XDP || unix.ByteSliceToString(info.Name[:]) != "sys_xdp_pass" ||
		info.GPLCompatible() != 1 || info.XlatedProgLen != 16 {
		t.Fatalf("info: type %v name %q gpl %d xlated %d", sys.ProgType(info.Type),
			unix.ByteSliceToString(info.Name[:]), info.GPLCompatible(), info.XlatedProgLen)
	}

	stats, err := sys.EnableStats(&sys.EnableStatsAttr{Type: uint32(sys.BPF_STATS_RUN_TIME)})
	if err != nil {
		t.Fatalf("enable stats: %v", err)
	}
	stats.Close()
}

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{sys.BPF_MAP_CREATE.String(), "BPF_MAP_CREATE"},
		{sys.BPF_MAP_TYPE_ARENA.String(), "BPF_MAP_TYPE_ARENA"},
		{sys.BPF_PROG_TYPE_NETFILTER.String(), "BPF_PROG_TYPE_NETFILTER"},
		{sys.BPF_TCX_INGRESS.String(), "BPF_TCX_INGRESS"},
		{sys.MapType(9999).String(), "MapType(9999)"},
		{sys.FuncNames[1], "map_lookup_elem"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// lookupPair returns the bare-syscall floor and the wrapper path (FD acquire,
// attr build, sys.MapLookupElem, release) for an array map lookup.
func lookupPair(b *testing.B) (floor, ours func()) {
	fd := newMap(b, sys.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0)
	key := make([]byte, 4)
	val := make([]byte, 8)
	pre := elem(fd, key, val, 0)
	floor = func() {
		_, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(sys.BPF_MAP_LOOKUP_ELEM), uintptr(unsafe.Pointer(&pre)), unsafe.Sizeof(pre))
		if errno != 0 {
			b.Fatal(errno)
		}
	}
	ours = func() {
		raw, err := fd.Acquire()
		if err != nil {
			b.Fatal(err)
		}
		attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(val)}
		err = sys.MapLookupElem(&attr)
		fd.Release()
		if err != nil {
			b.Fatal(err)
		}
	}
	return floor, ours
}

func BenchmarkMapLookupElem(b *testing.B) {
	floor, ours := lookupPair(b)
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			floor()
		}
	})
	b.Run("sys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ours()
		}
	})
}

// BenchmarkMapLookupElemPaired alternates small blocks of floor and wrapper
// calls, so the VM's drift hits both alike, and reports the median of the
// per-block-pair ratios ours/floor as "ratio" (the median resists the bursts
// of a noisy, shared VM better than a ratio of sums).
func BenchmarkMapLookupElemPaired(b *testing.B) {
	floor, ours := lookupPair(b)
	const block = 16
	ratios := make([]float64, 0, 1<<16)
	var tf, to time.Duration
	i := 0
	for b.Loop() {
		first, second := floor, ours
		if i%2 == 1 {
			first, second = ours, floor
		}
		t0 := time.Now()
		for range block {
			first()
		}
		t1 := time.Now()
		for range block {
			second()
		}
		t2 := time.Now()
		df, do := t1.Sub(t0), t2.Sub(t1)
		if i%2 == 1 {
			df, do = do, df
		}
		tf, to = tf+df, to+do
		if len(ratios) < cap(ratios) {
			ratios = append(ratios, float64(do)/float64(df))
		}
		i++
	}
	slices.Sort(ratios)
	calls := float64(i * block)
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.ReportMetric(float64(tf.Nanoseconds())/calls, "floor-ns/call")
	b.ReportMetric(float64(to.Nanoseconds())/calls, "sys-ns/call")
}

// BenchmarkAcquireRelease measures what FD protection adds to each operation.
func BenchmarkAcquireRelease(b *testing.B) {
	raw, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	fd, err := sys.NewFD(raw)
	if err != nil {
		b.Fatal(err)
	}
	defer fd.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fd.Acquire(); err != nil {
			b.Fatal(err)
		}
		fd.Release()
	}
}

// TestLookupMissAllocs checks that the error path allocates nothing either:
// a bare unix.Errno below 256 is boxed without allocation.
func TestLookupMissAllocs(t *testing.T) {
	fd := newMap(t, sys.BPF_MAP_TYPE_HASH, 4, 8, 4, 0)
	key, val := make([]byte, 4), make([]byte, 8)
	n := testing.AllocsPerRun(100, func() {
		raw, err := fd.Acquire()
		if err != nil {
			return
		}
		attr := sys.MapElemAttr{MapFD: uint32(raw), Key: sys.NewSlicePointer(key), Value: sys.NewSlicePointer(val)}
		if err := sys.MapLookupElem(&attr); !errors.Is(err, unix.ENOENT) {
			t.Errorf("lookup: %v", err)
		}
		fd.Release()
	})
	if n != 0 {
		t.Fatalf("missing-key lookup allocates %v times", n)
	}
}
