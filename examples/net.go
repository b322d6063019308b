package examples

import (
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/emit/ipv6"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/output"
	"github.com/bpfgo/bpf/emit/ratelimit"
)

// Parameters of the examples that filter on fixed values, as clj-ebpf's catalogue fixes them.
const (
	MinPacketSize     = 61   // xdp-packet-size-filter passes frames of more than 60 bytes
	HTTPPort          = 80   // xdp-tcp-port-filter and xdp-dual-stack-port-filter pass this TCP port
	UDPPortLow        = 1024 // xdp-udp-port-range passes UDP destination ports from UDPPortLow...
	UDPPortHigh       = 2048 // ...to UDPPortHigh, both included
	SmallPacketMax    = 512  // tc-classifier: frames of 60 to SmallPacketMax bytes get PrioritySmall
	RuntMax           = 59   // tc-classifier drops frames of at most RuntMax bytes
	PrioritySmall     = 1    // tc-classifier's skb->priority for small frames
	PriorityBulk      = 2    // tc-classifier's skb->priority for larger frames
	SYNFloodThreshold = 100  // syn-flood-protection drops SYNs of a source after this many
	ICMPRate          = 5    // icmp-rate-limiter: echo requests per second and source...
	ICMPBurst         = 10   // ...with bursts of this many
)

// Byte offsets in an untagged Ethernet + IPv4 frame.
const (
	offEtherType = 12
	offIPv4      = bounds.EthHdrLen
	offIPProto   = offIPv4 + 9
	offIPv4Src   = offIPv4 + 12
	offIPv4Dst   = offIPv4 + 16
	offIPv6      = bounds.EthHdrLen
	offIPv6Next  = offIPv6 + 6
)

// Register use of the packet examples: R6 the context, R7 data, R8 data_end, R9 the transport
// header once the IPv4 header is checked; R2–R5 are scratch.
const (
	rCtx  = asm.R6
	rData = asm.R7
	rEnd  = asm.R8
	rL4   = asm.R9
)

// ret is a label followed by "return code".
func ret(label string, code int32) asm.Instructions {
	return asm.Instructions{asm.Label(label), asm.MovImm(asm.R0, code), asm.Exit()}
}

// constant is a program that returns code.
func constant(code int32) func(func(string) asm.MapHandle) asm.Instructions {
	return func(func(string) asm.MapHandle) asm.Instructions {
		return asm.Instructions{asm.MovImm(asm.R0, code), asm.Exit()}
	}
}

// xdpEthernet saves the context in R6, loads data and data_end into R7 and R8 and jumps to
// short unless the frame holds an Ethernet header.
func xdpEthernet(short string) asm.Instructions {
	insns := asm.Instructions{asm.MovReg(rCtx, asm.R1)}
	insns = append(insns, bounds.LoadXDP(rData, rEnd, rCtx)...)
	return append(insns, bounds.CheckEthernet(rData, rEnd, asm.R2, short)...)
}

// xdpIPv4 is xdpEthernet (short goes to bad), then: jump to other unless the EtherType is IPv4,
// and to bad unless the whole IPv4 header (IHL) is in the frame. Afterwards R9 points at the
// transport header.
func xdpIPv4(other, bad string) asm.Instructions {
	insns := xdpEthernet(bad)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rData, offEtherType),
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(0x0800), other),
	)
	return append(insns, bounds.CheckIPv4(rData, rEnd, asm.R2, rL4, offIPv4, bad)...)
}

// xdpL4 is xdpIPv4 followed by: jump to other unless the IP protocol is proto, and to bad
// unless its header (TCP without options or UDP) is in the frame.
func xdpL4(proto int32, other, bad string) asm.Instructions {
	insns := xdpIPv4(other, bad)
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, offIPProto),
		asm.JmpImm(asm.JNE, asm.R2, proto, other),
	)
	if proto == 17 {
		return append(insns, bounds.CheckUDP(rL4, rEnd, asm.R2, 0, bad)...)
	}
	return append(insns, bounds.CheckTCP(rL4, rEnd, asm.R2, 0, bad)...)
}

func buildPacketSizeFilter(func(string) asm.MapHandle) asm.Instructions {
	insns := asm.Instructions{asm.MovReg(rCtx, asm.R1)}
	insns = append(insns, bounds.LoadXDP(rData, rEnd, rCtx)...)
	insns = append(insns, bounds.Check(rData, rEnd, asm.R2, 0, MinPacketSize, "drop")...)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildAbortedOnError(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpIPv4("pass", "aborted")
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("aborted", asm.XDPAborted)...)
}

func buildEthernetParser(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpEthernet("drop")
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, 6),        // first byte of the source MAC
		asm.JmpImm(asm.JSET, asm.R2, 1, "drop"), // group bit: no frame comes from a multicast address
		asm.Ldx(asm.H, asm.R2, rData, offEtherType),
		asm.ToBE(asm.R2, 16),                        // network to host order
		asm.JmpImm(asm.JLT, asm.R2, 0x0600, "drop"), // an 802.3 length, not an Ethernet II EtherType
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildEthertypeFilter(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpEthernet("drop")
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rData, offEtherType),
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(0x0800), "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildIPv4Parser(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpIPv4("pass", "drop")
	insns = append(insns,
		// R2 = header length (CheckIPv4). Version must be 4.
		asm.Ldx(asm.B, asm.R3, rData, offIPv4),
		asm.RshImm(asm.R3, 4),
		asm.JmpImm(asm.JNE, asm.R3, 4, "drop"),
		// The total length covers at least the header and no more than the frame holds.
		asm.Ldx(asm.H, asm.R3, rData, offIPv4+2),
		asm.ToBE(asm.R3, 16),
		asm.AndImm(asm.R3, 0xffff), // the verifiers of 6.1 and 6.12 lose the bounds of a byte swap: restate them
		asm.JmpReg(asm.JLT, asm.R3, asm.R2, "drop"),
		asm.MovReg(asm.R4, rData),
		asm.AddImm(asm.R4, offIPv4),
		asm.AddReg(asm.R4, asm.R3),
		asm.JmpReg(asm.JGT, asm.R4, rEnd, "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildIPProtocolFilter(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpIPv4("drop", "drop")
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, offIPProto),
		asm.JmpImm(asm.JNE, asm.R2, 6, "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildTCPPortFilter(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpL4(6, "drop", "drop")
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rL4, 2), // destination port, network order
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(HTTPPort), "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildUDPPortRange(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpL4(17, "drop", "drop")
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rL4, 2),
		asm.ToBE(asm.R2, 16),
		asm.JmpImm(asm.JLT, asm.R2, UDPPortLow, "drop"),
		asm.JmpImm(asm.JGT, asm.R2, UDPPortHigh, "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

// storeProtoKey stores the IPv4 protocol byte as a u32 in key.
func storeProtoKey(key emit.Slot) asm.Instructions {
	return asm.Instructions{
		asm.Ldx(asm.B, asm.R2, rData, offIPProto),
		asm.Stx(asm.W, asm.R10, asm.R2, key.Off),
	}
}

func buildMapLookup(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("proto", 4)
	insns := xdpIPv4("pass", "pass")
	insns = append(insns, storeProtoKey(key)...)
	insns = append(insns, mapop.Lookup(maps("proto_action"), key)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"), // no entry: the default
		asm.Ldx(asm.W, asm.R0, asm.R0, 0),
		asm.JmpImm(asm.JGT, asm.R0, asm.XDPTx, "pass"), // not an action this program may return
		asm.Exit(),
	)
	return append(insns, ret("pass", asm.XDPPass)...)
}

func buildMapCounter(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("proto", 4)
	init := st.MustAlloc("init", 8)
	insns := xdpIPv4("pass", "pass")
	insns = append(insns, storeProtoKey(key)...)
	insns = append(insns, mapop.IncrementAtomic(maps("pkt_count"), key, init, 0, 1)...)
	return append(insns, ret("pass", asm.XDPPass)...)
}

// storeSrcKey stores the IPv4 source address (network order) in key.
func storeSrcKey(key emit.Slot) asm.Instructions {
	return asm.Instructions{
		asm.Ldx(asm.W, asm.R2, rData, offIPv4Src),
		asm.Stx(asm.W, asm.R10, asm.R2, key.Off),
	}
}

func buildSYNFlood(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("saddr", 4)
	init := st.MustAlloc("init", 8)
	insns := xdpL4(6, "pass", "drop")
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rL4, 13), // flags: CWR ECE URG ACK PSH RST SYN FIN
		asm.AndImm(asm.R2, 0x12),
		asm.JmpImm(asm.JNE, asm.R2, 0x02, "pass"), // not a connection request (SYN without ACK)
	)
	insns = append(insns, storeSrcKey(key)...)
	insns = append(insns, mapop.IncrementAtomic(maps("syn_count"), key, init, 0, 1)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"), // table full: fail open
		asm.Ldx(asm.DW, asm.R1, asm.R0, 0),
		asm.JmpImm(asm.JGT, asm.R1, SYNFloodThreshold, "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildICMPRateLimiter(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("saddr", 4)
	scratch := st.MustAlloc("scratch", ratelimit.ScratchSize)
	insns := xdpIPv4("pass", "drop")
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, offIPProto),
		asm.JmpImm(asm.JNE, asm.R2, 1, "pass"), // only ICMP is limited
	)
	insns = append(insns, storeSrcKey(key)...)
	insns = append(insns, ratelimit.Check(maps("icmp_buckets"), key, scratch, ICMPRate, ICMPBurst, "pass", "drop")...)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildIPAllowlist(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("saddr", 4)
	insns := xdpIPv4("pass", "drop")
	insns = append(insns, storeSrcKey(key)...)
	insns = append(insns, mapop.Lookup(maps("ip_allowlist"), key)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "drop"),
		asm.MovImm(asm.R1, 1),
		asm.AtomicAddReg(asm.DW, asm.R0, asm.R1, 0), // count the hit
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}

func buildTCClassifier(func(string) asm.MapHandle) asm.Instructions {
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.SkBuffLen),
		asm.JmpImm(asm.JLE, asm.R2, RuntMax, "shot"),
		asm.MovImm(asm.R3, PriorityBulk),
		asm.JmpImm(asm.JGT, asm.R2, SmallPacketMax, "classify"),
		asm.MovImm(asm.R3, PrioritySmall),
		asm.Label("classify"),
		asm.Stx(asm.W, asm.R1, asm.R3, asm.SkBuffPriority),
	}
	insns = append(insns, ret("ok", asm.TCActOK)...)
	return append(insns, ret("shot", asm.TCActShot)...)
}

// PacketEvent is the sample perf-event-output sends for each frame, followed by the frame's
// first PacketEventBytes bytes (its Ethernet header). Fields are in host byte order.
type PacketEvent struct {
	Timestamp      uint64 // bpf_ktime_get_ns when the program ran
	IngressIfindex uint32 // xdp_md.ingress_ifindex
	RxQueue        uint32 // xdp_md.rx_queue_index
}

// PacketEventSize is the size of a PacketEvent; PacketEventBytes is the number of packet bytes
// perf-event-output appends to it.
const (
	PacketEventSize  = 16
	PacketEventBytes = 14
)

func buildPerfEventOutput(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	ev := st.MustAlloc("event", PacketEventSize)
	insns := asm.Instructions{asm.MovReg(rCtx, asm.R1), asm.Call(asm.FnKtimeGetNs)}
	insns = append(insns,
		asm.Stx(asm.DW, asm.R10, asm.R0, ev.At(0)),
		asm.Ldx(asm.W, asm.R2, rCtx, asm.XDPMdIngressIfindex),
		asm.Stx(asm.W, asm.R10, asm.R2, ev.At(8)),
		asm.Ldx(asm.W, asm.R2, rCtx, asm.XDPMdRxQueueIndex),
		asm.Stx(asm.W, asm.R10, asm.R2, ev.At(12)),
	)
	insns = append(insns, output.PerfEventOutput(rCtx, maps("events"), ev, output.CurrentCPU, PacketEventBytes)...)
	insns = append(insns, asm.MovImm(asm.R0, asm.XDPPass), asm.Exit())
	return insns
}

// FlowEvent is the record xdp-ringbuf-flow writes to its ring buffer for each IPv4 TCP or UDP
// frame. Addresses and ports are in network byte order, as on the wire.
type FlowEvent struct {
	Src, Dst         [4]byte
	SrcPort, DstPort [2]byte
	Proto            uint8
	_                [3]byte
}

// FlowEventSize is the size of a FlowEvent.
const FlowEventSize = 16

func buildRingbufFlow(maps func(string) asm.MapHandle) asm.Instructions {
	st := emit.NewStack()
	ev := st.MustAlloc("flow", FlowEventSize)
	insns := xdpIPv4("pass", "pass")
	insns = append(insns,
		asm.Ldx(asm.B, asm.R3, rData, offIPProto),
		asm.JmpImm(asm.JEQ, asm.R3, 6, "ports"),
		asm.JmpImm(asm.JNE, asm.R3, 17, "pass"),
		asm.Label("ports"),
	)
	// TCP and UDP both start with the two ports: 4 bytes are enough for both.
	insns = append(insns, bounds.Check(rL4, rEnd, asm.R2, 0, 4, "pass")...)
	insns = append(insns,
		asm.Ldx(asm.W, asm.R2, rData, offIPv4Src),
		asm.Stx(asm.W, asm.R10, asm.R2, ev.At(0)),
		asm.Ldx(asm.W, asm.R2, rData, offIPv4Dst),
		asm.Stx(asm.W, asm.R10, asm.R2, ev.At(4)),
		asm.Ldx(asm.W, asm.R2, rL4, 0),
		asm.Stx(asm.W, asm.R10, asm.R2, ev.At(8)),
		asm.St(asm.W, asm.R10, ev.At(12), 0), // proto and three bytes of padding
		asm.Stx(asm.B, asm.R10, asm.R3, ev.At(12)),
	)
	insns = append(insns, output.Output(maps("flows"), ev, output.WakeupAuto)...)
	return append(insns, ret("pass", asm.XDPPass)...)
}

func buildDualStackPortFilter(func(string) asm.MapHandle) asm.Instructions {
	insns := xdpEthernet("drop")
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rData, offEtherType),
		asm.JmpImm(asm.JEQ, asm.R2, asm.HostToBE16(0x86DD), "ipv6"),
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(0x0800), "drop"),
	)
	insns = append(insns, bounds.CheckIPv4(rData, rEnd, asm.R2, rL4, offIPv4, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, offIPProto),
		asm.JmpImm(asm.JNE, asm.R2, 6, "drop"),
		asm.Ja("tcp"),
		asm.Label("ipv6"),
	)
	insns = append(insns, bounds.CheckIPv6(rData, rEnd, asm.R2, offIPv6, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.B, asm.R2, rData, offIPv6Next),
		asm.JmpImm(asm.JNE, asm.R2, 6, "drop"), // extension headers are not followed: drop
		asm.MovReg(rL4, rData),
		asm.AddImm(rL4, offIPv6+ipv6.HdrLen),
		asm.Label("tcp"),
	)
	insns = append(insns, bounds.CheckTCP(rL4, rEnd, asm.R2, 0, "drop")...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R2, rL4, 2),
		asm.JmpImm(asm.JNE, asm.R2, asm.HostToBE16(HTTPPort), "drop"),
	)
	insns = append(insns, ret("pass", asm.XDPPass)...)
	return append(insns, ret("drop", asm.XDPDrop)...)
}
