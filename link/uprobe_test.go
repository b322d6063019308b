package link_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// The probed functions. Only the helper process calls them, so a probe on
// them counts exactly that process's calls.
//
//go:noinline
func uprobeTargetA(x int) int { return x*3 + 1 }

//go:noinline
func uprobeTargetB(x int) int { return x*5 + 2 }

const helperEnv = "BPFGO_LINK_UPROBE_HELPER"

// TestHelperProcessUprobe is not a test: run by runHelper in a child process
// of this test binary, it calls the probed functions the number of times in
// its environment and exits.
func TestHelperProcessUprobe(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		return // a normal test run
	}
	sum := 0
	for i := range n {
		sum += uprobeTargetA(i) + uprobeTargetB(i)
	}
	fmt.Println(sum)
	os.Exit(0)
}

// runHelper runs this test binary as a child that calls each probed
// function n times.
func runHelper(t *testing.T, n int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessUprobe$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(n))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
}

// funcSymbol returns the ELF symbol name of a Go function.
func funcSymbol(fn any) string {
	return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
}

// selfExecutable opens this test binary.
func selfExecutable(t *testing.T) *link.Executable {
	t.Helper()
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		t.Fatalf("open executable: %v", err)
	}
	return ex
}

// tinyExecutable copies testdata/tiny.elf (a static C program whose _start
// calls tiny_add and tiny_mul once each, then exits) to an executable file.
func tinyExecutable(t *testing.T) (string, *link.Executable) {
	t.Helper()
	b, err := os.ReadFile("testdata/tiny.elf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	ex, err := link.OpenExecutable(path)
	if err != nil {
		t.Fatalf("open executable: %v", err)
	}
	return path, ex
}

// runTiny runs the tiny program n times.
func runTiny(t *testing.T, path string, n int) {
	t.Helper()
	for range n {
		if out, err := exec.Command(path).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, out)
		}
	}
}

// TestUprobe attaches a uprobe to a Go function of this test binary and
// counts exactly the calls a child process makes.
func TestUprobe(t *testing.T) {
	testutil.RequireRoot(t)
	ex := selfExecutable(t)
	sym := funcSymbol(uprobeTargetA)
	forEachPerfAttach(t, func(t *testing.T) link.Link {
		prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe})
		closeAll(t, prog, m)
		l, err := ex.Uprobe(sym, prog, nil)
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		runHelper(t, calls)
		if got := count(t, m); got != calls {
			t.Errorf("uprobe on %s ran %d times for %d calls", sym, got, calls)
		}
		return l
	})
}

// TestUretprobe attaches a uretprobe to a C function and counts its returns
// exactly. (A uretprobe replaces the return address on the stack, which Go's
// runtime does not expect: a probed Go function crashed its process once on
// 6.1, so the target is C.)
func TestUretprobe(t *testing.T) {
	testutil.RequireRoot(t)
	path, ex := tinyExecutable(t)
	const runs = 5
	forEachPerfAttach(t, func(t *testing.T) link.Link {
		prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe})
		closeAll(t, prog, m)
		l, err := ex.Uretprobe("tiny_mul", prog, nil)
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		closeAll(t, l)
		runTiny(t, path, runs)
		if got := count(t, m); got != runs {
			t.Errorf("uretprobe on tiny_mul ran %d times for %d calls", got, runs)
		}
		return l
	})
}

// TestUprobeMulti attaches one program to two functions with an
// uprobe_multi link (Linux 6.6: 6.1 lacks it): the entries of two Go functions
// of this test binary, and the returns of two C functions.
func TestUprobeMulti(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireFeature(t, "uprobe_multi links", link.HaveUprobeMulti)
	self := selfExecutable(t)
	tinyPath, tiny := tinyExecutable(t)
	const runs = 5
	for _, tc := range []struct {
		name string
		ex   *link.Executable
		syms []string
		ret  bool
		run  func(t *testing.T)
		want uint64
	}{
		{"entry", self, []string{funcSymbol(uprobeTargetA), funcSymbol(uprobeTargetB)}, false,
			func(t *testing.T) { runHelper(t, calls) }, 2 * calls},
		{"return", tiny, []string{"tiny_add", "tiny_mul"}, true,
			func(t *testing.T) { runTiny(t, tinyPath, runs) }, 2 * runs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe, attachType: bpf.AttachTraceUprobeMulti})
			closeAll(t, prog, m)
			l, err := tc.ex.UprobeMulti(tc.syms, prog, &link.UprobeMultiOptions{Return: tc.ret})
			if err != nil {
				t.Fatalf("attach: %v", err)
			}
			closeAll(t, l)
			tc.run(t)
			if got := count(t, m); got != tc.want {
				t.Errorf("uprobe_multi ran %d times, want %d", got, tc.want)
			}
			info, err := l.Info()
			if err != nil {
				t.Fatalf("info: %v", err)
			}
			if info.Type != link.UprobeMultiType {
				t.Errorf("link type %v, want %v", info.Type, link.UprobeMultiType)
			}
		})
	}
}

func TestUprobeErrors(t *testing.T) {
	testutil.RequireRoot(t)
	ex := selfExecutable(t)
	prog, m := newCounter(t, counterSpec{typ: bpf.Kprobe})
	closeAll(t, prog, m)
	if _, err := ex.Uprobe("no_such_symbol_bpfgo", prog, nil); !errorsIsNotExist(err) {
		t.Errorf("unknown symbol: got %v, want os.ErrNotExist", err)
	}
	if _, err := ex.UprobeMulti(nil, prog, nil); err == nil {
		t.Error("uprobe_multi without symbols: no error")
	}
	if _, err := link.OpenExecutable("/no/such/file"); !errorsIsNotExist(err) {
		t.Errorf("missing file: got %v", err)
	}
	if _, err := link.OpenExecutable("/proc/self/status"); err == nil {
		t.Error("non-ELF file: no error")
	}
}
