package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// HostFile is a file of the host packed into the guest at the same path.
type HostFile struct {
	Path   string // path in the guest
	Source string // file on the host whose contents go there; empty for a symlink
	Link   string // symlink target, when Source is empty
}

// guestPath is the PATH the guest's /init exports.
var guestPath = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin"}

// ToolFiles returns what a host program needs to run in the guest: the
// binary at its real path, a symlink from where PATH finds it, and the
// shared libraries and dynamic loader that ldd lists, each at the path ldd
// printed (with the contents of the file it resolves to). For clang, the
// include directory of its resource directory comes along. tool is a name
// looked up in PATH or an absolute path.
func ToolFiles(tool string) ([]HostFile, error) {
	p, err := exec.LookPath(tool)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", tool, err)
	}
	p, err = filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", tool, err)
	}
	files := []HostFile{{Path: real, Source: real}}
	if real != p {
		files = append(files, HostFile{Path: p, Link: real})
	}
	// The guest's PATH is fixed (/bin:/sbin:/usr/bin:/usr/sbin); a tool the host finds
	// elsewhere (CI puts /usr/lib/llvm-19/bin first) also gets a link in /usr/bin.
	if !slices.Contains(guestPath, filepath.Dir(p)) {
		files = append(files, HostFile{Path: filepath.Join("/usr/bin", filepath.Base(p)), Link: real})
	}
	// clang needs its resource directory (stddef.h, stdint.h, ...).
	if strings.HasPrefix(filepath.Base(real), "clang") {
		out, err := exec.Command(real, "-print-resource-dir").Output()
		if err != nil {
			return nil, fmt.Errorf("tool %s: -print-resource-dir: %w", tool, exitError(err))
		}
		inc := filepath.Join(strings.TrimSpace(string(out)), "include")
		if _, err := os.Stat(inc); err == nil {
			tree, err := TreeFiles(inc)
			if err != nil {
				return nil, fmt.Errorf("tool %s: %w", tool, err)
			}
			files = append(files, tree...)
		}
	}
	if CheckStatic(real) == nil {
		return files, nil
	}
	out, err := exec.Command("ldd", real).Output()
	if err != nil {
		return nil, fmt.Errorf("tool %s: ldd: %w", tool, exitError(err))
	}
	libs, err := ParseLDD(out)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", tool, err)
	}
	for _, l := range libs {
		files = append(files, HostFile{Path: l, Source: l})
	}
	return files, nil
}

// ParseLDD returns the absolute paths of the libraries and the loader in
// ldd's output, cleaned ("/usr/lib/llvm-19/bin/../lib/x.so" becomes
// "/usr/lib/llvm-19/lib/x.so"). A library ldd could not find is an error.
func ParseLDD(out []byte) ([]string, error) {
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.Contains(line, "statically linked") {
			continue
		}
		name, target, hasArrow := strings.Cut(line, "=>")
		if hasArrow {
			target = strings.TrimSpace(target)
			if strings.HasPrefix(target, "not found") {
				return nil, fmt.Errorf("ldd: %s not found", strings.TrimSpace(name))
			}
		} else {
			target = line
		}
		f := strings.Fields(target)
		if len(f) == 0 || !strings.HasPrefix(f[0], "/") {
			continue // linux-vdso.so.1 and the like live in the kernel
		}
		if p := filepath.Clean(f[0]); !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return paths, sc.Err()
}

// TreeFiles returns every regular file and symlink under root (or root
// itself when it is a file) to pack at the same paths.
func TreeFiles(root string) ([]HostFile, error) {
	var files []HostFile
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			files = append(files, HostFile{Path: p, Link: t})
		case info.Mode().IsRegular():
			files = append(files, HostFile{Path: p, Source: p})
		}
		return nil
	})
	return files, err
}
