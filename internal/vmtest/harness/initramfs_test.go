package harness

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	for _, s := range []string{"", "plain", "with space", "it's", `a\b"c$d`, "^Test(A|B)$", "new\nline"} {
		out, err := exec.Command(sh, "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil {
			t.Fatalf("sh -c with %q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("ShellQuote(%q) came back as %q", s, out)
		}
	}
}

func TestInitScriptSyntax(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	cmd := exec.Command(sh, "-n")
	cmd.Stdin = strings.NewReader(initScript)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -n /init: %v\n%s", err, out)
	}
}

func entryMap(t *testing.T, data []byte) map[string]CPIOEntry {
	t.Helper()
	entries, err := ReadCPIO(data)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]CPIOEntry{}
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}

func TestBaseImage(t *testing.T) {
	dir := t.TempDir()
	bb, ge := filepath.Join(dir, "busybox"), filepath.Join(dir, "guestexit")
	os.WriteFile(bb, []byte("BUSYBOX"), 0o755)
	os.WriteFile(ge, []byte("GUESTEXIT"), 0o755)
	b := &BaseImage{Busybox: bb, GuestExit: ge, Modules: []Module{{"b", []byte("KO-B")}, {"a", []byte("KO-A")}}}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	m := entryMap(t, buf.Bytes())
	checks := []struct {
		name, data string
		mode       uint32
	}{
		{"init", initScript, modeRegular | 0o755},
		{"bin/busybox", "BUSYBOX", modeRegular | 0o755},
		{"bin/sh", "busybox", modeSymlink | 0o777},
		{"bin/guestexit", "GUESTEXIT", modeRegular | 0o755},
		{"lib/modules/a.ko", "KO-A", modeRegular | 0o644},
		{"vmtest/modules", "b\na\n", modeRegular | 0o644},
		{"dev", "", modeDir | 0o755},
	}
	for _, c := range checks {
		e, ok := m[c.name]
		if !ok {
			t.Errorf("%s: missing", c.name)
			continue
		}
		if string(e.Data) != c.data || e.Mode != c.mode {
			t.Errorf("%s: %q mode %o, want %q mode %o", c.name, e.Data, e.Mode, c.data, c.mode)
		}
	}
	if err := (&BaseImage{Busybox: filepath.Join(dir, "none"), GuestExit: ge}).Write(&buf); err == nil {
		t.Error("missing busybox: no error")
	}
}

func TestPayload(t *testing.T) {
	root := t.TempDir()
	pkg := filepath.Join(root, "pkg")
	files := map[string]string{
		"pkg/a_test.go":          "package pkg",
		"pkg/testdata/x.bin":     "X",
		"pkg/testdata/sub/y.txt": "Y",
		"pkg/sub/not-packed.go":  "package sub",
		"testdata/shared.o":      "SHARED",
		"bin/pkg.test":           "ELF",
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &Payload{
		Tests: []TestBinary{{ImportPath: "example.com/m/pkg", Dir: pkg, Binary: filepath.Join(root, "bin/pkg.test")}},
		Extra: []string{filepath.Join(root, "testdata"), filepath.Join(root, "absent")},
		Env:   map[string]string{"VMTEST_RUN": "^Test(A|B)$", "BPFGO_VM_KERNEL": "6.1"},
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	m := entryMap(t, buf.Bytes())
	rel := func(s string) string { return strings.TrimPrefix(filepath.Join(root, s), "/") }
	for _, name := range []string{"pkg/a_test.go", "pkg/testdata/x.bin", "pkg/testdata/sub/y.txt", "testdata/shared.o"} {
		if e, ok := m[rel(name)]; !ok || string(e.Data) != files[name] {
			t.Errorf("%s: missing or wrong (%q)", name, e.Data)
		}
	}
	if _, ok := m[rel("pkg/sub/not-packed.go")]; ok {
		t.Error("a subpackage's files were packed")
	}
	bin := "/vmtest/bin/0-pkg.test"
	if e := m[strings.TrimPrefix(bin, "/")]; string(e.Data) != "ELF" || e.Mode != modeRegular|0o644 {
		t.Errorf("test binary: %q mode %o", e.Data, e.Mode)
	}
	if got, want := string(m["vmtest/tests"].Data), pkg+" "+bin+" example.com/m/pkg\n"; got != want {
		t.Errorf("vmtest/tests = %q, want %q", got, want)
	}
	if got, want := string(m["vmtest/env"].Data), "export BPFGO_VM_KERNEL='6.1'\nexport VMTEST_RUN='^Test(A|B)$'\n"; got != want {
		t.Errorf("vmtest/env = %q, want %q", got, want)
	}
	p.Env = map[string]string{"BAD-NAME": "x"}
	if err := p.Write(&bytes.Buffer{}); err == nil {
		t.Error("invalid variable name: no error")
	}
}

func TestCheckStatic(t *testing.T) {
	dir := t.TempDir()
	noInterp := filepath.Join(dir, "static")
	os.WriteFile(noInterp, fakeModule(""), 0o755) // an ELF file without PT_INTERP
	if err := CheckStatic(noInterp); err != nil {
		t.Errorf("ELF without an interpreter: %v", err)
	}
	if err := CheckStatic(filepath.Join(dir, "nonexistent")); err == nil {
		t.Error("missing file: no error")
	}
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755)
	if err := CheckStatic(text); err == nil {
		t.Error("not an ELF file: no error")
	}
	// Debian's /bin/sh (dash) is dynamically linked.
	if err := CheckStatic("/bin/sh"); err == nil {
		t.Log("/bin/sh is statically linked here; the dynamic case is not exercised")
	} else if !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("/bin/sh: %v", err)
	}
}

func TestParseLDD(t *testing.T) {
	out := `	linux-vdso.so.1 (0x00007fb9a94c2000)
	libelf.so.1 => /lib/x86_64-linux-gnu/libelf.so.1 (0x00007fb9a940d000)
	libclang-cpp.so.19.1 => /usr/lib/llvm-19/bin/../lib/libclang-cpp.so.19.1 (0x00007f324a400000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fb9a9200000)
	/lib64/ld-linux-x86-64.so.2 (0x00007fb9a94c4000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fb9a9200000)
`
	got, err := ParseLDD([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libelf.so.1", "/usr/lib/llvm-19/lib/libclang-cpp.so.19.1",
		"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := ParseLDD([]byte("\tlibfoo.so.1 => not found\n")); err == nil {
		t.Error("missing library: no error")
	}
	if got, err := ParseLDD([]byte("\tstatically linked\n")); err != nil || len(got) != 0 {
		t.Errorf("static: %q, %v", got, err)
	}
}

func TestToolFiles(t *testing.T) {
	files, err := ToolFiles("sh")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || files[0].Source == "" {
		t.Fatalf("sh: %+v", files)
	}
	if _, err := ToolFiles("no-such-tool-vmtest"); err == nil {
		t.Error("missing tool: no error")
	}
}

// TestToolFilesOffGuestPath checks that a tool the host finds outside the guest's PATH (as CI
// finds clang-19 in /usr/lib/llvm-19/bin) also gets a link in the guest's /usr/bin.
func TestToolFilesOffGuestPath(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(sh, filepath.Join(dir, "mytool-19")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	files, err := ToolFiles("mytool-19")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "/usr/bin/mytool-19" && f.Link != "" {
			return
		}
	}
	t.Fatalf("no /usr/bin/mytool-19 link among %+v", files)
}
