package bpf

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// SystemReport describes what the running system offers BPF programs: kernel, mounts,
// privileges, BTF, JIT, sysctls, and which program and map types the kernel accepts. It is the
// port of clj-ebpf's check-bpf-available / init!; [Check] fills it in.
type SystemReport struct {
	// KernelRelease is uname's release, e.g. "6.18.44-fc-v669"; KernelVersion its numbers.
	KernelRelease string `json:"kernel_release"`
	KernelVersion [3]int `json:"kernel_version"`
	// Arch is uname's machine, e.g. "x86_64".
	Arch string `json:"arch"`
	// PossibleCPUs is the number of possible CPUs (the size of per-CPU map values), 0 if unknown.
	PossibleCPUs int `json:"possible_cpus"`
	// BPFFS is the BPF file system at /sys/fs/bpf.
	BPFFS MountStatus `json:"bpffs"`
	// Tracefs is tracefs at /sys/kernel/tracing, which tracepoints and kprobe events use.
	Tracefs MountStatus `json:"tracefs"`
	// Capabilities are the process's effective capabilities that matter for BPF.
	Capabilities Capabilities `json:"capabilities"`
	// BTF is the kernel's own BTF (/sys/kernel/btf/vmlinux), needed for CO-RE and tracing.
	BTF BTFStatus `json:"btf"`
	// JIT is the state of the BPF JIT (net.core.bpf_jit_*).
	JIT JITStatus `json:"jit"`
	// UnprivilegedBPFDisabled is kernel.unprivileged_bpf_disabled: 0 lets unprivileged users
	// load socket filters, 1 forbids it until reboot, 2 forbids it (changeable); -1 unknown.
	UnprivilegedBPFDisabled int `json:"unprivileged_bpf_disabled"`
	// Kprobes reports whether the kernel offers kprobes (CONFIG_KPROBES: a kprobe PMU or
	// kprobe_events); without them kprobe programs load but cannot attach.
	Kprobes bool `json:"kprobes"`
	// StatsEnabled is kernel.bpf_stats_enabled: programs' run time and count are collected.
	StatsEnabled bool `json:"stats_enabled"`
	// ProgramTypes and MapTypes are the probe answers, one per type this package knows.
	ProgramTypes []FeatureStatus `json:"program_types"`
	MapTypes     []FeatureStatus `json:"map_types"`
	// Problems lists what stands in the way of using bpfgo fully, in plain words.
	Problems []string `json:"problems"`
}

// MountStatus says whether a file system is mounted at Path.
type MountStatus struct {
	Path    string `json:"path"`
	Mounted bool   `json:"mounted"`
}

// Capabilities are the BPF-related bits of the effective capability set (CapEff in
// /proc/self/status).
type Capabilities struct {
	// Effective is the whole effective set as a bit mask.
	Effective uint64 `json:"effective"`
	// BPF is CAP_BPF (Linux 5.8): load programs, create maps.
	BPF bool `json:"cap_bpf"`
	// SysAdmin is CAP_SYS_ADMIN, which implies everything CAP_BPF and CAP_PERFMON allow.
	SysAdmin bool `json:"cap_sys_admin"`
	// Perfmon is CAP_PERFMON (Linux 5.8): tracing programs, pointer arithmetic, perf events.
	Perfmon bool `json:"cap_perfmon"`
	// NetAdmin is CAP_NET_ADMIN: XDP, TC and cgroup network attachments.
	NetAdmin bool `json:"cap_net_admin"`
}

// Capability bits (include/uapi/linux/capability.h).
const (
	capNetAdmin = 12
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// BTFStatus describes the kernel's BTF.
type BTFStatus struct {
	// Path is /sys/kernel/btf/vmlinux.
	Path string `json:"path"`
	// Available reports whether it exists; Size is its size in bytes.
	Available bool  `json:"available"`
	Size      int64 `json:"size"`
}

// JITStatus is the BPF JIT's configuration; -1 means unknown.
type JITStatus struct {
	// Enabled is net.core.bpf_jit_enable: 0 interpreter, 1 JIT, 2 JIT with debug output.
	Enabled int `json:"enable"`
	// Harden is net.core.bpf_jit_harden: 0 off, 1 unprivileged only, 2 everyone.
	Harden int `json:"harden"`
	// Kallsyms is net.core.bpf_jit_kallsyms: JITed programs appear in /proc/kallsyms.
	Kallsyms int `json:"kallsyms"`
	// Limit is net.core.bpf_jit_limit in bytes.
	Limit int64 `json:"limit"`
}

// FeatureStatus is one probe's answer.
type FeatureStatus struct {
	// Name is the kernel's name of the type ("xdp", "ringbuf").
	Name string `json:"name"`
	// Supported is true when the probe succeeded.
	Supported bool `json:"supported"`
	// Reason says why not, when not supported or unknown.
	Reason string `json:"reason,omitempty"`
}

// programSupported reports whether the named program type ("xdp") was found supported.
func (r *SystemReport) programSupported(name string) bool {
	for _, f := range r.ProgramTypes {
		if f.Name == name {
			return f.Supported
		}
	}
	return false
}

// Err returns an error if BPF programs cannot be used at all on this system (no privileges,
// no bpf(2)), or nil. The report's Problems say more.
func (r *SystemReport) Err() error {
	if !r.programSupported(SocketFilter.KernelName()) {
		return fmt.Errorf("%w: cannot load BPF programs: %s", ErrNotSupported, strings.Join(r.Problems, "; "))
	}
	return nil
}

// WriteText writes the report in human-readable form.
func (r *SystemReport) WriteText(w io.Writer) error {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kernel            %s (%d.%d.%d) %s, %d possible CPUs\n", r.KernelRelease,
		r.KernelVersion[0], r.KernelVersion[1], r.KernelVersion[2], r.Arch, r.PossibleCPUs)
	fmt.Fprintf(&b, "bpffs             %s mounted: %s\n", r.BPFFS.Path, yes(r.BPFFS.Mounted))
	fmt.Fprintf(&b, "tracefs           %s mounted: %s\n", r.Tracefs.Path, yes(r.Tracefs.Mounted))
	c := r.Capabilities
	fmt.Fprintf(&b, "capabilities      CAP_BPF %s, CAP_SYS_ADMIN %s, CAP_PERFMON %s, CAP_NET_ADMIN %s\n",
		yes(c.BPF), yes(c.SysAdmin), yes(c.Perfmon), yes(c.NetAdmin))
	fmt.Fprintf(&b, "kernel BTF        %s: %s", r.BTF.Path, yes(r.BTF.Available))
	if r.BTF.Available {
		fmt.Fprintf(&b, " (%d bytes)", r.BTF.Size)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "JIT               enable %d, harden %d, kallsyms %d, limit %d\n",
		r.JIT.Enabled, r.JIT.Harden, r.JIT.Kallsyms, r.JIT.Limit)
	fmt.Fprintf(&b, "unprivileged BPF  disabled %d\n", r.UnprivilegedBPFDisabled)
	fmt.Fprintf(&b, "kprobes           %s\n", yes(r.Kprobes))
	fmt.Fprintf(&b, "run-time stats    %s\n", yes(r.StatsEnabled))
	writeFeatures := func(title string, fs []FeatureStatus) {
		var ok, no []string
		for _, f := range fs {
			if f.Supported {
				ok = append(ok, f.Name)
			} else {
				no = append(no, f.Name+" ("+f.Reason+")")
			}
		}
		fmt.Fprintf(&b, "%-17s %d of %d supported:\n", title, len(ok), len(fs))
		line := " "
		for _, n := range ok {
			if len(line)+1+len(n) > 96 {
				fmt.Fprintf(&b, "%s\n", line)
				line = " "
			}
			line += " " + n
		}
		if line != " " {
			fmt.Fprintf(&b, "%s\n", line)
		}
		for _, n := range no {
			fmt.Fprintf(&b, "  not available:  %s\n", n)
		}
	}
	writeFeatures("program types", r.ProgramTypes)
	writeFeatures("map types", r.MapTypes)
	if len(r.Problems) == 0 {
		b.WriteString("problems          none\n")
	} else {
		b.WriteString("problems:\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// probeAll fills ProgramTypes and MapTypes.
func (r *SystemReport) probeAll() {
	reason := func(err error) string {
		var fe *FeatureError
		if errors.As(err, &fe) && fe.Err != nil {
			return fe.Err.Error()
		}
		return err.Error()
	}
	for t := ProgramType(1); t <= lastProgramType; t++ {
		st := FeatureStatus{Name: t.KernelName(), Supported: true}
		if err := HaveProgramType(t); err != nil {
			st.Supported, st.Reason = false, reason(err)
		}
		r.ProgramTypes = append(r.ProgramTypes, st)
	}
	for t := MapType(1); !strings.HasPrefix(t.String(), "MapType("); t++ {
		st := FeatureStatus{Name: t.KernelName(), Supported: true}
		if err := HaveMapType(t); err != nil {
			st.Supported, st.Reason = false, reason(err)
		}
		r.MapTypes = append(r.MapTypes, st)
	}
}
