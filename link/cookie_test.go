package link_test

import (
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// cookieProg returns a program of type typ that stores
// bpf_get_attach_cookie(ctx) in slot 0 of the returned array.
func cookieProg(t *testing.T, typ bpf.ProgramType) (*bpf.Program, *bpf.Map) {
	t.Helper()
	m, err := bpf.NewMap(&bpf.MapSpec{Name: "cookie", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, m)
	insns := asm.Instructions{
		asm.Call(asm.FnGetAttachCookie), // r1 is still the context
		asm.MovReg(asm.R6, asm.R0),
		asm.St(asm.W, asm.R10, -4, 0),
		asm.LoadMap(asm.R1, m),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.Stx(asm.DW, asm.R0, asm.R6, 0),
		asm.Label("out"),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "cookie", Type: typ, License: "GPL", Instructions: insns})
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("load: %+v", err)
	}
	closeAll(t, prog)
	return prog, m
}

// TestCookies attaches with a cookie (a BPF perf link, Linux 5.15) and reads
// back what bpf_get_attach_cookie returned in the program.
func TestCookies(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.EnsureTracefs(t)
	const cookie = 0x1122334455667788
	t.Run("tracepoint", func(t *testing.T) {
		prog, m := cookieProg(t, bpf.TracePoint)
		l, err := link.Tracepoint("syscalls", "sys_enter_getpid", prog, &link.TracepointOptions{Cookie: cookie})
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		getpids(1)
		if got := count(t, m); got != cookie {
			t.Errorf("cookie %#x, want %#x", got, uint64(cookie))
		}
	})
	t.Run("uprobe", func(t *testing.T) {
		prog, m := cookieProg(t, bpf.Kprobe)
		path, ex := tinyExecutable(t)
		l, err := ex.Uprobe("tiny_add", prog, &link.UprobeOptions{Cookie: cookie})
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		runTiny(t, path, 1)
		if got := count(t, m); got != cookie {
			t.Errorf("cookie %#x, want %#x", got, uint64(cookie))
		}
	})
	t.Run("uprobe_multi", func(t *testing.T) {
		testutil.RequireFeature(t, "uprobe_multi links", link.HaveUprobeMulti)
		m, err := bpf.NewMap(&bpf.MapSpec{Name: "cookie", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1})
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, m)
		insns := asm.Instructions{
			asm.Call(asm.FnGetAttachCookie),
			asm.MovReg(asm.R6, asm.R0),
			asm.St(asm.W, asm.R10, -4, 0),
			asm.LoadMap(asm.R1, m),
			asm.MovReg(asm.R2, asm.R10),
			asm.AddImm(asm.R2, -4),
			asm.Call(asm.FnMapLookupElem),
			asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
			asm.AtomicAddReg(asm.DW, asm.R0, asm.R6, 0), // sum of the cookies seen
			asm.Label("out"),
			asm.MovImm(asm.R0, 0),
			asm.Exit(),
		}
		prog, err := bpf.NewProgram(&bpf.ProgramSpec{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeMulti, License: "GPL", Instructions: insns})
		if err != nil {
			t.Fatalf("load: %+v", err)
		}
		closeAll(t, prog)
		path, ex := tinyExecutable(t)
		l, err := ex.UprobeMulti([]string{"tiny_add", "tiny_mul"}, prog, &link.UprobeMultiOptions{Cookies: []uint64{1, 100}})
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		runTiny(t, path, 3)
		if got := count(t, m); got != 3*101 {
			t.Errorf("sum of cookies %d, want %d", got, 3*101)
		}
	})
}
