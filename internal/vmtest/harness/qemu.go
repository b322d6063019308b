package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// QEMU is the emulator the harness boots kernels with.
const QEMU = "qemu-system-x86_64"

// ErrNoInit reports a guest that never reached /init: a harness failure,
// not a test failure.
var ErrNoInit = errors.New("guest never reached /init")

// ErrHung reports a guest killed at the run timeout.
var ErrHung = errors.New("guest hung")

// Boot describes one qemu run.
type Boot struct {
	Kernel string // path of the kernel image
	Initrd string // path of the initramfs
	Dir    string // where the console and output logs go
	// Timeout bounds the whole run; BootTimeout bounds the time until /init
	// reports on the output port.
	Timeout, BootTimeout time.Duration
	// Output receives the guest's output port as it arrives; nil discards it.
	Output io.Writer
	// KernelArgs are added to the kernel command line; Args are arguments
	// for /init (after "--").
	KernelArgs, Args []string
}

// BootResult is what came back from a guest.
type BootResult struct {
	Release  string        // uname -r, as /init printed it
	Status   int           // the guest's status: 0 when every test binary passed
	Packages []PackageExit // the exit status of each test binary
	Running  string        // the test binary that started last and did not end
	Failures []string      // the "--- FAIL: " lines of the tests
	Output   []byte        // everything from the output port
	Console  []byte        // the serial console (kernel log, /init messages)
	BootTime time.Duration // until /init reported
	Wall     time.Duration
	QEMUExit int // qemu's exit status
}

// PackageExit is the exit status of one test binary in the guest.
type PackageExit struct {
	ImportPath string
	Status     int
	Elapsed    time.Duration // guest time the binary ran (from /proc/uptime)
}

// QEMUArgs returns the qemu command line for b, writing the console to
// console and the output port to out.
func (b *Boot) QEMUArgs(console, out string) []string {
	args := []string{
		"-accel", "tcg,thread=single", "-cpu", "max", "-smp", "2", "-m", "2048",
		"-nographic", "-no-reboot", "-monitor", "none", "-nodefaults",
		"-kernel", b.Kernel, "-initrd", b.Initrd,
		"-append", strings.Join(append(append([]string{"console=ttyS0 lsm=lockdown,capability,bpf panic=-1"}, b.KernelArgs...), "--"), " ") +
			" " + strings.Join(b.Args, " "),
		"-serial", "file:" + console,
		"-serial", "file:" + out,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
	}
	return args
}

// Run boots the guest once and waits for it to end, the timeout, or ctx.
// The error is ErrNoInit when /init never reported within BootTimeout, and
// ErrHung when the guest ran past Timeout; both wrap the logs in the result.
func (b *Boot) Run(ctx context.Context) (*BootResult, error) {
	qemu, err := exec.LookPath(QEMU)
	if err != nil {
		return nil, fmt.Errorf("%s not found (install it: apt-get install -y qemu-system-x86): %w", QEMU, err)
	}
	console := filepath.Join(b.Dir, "console.log")
	out := filepath.Join(b.Dir, "output.log")
	for _, f := range []string{console, out} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.Command(qemu, b.QEMUArgs(console, out)...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.Stdin = nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", QEMU, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	res := &BootResult{}
	tail := &tailer{path: out, w: b.Output}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var runErr, waitErr error
	exited := false
	for !exited {
		select {
		case waitErr = <-done:
			exited = true
		case <-tick.C:
			tail.poll()
			el := time.Since(start)
			if res.BootTime == 0 && bytes.Contains(tail.data, []byte(markInit+" ")) {
				res.BootTime = el
			}
			switch {
			case res.BootTime == 0 && b.BootTimeout > 0 && el > b.BootTimeout:
				runErr = fmt.Errorf("%w within %v", ErrNoInit, b.BootTimeout)
			case b.Timeout > 0 && el > b.Timeout:
				runErr = fmt.Errorf("%w: killed after %v", ErrHung, b.Timeout)
			}
		case <-ctx.Done():
			runErr = ctx.Err()
		}
		if runErr != nil && !exited {
			cmd.Process.Kill()
			waitErr = <-done
			exited = true
		}
	}
	res.Wall = time.Since(start)
	tail.poll()
	tail.flush()
	res.Output = tail.data
	res.Console, _ = os.ReadFile(console)
	if len(stderr.Bytes()) > 0 {
		res.Console = append(res.Console, "\n--- qemu stderr ---\n"...)
		res.Console = append(res.Console, stderr.Bytes()...)
	}
	if cmd.ProcessState != nil {
		res.QEMUExit = cmd.ProcessState.ExitCode()
	}
	parseOutput(res)
	if res.BootTime == 0 && res.Release != "" {
		res.BootTime = res.Wall
	}
	if runErr != nil {
		if res.Running != "" {
			runErr = fmt.Errorf("%w while running %s", runErr, res.Running)
		}
		return res, runErr
	}
	if res.Release == "" {
		why := "the kernel panicked or rebooted"
		if waitErr != nil && res.QEMUExit != 0 {
			why = waitErr.Error()
		}
		return res, fmt.Errorf("%w (qemu exited with status %d: %s)", ErrNoInit, res.QEMUExit, why)
	}
	return res, nil
}

// parseOutput fills the release, the per-package exits and the status from
// the output port. Status is -1 when neither the status line nor
// isa-debug-exit gave one (the guest crashed or was killed); a status from
// isa-debug-exit wins over the line.
func parseOutput(res *BootResult) {
	res.Status = -1
	sc := bufio.NewScanner(bytes.NewReader(res.Output))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "--- FAIL: ") {
			res.Failures = append(res.Failures, strings.TrimPrefix(t, "--- FAIL: "))
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case markInit:
			if len(f) >= 2 {
				res.Release = f[1]
			}
		case markPackage:
			if len(f) >= 2 {
				res.Running = f[1]
			}
		case markResult:
			res.Running = ""
			if len(f) >= 3 {
				if n, err := strconv.Atoi(f[2]); err == nil {
					pe := PackageExit{ImportPath: f[1], Status: n}
					if len(f) >= 4 {
						if d, err := time.ParseDuration(f[3]); err == nil {
							pe.Elapsed = d
						}
					}
					res.Packages = append(res.Packages, pe)
				}
			}
		case markStatus:
			if len(f) >= 2 {
				if n, err := strconv.Atoi(f[1]); err == nil {
					res.Status = n
				}
			}
		}
	}
	// qemu exits with (N<<1)|1 when the guest wrote N to isa-debug-exit. (It
	// also exits with 1 when it cannot start, but then /init never spoke.)
	if res.QEMUExit&1 == 1 && res.Release != "" {
		res.Status = res.QEMUExit >> 1
	}
}

// tailer copies what a file gains to w, a line at a time.
type tailer struct {
	path    string
	w       io.Writer
	data    []byte
	written int
}

func (t *tailer) poll() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(int64(len(t.data)), io.SeekStart); err != nil {
		return
	}
	b, _ := io.ReadAll(f)
	t.data = append(t.data, b...)
	if t.w == nil {
		return
	}
	if i := bytes.LastIndexByte(t.data, '\n'); i >= t.written {
		t.w.Write(bytes.ReplaceAll(t.data[t.written:i+1], []byte("\r\n"), []byte("\n")))
		t.written = i + 1
	}
}

func (t *tailer) flush() {
	if t.w != nil && t.written < len(t.data) {
		t.w.Write(bytes.ReplaceAll(t.data[t.written:], []byte("\r\n"), []byte("\n")))
		t.w.Write([]byte("\n"))
		t.written = len(t.data)
	}
}
