package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// baseVersion names the layout BaseImage.Write produces, in the key of
// cached base archives: bump it when that layout changes.
const baseVersion = 1

// DefaultModules are the kernel modules the guest loads when Runner.Modules
// is nil: what network tests need (veth pairs, TC clsact with cls_bpf).
var DefaultModules = []string{"veth", "cls_bpf", "sch_ingress"}

// Runner boots Debian kernels under qemu and runs test binaries in them.
type Runner struct {
	Cache     *Cache
	Busybox   string   // statically linked busybox
	GuestExit string   // the compiled guestexit helper
	Modules   []string // modules to load; nil means DefaultModules
	// Timeout bounds one boot (default 15 minutes); BootTimeout the time until
	// /init reports (default 2 minutes).
	Timeout, BootTimeout time.Duration
	// KernelArgs are added to the kernel command line.
	KernelArgs []string
	// WorkDir holds the per-run files (initramfs, logs).
	WorkDir string
	// Output receives the guest's test output as it arrives.
	Output io.Writer
	// Log receives progress messages; nil discards them.
	Log func(format string, args ...any)
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}

// KernelRun is the outcome of running the tests on one kernel.
type KernelRun struct {
	Kernel   *Kernel
	Boot     *BootResult // the last boot; nil when none happened
	Attempts int         // boots tried (a guest that never reaches /init is retried once)
	Wall     time.Duration
	// HarnessErr is set when the harness could not run the tests at all (a
	// missing package, a guest that never reached /init twice).
	HarnessErr error
	// Err is set when the tests ran but the run failed as a whole (the guest
	// hung or crashed before its status line).
	Err error
}

// Passed reports whether every test binary passed.
func (k *KernelRun) Passed() bool {
	return k.HarnessErr == nil && k.Err == nil && k.Boot != nil && k.Boot.Status == 0
}

// Failed returns the import paths of the test binaries that failed.
func (k *KernelRun) Failed() []string {
	if k.Boot == nil {
		return nil
	}
	var f []string
	for _, p := range k.Boot.Packages {
		if p.Status != 0 {
			f = append(f, p.ImportPath)
		}
	}
	return f
}

// Run resolves the kernel series, builds the initramfs and boots it,
// retrying once a guest that never reached /init.
func (r *Runner) Run(ctx context.Context, series string, payload *Payload) *KernelRun {
	start := time.Now()
	kr := &KernelRun{}
	defer func() { kr.Wall = time.Since(start) }()
	k, base, err := r.prepare(ctx, series)
	if err != nil {
		kr.HarnessErr = err
		return kr
	}
	kr.Kernel = k
	dir, err := os.MkdirTemp(r.WorkDir, "kernel-"+series+"-")
	if err != nil {
		kr.HarnessErr = err
		return kr
	}
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitrd(initrd, base, payload); err != nil {
		kr.HarnessErr = fmt.Errorf("initramfs: %w", err)
		return kr
	}
	timeout, bootTimeout := r.Timeout, r.BootTimeout
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	if bootTimeout <= 0 {
		bootTimeout = 2 * time.Minute
	}
attempts:
	for attempt := 1; attempt <= 2; attempt++ {
		kr.Attempts = attempt
		b := &Boot{Kernel: k.Vmlinuz, Initrd: initrd, Dir: dir, Timeout: timeout, BootTimeout: bootTimeout, Output: r.Output, KernelArgs: r.KernelArgs}
		res, err := b.Run(ctx)
		kr.Boot = res
		switch {
		case errors.Is(err, ErrNoInit) && attempt == 1:
			r.logf("kernel %s: %v; retrying once", series, err)
			continue
		case errors.Is(err, ErrNoInit):
			kr.HarnessErr = fmt.Errorf("kernel %s (%s): %w (after %d attempts)", series, k.Package, err, attempt)
		case err != nil && res == nil:
			kr.HarnessErr = err
		case err != nil:
			kr.Err = err
		case res.Status < 0:
			kr.Err = fmt.Errorf("guest ended without a status line (kernel panic or crash; qemu exited with %d)", res.QEMUExit)
		}
		break attempts
	}
	return kr
}

// prepare resolves the kernel and returns the path of its base archive,
// building and caching it when needed.
func (r *Runner) prepare(ctx context.Context, series string) (*Kernel, string, error) {
	unlock, err := lockDir(r.Cache.Dir)
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	k, err := r.Cache.Resolve(ctx, series)
	if err != nil {
		return nil, "", err
	}
	mods := r.Modules
	if mods == nil {
		mods = DefaultModules
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%s\x00", baseVersion, k.Package, strings.Join(mods, ","),
		strings.Join(busyboxApplets, ","), initScript)
	for _, f := range []string{r.Busybox, r.GuestExit} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		h.Write(b)
	}
	base := filepath.Join(r.Cache.Dir, "initrd", k.Package+"-"+hex.EncodeToString(h.Sum(nil))[:16]+".cpio")
	if _, err := os.Stat(base); err == nil {
		return k, base, nil
	}
	modules, err := k.LoadModules(mods)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return nil, "", err
	}
	// Old base archives of this kernel are stale now.
	old, _ := filepath.Glob(filepath.Join(r.Cache.Dir, "initrd", k.Package+"-*.cpio"))
	for _, o := range old {
		os.Remove(o)
	}
	tmp := base + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, "", err
	}
	bi := &BaseImage{Busybox: r.Busybox, GuestExit: r.GuestExit, Modules: modules}
	if err := bi.Write(f); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("base initramfs: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", err
	}
	return k, base, os.Rename(tmp, base)
}

// writeInitrd writes the cached base archive followed by the payload archive.
func writeInitrd(dst, base string, p *Payload) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := os.Open(base)
	if err != nil {
		return err
	}
	defer b.Close()
	if _, err := io.Copy(f, b); err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		return err
	}
	return f.Close()
}
