package link_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// counterSpec describes a program that counts its runs in slot 0 of an array,
// optionally only runs in the test's own process, and returns ret.
type counterSpec struct {
	typ        bpf.ProgramType
	attachType bpf.AttachType
	attachTo   string
	onlySelf   bool // count only runs whose current task belongs to this process
	ret        int32
}

// newCounter loads the program of cs and returns it with its counter map.
// A load answered with an error matching ErrNotSupported skips t.
func newCounter(t *testing.T, cs counterSpec) (*bpf.Program, *bpf.Map) {
	t.Helper()
	prog, m, err := loadCounter(cs)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %v counter: %+v", cs.typ, err)
	}
	return prog, m
}

func loadCounter(cs counterSpec) (*bpf.Program, *bpf.Map, error) {
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "runs", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		return nil, nil, err
	}
	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	init := st.MustAlloc("init", 8)
	var insns asm.Instructions
	if cs.onlySelf {
		insns = append(insns,
			asm.Call(asm.FnGetCurrentPidTgid),
			asm.RshImm(asm.R0, 32),
			asm.JmpImm(asm.JNE, asm.R0, int32(os.Getpid()), "out"),
		)
	}
	insns = append(insns, asm.St(asm.W, asm.R10, key.Off, 0))
	insns = append(insns, mapop.IncrementAtomic(m, key, init, 0, 1)...)
	insns = append(insns, asm.Label("out"), asm.MovImm(asm.R0, cs.ret), asm.Exit())
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:         "count",
		Type:         cs.typ,
		AttachType:   cs.attachType,
		AttachTo:     cs.attachTo,
		License:      "GPL",
		Instructions: insns,
	})
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return prog, m, nil
}

// closeAll registers Close of every closer with t.Cleanup.
func closeAll(t *testing.T, cs ...interface{ Close() error }) {
	t.Helper()
	for _, c := range cs {
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// count reads the counter of a map made by newCounter.
func count(t *testing.T, m *bpf.Map) uint64 {
	t.Helper()
	var key [4]byte
	var val [8]byte
	if err := m.Lookup(key[:], val[:]); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return binary.NativeEndian.Uint64(val[:])
}

// getpids makes n getpid system calls.
func getpids(n int) {
	for range n {
		unix.Getpid()
	}
}

// requireTrampolines loads cs and skips t when the kernel refuses trampoline
// programs (fentry, fexit, LSM) with EPERM, as this CI host's 6.18 kernel
// does. In a vmtest guest (6.1, 6.12: they have them) EPERM fails the test.
func requireTrampolines(t *testing.T, cs counterSpec) (*bpf.Program, *bpf.Map) {
	t.Helper()
	prog, m, err := loadCounter(cs)
	if errors.Is(err, unix.EPERM) && testutil.VMKernel() == "" {
		t.Skipf("kernel refuses trampoline programs (%v %s: load answers EPERM): %v", cs.attachType, cs.attachTo, err)
	}
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load %v %s: %+v", cs.attachType, cs.attachTo, err)
	}
	return prog, m
}

// openFiles opens and closes a file n times.
func openFiles(t *testing.T, n int) {
	t.Helper()
	for range n {
		f, err := os.Open("/proc/self/stat")
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		f.Close()
	}
}

func errorsIsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// forEachPerfAttach runs fn three times: attaching through a BPF perf link
// (Linux 5.15), through tracefs kprobe_events/uprobe_events and
// PERF_EVENT_IOC_SET_BPF (the path of kernels before 4.17, forced), and through
// PERF_EVENT_IOC_SET_BPF alone, and checks what the Link reports.
func forEachPerfAttach(t *testing.T, fn func(t *testing.T) link.Link) {
	t.Helper()
	t.Run("perf_link", func(t *testing.T) {
		l := fn(t)
		if l == nil || t.Failed() {
			return
		}
		info, err := l.Info()
		if err != nil {
			t.Fatalf("info: %v", err)
		}
		if info.Type != link.PerfEventType {
			t.Errorf("link type %v, want %v", info.Type, link.PerfEventType)
		}
	})
	t.Run("tracefs", func(t *testing.T) {
		defer link.ForceTracefsProbes()()
		defer link.ForceLegacyPerfAttach()()
		fn(t)
	})
	// Close removed the probe events the tracefs path created.
	mark := fmt.Sprintf("_%d_", os.Getpid())
	for _, file := range []string{"kprobe_events", "uprobe_events"} {
		b, err := os.ReadFile(filepath.Join(testutil.EnsureTracefs(t), file))
		if err != nil {
			continue // the kernel lacks this kind of probe
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "bpfgo/") && strings.Contains(line, mark) {
				t.Errorf("%s still has %q after Close", file, line)
			}
		}
	}
	t.Run("ioctl", func(t *testing.T) {
		defer link.ForceLegacyPerfAttach()()
		l := fn(t)
		if l == nil || t.Failed() {
			return
		}
		if _, err := l.Info(); !errors.Is(err, link.ErrNotSupported) {
			t.Errorf("info without a perf link: got %v, want ErrNotSupported", err)
		}
		if err := l.Pin("/sys/fs/bpf/unused"); !errors.Is(err, link.ErrNotSupported) {
			t.Errorf("pin without a perf link: got %v, want ErrNotSupported", err)
		}
	})
}
