package bpf

import (
	"strconv"
	"strings"
	"sync"

	"github.com/bpfgo/bpf/internal/sys"
)

// ProgramType is the type of a BPF program (enum bpf_prog_type): it decides the context the
// program receives, the helpers it may call and where it can be attached. The values are the
// running kernel's, generated into internal/sys from its BTF.
type ProgramType uint32

// Program types. Each names the kernel's BPF_PROG_TYPE_* value and the first kernel that has it.
const (
	UnspecifiedProgram    ProgramType = ProgramType(sys.BPF_PROG_TYPE_UNSPEC)                  // BPF_PROG_TYPE_UNSPEC: invalid
	SocketFilter          ProgramType = ProgramType(sys.BPF_PROG_TYPE_SOCKET_FILTER)           // BPF_PROG_TYPE_SOCKET_FILTER, Linux 3.19
	Kprobe                ProgramType = ProgramType(sys.BPF_PROG_TYPE_KPROBE)                  // BPF_PROG_TYPE_KPROBE (kprobes, uprobes), Linux 4.1
	SchedCLS              ProgramType = ProgramType(sys.BPF_PROG_TYPE_SCHED_CLS)               // BPF_PROG_TYPE_SCHED_CLS (TC classifier, TCX, netkit), Linux 4.1
	SchedACT              ProgramType = ProgramType(sys.BPF_PROG_TYPE_SCHED_ACT)               // BPF_PROG_TYPE_SCHED_ACT (TC action), Linux 4.1
	TracePoint            ProgramType = ProgramType(sys.BPF_PROG_TYPE_TRACEPOINT)              // BPF_PROG_TYPE_TRACEPOINT, Linux 4.7
	XDP                   ProgramType = ProgramType(sys.BPF_PROG_TYPE_XDP)                     // BPF_PROG_TYPE_XDP, Linux 4.8
	PerfEvent             ProgramType = ProgramType(sys.BPF_PROG_TYPE_PERF_EVENT)              // BPF_PROG_TYPE_PERF_EVENT, Linux 4.9
	CgroupSKB             ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_SKB)              // BPF_PROG_TYPE_CGROUP_SKB, Linux 4.10
	CgroupSock            ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_SOCK)             // BPF_PROG_TYPE_CGROUP_SOCK, Linux 4.10
	LWTIn                 ProgramType = ProgramType(sys.BPF_PROG_TYPE_LWT_IN)                  // BPF_PROG_TYPE_LWT_IN, Linux 4.10
	LWTOut                ProgramType = ProgramType(sys.BPF_PROG_TYPE_LWT_OUT)                 // BPF_PROG_TYPE_LWT_OUT, Linux 4.10
	LWTXmit               ProgramType = ProgramType(sys.BPF_PROG_TYPE_LWT_XMIT)                // BPF_PROG_TYPE_LWT_XMIT, Linux 4.10
	SockOps               ProgramType = ProgramType(sys.BPF_PROG_TYPE_SOCK_OPS)                // BPF_PROG_TYPE_SOCK_OPS, Linux 4.13
	SkSKB                 ProgramType = ProgramType(sys.BPF_PROG_TYPE_SK_SKB)                  // BPF_PROG_TYPE_SK_SKB, Linux 4.14
	CgroupDevice          ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_DEVICE)           // BPF_PROG_TYPE_CGROUP_DEVICE, Linux 4.15
	SkMsg                 ProgramType = ProgramType(sys.BPF_PROG_TYPE_SK_MSG)                  // BPF_PROG_TYPE_SK_MSG, Linux 4.17
	RawTracepoint         ProgramType = ProgramType(sys.BPF_PROG_TYPE_RAW_TRACEPOINT)          // BPF_PROG_TYPE_RAW_TRACEPOINT, Linux 4.17
	CgroupSockAddr        ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_SOCK_ADDR)        // BPF_PROG_TYPE_CGROUP_SOCK_ADDR, Linux 4.17; needs an expected attach type
	LWTSeg6Local          ProgramType = ProgramType(sys.BPF_PROG_TYPE_LWT_SEG6LOCAL)           // BPF_PROG_TYPE_LWT_SEG6LOCAL, Linux 4.18
	LircMode2             ProgramType = ProgramType(sys.BPF_PROG_TYPE_LIRC_MODE2)              // BPF_PROG_TYPE_LIRC_MODE2, Linux 4.18
	SkReuseport           ProgramType = ProgramType(sys.BPF_PROG_TYPE_SK_REUSEPORT)            // BPF_PROG_TYPE_SK_REUSEPORT, Linux 4.19
	FlowDissector         ProgramType = ProgramType(sys.BPF_PROG_TYPE_FLOW_DISSECTOR)          // BPF_PROG_TYPE_FLOW_DISSECTOR, Linux 4.20
	CgroupSysctl          ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_SYSCTL)           // BPF_PROG_TYPE_CGROUP_SYSCTL, Linux 5.2
	RawTracepointWritable ProgramType = ProgramType(sys.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE) // BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, Linux 5.2
	CgroupSockopt         ProgramType = ProgramType(sys.BPF_PROG_TYPE_CGROUP_SOCKOPT)          // BPF_PROG_TYPE_CGROUP_SOCKOPT, Linux 5.3; needs an expected attach type
	Tracing               ProgramType = ProgramType(sys.BPF_PROG_TYPE_TRACING)                 // BPF_PROG_TYPE_TRACING (fentry, fexit, tp_btf, iterators), Linux 5.5; needs an attach BTF id
	StructOps             ProgramType = ProgramType(sys.BPF_PROG_TYPE_STRUCT_OPS)              // BPF_PROG_TYPE_STRUCT_OPS, Linux 5.6; needs an attach BTF id
	Extension             ProgramType = ProgramType(sys.BPF_PROG_TYPE_EXT)                     // BPF_PROG_TYPE_EXT (freplace), Linux 5.6; needs a target program
	LSM                   ProgramType = ProgramType(sys.BPF_PROG_TYPE_LSM)                     // BPF_PROG_TYPE_LSM, Linux 5.7; needs an attach BTF id
	SkLookup              ProgramType = ProgramType(sys.BPF_PROG_TYPE_SK_LOOKUP)               // BPF_PROG_TYPE_SK_LOOKUP, Linux 5.9; needs expected attach type AttachSkLookup
	Syscall               ProgramType = ProgramType(sys.BPF_PROG_TYPE_SYSCALL)                 // BPF_PROG_TYPE_SYSCALL, Linux 5.14; sleepable
	Netfilter             ProgramType = ProgramType(sys.BPF_PROG_TYPE_NETFILTER)               // BPF_PROG_TYPE_NETFILTER, Linux 6.4; needs expected attach type AttachNetfilter
)

// AttachType is the kernel's enum bpf_attach_type: where a program attaches, and for some
// program types (cgroup sock_addr, sockopt, tracing, sk_lookup, ...) the "expected attach type"
// the verifier checks at load time. The values are the running kernel's.
//
// The names carry an Attach prefix so they cannot collide with program types of the same name
// (AttachXDP, AttachFlowDissector, ...). AttachNone is 0, the same value as
// AttachCgroupInetIngress, because that is how the kernel spells "no expected attach type".
type AttachType uint32

// Attach types (enum bpf_attach_type). Each names the kernel's BPF_* value.
const (
	AttachNone                       AttachType = 0
	AttachCgroupInetIngress          AttachType = AttachType(sys.BPF_CGROUP_INET_INGRESS)            // BPF_CGROUP_INET_INGRESS
	AttachCgroupInetEgress           AttachType = AttachType(sys.BPF_CGROUP_INET_EGRESS)             // BPF_CGROUP_INET_EGRESS
	AttachCgroupInetSockCreate       AttachType = AttachType(sys.BPF_CGROUP_INET_SOCK_CREATE)        // BPF_CGROUP_INET_SOCK_CREATE
	AttachCgroupSockOps              AttachType = AttachType(sys.BPF_CGROUP_SOCK_OPS)                // BPF_CGROUP_SOCK_OPS
	AttachSkSKBStreamParser          AttachType = AttachType(sys.BPF_SK_SKB_STREAM_PARSER)           // BPF_SK_SKB_STREAM_PARSER
	AttachSkSKBStreamVerdict         AttachType = AttachType(sys.BPF_SK_SKB_STREAM_VERDICT)          // BPF_SK_SKB_STREAM_VERDICT
	AttachCgroupDevice               AttachType = AttachType(sys.BPF_CGROUP_DEVICE)                  // BPF_CGROUP_DEVICE
	AttachSkMsgVerdict               AttachType = AttachType(sys.BPF_SK_MSG_VERDICT)                 // BPF_SK_MSG_VERDICT
	AttachCgroupInet4Bind            AttachType = AttachType(sys.BPF_CGROUP_INET4_BIND)              // BPF_CGROUP_INET4_BIND
	AttachCgroupInet6Bind            AttachType = AttachType(sys.BPF_CGROUP_INET6_BIND)              // BPF_CGROUP_INET6_BIND
	AttachCgroupInet4Connect         AttachType = AttachType(sys.BPF_CGROUP_INET4_CONNECT)           // BPF_CGROUP_INET4_CONNECT
	AttachCgroupInet6Connect         AttachType = AttachType(sys.BPF_CGROUP_INET6_CONNECT)           // BPF_CGROUP_INET6_CONNECT
	AttachCgroupInet4PostBind        AttachType = AttachType(sys.BPF_CGROUP_INET4_POST_BIND)         // BPF_CGROUP_INET4_POST_BIND
	AttachCgroupInet6PostBind        AttachType = AttachType(sys.BPF_CGROUP_INET6_POST_BIND)         // BPF_CGROUP_INET6_POST_BIND
	AttachCgroupUDP4Sendmsg          AttachType = AttachType(sys.BPF_CGROUP_UDP4_SENDMSG)            // BPF_CGROUP_UDP4_SENDMSG
	AttachCgroupUDP6Sendmsg          AttachType = AttachType(sys.BPF_CGROUP_UDP6_SENDMSG)            // BPF_CGROUP_UDP6_SENDMSG
	AttachLircMode2                  AttachType = AttachType(sys.BPF_LIRC_MODE2)                     // BPF_LIRC_MODE2
	AttachFlowDissector              AttachType = AttachType(sys.BPF_FLOW_DISSECTOR)                 // BPF_FLOW_DISSECTOR
	AttachCgroupSysctl               AttachType = AttachType(sys.BPF_CGROUP_SYSCTL)                  // BPF_CGROUP_SYSCTL
	AttachCgroupUDP4Recvmsg          AttachType = AttachType(sys.BPF_CGROUP_UDP4_RECVMSG)            // BPF_CGROUP_UDP4_RECVMSG
	AttachCgroupUDP6Recvmsg          AttachType = AttachType(sys.BPF_CGROUP_UDP6_RECVMSG)            // BPF_CGROUP_UDP6_RECVMSG
	AttachCgroupGetsockopt           AttachType = AttachType(sys.BPF_CGROUP_GETSOCKOPT)              // BPF_CGROUP_GETSOCKOPT
	AttachCgroupSetsockopt           AttachType = AttachType(sys.BPF_CGROUP_SETSOCKOPT)              // BPF_CGROUP_SETSOCKOPT
	AttachTraceRawTp                 AttachType = AttachType(sys.BPF_TRACE_RAW_TP)                   // BPF_TRACE_RAW_TP (tp_btf)
	AttachTraceFEntry                AttachType = AttachType(sys.BPF_TRACE_FENTRY)                   // BPF_TRACE_FENTRY
	AttachTraceFExit                 AttachType = AttachType(sys.BPF_TRACE_FEXIT)                    // BPF_TRACE_FEXIT
	AttachModifyReturn               AttachType = AttachType(sys.BPF_MODIFY_RETURN)                  // BPF_MODIFY_RETURN (fmod_ret)
	AttachLSMMac                     AttachType = AttachType(sys.BPF_LSM_MAC)                        // BPF_LSM_MAC
	AttachTraceIter                  AttachType = AttachType(sys.BPF_TRACE_ITER)                     // BPF_TRACE_ITER
	AttachCgroupInet4GetPeername     AttachType = AttachType(sys.BPF_CGROUP_INET4_GETPEERNAME)       // BPF_CGROUP_INET4_GETPEERNAME
	AttachCgroupInet6GetPeername     AttachType = AttachType(sys.BPF_CGROUP_INET6_GETPEERNAME)       // BPF_CGROUP_INET6_GETPEERNAME
	AttachCgroupInet4GetSockname     AttachType = AttachType(sys.BPF_CGROUP_INET4_GETSOCKNAME)       // BPF_CGROUP_INET4_GETSOCKNAME
	AttachCgroupInet6GetSockname     AttachType = AttachType(sys.BPF_CGROUP_INET6_GETSOCKNAME)       // BPF_CGROUP_INET6_GETSOCKNAME
	AttachXDPDevMap                  AttachType = AttachType(sys.BPF_XDP_DEVMAP)                     // BPF_XDP_DEVMAP
	AttachCgroupInetSockRelease      AttachType = AttachType(sys.BPF_CGROUP_INET_SOCK_RELEASE)       // BPF_CGROUP_INET_SOCK_RELEASE
	AttachXDPCPUMap                  AttachType = AttachType(sys.BPF_XDP_CPUMAP)                     // BPF_XDP_CPUMAP
	AttachSkLookup                   AttachType = AttachType(sys.BPF_SK_LOOKUP)                      // BPF_SK_LOOKUP
	AttachXDP                        AttachType = AttachType(sys.BPF_XDP)                            // BPF_XDP (XDP links)
	AttachSkSKBVerdict               AttachType = AttachType(sys.BPF_SK_SKB_VERDICT)                 // BPF_SK_SKB_VERDICT
	AttachSkReuseportSelect          AttachType = AttachType(sys.BPF_SK_REUSEPORT_SELECT)            // BPF_SK_REUSEPORT_SELECT
	AttachSkReuseportSelectOrMigrate AttachType = AttachType(sys.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE) // BPF_SK_REUSEPORT_SELECT_OR_MIGRATE
	AttachPerfEvent                  AttachType = AttachType(sys.BPF_PERF_EVENT)                     // BPF_PERF_EVENT
	AttachTraceKprobeMulti           AttachType = AttachType(sys.BPF_TRACE_KPROBE_MULTI)             // BPF_TRACE_KPROBE_MULTI
	AttachLSMCgroup                  AttachType = AttachType(sys.BPF_LSM_CGROUP)                     // BPF_LSM_CGROUP
	AttachStructOps                  AttachType = AttachType(sys.BPF_STRUCT_OPS)                     // BPF_STRUCT_OPS
	AttachNetfilter                  AttachType = AttachType(sys.BPF_NETFILTER)                      // BPF_NETFILTER
	AttachTCXIngress                 AttachType = AttachType(sys.BPF_TCX_INGRESS)                    // BPF_TCX_INGRESS
	AttachTCXEgress                  AttachType = AttachType(sys.BPF_TCX_EGRESS)                     // BPF_TCX_EGRESS
	AttachTraceUprobeMulti           AttachType = AttachType(sys.BPF_TRACE_UPROBE_MULTI)             // BPF_TRACE_UPROBE_MULTI
	AttachCgroupUnixConnect          AttachType = AttachType(sys.BPF_CGROUP_UNIX_CONNECT)            // BPF_CGROUP_UNIX_CONNECT
	AttachCgroupUnixSendmsg          AttachType = AttachType(sys.BPF_CGROUP_UNIX_SENDMSG)            // BPF_CGROUP_UNIX_SENDMSG
	AttachCgroupUnixRecvmsg          AttachType = AttachType(sys.BPF_CGROUP_UNIX_RECVMSG)            // BPF_CGROUP_UNIX_RECVMSG
	AttachCgroupUnixGetPeername      AttachType = AttachType(sys.BPF_CGROUP_UNIX_GETPEERNAME)        // BPF_CGROUP_UNIX_GETPEERNAME
	AttachCgroupUnixGetSockname      AttachType = AttachType(sys.BPF_CGROUP_UNIX_GETSOCKNAME)        // BPF_CGROUP_UNIX_GETSOCKNAME
	AttachNetkitPrimary              AttachType = AttachType(sys.BPF_NETKIT_PRIMARY)                 // BPF_NETKIT_PRIMARY
	AttachNetkitPeer                 AttachType = AttachType(sys.BPF_NETKIT_PEER)                    // BPF_NETKIT_PEER
	AttachTraceKprobeSession         AttachType = AttachType(sys.BPF_TRACE_KPROBE_SESSION)           // BPF_TRACE_KPROBE_SESSION
	AttachTraceUprobeSession         AttachType = AttachType(sys.BPF_TRACE_UPROBE_SESSION)           // BPF_TRACE_UPROBE_SESSION
)

const (
	lastProgramType = Netfilter
	lastAttachType  = AttachTraceUprobeSession
)

// programTypeNames are the Go names of the program types, for String.
var programTypeNames = [...]string{
	UnspecifiedProgram:    "UnspecifiedProgram",
	SocketFilter:          "SocketFilter",
	Kprobe:                "Kprobe",
	SchedCLS:              "SchedCLS",
	SchedACT:              "SchedACT",
	TracePoint:            "TracePoint",
	XDP:                   "XDP",
	PerfEvent:             "PerfEvent",
	CgroupSKB:             "CgroupSKB",
	CgroupSock:            "CgroupSock",
	LWTIn:                 "LWTIn",
	LWTOut:                "LWTOut",
	LWTXmit:               "LWTXmit",
	SockOps:               "SockOps",
	SkSKB:                 "SkSKB",
	CgroupDevice:          "CgroupDevice",
	SkMsg:                 "SkMsg",
	RawTracepoint:         "RawTracepoint",
	CgroupSockAddr:        "CgroupSockAddr",
	LWTSeg6Local:          "LWTSeg6Local",
	LircMode2:             "LircMode2",
	SkReuseport:           "SkReuseport",
	FlowDissector:         "FlowDissector",
	CgroupSysctl:          "CgroupSysctl",
	RawTracepointWritable: "RawTracepointWritable",
	CgroupSockopt:         "CgroupSockopt",
	Tracing:               "Tracing",
	StructOps:             "StructOps",
	Extension:             "Extension",
	LSM:                   "LSM",
	SkLookup:              "SkLookup",
	Syscall:               "Syscall",
	Netfilter:             "Netfilter",
}

// attachTypeNames are the Go names of the attach types, for String. AttachNone shares its
// value with AttachCgroupInetIngress, which names it.
var attachTypeNames = [...]string{
	AttachCgroupInetIngress:          "AttachCgroupInetIngress",
	AttachCgroupInetEgress:           "AttachCgroupInetEgress",
	AttachCgroupInetSockCreate:       "AttachCgroupInetSockCreate",
	AttachCgroupSockOps:              "AttachCgroupSockOps",
	AttachSkSKBStreamParser:          "AttachSkSKBStreamParser",
	AttachSkSKBStreamVerdict:         "AttachSkSKBStreamVerdict",
	AttachCgroupDevice:               "AttachCgroupDevice",
	AttachSkMsgVerdict:               "AttachSkMsgVerdict",
	AttachCgroupInet4Bind:            "AttachCgroupInet4Bind",
	AttachCgroupInet6Bind:            "AttachCgroupInet6Bind",
	AttachCgroupInet4Connect:         "AttachCgroupInet4Connect",
	AttachCgroupInet6Connect:         "AttachCgroupInet6Connect",
	AttachCgroupInet4PostBind:        "AttachCgroupInet4PostBind",
	AttachCgroupInet6PostBind:        "AttachCgroupInet6PostBind",
	AttachCgroupUDP4Sendmsg:          "AttachCgroupUDP4Sendmsg",
	AttachCgroupUDP6Sendmsg:          "AttachCgroupUDP6Sendmsg",
	AttachLircMode2:                  "AttachLircMode2",
	AttachFlowDissector:              "AttachFlowDissector",
	AttachCgroupSysctl:               "AttachCgroupSysctl",
	AttachCgroupUDP4Recvmsg:          "AttachCgroupUDP4Recvmsg",
	AttachCgroupUDP6Recvmsg:          "AttachCgroupUDP6Recvmsg",
	AttachCgroupGetsockopt:           "AttachCgroupGetsockopt",
	AttachCgroupSetsockopt:           "AttachCgroupSetsockopt",
	AttachTraceRawTp:                 "AttachTraceRawTp",
	AttachTraceFEntry:                "AttachTraceFEntry",
	AttachTraceFExit:                 "AttachTraceFExit",
	AttachModifyReturn:               "AttachModifyReturn",
	AttachLSMMac:                     "AttachLSMMac",
	AttachTraceIter:                  "AttachTraceIter",
	AttachCgroupInet4GetPeername:     "AttachCgroupInet4GetPeername",
	AttachCgroupInet6GetPeername:     "AttachCgroupInet6GetPeername",
	AttachCgroupInet4GetSockname:     "AttachCgroupInet4GetSockname",
	AttachCgroupInet6GetSockname:     "AttachCgroupInet6GetSockname",
	AttachXDPDevMap:                  "AttachXDPDevMap",
	AttachCgroupInetSockRelease:      "AttachCgroupInetSockRelease",
	AttachXDPCPUMap:                  "AttachXDPCPUMap",
	AttachSkLookup:                   "AttachSkLookup",
	AttachXDP:                        "AttachXDP",
	AttachSkSKBVerdict:               "AttachSkSKBVerdict",
	AttachSkReuseportSelect:          "AttachSkReuseportSelect",
	AttachSkReuseportSelectOrMigrate: "AttachSkReuseportSelectOrMigrate",
	AttachPerfEvent:                  "AttachPerfEvent",
	AttachTraceKprobeMulti:           "AttachTraceKprobeMulti",
	AttachLSMCgroup:                  "AttachLSMCgroup",
	AttachStructOps:                  "AttachStructOps",
	AttachNetfilter:                  "AttachNetfilter",
	AttachTCXIngress:                 "AttachTCXIngress",
	AttachTCXEgress:                  "AttachTCXEgress",
	AttachTraceUprobeMulti:           "AttachTraceUprobeMulti",
	AttachCgroupUnixConnect:          "AttachCgroupUnixConnect",
	AttachCgroupUnixSendmsg:          "AttachCgroupUnixSendmsg",
	AttachCgroupUnixRecvmsg:          "AttachCgroupUnixRecvmsg",
	AttachCgroupUnixGetPeername:      "AttachCgroupUnixGetPeername",
	AttachCgroupUnixGetSockname:      "AttachCgroupUnixGetSockname",
	AttachNetkitPrimary:              "AttachNetkitPrimary",
	AttachNetkitPeer:                 "AttachNetkitPeer",
	AttachTraceKprobeSession:         "AttachTraceKprobeSession",
	AttachTraceUprobeSession:         "AttachTraceUprobeSession",
}

// kernelNames lowercases the kernel's enum names without their prefix, which is how bpftool and
// libbpf spell them: BPF_PROG_TYPE_SCHED_CLS → "sched_cls", BPF_TCX_INGRESS → "tcx_ingress".
var kernelNames = sync.OnceValues(func() (progs, attaches []string) {
	for t := ProgramType(0); t <= lastProgramType; t++ {
		progs = append(progs, strings.ToLower(strings.TrimPrefix(sys.ProgType(t).String(), "BPF_PROG_TYPE_")))
	}
	for t := AttachType(0); t <= lastAttachType; t++ {
		attaches = append(attaches, strings.ToLower(strings.TrimPrefix(sys.AttachType(t).String(), "BPF_")))
	}
	return progs, attaches
})

// String returns the Go name of the program type ("SchedCLS"), or "ProgramType(N)" for a value
// this package does not know. [ProgramType.KernelName] gives bpftool's spelling.
func (t ProgramType) String() string {
	if int(t) < len(programTypeNames) && programTypeNames[t] != "" {
		return programTypeNames[t]
	}
	return "ProgramType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// KernelName returns the kernel's and bpftool's name of the program type ("sched_cls",
// "cgroup_sock_addr"), or the decimal value for an unknown type.
func (t ProgramType) KernelName() string {
	progs, _ := kernelNames()
	if int(t) < len(progs) {
		return progs[t]
	}
	return strconv.FormatUint(uint64(t), 10)
}

// String returns the Go name of the attach type ("AttachTCXIngress"), or "AttachType(N)".
func (t AttachType) String() string {
	if int(t) < len(attachTypeNames) && attachTypeNames[t] != "" {
		return attachTypeNames[t]
	}
	return "AttachType(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// KernelName returns the kernel's and bpftool's name of the attach type ("tcx_ingress",
// "cgroup_inet4_connect"), or the decimal value for an unknown type.
func (t AttachType) KernelName() string {
	_, attaches := kernelNames()
	if int(t) < len(attaches) {
		return attaches[t]
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseProgramType returns the program type named by s, in either spelling that
// [ProgramType.String] or [ProgramType.KernelName] produce.
func ParseProgramType(s string) (ProgramType, bool) {
	progs, _ := kernelNames()
	for i, n := range progs {
		if n == s || (i < len(programTypeNames) && programTypeNames[i] == s && s != "") {
			return ProgramType(i), true
		}
	}
	return 0, false
}

// ParseAttachType returns the attach type named by s, in either spelling that
// [AttachType.String] or [AttachType.KernelName] produce.
func ParseAttachType(s string) (AttachType, bool) {
	_, attaches := kernelNames()
	for i, n := range attaches {
		if n == s || (i < len(attachTypeNames) && attachTypeNames[i] == s && s != "") {
			return AttachType(i), true
		}
	}
	return 0, false
}
