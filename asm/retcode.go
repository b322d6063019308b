package asm

// Program return codes. They are untyped constants, so they serve both as immediates
// (asm.MovImm(asm.R0, asm.XDPPass)) and in comparisons with a test-run's return value. The values
// come from the kernel's BTF (enum xdp_action, enum tcx_action_base, enum sk_action,
// enum bpf_ret_code) and its UAPI headers (TC_ACT_*, NF_*).

// XDP actions (enum xdp_action), returned by XDP programs.
const (
	XDPAborted  = 0 // XDP_ABORTED: drop and raise the xdp_exception tracepoint
	XDPDrop     = 1 // XDP_DROP: drop the frame
	XDPPass     = 2 // XDP_PASS: hand the frame to the network stack
	XDPTx       = 3 // XDP_TX: bounce the frame out of the interface it arrived on
	XDPRedirect = 4 // XDP_REDIRECT: redirect as set up by bpf_redirect or bpf_redirect_map
)

// TC actions (TC_ACT_*, linux/pkt_cls.h), returned by sched_cls programs in direct-action mode
// and by sched_act programs.
const (
	TCActUnspec     = -1 // TC_ACT_UNSPEC: use the default action of the qdisc
	TCActOK         = 0  // TC_ACT_OK: pass the packet
	TCActReclassify = 1  // TC_ACT_RECLASSIFY: restart classification
	TCActShot       = 2  // TC_ACT_SHOT: drop the packet
	TCActPipe       = 3  // TC_ACT_PIPE: continue with the next action
	TCActStolen     = 4  // TC_ACT_STOLEN: consumed by the action; the packet is gone
	TCActQueued     = 5  // TC_ACT_QUEUED: queued by the action
	TCActRepeat     = 6  // TC_ACT_REPEAT: run the action again
	TCActRedirect   = 7  // TC_ACT_REDIRECT: redirect as set up by bpf_redirect
	TCActTrap       = 8  // TC_ACT_TRAP: for hardware offload, trap to the CPU
)

// TCX verdicts (enum tcx_action_base), returned by programs attached with TCX links
// (Linux 6.6).
const (
	TCXNext     = -1 // TCX_NEXT: run the next program of the chain
	TCXPass     = 0  // TCX_PASS: pass the packet, skipping the rest of the chain
	TCXDrop     = 2  // TCX_DROP: drop the packet
	TCXRedirect = 7  // TCX_REDIRECT: redirect as set up by bpf_redirect
)

// Verdicts of cgroup programs (cgroup_skb, cgroup/sock, cgroup/sock_addr, cgroup/device,
// cgroup/sysctl, cgroup/sockopt): 1 allows the operation, 0 rejects it (with EPERM for most
// hooks). cgroup_skb egress programs may also set bit 1 to signal congestion (Linux 5.6).
const (
	CgroupDeny  = 0
	CgroupAllow = 1
)

// Socket verdicts (enum sk_action), returned by sk_skb, sk_msg, sk_reuseport and sk_lookup
// programs. An sk_lookup program that returns SKPass without selecting a socket lets the regular
// lookup proceed.
const (
	SKDrop = 0 // SK_DROP
	SKPass = 1 // SK_PASS
)

// Return codes of lightweight-tunnel and flow-dissector programs (enum bpf_ret_code).
const (
	BPFOk                    = 0   // BPF_OK: continue (flow dissector: the keys are valid)
	BPFDrop                  = 2   // BPF_DROP: drop the packet
	BPFRedirect              = 7   // BPF_REDIRECT: lwt_xmit, redirect as set up by bpf_redirect
	BPFLWTReroute            = 128 // BPF_LWT_REROUTE: lwt_in/lwt_xmit, route the packet again
	BPFFlowDissectorContinue = 129 // BPF_FLOW_DISSECTOR_CONTINUE: fall back to the kernel's dissector
)

// Netfilter verdicts (NF_*, linux/netfilter.h), returned by netfilter programs (Linux 6.4).
const (
	NFDrop   = 0 // NF_DROP
	NFAccept = 1 // NF_ACCEPT
)

// LSM programs (BPF_PROG_TYPE_LSM, Linux 5.7) return 0 to allow the operation and a negated
// errno to deny it, e.g. -EPERM (-1).
const (
	LSMAllow     = 0
	LSMDenyEPERM = -1
)
