package link_test

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// requireKprobes skips t when the kernel has no kprobes (this CI host's 6.18
// has no CONFIG_KPROBES); in a vmtest guest (6.1, 6.12 have them) the absence
// fails the test.
func requireKprobes(t *testing.T) {
	t.Helper()
	err := link.HaveKprobes()
	if errors.Is(err, link.ErrNotSupported) && testutil.VMKernel() == "" {
		t.Skipf("kernel lacks kprobes: %v", err)
	}
	if err != nil {
		t.Fatalf("kprobes probe: %v", err)
	}
}

// TestKprobe attaches a kprobe and a kretprobe to the getpid system call and
// sees them run for the test's own calls.
func TestKprobe(t *testing.T) {
	testutil.RequireRoot(t)
	requireKprobes(t)
	for _, tc := range []struct {
		name   string
		attach func(string, *bpf.Program, *link.KprobeOptions) (link.Link, error)
	}{
		{"kprobe", link.Kprobe},
		{"kretprobe", link.Kretprobe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachPerfAttach(t, func(t *testing.T) link.Link {
				prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe, onlySelf: true})
				closeAll(t, prog, m)
				l, err := tc.attach("__x64_sys_getpid", prog, nil)
				if err != nil {
					t.Fatalf("attach: %v", err)
				}
				closeAll(t, l)
				getpids(calls)
				if got := count(t, m); got < calls {
					t.Errorf("%s ran %d times for %d getpid calls", tc.name, got, calls)
				}
				return l
			})
		})
	}
}

// TestKprobeClose checks that a kprobe stops with Close.
func TestKprobeClose(t *testing.T) {
	testutil.RequireRoot(t)
	requireKprobes(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe, onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.Kprobe("__x64_sys_getpid", prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	getpids(calls)
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	before := count(t, m)
	getpids(calls)
	if after := count(t, m); after != before || before < calls {
		t.Errorf("counter %d after %d calls, %d after Close and %d more", before, calls, after, calls)
	}
}

func TestKprobeErrors(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe})
	closeAll(t, prog, m)
	if link.HaveKprobes() != nil {
		// Without kprobes every attach names the missing feature.
		_, err := link.Kprobe("__x64_sys_getpid", prog, nil)
		if !errors.Is(err, link.ErrNotSupported) {
			t.Errorf("kprobe without kprobes: got %v, want ErrNotSupported", err)
		}
		return
	}
	if _, err := link.Kprobe("no_such_function_bpfgo", prog, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unknown symbol: got %v, want os.ErrNotExist", err)
	}
	if _, err := link.Kretprobe("__x64_sys_getpid", prog, &link.KprobeOptions{Offset: 4}); err == nil {
		t.Error("kretprobe with offset: no error")
	}
	if _, err := link.Kprobe("", prog, nil); err == nil {
		t.Error("empty symbol: no error")
	}
}

// TestKprobeMulti attaches one program to two system calls with a
// kprobe_multi link. Debian's 6.1 has no CONFIG_FPROBE (skip); 6.12 has it.
func TestKprobeMulti(t *testing.T) {
	testutil.RequireRoot(t)
	for _, ret := range []bool{false, true} {
		name := "entry"
		if ret {
			name = "return"
		}
		t.Run(name, func(t *testing.T) {
			prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe, attachType: bpf.AttachTraceKprobeMulti, onlySelf: true})
			closeAll(t, prog, m)
			l, err := link.KprobeMulti([]string{"__x64_sys_getpid", "__x64_sys_getppid"}, prog, &link.KprobeMultiOptions{Return: ret})
			testutil.SkipIfNotSupported(t, err)
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			closeAll(t, l)
			getpids(calls)
			for range calls {
				unix.Getppid()
			}
			if got := count(t, m); got < 2*calls {
				t.Errorf("kprobe_multi ran %d times for %d calls", got, 2*calls)
			}
			info, err := l.Info()
			if err != nil {
				t.Fatalf("info: %v", err)
			}
			if info.Type != link.KprobeMultiType {
				t.Errorf("link type %v, want %v", info.Type, link.KprobeMultiType)
			}
		})
	}
}

func TestKprobeMultiErrors(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe, attachType: bpf.AttachTraceKprobeMulti})
	closeAll(t, prog, m)
	for _, tc := range []struct {
		name string
		syms []string
		opts *link.KprobeMultiOptions
	}{
		{"no symbols", nil, nil},
		{"empty symbol", []string{""}, nil},
		{"cookie count", []string{"a", "b"}, &link.KprobeMultiOptions{Cookies: []uint64{1}}},
	} {
		if _, err := link.KprobeMulti(tc.syms, prog, tc.opts); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
