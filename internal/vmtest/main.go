// Command vmtest runs a module's tests on the host and on Debian's kernels
// under qemu, and exits non-zero when any test fails on any kernel.
//
// Usage:
//
//	go run ./internal/vmtest -kernel 6.1,6.12 [-run REGEX] [-timeout D] PACKAGES...
//
// PACKAGES are patterns as go test takes them (./..., ./packet). Each entry
// of -kernel is "host" (go test on this machine), a Debian kernel series
// ("6.1", "6.12": the newest linux-image-<series>*-cloud-amd64 package apt
// knows) or a full package name. For a VM kernel the command compiles each
// package's tests with go test -c (CGO_ENABLED=0), fetches the kernel with
// apt-get download into a cache (-cache, default $BPFGO_VMTEST_CACHE or
// ~/.cache/bpfgo-vmtest), builds an initramfs, boots it with
// qemu-system-x86_64 (TCG, 2 CPUs, 2 GiB) and runs every test binary with
// -test.v from its package directory. The host needs qemu-system-x86 and
// busybox-static; it does not need root.
//
// The guest runs as root with proc, sysfs, devtmpfs, bpffs (/sys/fs/bpf),
// tracefs, debugfs, securityfs and cgroup2 (/sys/fs/cgroup) mounted, lo up,
// and the modules veth, cls_bpf and sch_ingress loaded (-modules). Each
// package directory is packed at its host path with its files and testdata,
// and so is the module's top-level testdata. The host programs named by
// -tools (default bpftool, tcpdump, clang-19, llvm-objdump-19 and llvm-readelf-19, each when
// the host has it) come along with their shared libraries (clang with its
// headers), so tests that shell out run in the guest too; the host's
// /etc/passwd and /etc/group come along for them.
// The guest sees BPFGO_VM_KERNEL (the series, "6.1"), BPFGO_VMTEST_TOOLS
// (the tools copied in), every BPFGO_* variable of the harness's own
// environment (such as BPFGO_REQUIRE_KERNEL=1), and whatever -env sets.
//
// A guest that has not reached /init within -boot-timeout is retried once,
// then reported as a HARNESS failure with its console log; a guest still
// running at -timeout is killed ("guest hung: killed after D"). The output
// shows each kernel's uname -r, each test binary's result and time, and each
// kernel's wall time.
//
// Exit status: 0 when every test passed everywhere, 1 when a test failed
// (or a guest hung or crashed), 2 when the harness could not run the tests
// (a missing tool or kernel package, a guest that never reached /init twice,
// a bad flag). "go run" turns every non-zero status into 1; build the
// command to tell them apart.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bpfgo/bpf/internal/vmtest/harness"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type options struct {
	kernels     []string
	run         string
	timeout     time.Duration
	bootTimeout time.Duration
	modules     []string
	env         []string
	cache       string
	tags        string
	testflags   string
	keep        bool
	verbose     bool
	busybox     string
	kernelArgs  string
	parallel    int
	tools       []string
	files       []string
	packedTools []string // the tools hostFiles found, by name
	packages    []string
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	var kernels, modules, tools, files string
	var env stringList
	flag.StringVar(&kernels, "kernel", "6.1,6.12", "comma-separated kernels: host, a Debian series (6.1, 6.12) or a linux-image-* package")
	flag.StringVar(&o.run, "run", "", "run only tests matching `regex` (go test -run)")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "kill a guest (or the host go test) after `d`")
	flag.DurationVar(&o.bootTimeout, "boot-timeout", 2*time.Minute, "a guest that has not reached /init after `d` is retried once")
	flag.StringVar(&modules, "modules", strings.Join(harness.DefaultModules, ","), "kernel modules to load in the guest (with their dependencies)")
	flag.Var(&env, "env", "set `KEY=VALUE` for the tests (repeatable)")
	flag.StringVar(&o.cache, "cache", harness.DefaultCacheDir(), "cache `dir` for kernel packages and base initramfs")
	flag.StringVar(&o.tags, "tags", "", "build `tags` for the tests")
	flag.StringVar(&o.testflags, "testflags", "", "more flags for each test binary, e.g. \"-test.count=1 -test.short\"")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (initramfs, console and output logs)")
	flag.BoolVar(&o.verbose, "v", false, "print each guest's console log")
	flag.StringVar(&o.busybox, "busybox", "", "statically linked busybox (default: busybox from PATH, /bin, /usr/bin)")
	flag.StringVar(&tools, "tools", "bpftool,tcpdump,clang-19,llvm-objdump-19,llvm-readelf-19", "comma-separated host programs to copy into the guest with their shared libraries, when the host has them")
	flag.StringVar(&files, "files", "", "comma-separated host files or directories to copy into the guest at the same paths")
	flag.IntVar(&o.parallel, "p", 1, "boot up to `n` kernels at once (each guest uses one host CPU); their output is printed when each ends")
	flag.StringVar(&o.kernelArgs, "kernel-args", "", "more kernel command line arguments for the guests")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/vmtest [flags] PACKAGES...\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.packages = flag.Args()
	if len(o.packages) == 0 {
		flag.Usage()
		return 2
	}
	o.kernels = splitList(kernels)
	o.tools = splitList(tools)
	o.files = splitList(files)
	o.modules = splitList(modules)
	if o.modules == nil {
		o.modules = []string{} // none, rather than the default
	}
	if len(o.kernels) == 0 {
		fmt.Fprintln(os.Stderr, "vmtest: -kernel names no kernel")
		return 2
	}
	for _, e := range env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			fmt.Fprintf(os.Stderr, "vmtest: -env %q: want KEY=VALUE\n", e)
			return 2
		}
	}
	o.env = env
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runAll(ctx, &o)
}

func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// hostFiles collects the tools and files to copy into the guest.
func hostFiles(o *options) ([]harness.HostFile, error) {
	var all []harness.HostFile
	seen := map[string]bool{}
	add := func(fs []harness.HostFile) {
		for _, f := range fs {
			if !seen[f.Path] {
				seen[f.Path] = true
				all = append(all, f)
			}
		}
	}
	var packed []string
	for _, t := range o.tools {
		if _, err := exec.LookPath(t); err != nil {
			logf("tool %s is not installed here: the guest will not have it either", t)
			continue
		}
		fs, err := harness.ToolFiles(t)
		if err != nil {
			return nil, err
		}
		add(fs)
		packed = append(packed, filepath.Base(t))
	}
	o.packedTools = packed
	// Tools such as tcpdump look up users of their own.
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		if _, err := os.Stat(f); err == nil {
			add([]harness.HostFile{{Path: f, Source: f}})
		}
	}
	for _, f := range o.files {
		fs, err := harness.TreeFiles(f)
		if err != nil {
			return nil, fmt.Errorf("-files %s: %w", f, err)
		}
		add(fs)
	}
	return all, nil
}

// result is one line of the summary.
type result struct {
	kernel, release, state, detail string
	wall, boot                     time.Duration
	harness, failed                bool
}

func runAll(ctx context.Context, o *options) int {
	var results []result
	var vmKernels []string
	for _, k := range o.kernels {
		if k != "host" {
			vmKernels = append(vmKernels, k)
		}
	}
	for _, k := range o.kernels {
		if k == "host" {
			results = append(results, runHost(ctx, o))
		}
	}
	if len(vmKernels) > 0 {
		results = append(results, runVMs(ctx, o, vmKernels)...)
	}
	fmt.Printf("\nvmtest summary:\n")
	code := 0
	for _, r := range results {
		extra := ""
		if r.boot > 0 {
			extra = fmt.Sprintf(" (boot %.1fs)", r.boot.Seconds())
		}
		fmt.Printf("  %-6s %-28s %-7s %7.1fs%s %s\n", r.kernel, r.release, r.state, r.wall.Seconds(), extra, r.detail)
		switch {
		case r.harness:
			code = 2
		case r.failed && code == 0:
			code = 1
		}
	}
	return code
}

// guestEnv returns the environment for the tests: BPFGO_* from ours, then -env.
func guestEnv(o *options) map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "BPFGO_") && k != "BPFGO_VMTEST_CACHE" {
			env[k] = v
		}
	}
	for _, kv := range o.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

func runHost(ctx context.Context, o *options) result {
	fmt.Printf("=== kernel host: go test %s\n", strings.Join(o.packages, " "))
	start := time.Now()
	args := []string{"test", "-timeout", o.timeout.String()}
	if o.run != "" {
		args = append(args, "-run", o.run)
	}
	if o.tags != "" {
		args = append(args, "-tags", o.tags)
	}
	args = append(args, o.packages...)
	if o.testflags != "" {
		args = append(args, "-args")
		args = append(args, strings.Fields(o.testflags)...)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	for k, v := range guestEnv(o) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	err := cmd.Run()
	r := result{kernel: "host", release: hostRelease(), wall: time.Since(start), state: "PASS"}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.state, r.failed = "FAIL", true
	case err != nil:
		r.state, r.harness, r.detail = "HARNESS", true, err.Error()
	}
	fmt.Printf("--- kernel host (uname -r %s): %s in %.1fs\n", r.release, r.state, r.wall.Seconds())
	return r
}

// harnessFailure returns a summary line for every VM kernel.
func harnessFailure(kernels []string, err error) []result {
	fmt.Fprintf(os.Stderr, "vmtest: HARNESS FAILURE: %v\n", err)
	var rs []result
	for _, k := range kernels {
		rs = append(rs, result{kernel: k, state: "HARNESS", harness: true, detail: firstLine(err.Error())})
	}
	return rs
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func runVMs(ctx context.Context, o *options, kernels []string) []result {
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		return harnessFailure(kernels, fmt.Errorf("VM kernels need a linux/amd64 host, this is %s/%s", runtime.GOOS, runtime.GOARCH))
	}
	if _, err := exec.LookPath(harness.QEMU); err != nil {
		return harnessFailure(kernels, fmt.Errorf("%s not found: install it with apt-get install -y qemu-system-x86", harness.QEMU))
	}
	busybox, err := findBusybox(o.busybox)
	if err != nil {
		return harnessFailure(kernels, err)
	}
	work, err := os.MkdirTemp("", "bpfgo-vmtest-")
	if err != nil {
		return harnessFailure(kernels, err)
	}
	if o.keep {
		fmt.Printf("vmtest: work directory %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	wd, err := os.Getwd()
	if err != nil {
		return harnessFailure(kernels, err)
	}
	buildStart := time.Now()
	pkgs, err := harness.ListTestPackages(ctx, wd, o.packages)
	if err != nil {
		return harnessFailure(kernels, err)
	}
	guestExit := filepath.Join(work, "guestexit")
	if err := harness.BuildGuestExit(ctx, wd, guestExit); err != nil {
		return harnessFailure(kernels, err)
	}
	bins := filepath.Join(work, "bin")
	if err := os.MkdirAll(bins, 0o755); err != nil {
		return harnessFailure(kernels, err)
	}
	built := harness.BuildTests(ctx, pkgs, bins, o.tags)
	var tests []harness.TestBinary
	var buildFailed []string
	extra := map[string]bool{}
	for _, b := range built {
		if b.Err != nil {
			fmt.Fprintf(os.Stderr, "vmtest: FAIL %s: tests do not compile:\n%v\n", b.ImportPath, b.Err)
			buildFailed = append(buildFailed, b.ImportPath)
			continue
		}
		tests = append(tests, harness.TestBinary{ImportPath: b.ImportPath, Dir: b.Dir, Binary: b.Binary})
		extra[filepath.Join(b.Root, "testdata")] = true
		// Tests may read another package's testdata (cmd/bpfgo disassembles asm's objects), so
		// every testdata directory of the module comes along, whatever subset runs.
		for _, d := range moduleTestdata(b.Root) {
			extra[d] = true
		}
	}
	fmt.Printf("vmtest: compiled %d test binaries in %.1fs\n", len(tests), time.Since(buildStart).Seconds())
	var extraDirs []string
	for d := range extra {
		extraDirs = append(extraDirs, d)
	}
	slices.Sort(extraDirs)
	r := &harness.Runner{
		Cache:       &harness.Cache{Dir: o.cache, Log: logf, AptUpdate: os.Geteuid() == 0},
		Busybox:     busybox,
		GuestExit:   guestExit,
		Modules:     o.modules,
		Timeout:     o.timeout,
		BootTimeout: o.bootTimeout,
		KernelArgs:  strings.Fields(o.kernelArgs),
		WorkDir:     work,
		Output:      os.Stdout,
		Log:         logf,
	}
	files, err := hostFiles(o)
	if err != nil {
		return harnessFailure(kernels, err)
	}
	payload := func(k string) *harness.Payload {
		env := guestEnv(o)
		env["BPFGO_VM_KERNEL"] = k
		env["VMTEST_RUN"] = o.run
		env["VMTEST_TESTFLAGS"] = o.testflags
		env["BPFGO_VMTEST_TOOLS"] = strings.Join(o.packedTools, ",")
		return &harness.Payload{Tests: tests, Extra: extraDirs, Files: files, Env: env}
	}
	results := make([]result, len(kernels))
	if o.parallel <= 1 {
		for i, k := range kernels {
			if ctx.Err() != nil {
				results = results[:i]
				break
			}
			fmt.Printf("=== kernel %s\n", k)
			results[i] = report(os.Stdout, o, k, r.Run(ctx, k, payload(k)), buildFailed)
		}
		return results
	}
	// Several guests at once: each one's output is buffered and printed,
	// with its report, when it ends.
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.parallel)
	for i, k := range kernels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "=== kernel %s\n", k)
			kr := *r
			kr.Output = &buf
			kres := kr.Run(ctx, k, payload(k))
			mu.Lock()
			defer mu.Unlock()
			os.Stdout.Write(buf.Bytes())
			results[i] = report(os.Stdout, o, k, kres, buildFailed)
		}()
	}
	wg.Wait()
	return results
}

func report(w io.Writer, o *options, k string, kr *harness.KernelRun, buildFailed []string) result {
	res := result{kernel: k, wall: kr.Wall}
	if kr.Boot != nil {
		res.release, res.boot = kr.Boot.Release, kr.Boot.BootTime
	}
	if kr.Kernel != nil && res.release == "" {
		res.release = kr.Kernel.Release
	}
	consoleTail := func(all bool) {
		if kr.Boot == nil {
			return
		}
		c := string(kr.Boot.Console)
		if !all {
			c = lastLines(c, 60)
		}
		fmt.Fprintf(w, "--- console of kernel %s ---\n%s\n--- end of console ---\n", k, c)
	}
	switch {
	case kr.HarnessErr != nil:
		res.state, res.harness, res.detail = "HARNESS", true, firstLine(kr.HarnessErr.Error())
		fmt.Fprintf(os.Stderr, "vmtest: HARNESS FAILURE on kernel %s: %v\n", k, kr.HarnessErr)
		consoleTail(true)
	case kr.Err != nil:
		res.state, res.failed, res.detail = "FAIL", true, kr.Err.Error()
		fmt.Fprintf(w, "vmtest: FAIL on kernel %s: %v\n", k, kr.Err)
		consoleTail(o.verbose)
	case kr.Boot.Status != 0:
		res.state, res.failed = "FAIL", true
		if f := kr.Failed(); len(f) > 0 {
			res.detail = "failed: " + strings.Join(f, " ")
		}
		for _, f := range kr.Boot.Failures {
			fmt.Fprintf(w, "vmtest: kernel %s: --- FAIL: %s\n", k, f)
		}
		if o.verbose {
			consoleTail(true)
		}
	default:
		res.state = "PASS"
		if o.verbose {
			consoleTail(true)
		}
	}
	if len(buildFailed) > 0 && !res.harness {
		res.state, res.failed = "FAIL", true
		res.detail = strings.TrimSpace(res.detail + " build failed: " + strings.Join(buildFailed, " "))
	}
	n := 0
	if kr.Boot != nil {
		n = len(kr.Boot.Packages)
		for _, p := range kr.Boot.Packages {
			state := "ok  "
			if p.Status != 0 {
				state = "FAIL"
			}
			fmt.Fprintf(w, "%s\t%s\t%.2fs (kernel %s)\n", state, p.ImportPath, p.Elapsed.Seconds(), k)
		}
	}
	fmt.Fprintf(w, "--- kernel %s (uname -r %s): %s, %d test binaries in %.1fs (boot %.1fs, %d attempt(s))\n",
		k, res.release, res.state, n, res.wall.Seconds(), res.boot.Seconds(), kr.Attempts)
	return res
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vmtest: "+format+"\n", args...)
}

func findBusybox(path string) (string, error) {
	var cands []string
	if path != "" {
		cands = []string{path}
	} else {
		if p, err := exec.LookPath("busybox"); err == nil {
			cands = append(cands, p)
		}
		cands = append(cands, "/bin/busybox", "/usr/bin/busybox")
	}
	var errs []error
	for _, c := range cands {
		err := harness.CheckStatic(c)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("no statically linked busybox (install it with apt-get install -y busybox-static): %w", errors.Join(errs...))
}

// moduleTestdata returns the testdata directories under the module root, not descending into
// them (or into hidden directories).
func moduleTestdata(root string) []string {
	var dirs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.Name() == "testdata" {
			dirs = append(dirs, path)
			return filepath.SkipDir
		}
		return nil
	})
	return dirs
}
