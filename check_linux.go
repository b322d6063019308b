//go:build linux

package bpf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Check inspects the system (uname, /proc, /sys) and probes the kernel for every program and
// map type. It never changes the system. The returned report is always filled in as far as
// possible; the error is [SystemReport.Err]: non-nil when BPF programs cannot be loaded at all.
func Check() (*SystemReport, error) {
	r := &SystemReport{
		BPFFS:                   MountStatus{Path: DefaultPinPath},
		Tracefs:                 MountStatus{Path: "/sys/kernel/tracing"},
		BTF:                     BTFStatus{Path: "/sys/kernel/btf/vmlinux"},
		JIT:                     JITStatus{Enabled: -1, Harden: -1, Kallsyms: -1, Limit: -1},
		UnprivilegedBPFDisabled: -1,
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		r.KernelRelease = unix.ByteSliceToString(uts.Release[:])
		r.Arch = unix.ByteSliceToString(uts.Machine[:])
		r.KernelVersion = parseKernelRelease(r.KernelRelease)
	}
	if n, err := PossibleCPUs(); err == nil {
		r.PossibleCPUs = n
	}
	r.BPFFS.Mounted = isFSType(r.BPFFS.Path, unix.BPF_FS_MAGIC)
	r.Tracefs.Mounted = isFSType(r.Tracefs.Path, unix.TRACEFS_MAGIC)
	if caps, err := effectiveCapabilities(); err == nil {
		r.Capabilities = Capabilities{
			Effective: caps,
			BPF:       caps&(1<<capBPF) != 0,
			SysAdmin:  caps&(1<<capSysAdmin) != 0,
			Perfmon:   caps&(1<<capPerfmon) != 0,
			NetAdmin:  caps&(1<<capNetAdmin) != 0,
		}
	} else {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot read capabilities: %v", err))
	}
	if st, err := os.Stat(r.BTF.Path); err == nil {
		r.BTF.Available, r.BTF.Size = true, st.Size()
	}
	r.JIT.Enabled = readSysctlInt("/proc/sys/net/core/bpf_jit_enable")
	r.JIT.Harden = readSysctlInt("/proc/sys/net/core/bpf_jit_harden")
	r.JIT.Kallsyms = readSysctlInt("/proc/sys/net/core/bpf_jit_kallsyms")
	r.JIT.Limit = int64(readSysctlInt("/proc/sys/net/core/bpf_jit_limit"))
	r.UnprivilegedBPFDisabled = readSysctlInt("/proc/sys/kernel/unprivileged_bpf_disabled")
	for _, path := range []string{"/sys/bus/event_source/devices/kprobe/type", r.Tracefs.Path + "/kprobe_events"} {
		if _, err := os.Stat(path); err == nil {
			r.Kprobes = true
		}
	}
	r.StatsEnabled = readSysctlInt("/proc/sys/kernel/bpf_stats_enabled") == 1

	r.probeAll()

	c := r.Capabilities
	if !c.SysAdmin && !c.BPF {
		r.Problems = append(r.Problems, "neither CAP_BPF nor CAP_SYS_ADMIN: run as root (or grant cap_bpf,cap_perfmon,cap_net_admin)")
	}
	if !c.SysAdmin && !c.Perfmon {
		r.Problems = append(r.Problems, "no CAP_PERFMON: tracing programs and perf events are unavailable")
	}
	if !c.SysAdmin && !c.NetAdmin {
		r.Problems = append(r.Problems, "no CAP_NET_ADMIN: XDP, TC and cgroup attachments are unavailable")
	}
	if !r.BPFFS.Mounted {
		r.Problems = append(r.Problems, "no BPF file system at /sys/fs/bpf: pinning is unavailable (bpf.MountBPFFS or mount -t bpf bpf /sys/fs/bpf)")
	}
	if !r.Tracefs.Mounted {
		r.Problems = append(r.Problems, "no tracefs at /sys/kernel/tracing: tracepoint ids are unavailable (mount -t tracefs tracefs /sys/kernel/tracing)")
	}
	if !r.Kprobes {
		r.Problems = append(r.Problems, "no kprobes (CONFIG_KPROBES): kprobe programs load but cannot attach")
	}
	if !r.BTF.Available {
		r.Problems = append(r.Problems, "no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE and BTF-based tracing are unavailable")
	}
	if r.JIT.Enabled == 0 {
		r.Problems = append(r.Problems, "the BPF JIT is off (sysctl net.core.bpf_jit_enable=1): programs run interpreted")
	}
	return r, r.Err()
}

// parseKernelRelease returns the leading numbers of a release: "6.18.44-fc" → [6 18 44].
func parseKernelRelease(rel string) [3]int {
	var v [3]int
	for i, part := range strings.SplitN(rel, ".", 3) {
		end := 0
		for end < len(part) && part[end] >= '0' && part[end] <= '9' {
			end++
		}
		v[i], _ = strconv.Atoi(part[:end])
	}
	return v
}

func isFSType(path string, magic int64) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return int64(st.Type) == magic
}

// effectiveCapabilities reads CapEff from /proc/self/status.
func effectiveCapabilities() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no CapEff in /proc/self/status")
}

// readSysctlInt returns the integer in a /proc/sys file, or -1.
func readSysctlInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// MountBPFFS mounts a BPF file system at path (DefaultPinPath if empty), creating the
// directory, unless one is mounted there already. It needs CAP_SYS_ADMIN.
func MountBPFFS(path string) error {
	if path == "" {
		path = DefaultPinPath
	}
	if isFSType(path, unix.BPF_FS_MAGIC) {
		return nil
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("mount bpffs at %s: %w", path, err)
	}
	if err := unix.Mount("bpf", path, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount bpffs at %s: %w", path, err)
	}
	return nil
}

// bootTimeToWall converts nanoseconds since boot (CLOCK_BOOTTIME) to wall-clock time.
func bootTimeToWall(ns uint64) time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}
	}
	sinceBoot := time.Duration(ts.Nano())
	return time.Now().Add(-sinceBoot).Add(time.Duration(ns)).Round(time.Millisecond)
}
