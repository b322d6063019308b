package elfobj

import (
	"strings"

	bpf "github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/sys"
)

// secDef is one SEC() convention: a section called name, or name followed by
// "/" and an attach target.
type secDef struct {
	name   string
	typ    bpf.ProgramType
	attach bpf.AttachType
	flags  uint32
	// target means the rest after "name/" is the attach target (AttachTo).
	target bool
}

// secDefs follows libbpf's section names (libbpf.c section_defs). Longer
// names come before their prefixes where both would match.
var secDefs = []secDef{
	{name: "socket", typ: bpf.SocketFilter},
	{name: "sk_reuseport/migrate", typ: bpf.SkReuseport, attach: bpf.AttachSkReuseportSelectOrMigrate},
	{name: "sk_reuseport", typ: bpf.SkReuseport, attach: bpf.AttachSkReuseportSelect},
	{name: "kprobe.multi", typ: bpf.Kprobe, attach: bpf.AttachTraceKprobeMulti, target: true},
	{name: "kretprobe.multi", typ: bpf.Kprobe, attach: bpf.AttachTraceKprobeMulti, target: true},
	{name: "kprobe.session", typ: bpf.Kprobe, attach: bpf.AttachTraceKprobeSession, target: true},
	{name: "uprobe.multi.s", typ: bpf.Kprobe, attach: bpf.AttachTraceUprobeMulti, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "uretprobe.multi.s", typ: bpf.Kprobe, attach: bpf.AttachTraceUprobeMulti, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "uprobe.multi", typ: bpf.Kprobe, attach: bpf.AttachTraceUprobeMulti, target: true},
	{name: "uretprobe.multi", typ: bpf.Kprobe, attach: bpf.AttachTraceUprobeMulti, target: true},
	{name: "uprobe.session", typ: bpf.Kprobe, attach: bpf.AttachTraceUprobeSession, target: true},
	{name: "kprobe", typ: bpf.Kprobe, target: true},
	{name: "kretprobe", typ: bpf.Kprobe, target: true},
	{name: "uprobe.s", typ: bpf.Kprobe, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "uretprobe.s", typ: bpf.Kprobe, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "uprobe", typ: bpf.Kprobe, target: true},
	{name: "uretprobe", typ: bpf.Kprobe, target: true},
	{name: "ksyscall", typ: bpf.Kprobe, target: true},
	{name: "kretsyscall", typ: bpf.Kprobe, target: true},
	{name: "usdt", typ: bpf.Kprobe, target: true},
	{name: "tc/ingress", typ: bpf.SchedCLS, attach: bpf.AttachTCXIngress},
	{name: "tc/egress", typ: bpf.SchedCLS, attach: bpf.AttachTCXEgress},
	{name: "tcx/ingress", typ: bpf.SchedCLS, attach: bpf.AttachTCXIngress},
	{name: "tcx/egress", typ: bpf.SchedCLS, attach: bpf.AttachTCXEgress},
	{name: "netkit/primary", typ: bpf.SchedCLS, attach: bpf.AttachNetkitPrimary},
	{name: "netkit/peer", typ: bpf.SchedCLS, attach: bpf.AttachNetkitPeer},
	{name: "tc", typ: bpf.SchedCLS},
	{name: "classifier", typ: bpf.SchedCLS},
	{name: "action", typ: bpf.SchedACT},
	{name: "tracepoint", typ: bpf.TracePoint, target: true},
	{name: "tp", typ: bpf.TracePoint, target: true},
	{name: "raw_tracepoint.w", typ: bpf.RawTracepointWritable, target: true},
	{name: "raw_tp.w", typ: bpf.RawTracepointWritable, target: true},
	{name: "raw_tracepoint", typ: bpf.RawTracepoint, target: true},
	{name: "raw_tp", typ: bpf.RawTracepoint, target: true},
	{name: "tp_btf", typ: bpf.Tracing, attach: bpf.AttachTraceRawTp, target: true},
	{name: "fentry.s", typ: bpf.Tracing, attach: bpf.AttachTraceFEntry, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "fexit.s", typ: bpf.Tracing, attach: bpf.AttachTraceFExit, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "fmod_ret.s", typ: bpf.Tracing, attach: bpf.AttachModifyReturn, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "fentry", typ: bpf.Tracing, attach: bpf.AttachTraceFEntry, target: true},
	{name: "fexit", typ: bpf.Tracing, attach: bpf.AttachTraceFExit, target: true},
	{name: "fmod_ret", typ: bpf.Tracing, attach: bpf.AttachModifyReturn, target: true},
	{name: "freplace", typ: bpf.Extension, target: true},
	{name: "lsm.s", typ: bpf.LSM, attach: bpf.AttachLSMMac, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "lsm_cgroup", typ: bpf.LSM, attach: bpf.AttachLSMCgroup, target: true},
	{name: "lsm", typ: bpf.LSM, attach: bpf.AttachLSMMac, target: true},
	{name: "iter.s", typ: bpf.Tracing, attach: bpf.AttachTraceIter, flags: sys.BPF_F_SLEEPABLE, target: true},
	{name: "iter", typ: bpf.Tracing, attach: bpf.AttachTraceIter, target: true},
	{name: "syscall", typ: bpf.Syscall, flags: sys.BPF_F_SLEEPABLE},
	{name: "xdp.frags/devmap", typ: bpf.XDP, attach: bpf.AttachXDPDevMap, flags: sys.BPF_F_XDP_HAS_FRAGS},
	{name: "xdp/devmap", typ: bpf.XDP, attach: bpf.AttachXDPDevMap},
	{name: "xdp.frags/cpumap", typ: bpf.XDP, attach: bpf.AttachXDPCPUMap, flags: sys.BPF_F_XDP_HAS_FRAGS},
	{name: "xdp/cpumap", typ: bpf.XDP, attach: bpf.AttachXDPCPUMap},
	{name: "xdp.frags", typ: bpf.XDP, attach: bpf.AttachXDP, flags: sys.BPF_F_XDP_HAS_FRAGS},
	{name: "xdp", typ: bpf.XDP, attach: bpf.AttachXDP},
	{name: "perf_event", typ: bpf.PerfEvent},
	{name: "lwt_in", typ: bpf.LWTIn},
	{name: "lwt_out", typ: bpf.LWTOut},
	{name: "lwt_xmit", typ: bpf.LWTXmit},
	{name: "lwt_seg6local", typ: bpf.LWTSeg6Local},
	{name: "sockops", typ: bpf.SockOps, attach: bpf.AttachCgroupSockOps},
	{name: "sk_skb/stream_parser", typ: bpf.SkSKB, attach: bpf.AttachSkSKBStreamParser},
	{name: "sk_skb/stream_verdict", typ: bpf.SkSKB, attach: bpf.AttachSkSKBStreamVerdict},
	{name: "sk_skb/verdict", typ: bpf.SkSKB, attach: bpf.AttachSkSKBVerdict},
	{name: "sk_skb", typ: bpf.SkSKB},
	{name: "sk_msg", typ: bpf.SkMsg, attach: bpf.AttachSkMsgVerdict},
	{name: "lirc_mode2", typ: bpf.LircMode2, attach: bpf.AttachLircMode2},
	{name: "flow_dissector", typ: bpf.FlowDissector, attach: bpf.AttachFlowDissector},
	{name: "cgroup_skb/ingress", typ: bpf.CgroupSKB, attach: bpf.AttachCgroupInetIngress},
	{name: "cgroup_skb/egress", typ: bpf.CgroupSKB, attach: bpf.AttachCgroupInetEgress},
	{name: "cgroup/skb", typ: bpf.CgroupSKB},
	{name: "cgroup/sock_create", typ: bpf.CgroupSock, attach: bpf.AttachCgroupInetSockCreate},
	{name: "cgroup/sock_release", typ: bpf.CgroupSock, attach: bpf.AttachCgroupInetSockRelease},
	{name: "cgroup/sock", typ: bpf.CgroupSock, attach: bpf.AttachCgroupInetSockCreate},
	{name: "cgroup/post_bind4", typ: bpf.CgroupSock, attach: bpf.AttachCgroupInet4PostBind},
	{name: "cgroup/post_bind6", typ: bpf.CgroupSock, attach: bpf.AttachCgroupInet6PostBind},
	{name: "cgroup/bind4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet4Bind},
	{name: "cgroup/bind6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet6Bind},
	{name: "cgroup/connect4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet4Connect},
	{name: "cgroup/connect6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet6Connect},
	{name: "cgroup/connect_unix", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUnixConnect},
	{name: "cgroup/sendmsg4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUDP4Sendmsg},
	{name: "cgroup/sendmsg6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUDP6Sendmsg},
	{name: "cgroup/sendmsg_unix", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUnixSendmsg},
	{name: "cgroup/recvmsg4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUDP4Recvmsg},
	{name: "cgroup/recvmsg6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUDP6Recvmsg},
	{name: "cgroup/recvmsg_unix", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUnixRecvmsg},
	{name: "cgroup/getpeername4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet4GetPeername},
	{name: "cgroup/getpeername6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet6GetPeername},
	{name: "cgroup/getpeername_unix", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUnixGetPeername},
	{name: "cgroup/getsockname4", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet4GetSockname},
	{name: "cgroup/getsockname6", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupInet6GetSockname},
	{name: "cgroup/getsockname_unix", typ: bpf.CgroupSockAddr, attach: bpf.AttachCgroupUnixGetSockname},
	{name: "cgroup/sysctl", typ: bpf.CgroupSysctl, attach: bpf.AttachCgroupSysctl},
	{name: "cgroup/getsockopt", typ: bpf.CgroupSockopt, attach: bpf.AttachCgroupGetsockopt},
	{name: "cgroup/setsockopt", typ: bpf.CgroupSockopt, attach: bpf.AttachCgroupSetsockopt},
	{name: "cgroup/dev", typ: bpf.CgroupDevice, attach: bpf.AttachCgroupDevice},
	{name: "struct_ops.s", typ: bpf.StructOps, flags: sys.BPF_F_SLEEPABLE},
	{name: "struct_ops", typ: bpf.StructOps},
	{name: "sk_lookup", typ: bpf.SkLookup, attach: bpf.AttachSkLookup},
	{name: "netfilter", typ: bpf.Netfilter, attach: bpf.AttachNetfilter},
}

// ProgramKind is what a section name says about the programs in it, following
// libbpf's SEC() conventions.
type ProgramKind struct {
	Type       bpf.ProgramType
	AttachType bpf.AttachType
	// AttachTo is the part of the section name after the convention's
	// prefix and "/", e.g. "sys_enter" for "raw_tp/sys_enter".
	AttachTo string
	// Flags are load flags the name implies: BPF_F_SLEEPABLE for ".s"
	// variants and syscall programs, BPF_F_XDP_HAS_FRAGS for "xdp.frags".
	Flags uint32
}

// ClassifySection returns the program kind a section name stands for, and
// false for names that follow no known convention.
func ClassifySection(name string) (ProgramKind, bool) {
	for _, d := range secDefs {
		rest, ok := strings.CutPrefix(name, d.name)
		if !ok || (rest != "" && rest[0] != '/') {
			continue
		}
		k := ProgramKind{Type: d.typ, AttachType: d.attach, Flags: d.flags}
		if d.target && rest != "" {
			k.AttachTo = rest[1:]
		}
		return k, true
	}
	return ProgramKind{}, false
}
