package harness

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Markers the guest prints on its output port (the second serial port).
const (
	markInit    = "VMTEST-INIT"     // /init started: "VMTEST-INIT <uname -r>"
	markPackage = "VMTEST-PKG"      // before a test binary: "VMTEST-PKG <import path>"
	markResult  = "VMTEST-PKG-EXIT" // after it: "VMTEST-PKG-EXIT <import path> <status> <seconds>s"
	markStatus  = "VMTEST-STATUS"   // the last line: "VMTEST-STATUS <0 or 1>"
)

// busyboxApplets are linked to /bin/busybox in the guest.
var busyboxApplets = []string{
	"sh", "ash", "cat", "cp", "mv", "rm", "ls", "ln", "mkdir", "rmdir", "mount", "umount",
	"mountpoint", "insmod", "lsmod", "rmmod", "modprobe", "ip", "tc", "uname", "echo", "printf",
	"sleep", "sync", "poweroff", "reboot", "halt", "grep", "sed", "awk", "head", "tail", "wc",
	"dmesg", "env", "id", "ps", "kill", "cut", "sort", "uniq", "tr", "test", "[", "true", "false",
	"date", "hostname", "find", "stat", "readlink", "realpath", "mktemp", "chmod", "chown", "touch",
	"xargs", "timeout", "nproc", "sysctl", "ifconfig", "nsenter", "unshare", "setsid", "tee",
	"dd", "od", "hexdump", "which", "expr", "seq", "basename", "dirname", "nc", "ping", "ping6",
	"free", "df", "du", "mknod", "vi", "less", "more", "diff", "cmp", "md5sum", "sha256sum",
}

// initScript is the guest's /init. It mounts what kernel tests need (the
// root itself is the initramfs in a tmpfs, so /tmp needs no mount of its
// own, and one would hide packages packed under /tmp), loads
// the modules listed in /vmtest/modules, runs each test binary listed in
// /vmtest/tests from its package directory with its output on /dev/ttyS1,
// prints a final status line there, and ends the guest with that status
// through isa-debug-exit (powering off if that fails).
const initScript = `#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
out=/dev/ttyS1
echo "` + markInit + ` $(uname -r)" > $out
echo "` + markInit + ` $(uname -r)"
hostname vmtest
ip link set lo up
while read -r mod; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/$mod.ko" || echo "vmtest: insmod $mod failed" > $out
done < /vmtest/modules
. /vmtest/env
status=0
while read -r dir bin pkg; do
	[ -n "$pkg" ] || continue
	echo "` + markPackage + ` $pkg" > $out
	read -r t0 _ < /proc/uptime
	cd "$dir"
	if [ -n "$VMTEST_RUN" ]; then
		"$bin" -test.v -test.run "$VMTEST_RUN" $VMTEST_TESTFLAGS < /dev/null > $out 2>&1
	else
		"$bin" -test.v $VMTEST_TESTFLAGS < /dev/null > $out 2>&1
	fi
	rc=$?
	read -r t1 _ < /proc/uptime
	cd /
	echo "` + markResult + ` $pkg $rc $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")s" > $out
	[ $rc -eq 0 ] || status=1
done < /vmtest/tests
echo "` + markStatus + ` $status" > $out
sync
/bin/guestexit $status
echo "vmtest: isa-debug-exit failed; powering off"
poweroff -f
`

// BaseImage describes the part of the initramfs that stays the same from run
// to run on one kernel: busybox, /init, the exit helper and the modules.
type BaseImage struct {
	Busybox   string   // path of a statically linked busybox
	GuestExit string   // path of the guestexit binary (static)
	Modules   []Module // loaded by /init in this order
}

// Write writes the base archive.
func (b *BaseImage) Write(w io.Writer) error {
	bb, err := os.ReadFile(b.Busybox)
	if err != nil {
		return fmt.Errorf("busybox: %w", err)
	}
	ge, err := os.ReadFile(b.GuestExit)
	if err != nil {
		return fmt.Errorf("guestexit: %w", err)
	}
	c := NewCPIOWriter(w)
	for _, d := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc",
		"sys", "tmp", "run", "root", "lib", "lib/modules", "vmtest", "var", "mnt"} {
		if err := c.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := c.File("bin/busybox", 0o755, bb); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range busyboxApplets {
		if seen[a] {
			continue
		}
		seen[a] = true
		if err := c.Symlink("bin/"+a, "busybox"); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		perm fs.FileMode
		data []byte
	}{
		{"init", 0o755, []byte(initScript)},
		{"bin/guestexit", 0o755, ge},
		{"etc/hosts", 0o644, []byte("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")},
		{"etc/nsswitch.conf", 0o644, []byte("hosts: files\n")},
	}
	var list strings.Builder
	for _, m := range b.Modules {
		files = append(files, struct {
			name string
			perm fs.FileMode
			data []byte
		}{"lib/modules/" + m.Name + ".ko", 0o644, m.Data})
		list.WriteString(m.Name + "\n")
	}
	files = append(files, struct {
		name string
		perm fs.FileMode
		data []byte
	}{"vmtest/modules", 0o644, []byte(list.String())})
	for _, f := range files {
		if err := c.File(f.name, f.perm, f.data); err != nil {
			return err
		}
	}
	return c.Close()
}

// TestBinary is a compiled test binary and the package directory it runs in.
type TestBinary struct {
	ImportPath string
	Dir        string // the package directory on the host; the same path in the guest
	Binary     string // path of the binary on the host
}

// Payload describes the part of the initramfs that changes from run to run:
// the test binaries with the files of their packages, and the environment.
type Payload struct {
	Tests []TestBinary
	// Extra lists directories packed too (recursively), such as the module's
	// top-level testdata, at the same paths as on the host.
	Extra []string
	// Files are host files packed at the same paths (tools and their
	// libraries, see ToolFiles).
	Files []HostFile
	// Env is exported in the guest before the tests run. VMTEST_RUN is the
	// -test.run pattern; VMTEST_TESTFLAGS more flags (split on spaces).
	Env map[string]string
}

// Write writes the payload archive. Each test binary goes to its package
// directory (at the path it has on the host, so paths built from
// runtime.Caller work) together with the package's files and its testdata
// tree.
func (p *Payload) Write(w io.Writer) error {
	c := NewCPIOWriter(w)
	dirs := map[string]bool{}
	mkdirAll := func(d string) error {
		d = strings.TrimPrefix(path.Clean(filepath.ToSlash(d)), "/")
		var parts []string
		for _, part := range strings.Split(d, "/") {
			parts = append(parts, part)
			sub := strings.Join(parts, "/")
			if sub == "" || sub == "." || dirs[sub] {
				continue
			}
			dirs[sub] = true
			if err := c.Dir(sub, 0o755); err != nil {
				return err
			}
		}
		return nil
	}
	addFile := func(name, src string, info fs.FileInfo) error {
		if err := mkdirAll(filepath.Dir(name)); err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(src)
			if err != nil {
				return err
			}
			return c.Symlink(name, t)
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		return c.FileFrom(name, info.Mode().Perm(), info.Size(), f)
	}
	addTree := func(root string) error {
		return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return mkdirAll(p)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0 {
				return nil
			}
			return addFile(p, p, info)
		})
	}
	var tests strings.Builder
	for i, t := range p.Tests {
		ents, err := os.ReadDir(t.Dir)
		if err != nil {
			return fmt.Errorf("package %s: %w", t.ImportPath, err)
		}
		if err := mkdirAll(t.Dir); err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(t.Dir, e.Name())
			switch {
			case e.IsDir() && e.Name() == "testdata":
				if err := addTree(p); err != nil {
					return fmt.Errorf("package %s: testdata: %w", t.ImportPath, err)
				}
			case e.Type().IsRegular():
				info, err := e.Info()
				if err != nil {
					return err
				}
				if err := addFile(p, p, info); err != nil {
					return err
				}
			}
		}
		bin := fmt.Sprintf("/vmtest/bin/%d-%s.test", i, path.Base(t.ImportPath))
		info, err := os.Stat(t.Binary)
		if err != nil {
			return fmt.Errorf("package %s: test binary: %w", t.ImportPath, err)
		}
		if err := addFile(bin, t.Binary, info); err != nil {
			return err
		}
		fmt.Fprintf(&tests, "%s %s %s\n", t.Dir, bin, t.ImportPath)
	}
	for _, d := range p.Extra {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		if err := addTree(d); err != nil {
			return err
		}
	}
	for _, f := range p.Files {
		name := strings.TrimPrefix(filepath.ToSlash(f.Path), "/")
		if err := mkdirAll(path.Dir(name)); err != nil {
			return err
		}
		if f.Source == "" {
			if err := c.Symlink(name, f.Link); err != nil {
				return err
			}
			continue
		}
		info, err := os.Stat(f.Source)
		if err != nil {
			return fmt.Errorf("host file %s: %w", f.Source, err)
		}
		if err := addFile(name, f.Source, info); err != nil {
			return err
		}
	}
	var env strings.Builder
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !validEnvName(k) {
			return fmt.Errorf("environment variable name %q is not valid in a shell", k)
		}
		fmt.Fprintf(&env, "export %s=%s\n", k, ShellQuote(p.Env[k]))
	}
	if err := c.File("vmtest/tests", 0o644, []byte(tests.String())); err != nil {
		return err
	}
	if err := c.File("vmtest/env", 0o644, []byte(env.String())); err != nil {
		return err
	}
	return c.Close()
}

// ShellQuote quotes s for a POSIX shell with single quotes.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// CheckStatic returns an error unless the ELF file at p is statically linked
// (has no program interpreter), as every binary in the guest must be.
func CheckStatic(p string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", p)
		}
	}
	return nil
}
