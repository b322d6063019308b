package link_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

const calls = 25

// TestRawTracepoint attaches a raw tracepoint program to sys_enter and sees
// it run for the test's own system calls.
func TestRawTracepoint(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.RawTracepoint, onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.AttachRawTracepoint("sys_enter", prog)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, l)
	getpids(calls)
	if got := count(t, m); got < calls {
		t.Errorf("sys_enter ran %d times for %d getpid calls, want at least %d", got, calls, calls)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.Type != link.RawTracepointType {
		t.Errorf("link type %v, want %v", info.Type, link.RawTracepointType)
	}

	// After Close the program no longer runs.
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	before := count(t, m)
	getpids(calls)
	if after := count(t, m); after != before {
		t.Errorf("counter moved from %d to %d after Close", before, after)
	}
}

// TestRawTracepointPin pins a raw tracepoint link: it keeps running after
// Close, and stops after Unpin and Close of the reopened link.
func TestRawTracepointPin(t *testing.T) {
	testutil.RequireRoot(t)
	dir := testutil.TempBPFFSDir(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.RawTracepoint, onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.AttachRawTracepoint("sys_enter", prog)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	path := filepath.Join(dir, "rawtp")
	if err := l.Pin(path); err != nil {
		l.Close()
		t.Fatalf("pin: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	getpids(calls)
	if got := count(t, m); got < calls {
		t.Fatalf("pinned link ran %d times for %d calls", got, calls)
	}
	pinned, err := link.LoadPinnedLink(path)
	if err != nil {
		t.Fatalf("load pinned: %v", err)
	}
	if err := pinned.Unpin(); err != nil {
		t.Fatalf("unpin: %v", err)
	}
	if err := pinned.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	before := count(t, m)
	getpids(calls)
	if after := count(t, m); after != before {
		t.Errorf("counter moved from %d to %d after Unpin and Close", before, after)
	}
}

func TestRawTracepointErrors(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.RawTracepoint})
	closeAll(t, prog, m)
	if _, err := link.AttachRawTracepoint("no_such_tracepoint_bpfgo", prog); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unknown tracepoint: got %v, want os.ErrNotExist", err)
	}
	if _, err := link.AttachRawTracepoint("", prog); err == nil {
		t.Error("empty name: no error")
	}
	if _, err := link.AttachRawTracepoint("sys_enter", nil); err == nil {
		t.Error("nil program: no error")
	}
}

// TestTpBTF attaches a BTF-typed raw tracepoint (tp_btf) to sys_enter.
func TestTpBTF(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.Tracing, attachType: bpf.AttachTraceRawTp, attachTo: "sys_enter", onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.AttachTracing(prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, l)
	getpids(calls)
	if got := count(t, m); got < calls {
		t.Errorf("tp_btf sys_enter ran %d times for %d getpid calls", got, calls)
	}
	info, err := l.Info()
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	// The kernel makes tp_btf a raw tracepoint link (bpf_raw_tp_link).
	if info.Type != link.RawTracepointType {
		t.Errorf("link type %v, want %v", info.Type, link.RawTracepointType)
	}
}

// TestFentryFexit attaches fentry and fexit programs to do_sys_openat2 and
// counts the test's own opens. This host's kernel refuses trampoline programs (EPERM); the 6.1 and
// 6.12 guests run them.
func TestFentryFexit(t *testing.T) {
	testutil.RequireRoot(t)
	for _, at := range []bpf.AttachType{bpf.AttachTraceFEntry, bpf.AttachTraceFExit} {
		t.Run(at.String(), func(t *testing.T) {
			prog, m := requireTrampolines(t, counterSpec{typ: bpf.Tracing, attachType: at, attachTo: "do_sys_openat2", onlySelf: true})
			closeAll(t, prog, m)
			l, err := link.AttachTracing(prog, nil)
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			closeAll(t, l)
			openFiles(t, calls)
			if got := count(t, m); got < calls {
				t.Errorf("%v ran %d times for %d opens", at, got, calls)
			}
			info, err := l.Info()
			if err != nil {
				t.Fatalf("info: %v", err)
			}
			if info.Type != link.TracingType {
				t.Errorf("link type %v, want %v", info.Type, link.TracingType)
			}
		})
	}
}

// TestLSM attaches an LSM program to file_open (allowing everything) and
// counts the test's own opens. Needs the bpf LSM active (lsm=...,bpf), as in
// the vmtest guests; this host's kernel refuses the load (EPERM).
func TestLSM(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := requireTrampolines(t, counterSpec{typ: bpf.LSM, attachType: bpf.AttachLSMMac, attachTo: "file_open", onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.AttachLSM(prog)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	closeAll(t, l)
	openFiles(t, calls)
	if got := count(t, m); got < calls {
		t.Errorf("file_open ran %d times for %d opens (is \"bpf\" in /sys/kernel/security/lsm?)", got, calls)
	}
}

func TestAttachLSMWrongType(t *testing.T) {
	testutil.RequireRoot(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.RawTracepoint})
	closeAll(t, prog, m)
	if _, err := link.AttachLSM(prog); err == nil {
		t.Error("raw tracepoint program attached as LSM")
	}
}

// TestTracepoint attaches a tracepoint program to syscalls/sys_enter_getpid
// through a perf event.
func TestTracepoint(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.EnsureTracefs(t)
	forEachPerfAttach(t, func(t *testing.T) link.Link {
		prog, m := newCounter(t, counterSpec{typ: bpf.TracePoint, onlySelf: true})
		closeAll(t, prog, m)
		l, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, nil)
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		getpids(calls)
		if got := count(t, m); got < calls {
			t.Errorf("sys_enter_getpid ran %d times for %d calls", got, calls)
		}
		return l
	})
}

// TestTracepointClose checks that the program stops with Close.
func TestTracepointClose(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.EnsureTracefs(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.TracePoint, onlySelf: true})
	closeAll(t, prog, m)
	l, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, nil)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	getpids(calls)
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	before := count(t, m)
	getpids(calls)
	if after := count(t, m); after != before || before < calls {
		t.Errorf("counter %d after %d calls, %d after Close and %d more", before, calls, after, calls)
	}
}

func TestTracepointErrors(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.EnsureTracefs(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.TracePoint})
	closeAll(t, prog, m)
	if _, err := link.Tracepoint("syscalls", "no_such_event_bpfgo", prog, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unknown event: got %v, want os.ErrNotExist", err)
	}
	for _, bad := range [][2]string{{"../..", "x"}, {"syscalls", "a/b"}, {"", "x"}} {
		if _, err := link.Tracepoint(bad[0], bad[1], prog, nil); err == nil {
			t.Errorf("Tracepoint(%q, %q): no error", bad[0], bad[1])
		}
	}
}

// BenchmarkAttachRawTracepoint measures attaching and detaching a raw
// tracepoint link (BPF_RAW_TRACEPOINT_OPEN, then close).
func BenchmarkAttachRawTracepoint(b *testing.B) {
	testutil.RequireRoot(b)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.RawTracepoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	b.ReportAllocs()
	for b.Loop() {
		l, err := link.AttachRawTracepoint("sys_enter", prog)
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}

// BenchmarkTracepointAttach measures attaching a perf-event tracepoint
// (tracefs id, perf_event_open, BPF perf link) and closing it.
func BenchmarkTracepointAttach(b *testing.B) {
	testutil.RequireRoot(b)
	testutil.EnsureTracefs(b)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Type:         bpf.TracePoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 0), asm.Exit()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	b.ReportAllocs()
	for b.Loop() {
		l, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, nil)
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}
