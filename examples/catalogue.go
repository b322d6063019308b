package examples

import (
	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit/ratelimit"
	"github.com/bpfgo/bpf/internal/sys"
)

// Attach hints shared by several examples.
const (
	hintXDP      = "XDP on a network interface: link.AttachXDP (bpf_link), or test it with Program.Run"
	hintTC       = "TC ingress or egress in direct-action mode: link.AttachTCX (Linux 6.6) or clsact + cls_bpf"
	hintKprobe   = "kprobe on a kernel function: link.Kprobe(\"__x64_sys_getpid\", prog, nil) (needs CONFIG_KPROBES)"
	hintTestRun  = "none: a syscall program, run with Program.Run and the context struct (BPF_PROG_TEST_RUN)"
	hintRawTP    = "raw tracepoint: link.AttachRawTracepoint(\"sched_switch\", prog), or Program.Run"
	noteSyscall  = "clj-ebpf's demo computes constants and discards them; here it is a syscall program (Linux 5.14, sleepable) whose context carries the operands in and the results out, so BPF_PROG_TEST_RUN shows them."
	noteKprobeTP = "This kernel may lack kprobes (CONFIG_KPROBES): the same body loads as a raw tracepoint (RawTracepoint type) and runs with BPF_PROG_TEST_RUN."
)

var catalogue = []*Example{
	// Basic XDP.
	{
		Name: "xdp-pass-all", Category: CategoryBasicXDP, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass every frame (XDP_PASS): the simplest XDP program",
		build:       constant(asm.XDPPass),
	},
	{
		Name: "xdp-drop-all", Category: CategoryBasicXDP, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "drop every frame at the driver (XDP_DROP)",
		build:       constant(asm.XDPDrop),
	},
	{
		Name: "xdp-packet-size-filter", Category: CategoryBasicXDP, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass frames of more than 60 bytes, drop the others",
		Notes: "clj-ebpf computes data_end - data, a pointer subtraction the verifier allows only with " +
			"CAP_PERFMON; this port checks data + 61 <= data_end instead, which any loader may use.",
		build: buildPacketSizeFilter,
	},
	{
		Name: "xdp-aborted-on-error", Category: CategoryBasicXDP, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "return XDP_ABORTED (traced by xdp:xdp_exception) for IPv4 frames with a truncated or invalid header, pass the rest",
		build:       buildAbortedOnError,
	},
	// Packet parsing.
	{
		Name: "xdp-ethernet-parser", Category: CategoryParsing, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "validate the Ethernet header: drop frames from a multicast source MAC or with an 802.3 length instead of an EtherType",
		Notes: "BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header, so the bounds check's " +
			"failure path can only be reached by attached programs.",
		build: buildEthernetParser,
	},
	{
		Name: "xdp-ethertype-filter", Category: CategoryParsing, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass IPv4 frames only (EtherType 0x0800), drop ARP, IPv6 and the rest",
		build:       buildEthertypeFilter,
	},
	{
		Name: "xdp-ipv4-parser", Category: CategoryParsing, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "validate IPv4 headers (version 4, IHL >= 5, header and total length inside the frame): drop bad ones, pass the rest",
		build:       buildIPv4Parser,
	},
	{
		Name: "xdp-ip-protocol-filter", Category: CategoryParsing, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass IPv4 TCP only, drop everything else",
		build:       buildIPProtocolFilter,
	},
	// Port filtering.
	{
		Name: "xdp-tcp-port-filter", Category: CategoryPorts, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass IPv4 TCP to port 80 (HTTP) only, drop everything else",
		build:       buildTCPPortFilter,
	},
	{
		Name: "xdp-udp-port-range", Category: CategoryPorts, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass IPv4 UDP to ports 1024-2048 only, drop everything else",
		build:       buildUDPPortRange,
	},
	// Maps.
	{
		Name: "xdp-map-lookup", Category: CategoryMaps, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "look the IPv4 protocol up in the hash map proto_action (u32 protocol -> u32 XDP action) and return that action; pass when absent",
		maps:        []*bpf.MapSpec{{Name: "proto_action", Type: bpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 256}},
		build:       buildMapLookup,
	},
	{
		Name: "xdp-map-counter", Category: CategoryMaps, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "count IPv4 frames per protocol in the array pkt_count (u32 protocol -> u64) with an atomic add, pass all",
		maps:        []*bpf.MapSpec{{Name: "pkt_count", Type: bpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 256}},
		build:       buildMapCounter,
	},
	// TC.
	{
		Name: "tc-ok-all", Category: CategoryTC, Type: bpf.SchedCLS, AttachHint: hintTC,
		Description: "let every packet through (TC_ACT_OK)",
		build:       constant(asm.TCActOK),
	},
	{
		Name: "tc-shot-all", Category: CategoryTC, Type: bpf.SchedCLS, AttachHint: hintTC,
		Description: "drop every packet (TC_ACT_SHOT)",
		build:       constant(asm.TCActShot),
	},
	{
		Name: "tc-classifier", Category: CategoryTC, Type: bpf.SchedCLS, AttachHint: hintTC,
		Description: "classify by size: drop runts (< 60 bytes), set skb->priority 1 up to 512 bytes and 2 above, TC_ACT_OK",
		build:       buildTCClassifier,
	},
	// Tracing.
	{
		Name: "kprobe-trace-printk", Category: CategoryTracing, Type: bpf.Kprobe, AttachHint: hintKprobe,
		Description: "bpf_trace_printk(\"bpfgo example: tgid %d\\n\", tgid) to /sys/kernel/tracing/trace_pipe; returns the bytes written",
		Notes:       noteKprobeTP,
		build:       buildTracePrintk,
	},
	{
		Name: "kprobe-timestamp", Category: CategoryTracing, Type: bpf.Kprobe, AttachHint: hintKprobe,
		Description: "store bpf_ktime_get_ns() in the hash map timestamps, keyed by the current tgid (u32 -> u64)",
		Notes:       noteKprobeTP,
		maps:        []*bpf.MapSpec{{Name: "timestamps", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024}},
		build:       buildTimestamp,
	},
	// Arithmetic and logic.
	{
		Name: "arithmetic-demo", Category: CategoryArithmetic, Type: bpf.Syscall, AttachHint: hintTestRun,
		flags:       sys.BPF_F_SLEEPABLE,
		Description: "ADD, SUB, MUL, DIV, MOD, NEG and 32-bit ALU on the operands of an ArithmeticContext",
		Notes:       noteSyscall,
		build:       buildArithmetic,
	},
	{
		Name: "bitwise-demo", Category: CategoryArithmetic, Type: bpf.Syscall, AttachHint: hintTestRun,
		flags:       sys.BPF_F_SLEEPABLE,
		Description: "AND, OR, XOR, shifts, NOT and byte order on the operands of a BitwiseContext",
		Notes:       noteSyscall,
		build:       buildBitwise,
	},
	{
		Name: "conditional-demo", Category: CategoryArithmetic, Type: bpf.Syscall, AttachHint: hintTestRun,
		flags:       sys.BPF_F_SLEEPABLE,
		Description: "unsigned and signed conditional jumps: max, min, sign, clamp and JSET on a ConditionalContext",
		Notes:       noteSyscall,
		build:       buildConditional,
	},
	// Security.
	{
		Name: "syn-flood-protection", Category: CategorySecurity, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "count TCP SYNs per IPv4 source in the LRU hash syn_count (u32 address -> u64) and drop a source's SYNs beyond 100; user space clears the map to start a new window",
		maps:        []*bpf.MapSpec{{Name: "syn_count", Type: bpf.LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 65536}},
		build:       buildSYNFlood,
	},
	{
		Name: "icmp-rate-limiter", Category: CategorySecurity, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "token bucket per IPv4 source for ICMP: 5 per second, bursts of 10 (LRU hash icmp_buckets); other traffic passes",
		maps:        []*bpf.MapSpec{{Name: "icmp_buckets", Type: bpf.LRUHash, KeySize: 4, ValueSize: ratelimit.BucketSize, MaxEntries: 65536}},
		build:       buildICMPRateLimiter,
	},
	{
		Name: "ip-allowlist", Category: CategorySecurity, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "pass IPv4 frames whose source is in the hash ip_allowlist (address -> u64 hit count, counted atomically), drop other IPv4; non-IPv4 passes",
		Notes: "clj-ebpf keys the map by the address in host byte order and leaves the map fd to be patched in; " +
			"here keys are the 4 address bytes as on the wire (netip.Addr.As4) and Build binds the map.",
		maps:  []*bpf.MapSpec{{Name: "ip_allowlist", Type: bpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024}},
		build: buildIPAllowlist,
	},
	// Helpers.
	{
		Name: "perf-event-output", Category: CategoryHelpers, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "send a PacketEvent (timestamp, ifindex, rx queue) and the Ethernet header of every frame to the perf event array events; read it with perf.NewReader",
		maps:        []*bpf.MapSpec{{Name: "events", Type: bpf.PerfEventArray, KeySize: 4, ValueSize: 4}},
		build:       buildPerfEventOutput,
	},
	{
		Name: "get-cpu-id", Category: CategoryHelpers, Type: bpf.RawTracepoint, AttachHint: hintRawTP,
		Description: "return bpf_get_smp_processor_id(): the CPU the program runs on",
		build:       buildGetCPUID,
	},
	// What bpfgo adds.
	{
		Name: "xdp-ringbuf-flow", Category: CategoryBpfgo, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "write a FlowEvent (addresses, ports, protocol) per IPv4 TCP or UDP frame to the ring buffer flows (Linux 5.8); read it with ringbuf.NewReader",
		maps:        []*bpf.MapSpec{{Name: "flows", Type: bpf.RingBuf, MaxEntries: 1 << 16}},
		build:       buildRingbufFlow,
	},
	{
		Name: "xdp-dual-stack-port-filter", Category: CategoryBpfgo, Type: bpf.XDP, AttachHint: hintXDP,
		Description: "xdp-tcp-port-filter for IPv4 and IPv6: pass TCP to port 80 over either, drop the rest (IPv6 extension headers included)",
		build:       buildDualStackPortFilter,
	},
	{
		Name: "core-task-parent", Category: CategoryBpfgo, Type: bpf.RawTracepoint, AttachHint: hintRawTP,
		Description: "return current->real_parent->tgid, read with CO-RE relocations against the running kernel's task_struct",
		build:       buildCoreTaskParent,
	},
}
