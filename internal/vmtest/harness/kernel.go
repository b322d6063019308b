package harness

import (
	"bytes"
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Kernel is a Debian kernel unpacked in the cache: its bzImage and the
// modules that came with it.
type Kernel struct {
	Series  string // what the user asked for, e.g. "6.1"
	Package string // Debian package, e.g. "linux-image-6.1.0-56-cloud-amd64"
	Release string // uname -r, e.g. "6.1.0-56-cloud-amd64"
	Vmlinuz string // path of the kernel image
	Modules string // path of lib/modules/<Release>
}

// Cache holds downloaded kernel packages and their unpacked trees under Dir:
// Dir/debs/*.deb and Dir/kernels/<package>/.
type Cache struct {
	Dir string
	// Log receives progress messages; nil discards them.
	Log func(format string, args ...any)
	// AptUpdate lets Resolve run apt-get update (as root) when apt cannot
	// name or fetch a kernel the cache lacks.
	AptUpdate bool
}

func (c *Cache) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

// DefaultCacheDir returns $BPFGO_VMTEST_CACHE, or bpfgo-vmtest in the user's
// cache directory ($XDG_CACHE_HOME or ~/.cache).
func DefaultCacheDir() string {
	if d := os.Getenv("BPFGO_VMTEST_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "bpfgo-vmtest")
	}
	return filepath.Join(os.TempDir(), "bpfgo-vmtest")
}

// PackagePattern returns the regular expression that names the Debian cloud
// kernel packages of a kernel series: "6.1" matches
// linux-image-6.1.0-56-cloud-amd64 and "6.12" matches
// linux-image-6.12.117+deb12-cloud-amd64 (but "6.1" does not match 6.12).
func PackagePattern(series string) string {
	return `^linux-image-` + regexp.QuoteMeta(series) + `[.+-][0-9][^ ]*-cloud-amd64$`
}

// NewestPackage returns the package of names that matches the series with
// the highest version, comparing the numbers in the names numerically.
func NewestPackage(series string, names []string) (string, bool) {
	re := regexp.MustCompile(PackagePattern(series))
	var best string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !re.MatchString(n) {
			continue
		}
		if best == "" || compareVersions(n, best) > 0 {
			best = n
		}
	}
	return best, best != ""
}

var numRe = regexp.MustCompile(`[0-9]+`)

// compareVersions compares the sequences of numbers in a and b.
func compareVersions(a, b string) int {
	na, nb := numRe.FindAllString(a, -1), numRe.FindAllString(b, -1)
	for i := 0; i < len(na) && i < len(nb); i++ {
		x, _ := strconv.ParseUint(na[i], 10, 64)
		y, _ := strconv.ParseUint(nb[i], 10, 64)
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(na), len(nb))
}

// Resolve finds the newest Debian package of a kernel series with
// apt-cache, downloads it with apt-get download unless the cache has it, and
// unpacks it with dpkg-deb. series is "6.1", "6.12", ..., or a full package
// name starting with "linux-image-". When apt cannot name or fetch a package
// but the cache holds one of the series, that one is used; when the cache
// has none either and AptUpdate is set, Resolve runs apt-get update and
// tries once more (package lists go stale as Debian replaces kernels).
func (c *Cache) Resolve(ctx context.Context, series string) (*Kernel, error) {
	k, err := c.resolve(ctx, series)
	if err == nil || !c.AptUpdate || ctx.Err() != nil {
		return k, err
	}
	c.logf("kernel %s: %v; running apt-get update and trying again", series, err)
	if out, uerr := exec.CommandContext(ctx, "apt-get", "update", "-qq").CombinedOutput(); uerr != nil {
		return nil, fmt.Errorf("%w (apt-get update: %v: %s)", err, uerr, bytes.TrimSpace(out))
	}
	return c.resolve(ctx, series)
}

func (c *Cache) resolve(ctx context.Context, series string) (*Kernel, error) {
	pkg, err := c.packageName(ctx, series)
	if err != nil {
		cached := c.cachedPackages(series)
		if len(cached) == 0 {
			return nil, err
		}
		pkg = cached[len(cached)-1]
		c.logf("kernel %s: %v; using cached %s", series, err, pkg)
	}
	tree := filepath.Join(c.Dir, "kernels", pkg)
	if _, err := os.Stat(filepath.Join(tree, ".complete")); err != nil {
		deb, err := c.download(ctx, pkg)
		if err != nil {
			cached := c.cachedPackages(series)
			if len(cached) == 0 {
				return nil, err
			}
			pkg = cached[len(cached)-1]
			tree = filepath.Join(c.Dir, "kernels", pkg)
			c.logf("kernel %s: %v; using cached %s", series, err, pkg)
		} else if err := c.unpack(ctx, deb, tree); err != nil {
			return nil, err
		}
	}
	return findKernel(series, pkg, tree)
}

func (c *Cache) packageName(ctx context.Context, series string) (string, error) {
	if strings.HasPrefix(series, "linux-image-") {
		return series, nil
	}
	if _, err := exec.LookPath("apt-cache"); err != nil {
		return "", fmt.Errorf("kernel %s: apt-cache not found: the harness fetches Debian kernel packages with apt", series)
	}
	out, err := exec.CommandContext(ctx, "apt-cache", "search", "--names-only", PackagePattern(series)).Output()
	if err != nil {
		return "", fmt.Errorf("kernel %s: apt-cache search: %w", series, exitError(err))
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		name, _, _ := strings.Cut(line, " - ")
		names = append(names, name)
	}
	pkg, ok := NewestPackage(series, names)
	if !ok {
		return "", fmt.Errorf("kernel %s: no Debian package matches %s (run apt-get update; Debian bookworm has linux-image-6.1.0-*-cloud-amd64 in main and linux-image-6.12.*+deb12-cloud-amd64 in bookworm-security)",
			series, PackagePattern(series))
	}
	return pkg, nil
}

// cachedPackages lists the unpacked packages of the series in the cache,
// oldest first.
func (c *Cache) cachedPackages(series string) []string {
	ents, _ := os.ReadDir(filepath.Join(c.Dir, "kernels"))
	var names []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(c.Dir, "kernels", e.Name(), ".complete")); err == nil {
			names = append(names, e.Name())
		}
	}
	if strings.HasPrefix(series, "linux-image-") {
		if slices.Contains(names, series) {
			return []string{series}
		}
		return nil
	}
	re := regexp.MustCompile(PackagePattern(series))
	names = slices.DeleteFunc(names, func(n string) bool { return !re.MatchString(n) })
	slices.SortFunc(names, compareVersions)
	return names
}

func (c *Cache) download(ctx context.Context, pkg string) (string, error) {
	debs := filepath.Join(c.Dir, "debs")
	if m, _ := filepath.Glob(filepath.Join(debs, pkg+"_*.deb")); len(m) > 0 {
		return m[len(m)-1], nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("kernel package %s: apt-get not found", pkg)
	}
	tmp := filepath.Join(debs, ".download")
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	c.logf("downloading %s", pkg)
	cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("kernel package %s: apt-get download: %w\n%s", pkg, exitError(err), out)
	}
	m, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(m) != 1 {
		return "", fmt.Errorf("kernel package %s: apt-get download left no .deb", pkg)
	}
	dst := filepath.Join(debs, filepath.Base(m[0]))
	if err := os.Rename(m[0], dst); err != nil {
		return "", err
	}
	os.RemoveAll(tmp)
	return dst, nil
}

func (c *Cache) unpack(ctx context.Context, deb, tree string) error {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		return fmt.Errorf("kernel package %s: dpkg-deb not found", deb)
	}
	tmp := tree + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	c.logf("unpacking %s", filepath.Base(deb))
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, tmp).CombinedOutput(); err != nil {
		return fmt.Errorf("kernel package %s: dpkg-deb -x: %w\n%s", deb, exitError(err), out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(tree); err != nil {
		return err
	}
	return os.Rename(tmp, tree)
}

func findKernel(series, pkg, tree string) (*Kernel, error) {
	imgs, _ := filepath.Glob(filepath.Join(tree, "boot", "vmlinuz-*"))
	if len(imgs) != 1 {
		return nil, fmt.Errorf("kernel package %s: want one boot/vmlinuz-*, found %d", pkg, len(imgs))
	}
	release := strings.TrimPrefix(filepath.Base(imgs[0]), "vmlinuz-")
	mods := filepath.Join(tree, "lib", "modules", release)
	if _, err := os.Stat(mods); err != nil {
		return nil, fmt.Errorf("kernel package %s: modules: %w", pkg, err)
	}
	return &Kernel{Series: series, Package: pkg, Release: release, Vmlinuz: imgs[0], Modules: mods}, nil
}

// Module is a kernel module to load in the guest, in load order.
type Module struct {
	Name string // e.g. "veth"
	Data []byte // the uncompressed .ko
}

// LoadModules returns the modules names and, before each, the modules it
// depends on (the "depends=" field of its .modinfo section), in an order
// that insmod can load them. Modules built into the kernel (listed in
// modules.builtin) are left out. Compressed modules (.ko.xz) are
// decompressed with xz, or with busybox when xz is absent.
func (k *Kernel) LoadModules(names []string) ([]Module, error) {
	paths := map[string]string{} // module name → path
	err := filepath.WalkDir(filepath.Join(k.Modules, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		for _, ext := range []string{".ko", ".ko.xz"} {
			if strings.HasSuffix(base, ext) {
				paths[normModName(strings.TrimSuffix(base, ext))] = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kernel %s: modules: %w", k.Release, err)
	}
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(k.Modules, "modules.builtin")); err == nil {
		for line := range strings.Lines(string(b)) {
			base := filepath.Base(strings.TrimSpace(line))
			builtin[normModName(strings.TrimSuffix(base, ".ko"))] = true
		}
	}
	var out []Module
	done := map[string]bool{}
	var visit func(name string, stack []string) error
	visit = func(name string, stack []string) error {
		name = normModName(name)
		if done[name] || builtin[name] {
			return nil
		}
		if slices.Contains(stack, name) {
			return fmt.Errorf("kernel %s: module %s: dependency cycle %v", k.Release, name, stack)
		}
		p, ok := paths[name]
		if !ok {
			return fmt.Errorf("kernel %s: module %s: not found in %s and not built in", k.Release, name, k.Modules)
		}
		data, err := readModule(p)
		if err != nil {
			return fmt.Errorf("kernel %s: module %s: %w", k.Release, name, err)
		}
		deps, err := ModuleDepends(data)
		if err != nil {
			return fmt.Errorf("kernel %s: module %s: %w", k.Release, name, err)
		}
		for _, d := range deps {
			if err := visit(d, append(stack, name)); err != nil {
				return err
			}
		}
		done[name] = true
		out = append(out, Module{Name: name, Data: data})
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// normModName spells a module name the way the kernel does: "-" becomes "_".
func normModName(s string) string { return strings.ReplaceAll(s, "-", "_") }

func readModule(p string) ([]byte, error) {
	if !strings.HasSuffix(p, ".xz") {
		return os.ReadFile(p)
	}
	var errs []error
	for _, argv := range [][]string{{"xz", "-dc", p}, {"busybox", "xz", "-dc", p}} {
		if _, err := exec.LookPath(argv[0]); err != nil {
			errs = append(errs, err)
			continue
		}
		out, err := exec.Command(argv[0], argv[1:]...).Output()
		if err == nil {
			return out, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", argv[0], exitError(err)))
	}
	return nil, fmt.Errorf("decompress %s: %w", p, errors.Join(errs...))
}

// ModuleDepends returns the modules a kernel module depends on: the
// comma-separated "depends=" entry of its .modinfo ELF section.
func ModuleDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, fmt.Errorf("parse module ELF: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf(".modinfo: %w", err)
	}
	return ParseModinfoDepends(info), nil
}

// ParseModinfoDepends returns the module names listed in the "depends="
// entry of a .modinfo section (NUL-separated key=value strings).
func ParseModinfoDepends(modinfo []byte) []string {
	var deps []string
	for _, kv := range bytes.Split(modinfo, []byte{0}) {
		v, ok := bytes.CutPrefix(kv, []byte("depends="))
		if !ok {
			continue
		}
		for _, d := range strings.Split(string(v), ",") {
			if d = strings.TrimSpace(d); d != "" && !slices.Contains(deps, d) {
				deps = append(deps, d)
			}
		}
	}
	return deps
}

// exitError adds the stderr a command printed to its error.
func exitError(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}
