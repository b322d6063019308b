package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Package is a Go package that has tests, as go list reports it.
type Package struct {
	ImportPath string
	Dir        string
	Root       string // the module's root directory
}

// ListTestPackages runs go list on the patterns (as go test takes them) in
// dir and returns the packages that have test files.
func ListTestPackages(ctx context.Context, dir string, patterns []string) ([]Package, error) {
	args := append([]string{"list", "-e", "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles,Module,Error"}, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(patterns, " "), err, stderr.Bytes())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath   string
			Dir          string
			TestGoFiles  []string
			XTestGoFiles []string
			Module       *struct{ Dir string }
			Error        *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: decode: %w", err)
		}
		if p.Error != nil && p.Dir == "" {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		root := p.Dir
		if p.Module != nil {
			root = p.Module.Dir
		}
		pkgs = append(pkgs, Package{ImportPath: p.ImportPath, Dir: p.Dir, Root: root})
	}
	return pkgs, nil
}

// BuildResult is the outcome of compiling one package's tests.
type BuildResult struct {
	Package
	Binary string // empty when the build failed
	Err    error  // the compiler's complaint
}

// BuildTests compiles the tests of every package into outDir with
// "go test -c", statically linked (CGO_ENABLED=0), two at a time. tags are
// passed as -tags when not empty. A package that fails to compile has Err
// set; the others still build.
func BuildTests(ctx context.Context, pkgs []Package, outDir, tags string) []BuildResult {
	res := make([]BuildResult, len(pkgs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, p := range pkgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			bin := filepath.Join(outDir, fmt.Sprintf("%d-%s.test", i, filepath.Base(p.Dir)))
			args := []string{"test", "-c", "-o", bin}
			if tags != "" {
				args = append(args, "-tags", tags)
			}
			args = append(args, p.ImportPath)
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = p.Dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
			out, err := cmd.CombinedOutput()
			res[i] = BuildResult{Package: p}
			if err != nil {
				res[i].Err = fmt.Errorf("go test -c %s: %w\n%s", p.ImportPath, err, bytes.TrimSpace(out))
				return
			}
			if _, err := os.Stat(bin); err != nil {
				// go test -c writes nothing for a package without tests.
				res[i].Err = fmt.Errorf("go test -c %s: no binary", p.ImportPath)
				return
			}
			res[i].Binary = bin
		}()
	}
	wg.Wait()
	return res
}

// GuestExitPackage is the import path of the guestexit helper.
const GuestExitPackage = "github.com/bpfgo/bpf/internal/vmtest/guestexit"

// BuildGuestExit compiles the guestexit helper statically into out, with
// the go command run in dir (a directory of the bpfgo module).
func BuildGuestExit(ctx context.Context, dir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, GuestExitPackage)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build guestexit: %w\n%s", err, b)
	}
	return nil
}
