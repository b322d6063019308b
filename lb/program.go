package lb

import (
	"fmt"
	"io"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/bounds"
	"github.com/bpfgo/bpf/emit/csum"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/mem"
)

// Names of the load balancer's maps. The programs refer to them by name ([mapop.Name]); New
// creates them and resolves the names when it loads the programs.
const (
	MapListen    = "lb_listen"     // Hash: (ifindex, VIP, port, proto) -> default backend + service id
	MapSource    = "lb_src_routes" // LPMTrie: (service id, client prefix) -> backend
	MapSNI       = "lb_sni_routes" // Hash: (service id, hostname) -> backend
	MapConntrack = "lb_conntrack"  // LRUHash: flow in one direction -> address to write
	MapStats     = "lb_stats"      // PerCPUArray: service id -> Stats
	MapBackends  = "lb_backends"   // Array: service id * TableSize + slot -> backend
)

// Frame layout constants.
const (
	ethHdrLen   = bounds.EthHdrLen
	ipOffSrc    = 12
	ipOffDst    = 16
	ipOffCsum   = 10
	ipOffProto  = 9
	ipOffFrag   = 6
	tcpOffCsum  = 16
	udpOffCsum  = 6
	maxTLSExts  = 32 // extensions the ClientHello walk looks at before giving up
	tlsHdrBytes = 43 // record header (5) + handshake header (4) + version (2) + random (32)
)

// XDP program registers (callee-saved, so they survive helper calls).
const (
	rCtx = asm.R6 // struct xdp_md / struct __sk_buff
	rIP  = asm.R7 // IPv4 header (data + 14)
	rEnd = asm.R8 // data_end
	rL4  = asm.R9 // TCP or UDP header
)

// xdpFrame is the stack frame of the XDP program.
type xdpFrame struct {
	listenKey, target, srcKey, fwdKey, revKey, fwdVal, revVal, sniKey, tls emit.Slot
	proto, route, pos, count, tlsEnd, statIdx, fwdPtr, now                 emit.Slot
}

func newXDPFrame() xdpFrame {
	st := emit.NewStack()
	return xdpFrame{
		listenKey: st.MustAlloc("listen_key", 12),
		target:    st.MustAlloc("target", 12),
		srcKey:    st.MustAlloc("src_key", 12),
		fwdKey:    st.MustAlloc("ct_fwd_key", 16),
		revKey:    st.MustAlloc("ct_rev_key", 16),
		fwdVal:    st.MustAlloc("ct_fwd_value", 24),
		revVal:    st.MustAlloc("ct_rev_value", 24),
		sniKey:    st.MustAlloc("sni_key", 8+MaxHostnameLen),
		tls:       st.MustAlloc("tls_buf", 8),
		proto:     st.MustAlloc("proto", 8),
		route:     st.MustAlloc("route", 8),
		pos:       st.MustAlloc("tls_pos", 8),
		count:     st.MustAlloc("tls_count", 8),
		tlsEnd:    st.MustAlloc("tls_end", 8),
		statIdx:   st.MustAlloc("stat_idx", 4),
		fwdPtr:    st.MustAlloc("ct_fwd_ptr", 8),
		now:       st.MustAlloc("now", 8),
	}
}

// parseIPv4L4 emits the common header walk of both programs: Ethernet, IPv4 (IHL honoured,
// fragments excluded), TCP or UDP. data and end are the packet pointers in R2 and rEnd. On the
// fall-through path rIP points at the IPv4 header, rL4 at the transport header (its fixed part
// checked), and the protocol is in the proto slot. Anything else jumps to out.
func parseIPv4L4(proto emit.Slot, out string) asm.Instructions {
	insns := asm.Instructions{}
	insns = append(insns, bounds.CheckEthernet(asm.R2, rEnd, asm.R3, out)...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R3, asm.R2, 12),
		asm.JmpImm(asm.JNE, asm.R3, asm.HostToBE16(0x0800), out),
	)
	insns = append(insns, bounds.CheckIPv4(asm.R2, rEnd, asm.R4, rL4, ethHdrLen, out)...)
	insns = append(insns,
		asm.MovReg(rIP, asm.R2),
		asm.AddImm(rIP, ethHdrLen),
		asm.Ldx(asm.B, asm.R3, rIP, 0),
		asm.RshImm(asm.R3, 4),
		asm.JmpImm(asm.JNE, asm.R3, 4, out),
		// Fragments: MF set or a fragment offset. Only a whole datagram has the ports the
		// rewrite needs in every packet, so fragments pass untouched.
		asm.Ldx(asm.H, asm.R3, rIP, ipOffFrag),
		asm.AndImm(asm.R3, asm.HostToBE16(0x3fff)),
		asm.JmpImm(asm.JNE, asm.R3, 0, out),
		asm.Ldx(asm.B, asm.R3, rIP, ipOffProto),
		asm.JmpImm(asm.JEQ, asm.R3, int32(UDP), "l4_udp"),
		asm.JmpImm(asm.JNE, asm.R3, int32(TCP), out),
	)
	// The protocol is stored as a constant from a register on each path, so that the verifier
	// knows it when the slot is read back and tests it against the header length it checked
	// on that path. (Verifiers before Linux 6.8 do not carry what a comparison learns to an
	// earlier spill of the register, nor the value of an immediate store.)
	insns = append(insns, bounds.CheckTCP(rL4, rEnd, asm.R3, 0, out)...)
	insns = append(insns,
		asm.MovImm(asm.R3, int32(TCP)),
		asm.Stx(asm.DW, asm.R10, asm.R3, proto.Off),
		asm.Ja("l4_ok"),
		asm.Label("l4_udp"),
	)
	insns = append(insns, bounds.CheckUDP(rL4, rEnd, asm.R3, 0, out)...)
	insns = append(insns,
		asm.MovImm(asm.R3, int32(UDP)),
		asm.Stx(asm.DW, asm.R10, asm.R3, proto.Off),
	)
	return append(insns, asm.Label("l4_ok"))
}

// copyWords copies n bytes (a multiple of 4) from src+srcOff to dst+dstOff with 4-byte moves
// through scratch.
func copyWords(dst asm.Register, dstOff int16, src asm.Register, srcOff int16, n int) asm.Instructions {
	return mem.Copy4(dst, dstOff, src, srcOff, n, asm.R1)
}

// loadBytes emits bpf_xdp_load_bytes(ctx, R2 (offset, already set), R10+buf.Off+bufOff, n):
// R0 is 0 when the n bytes exist. Clobbers R0-R5.
func loadBytes(buf emit.Slot, bufOff int16, n int32) asm.Instructions {
	return asm.Instructions{
		asm.MovReg(asm.R1, rCtx),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, int32(buf.Off+bufOff)),
		asm.MovImm(asm.R4, n),
		asm.Call(asm.FnXDPLoadBytes),
	}
}

// loadBE reads the big-endian field of size bytes (1 or 2) at the TLS offset in the pos slot
// plus off into R0 as a host integer: bpf_xdp_load_bytes into the tls slot, then a load and a
// byte swap. It jumps to fail when the bytes are not in the frame. Clobbers R0-R5.
func loadBE(f xdpFrame, off int32, size int32, fail string) asm.Instructions {
	insns := asm.Instructions{
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.pos.Off),
		asm.AddImm(asm.R2, off),
	}
	insns = append(insns, loadBytes(f.tls, 0, size)...)
	insns = append(insns, asm.JmpImm(asm.JNE, asm.R0, 0, fail))
	if size == 1 {
		return append(insns, asm.Ldx(asm.B, asm.R0, asm.R10, f.tls.Off))
	}
	return append(insns, asm.Ldx(asm.H, asm.R0, asm.R10, f.tls.Off), asm.ToBE(asm.R0, 16))
}

// advance emits pos += R0 + extra.
func advance(f xdpFrame, extra int32) asm.Instructions {
	return asm.Instructions{
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.pos.Off),
		asm.AddReg(asm.R1, asm.R0),
		asm.AddImm(asm.R1, extra),
		asm.Stx(asm.DW, asm.R10, asm.R1, f.pos.Off),
	}
}

// lowerASCII lower-cases the n bytes (a multiple of 8) at R10+off, 8 at a time, without
// branches: for each byte b below 0x80, b |= 0x20 if 'A' <= b <= 'Z'. Bytes with the top bit
// set are left alone. Clobbers R1-R5.
//
//	x = w & 0x7f..7f            no carry between bytes below
//	a = x + 0x3f..3f            top bit set where x >= 'A'
//	z = x + 0x25..25            top bit set where x > 'Z'
//	m = a & ~z & ~w & 0x80..80  the upper-case letters
//	w |= m >> 2                 0x80 >> 2 = 0x20
func lowerASCII(off int16, n int) asm.Instructions {
	var insns asm.Instructions
	for i := 0; i < n; i += 8 {
		o := off + int16(i)
		insns = append(insns,
			asm.Ldx(asm.DW, asm.R1, asm.R10, o),
			asm.LoadImm64(asm.R5, 0x7f7f7f7f7f7f7f7f),
			asm.MovReg(asm.R2, asm.R1),
			asm.AndReg(asm.R2, asm.R5),
			asm.MovReg(asm.R3, asm.R2),
			asm.LoadImm64(asm.R5, 0x3f3f3f3f3f3f3f3f),
			asm.AddReg(asm.R3, asm.R5),
			asm.MovReg(asm.R4, asm.R2),
			asm.LoadImm64(asm.R5, 0x2525252525252525),
			asm.AddReg(asm.R4, asm.R5),
			asm.XorImm(asm.R4, -1),
			asm.AndReg(asm.R3, asm.R4),
			asm.MovReg(asm.R4, asm.R1),
			asm.XorImm(asm.R4, -1),
			asm.AndReg(asm.R3, asm.R4),
			asm.LoadImm64(asm.R5, -0x7f7f7f7f7f7f7f80), // 0x8080808080808080
			asm.AndReg(asm.R3, asm.R5),
			asm.RshImm(asm.R3, 2),
			asm.OrReg(asm.R1, asm.R3),
			asm.Stx(asm.DW, asm.R10, asm.R1, o),
		)
	}
	return insns
}

// lowerASCIIGo is the Go twin of lowerASCII on one 8-byte word, for tests.
func lowerASCIIGo(w uint64) uint64 {
	x := w & 0x7f7f7f7f7f7f7f7f
	a := x + 0x3f3f3f3f3f3f3f3f
	z := x + 0x2525252525252525
	m := a &^ z &^ w & 0x8080808080808080
	return w | m>>2
}

// sniParse emits the ClientHello walk. It starts at the TCP payload (rL4 and rEnd valid, the
// TCP header's fixed part checked) and either jumps to found with the SNI key built in the
// sni slot, or to miss. Every read goes through bpf_xdp_load_bytes with a bounds-checked
// length, so the walk cannot read past the frame whatever the lengths in it say; the
// extension loop is bounded by maxTLSExts.
func sniParse(f xdpFrame, found, miss string) asm.Instructions {
	var insns asm.Instructions
	insns = append(insns, bounds.CheckTCPOptions(rL4, rEnd, asm.R4, asm.R5, 0, miss)...)
	insns = append(insns,
		// pos = payload - data: (payload - ip) + 14, a scalar.
		asm.SubReg(asm.R5, rIP),
		asm.AddImm(asm.R5, ethHdrLen),
		asm.Stx(asm.DW, asm.R10, asm.R5, f.pos.Off),
		// Record header (type 22 handshake) and handshake header (type 1 ClientHello).
		asm.MovReg(asm.R2, asm.R5),
	)
	insns = append(insns, loadBytes(f.tls, 0, 6)...)
	insns = append(insns,
		asm.JmpImm(asm.JNE, asm.R0, 0, miss),
		asm.Ldx(asm.B, asm.R1, asm.R10, f.tls.Off),
		asm.JmpImm(asm.JNE, asm.R1, 22, miss),
		asm.Ldx(asm.B, asm.R1, asm.R10, f.tls.Off+5),
		asm.JmpImm(asm.JNE, asm.R1, 1, miss),
	)
	// Session id: 1-byte length at 43.
	insns = append(insns, loadBE(f, tlsHdrBytes, 1, miss)...)
	insns = append(insns, advance(f, tlsHdrBytes+1)...)
	// Cipher suites: 2-byte length.
	insns = append(insns, loadBE(f, 0, 2, miss)...)
	insns = append(insns, advance(f, 2)...)
	// Compression methods: 1-byte length.
	insns = append(insns, loadBE(f, 0, 1, miss)...)
	insns = append(insns, advance(f, 1)...)
	// Extensions: 2-byte total length; tls_end = pos + 2 + total.
	insns = append(insns, loadBE(f, 0, 2, miss)...)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.pos.Off),
		asm.AddImm(asm.R1, 2),
		asm.Stx(asm.DW, asm.R10, asm.R1, f.pos.Off),
		asm.AddReg(asm.R1, asm.R0),
		asm.Stx(asm.DW, asm.R10, asm.R1, f.tlsEnd.Off),
		asm.St(asm.DW, asm.R10, f.count.Off, 0),

		// for count < maxTLSExts && pos+4 <= tls_end { type, len; if type == 0 break; pos += 4+len }
		asm.Label("tls_ext"),
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.count.Off),
		asm.JmpImm(asm.JGE, asm.R1, maxTLSExts, miss),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.DW, asm.R10, asm.R1, f.count.Off),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.pos.Off),
		asm.MovReg(asm.R1, asm.R2),
		asm.AddImm(asm.R1, 4),
		asm.Ldx(asm.DW, asm.R3, asm.R10, f.tlsEnd.Off),
		asm.JmpReg(asm.JGT, asm.R1, asm.R3, miss),
	)
	insns = append(insns, loadBytes(f.tls, 0, 4)...)
	insns = append(insns,
		asm.JmpImm(asm.JNE, asm.R0, 0, miss),
		asm.Ldx(asm.H, asm.R1, asm.R10, f.tls.Off), // type 0 is server_name in any byte order
		asm.JmpImm(asm.JEQ, asm.R1, 0, "tls_sni"),
		asm.Ldx(asm.H, asm.R0, asm.R10, f.tls.Off+2),
		asm.ToBE(asm.R0, 16),
	)
	insns = append(insns, advance(f, 4)...)
	insns = append(insns,
		asm.Ja("tls_ext"),

		// server_name extension data: list length (2), name type (1), name length (2), name.
		asm.Label("tls_sni"),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.pos.Off),
		asm.AddImm(asm.R2, 4),
	)
	insns = append(insns, loadBytes(f.tls, 0, 5)...)
	insns = append(insns,
		asm.JmpImm(asm.JNE, asm.R0, 0, miss),
		asm.Ldx(asm.B, asm.R1, asm.R10, f.tls.Off+2),
		asm.JmpImm(asm.JNE, asm.R1, 0, miss), // host_name
		asm.Ldx(asm.B, asm.R4, asm.R10, f.tls.Off+3),
		asm.LshImm(asm.R4, 8),
		asm.Ldx(asm.B, asm.R1, asm.R10, f.tls.Off+4),
		asm.OrReg(asm.R4, asm.R1),
		// A range test rather than "== 0": verifiers before Linux 6.8 learn no lower bound
		// from a failed equality test, and bpf_xdp_load_bytes wants a length of at least 1.
		asm.JmpImm(asm.JLT, asm.R4, 1, miss),
		asm.JmpImm(asm.JGT, asm.R4, MaxHostnameLen, miss),
	)
	// Key: service id, length, name zero-padded.
	insns = append(insns, mem.Zero(asm.R10, f.sniKey.Off+8, MaxHostnameLen)...)
	insns = append(insns,
		asm.Ldx(asm.W, asm.R1, asm.R10, f.target.Off+8),
		asm.Stx(asm.W, asm.R10, asm.R1, f.sniKey.Off),
		asm.Stx(asm.W, asm.R10, asm.R4, f.sniKey.Off+4),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.pos.Off),
		asm.AddImm(asm.R2, 9),
		asm.MovReg(asm.R1, rCtx),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, int32(f.sniKey.Off+8)),
		asm.Call(asm.FnXDPLoadBytes), // R4, the length, is in [1, MaxHostnameLen]
		asm.JmpImm(asm.JNE, asm.R0, 0, miss),
	)
	insns = append(insns, lowerASCII(f.sniKey.Off+8, MaxHostnameLen)...)
	return append(insns, asm.Ja(found))
}

// setRoute stores the stats offset of the rule that chose the backend.
func setRoute(f xdpFrame, stat int32) asm.Instruction {
	return asm.St(asm.DW, asm.R10, f.route.Off, stat)
}

// XDPIngress returns the load balancer's XDP program (clj-ebpf's build-xdp-ingress-program).
// For an IPv4 TCP or UDP frame (IHL honoured; fragments, other protocols and other EtherTypes
// pass untouched) to a service in the listen map — keyed by (ingress ifindex, destination
// address, destination port, protocol), looked up most specific first: (ifindex, address),
// (0, address), (ifindex, 0), (0, 0) — it picks a backend, in order of priority:
//
//  1. a source route: the LPM trie keyed by (service id, client address);
//  2. for TCP to sniPort, an SNI route: the server_name of a TLS ClientHello in the segment,
//     lower-cased, in the SNI map keyed by (service id, length, name);
//  3. the flow's forward conntrack entry (a packet of a flow seen before keeps its backend);
//  4. the service's default backend (the listen map's value).
//
// It then rewrites the destination address and port (DNAT), updates the IPv4 header checksum
// and the TCP or UDP checksum incrementally (a UDP checksum of 0 stays 0), writes two
// conntrack entries — forward (client -> VIP: the backend) and reply (backend -> client: the
// VIP, which the TC egress program restores) — counts the packet in the service's stats and
// returns XDP_PASS. Requires Linux 5.18 (bpf_xdp_load_bytes).
func XDPIngress(sniPort uint16) asm.Instructions {
	f := newXDPFrame()
	listen, src, sni, ct, stats := mapop.Name(MapListen), mapop.Name(MapSource), mapop.Name(MapSNI),
		mapop.Name(MapConntrack), mapop.Name(MapStats)

	insns := asm.Instructions{asm.MovReg(rCtx, asm.R1)}
	insns = append(insns, bounds.LoadXDP(asm.R2, rEnd, rCtx)...)
	insns = append(insns, parseIPv4L4(f.proto, "pass")...)

	// Listen map, most specific first: (ifindex, VIP), (0, VIP), (ifindex, 0), (0, 0), each
	// with the destination port and protocol.
	insns = append(insns,
		asm.Ldx(asm.W, asm.R1, rCtx, asm.XDPMdIngressIfindex),
		asm.Stx(asm.W, asm.R10, asm.R1, f.listenKey.Off),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffDst),
		asm.Stx(asm.W, asm.R10, asm.R1, f.listenKey.Off+4),
		asm.Ldx(asm.H, asm.R1, rL4, 2),
		asm.Stx(asm.H, asm.R10, asm.R1, f.listenKey.Off+8),
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.proto.Off),
		asm.Stx(asm.B, asm.R10, asm.R1, f.listenKey.Off+10),
		asm.St(asm.B, asm.R10, f.listenKey.Off+11, 0),
	)
	// Before each lookup, the key becomes the next, less specific one.
	widenings := []asm.Instructions{
		nil, // (ifindex, VIP)
		{asm.St(asm.W, asm.R10, f.listenKey.Off, 0)}, // (any interface, VIP)
		{ // (ifindex, any address)
			asm.Ldx(asm.W, asm.R1, rCtx, asm.XDPMdIngressIfindex),
			asm.Stx(asm.W, asm.R10, asm.R1, f.listenKey.Off),
			asm.St(asm.W, asm.R10, f.listenKey.Off+4, 0),
		},
		{asm.St(asm.W, asm.R10, f.listenKey.Off, 0)}, // (any interface, any address)
	}
	for i, widen := range widenings {
		insns = append(insns, widen...)
		insns = append(insns, mapop.Lookup(listen, f.listenKey)...)
		if i < len(widenings)-1 {
			insns = append(insns, asm.JmpImm(asm.JNE, asm.R0, 0, "listen_hit"))
		} else {
			insns = append(insns, asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"))
		}
	}
	insns = append(insns, asm.Label("listen_hit"))
	insns = append(insns, copyWords(asm.R10, f.target.Off, asm.R0, 0, 12)...)
	insns = append(insns, setRoute(f, statByDefault))

	// Weighted backends: slot = hash(client address, client port, service port, protocol)
	// mod TableSize (a multiply-xorshift mix in 32 bits), in the service's part of the table.
	insns = append(insns,
		asm.Ldx(asm.H, asm.R1, asm.R10, f.target.Off+6),
		asm.JmpImm(asm.JSET, asm.R1, flagTable, "table"),
		asm.Ja("table_done"),
		asm.Label("table"),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffSrc),
		asm.Mul32Imm(asm.R1, -0x61c88647), // 0x9e3779b9
		asm.Ldx(asm.W, asm.R2, rL4, 0),    // source and destination port
		asm.Xor32Reg(asm.R1, asm.R2),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.proto.Off),
		asm.Xor32Reg(asm.R1, asm.R2),
		asm.Mov32Reg(asm.R2, asm.R1),
		asm.Rsh32Imm(asm.R2, 16),
		asm.Xor32Reg(asm.R1, asm.R2),
		asm.Mul32Imm(asm.R1, -0x7a143595), // 0x85ebca6b
		asm.Mov32Reg(asm.R2, asm.R1),
		asm.Rsh32Imm(asm.R2, 13),
		asm.Xor32Reg(asm.R1, asm.R2),
		asm.Mul32Imm(asm.R1, -0x3d4d51cb), // 0xc2b2ae35
		asm.Mov32Reg(asm.R2, asm.R1),
		asm.Rsh32Imm(asm.R2, 16),
		asm.Xor32Reg(asm.R1, asm.R2),
		asm.And32Imm(asm.R1, TableSize-1),
		asm.Ldx(asm.W, asm.R2, asm.R10, f.target.Off+8),
		asm.Lsh32Imm(asm.R2, 6), // * TableSize
		asm.Add32Reg(asm.R1, asm.R2),
		asm.Stx(asm.W, asm.R10, asm.R1, f.statIdx.Off),
	)
	insns = append(insns, mapop.Lookup(mapop.Name(MapBackends), f.statIdx)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "table_done"),
		asm.Ldx(asm.W, asm.R1, asm.R0, 0),
		asm.JmpImm(asm.JEQ, asm.R1, 0, "table_done"), // an empty slot: keep the default
		asm.Stx(asm.W, asm.R10, asm.R1, f.target.Off),
		asm.Ldx(asm.H, asm.R1, asm.R0, 4),
		asm.Stx(asm.H, asm.R10, asm.R1, f.target.Off+4),
		asm.Label("table_done"),
	)

	// Forward conntrack entry: remembered for step 3, below the routes.
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.proto.Off),
		asm.Stx(asm.B, asm.R10, asm.R1, f.fwdKey.Off),
		asm.St(asm.B, asm.R10, f.fwdKey.Off+1, dirForward),
		asm.St(asm.H, asm.R10, f.fwdKey.Off+2, 0),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffSrc),
		asm.Stx(asm.W, asm.R10, asm.R1, f.fwdKey.Off+4),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffDst),
		asm.Stx(asm.W, asm.R10, asm.R1, f.fwdKey.Off+8),
		asm.Ldx(asm.H, asm.R1, rL4, 0),
		asm.Stx(asm.H, asm.R10, asm.R1, f.fwdKey.Off+12),
		asm.Ldx(asm.H, asm.R1, rL4, 2),
		asm.Stx(asm.H, asm.R10, asm.R1, f.fwdKey.Off+14),
	)
	insns = append(insns, mapop.Lookup(ct, f.fwdKey)...)
	insns = append(insns,
		asm.Stx(asm.DW, asm.R10, asm.R0, f.fwdPtr.Off), // NULL or the entry, for the fast path
		asm.JmpImm(asm.JEQ, asm.R0, 0, "no_flow"),
		asm.Ldx(asm.W, asm.R1, asm.R0, 0),
		asm.Stx(asm.W, asm.R10, asm.R1, f.target.Off),
		asm.Ldx(asm.H, asm.R1, asm.R0, 4),
		asm.Stx(asm.H, asm.R10, asm.R1, f.target.Off+4),
		setRoute(f, statByFlow),
		asm.Label("no_flow"),

		// 1. Source route: LPM on (service id, client address).
		asm.St(asm.W, asm.R10, f.srcKey.Off, 64),
		asm.Ldx(asm.W, asm.R1, asm.R10, f.target.Off+8),
		asm.Stx(asm.W, asm.R10, asm.R1, f.srcKey.Off+4),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffSrc),
		asm.Stx(asm.W, asm.R10, asm.R1, f.srcKey.Off+8),
	)
	insns = append(insns, mapop.Lookup(src, f.srcKey)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "try_sni"),
		asm.Ldx(asm.W, asm.R1, asm.R0, 0),
		asm.Stx(asm.W, asm.R10, asm.R1, f.target.Off),
		asm.Ldx(asm.H, asm.R1, asm.R0, 4),
		asm.Stx(asm.H, asm.R10, asm.R1, f.target.Off+4),
		setRoute(f, statBySource),
		asm.Ja("nat"),

		// 2. SNI route, for TCP to sniPort.
		asm.Label("try_sni"),
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.proto.Off),
		asm.JmpImm(asm.JNE, asm.R1, int32(TCP), "nat"),
		asm.Ldx(asm.H, asm.R1, rL4, 2),
		asm.JmpImm(asm.JNE, asm.R1, asm.HostToBE16(sniPort), "nat"),
	)
	insns = append(insns, sniParse(f, "sni_lookup", "nat")...)
	insns = append(insns, asm.Label("sni_lookup"))
	insns = append(insns, mapop.Lookup(sni, f.sniKey)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "nat"),
		asm.Ldx(asm.W, asm.R1, asm.R0, 0),
		asm.Stx(asm.W, asm.R10, asm.R1, f.target.Off),
		asm.Ldx(asm.H, asm.R1, asm.R0, 4),
		asm.Stx(asm.H, asm.R10, asm.R1, f.target.Off+4),
		setRoute(f, statBySNI),

		// DNAT. Registers: R2 checksum, R3 old value, R4 new value, R5 scratch.
		asm.Label("nat"),
		// Conntrack values before the rewrite: reply -> VIP, forward -> backend.
		asm.Ldx(asm.W, asm.R1, rIP, ipOffDst),
		asm.Stx(asm.W, asm.R10, asm.R1, f.revVal.Off),
		asm.Ldx(asm.H, asm.R1, rL4, 2),
		asm.Stx(asm.H, asm.R10, asm.R1, f.revVal.Off+4),
		asm.St(asm.H, asm.R10, f.revVal.Off+6, 0),
		asm.Ldx(asm.W, asm.R1, asm.R10, f.target.Off+8),
		asm.Stx(asm.W, asm.R10, asm.R1, f.revVal.Off+8),
		asm.St(asm.W, asm.R10, f.revVal.Off+12, 0),
	)
	insns = append(insns, copyWords(asm.R10, f.fwdVal.Off, asm.R10, f.target.Off, 12)...)
	insns = append(insns,
		asm.St(asm.H, asm.R10, f.fwdVal.Off+6, 0),
		asm.St(asm.W, asm.R10, f.fwdVal.Off+12, 0),
		// Reply key: backend -> client.
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.proto.Off),
		asm.Stx(asm.B, asm.R10, asm.R1, f.revKey.Off),
		asm.St(asm.B, asm.R10, f.revKey.Off+1, dirReply),
		asm.St(asm.H, asm.R10, f.revKey.Off+2, 0),
		asm.Ldx(asm.W, asm.R1, asm.R10, f.target.Off),
		asm.Stx(asm.W, asm.R10, asm.R1, f.revKey.Off+4),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffSrc),
		asm.Stx(asm.W, asm.R10, asm.R1, f.revKey.Off+8),
		asm.Ldx(asm.H, asm.R1, asm.R10, f.target.Off+4),
		asm.Stx(asm.H, asm.R10, asm.R1, f.revKey.Off+12),
		asm.Ldx(asm.H, asm.R1, rL4, 0),
		asm.Stx(asm.H, asm.R10, asm.R1, f.revKey.Off+14),

		// L4 checksum: the address (pseudo-header) and the port.
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.proto.Off),
		asm.JmpImm(asm.JEQ, asm.R1, int32(UDP), "nat_udp"),
		asm.Ldx(asm.H, asm.R2, rL4, tcpOffCsum),
		asm.Ldx(asm.W, asm.R3, rIP, ipOffDst),
		asm.Ldx(asm.W, asm.R4, asm.R10, f.target.Off),
	)
	insns = append(insns, csum.Update32(asm.R2, asm.R3, asm.R4, asm.R5)...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R3, rL4, 2),
		asm.Ldx(asm.H, asm.R4, asm.R10, f.target.Off+4),
	)
	insns = append(insns, csum.Update16(asm.R2, asm.R3, asm.R4, asm.R5)...)
	insns = append(insns,
		asm.Stx(asm.H, rL4, asm.R2, tcpOffCsum),
		asm.Ja("nat_ip"),

		asm.Label("nat_udp"),
		asm.Ldx(asm.H, asm.R2, rL4, udpOffCsum),
		asm.JmpImm(asm.JEQ, asm.R2, 0, "nat_ip"), // no checksum: stays 0
		asm.Ldx(asm.W, asm.R3, rIP, ipOffDst),
		asm.Ldx(asm.W, asm.R4, asm.R10, f.target.Off),
	)
	insns = append(insns, csum.Update32(asm.R2, asm.R3, asm.R4, asm.R5)...)
	insns = append(insns,
		asm.Ldx(asm.H, asm.R3, rL4, 2),
		asm.Ldx(asm.H, asm.R4, asm.R10, f.target.Off+4),
	)
	insns = append(insns, csum.Update16(asm.R2, asm.R3, asm.R4, asm.R5)...)
	insns = append(insns, csum.ZeroToMangled(asm.R2)...)
	insns = append(insns,
		asm.Stx(asm.H, rL4, asm.R2, udpOffCsum),

		// IPv4 header checksum and the rewrite itself.
		asm.Label("nat_ip"),
		asm.Ldx(asm.H, asm.R2, rIP, ipOffCsum),
		asm.Ldx(asm.W, asm.R3, rIP, ipOffDst),
		asm.Ldx(asm.W, asm.R4, asm.R10, f.target.Off),
	)
	insns = append(insns, csum.Update32(asm.R2, asm.R3, asm.R4, asm.R5)...)
	insns = append(insns,
		asm.Stx(asm.H, rIP, asm.R2, ipOffCsum),
		asm.Stx(asm.W, rIP, asm.R4, ipOffDst),
		asm.Ldx(asm.H, asm.R1, asm.R10, f.target.Off+4),
		asm.Stx(asm.H, rL4, asm.R1, 2),

		// Conntrack: both directions, stamped with the time.
		asm.Call(asm.FnKtimeGetNs),
		asm.Stx(asm.DW, asm.R10, asm.R0, f.revVal.Off+16),
		asm.Stx(asm.DW, asm.R10, asm.R0, f.fwdVal.Off+16),
		asm.Stx(asm.DW, asm.R10, asm.R0, f.now.Off),

		// Fast path for a flow whose entries already say what this packet did: refresh their
		// time in place instead of two updates (which allocate in an LRU hash).
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.fwdPtr.Off),
		asm.JmpImm(asm.JEQ, asm.R1, 0, "ct_update"),
		asm.Ldx(asm.W, asm.R2, asm.R1, 0),
		asm.Ldx(asm.W, asm.R3, asm.R10, f.fwdVal.Off),
		asm.JmpReg(asm.JNE, asm.R2, asm.R3, "ct_update"),
		asm.Ldx(asm.W, asm.R2, asm.R1, 4), // port and padding
		asm.Ldx(asm.W, asm.R3, asm.R10, f.fwdVal.Off+4),
		asm.JmpReg(asm.JNE, asm.R2, asm.R3, "ct_update"),
		asm.Ldx(asm.W, asm.R2, asm.R1, 8),
		asm.Ldx(asm.W, asm.R3, asm.R10, f.fwdVal.Off+8),
		asm.JmpReg(asm.JNE, asm.R2, asm.R3, "ct_update"),
	)
	insns = append(insns, mapop.Lookup(ct, f.revKey)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "ct_update"),
		asm.Ldx(asm.W, asm.R2, asm.R0, 0),
		asm.Ldx(asm.W, asm.R3, asm.R10, f.revVal.Off),
		asm.JmpReg(asm.JNE, asm.R2, asm.R3, "ct_update"),
		asm.Ldx(asm.W, asm.R2, asm.R0, 4),
		asm.Ldx(asm.W, asm.R3, asm.R10, f.revVal.Off+4),
		asm.JmpReg(asm.JNE, asm.R2, asm.R3, "ct_update"),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.now.Off),
		asm.Stx(asm.DW, asm.R0, asm.R2, 16),
		asm.Ldx(asm.DW, asm.R1, asm.R10, f.fwdPtr.Off),
		asm.Stx(asm.DW, asm.R1, asm.R2, 16),
		asm.Ja("ct_done"),
		asm.Label("ct_update"),
	)
	insns = append(insns, mapop.Update(ct, f.revKey, f.revVal, mapop.UpdateAny)...)
	insns = append(insns, mapop.Update(ct, f.fwdKey, f.fwdVal, mapop.UpdateAny)...)
	insns = append(insns, asm.Label("ct_done"))

	// Stats of the service: packets, bytes, and the rule that routed.
	insns = append(insns,
		asm.Ldx(asm.W, asm.R1, asm.R10, f.target.Off+8),
		asm.Stx(asm.W, asm.R10, asm.R1, f.statIdx.Off),
	)
	insns = append(insns, mapop.Lookup(stats, f.statIdx)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "pass"),
		asm.Ldx(asm.DW, asm.R1, asm.R0, statPackets),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.DW, asm.R0, asm.R1, statPackets),
		asm.Ldx(asm.W, asm.R2, rCtx, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, rCtx, asm.XDPMdDataEnd),
		asm.SubReg(asm.R3, asm.R2),
		asm.Ldx(asm.DW, asm.R1, asm.R0, statBytes),
		asm.AddReg(asm.R1, asm.R3),
		asm.Stx(asm.DW, asm.R0, asm.R1, statBytes),
		asm.Ldx(asm.DW, asm.R2, asm.R10, f.route.Off),
		asm.AddReg(asm.R0, asm.R2),
		asm.Ldx(asm.DW, asm.R1, asm.R0, 0),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.DW, asm.R0, asm.R1, 0),

		asm.Label("pass"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
	)
	return insns
}

// TCEgress returns the load balancer's TC egress program (sched_cls): a TCP or UDP reply
// from a backend to a client that has a reply entry in the conntrack map gets its source
// address and port rewritten back to the VIP the client sent to (SNAT), with the IPv4 and L4
// checksums fixed by bpf_l3_csum_replace and bpf_l4_csum_replace (which handle checksum
// offload; a UDP checksum of 0 stays 0). The entry's time is refreshed and the reply counted
// in the service's stats. Every packet gets TC_ACT_OK. Requires Linux 4.1.
func TCEgress() asm.Instructions {
	st := emit.NewStack()
	key := st.MustAlloc("ct_rev_key", 16)
	newAddr := st.MustAlloc("vip_addr", 4)
	newPort := st.MustAlloc("vip_port", 2)
	oldPort := st.MustAlloc("old_port", 8)
	proto := st.MustAlloc("proto", 8)
	l4Off := st.MustAlloc("l4_off", 8)
	svc := st.MustAlloc("service", 4)
	ctPtr := st.MustAlloc("ct_value", 8)
	ct, stats := mapop.Name(MapConntrack), mapop.Name(MapStats)

	insns := asm.Instructions{asm.MovReg(rCtx, asm.R1)}
	insns = append(insns, bounds.LoadSKB(asm.R2, rEnd, rCtx)...)
	insns = append(insns, parseIPv4L4(proto, "ok")...)
	insns = append(insns,
		asm.Ldx(asm.DW, asm.R1, asm.R10, proto.Off),
		asm.Stx(asm.B, asm.R10, asm.R1, key.Off),
		asm.St(asm.B, asm.R10, key.Off+1, dirReply),
		asm.St(asm.H, asm.R10, key.Off+2, 0),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffSrc),
		asm.Stx(asm.W, asm.R10, asm.R1, key.Off+4),
		asm.Ldx(asm.W, asm.R1, rIP, ipOffDst),
		asm.Stx(asm.W, asm.R10, asm.R1, key.Off+8),
		asm.Ldx(asm.H, asm.R1, rL4, 0),
		asm.Stx(asm.H, asm.R10, asm.R1, key.Off+12),
		asm.Ldx(asm.H, asm.R1, rL4, 2),
		asm.Stx(asm.H, asm.R10, asm.R1, key.Off+14),
	)
	insns = append(insns, mapop.Lookup(ct, key)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "ok"),
		asm.Ldx(asm.W, asm.R1, asm.R0, 0),
		asm.Stx(asm.W, asm.R10, asm.R1, newAddr.Off),
		asm.Ldx(asm.H, asm.R1, asm.R0, 4),
		asm.Stx(asm.H, asm.R10, asm.R1, newPort.Off),
		asm.Ldx(asm.W, asm.R1, asm.R0, 8),
		asm.Stx(asm.W, asm.R10, asm.R1, svc.Off),
		asm.Stx(asm.DW, asm.R10, asm.R0, ctPtr.Off),
		asm.Call(asm.FnKtimeGetNs),
		asm.Ldx(asm.DW, asm.R1, asm.R10, ctPtr.Off),
		asm.Stx(asm.DW, asm.R1, asm.R0, 16),

		// Everything read from the packet before the helpers change it: afterwards R7-R9
		// hold scalars (old address, new address, L4 offset).
		asm.Ldx(asm.H, asm.R1, rL4, 0),
		asm.Stx(asm.DW, asm.R10, asm.R1, oldPort.Off),
		asm.MovReg(asm.R1, rL4),
		asm.SubReg(asm.R1, rIP),
		asm.AddImm(asm.R1, ethHdrLen),
		asm.Stx(asm.DW, asm.R10, asm.R1, l4Off.Off),
		asm.Ldx(asm.W, asm.R7, rIP, ipOffSrc),
		asm.Ldx(asm.W, asm.R8, asm.R10, newAddr.Off),
		asm.MovReg(asm.R9, asm.R1),
	)
	// IPv4 header checksum (constant offset).
	insns = append(insns, csum.L3Replace4(rCtx, ethHdrLen+ipOffCsum, asm.R7, asm.R8)...)
	insns = append(insns, asm.JmpImm(asm.JNE, asm.R0, 0, "ok"))
	// The L4 checksum sits behind the IPv4 options, at a variable offset, which the csum
	// package's constant-offset helpers cannot take: call bpf_l4_csum_replace directly.
	l4csum := func(from, to asm.Instruction, flags csum.Flags, size int32) asm.Instructions {
		return asm.Instructions{
			asm.MovReg(asm.R1, rCtx),
			asm.MovReg(asm.R2, asm.R9),
			asm.Ldx(asm.DW, asm.R5, asm.R10, proto.Off),
			asm.JmpImmOff(asm.JEQ, asm.R5, int32(UDP), 3),
			asm.AddImm(asm.R2, tcpOffCsum),
			asm.MovImm(asm.R5, int32(flags)|size),
			asm.JaOff(2),
			asm.AddImm(asm.R2, udpOffCsum),
			asm.MovImm(asm.R5, int32(flags|csum.MarkMangled0)|size),
			from, to,
			asm.Call(asm.FnL4CsumReplace),
			asm.JmpImm(asm.JNE, asm.R0, 0, "ok"),
		}
	}
	insns = append(insns, l4csum(asm.MovReg(asm.R3, asm.R7), asm.MovReg(asm.R4, asm.R8), csum.PseudoHdr, 4)...)
	insns = append(insns, l4csum(asm.Ldx(asm.DW, asm.R3, asm.R10, oldPort.Off), asm.Ldx(asm.H, asm.R4, asm.R10, newPort.Off), 0, 2)...)
	// The new source address and port.
	insns = append(insns,
		asm.MovReg(asm.R1, rCtx),
		asm.MovImm(asm.R2, ethHdrLen+ipOffSrc),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, int32(newAddr.Off)),
		asm.MovImm(asm.R4, 4),
		asm.MovImm(asm.R5, 0),
		asm.Call(asm.FnSkbStoreBytes),
		asm.JmpImm(asm.JNE, asm.R0, 0, "ok"),
		asm.MovReg(asm.R1, rCtx),
		asm.MovReg(asm.R2, asm.R9),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, int32(newPort.Off)),
		asm.MovImm(asm.R4, 2),
		asm.MovImm(asm.R5, 0),
		asm.Call(asm.FnSkbStoreBytes),
	)
	// Stats: replies and their bytes.
	insns = append(insns, mapop.Lookup(stats, svc)...)
	insns = append(insns,
		asm.JmpImm(asm.JEQ, asm.R0, 0, "ok"),
		asm.Ldx(asm.DW, asm.R1, asm.R0, statReplies),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.DW, asm.R0, asm.R1, statReplies),
		asm.Ldx(asm.W, asm.R2, rCtx, asm.SkBuffLen),
		asm.Ldx(asm.DW, asm.R1, asm.R0, statReplyBytes),
		asm.AddReg(asm.R1, asm.R2),
		asm.Stx(asm.DW, asm.R0, asm.R1, statReplyBytes),

		asm.Label("ok"),
		asm.MovImm(asm.R0, asm.TCActOK),
		asm.Exit(),
	)
	return insns
}

// XDPPass returns the smallest XDP program: return XDP_PASS (clj-ebpf's
// build-xdp-pass-program), for trying out loading and attaching.
func XDPPass() asm.Instructions {
	return asm.Instructions{asm.MovImm(asm.R0, asm.XDPPass), asm.Exit()}
}

// IPv4Filter returns an XDP program that passes IPv4 frames and drops every other frame,
// including frames too short for an Ethernet header (clj-ebpf's build-ipv4-filter-program).
func IPv4Filter() asm.Instructions {
	insns := asm.Instructions{}
	insns = append(insns, bounds.LoadXDP(asm.R2, asm.R3, asm.R1)...)
	insns = append(insns, bounds.CheckEthernet(asm.R2, asm.R3, asm.R4, "drop")...)
	return append(insns,
		asm.Ldx(asm.H, asm.R4, asm.R2, 12),
		asm.JmpImm(asm.JNE, asm.R4, asm.HostToBE16(0x0800), "drop"),
		asm.MovImm(asm.R0, asm.XDPPass),
		asm.Exit(),
		asm.Label("drop"),
		asm.MovImm(asm.R0, asm.XDPDrop),
		asm.Exit(),
	)
}

// ProgramSpecs returns the specs of the two programs New loads: "lb_ingress" (XDP) and
// "lb_egress" (sched_cls). Their map references are names (MapListen, ...), resolved against
// the maps of MapSpecs when loading.
func (s *Spec) ProgramSpecs() (ingress, egress *bpf.ProgramSpec) {
	sp := s.withDefaults()
	ingress = &bpf.ProgramSpec{Name: "lb_ingress", Type: bpf.XDP, License: "GPL", Instructions: XDPIngress(sp.SNIPort)}
	egress = &bpf.ProgramSpec{Name: "lb_egress", Type: bpf.SchedCLS, License: "GPL", Instructions: TCEgress()}
	return ingress, egress
}

// MapSpecs returns the specs of the load balancer's maps, by name.
func (s *Spec) MapSpecs() map[string]*bpf.MapSpec {
	sp := s.withDefaults()
	return map[string]*bpf.MapSpec{
		MapListen:    {Name: MapListen, Type: bpf.Hash, KeySize: 12, ValueSize: 12, MaxEntries: sp.MaxServices},
		MapSource:    {Name: MapSource, Type: bpf.LPMTrie, KeySize: 12, ValueSize: 12, MaxEntries: sp.MaxRoutes},
		MapSNI:       {Name: MapSNI, Type: bpf.Hash, KeySize: 8 + MaxHostnameLen, ValueSize: 12, MaxEntries: sp.MaxRoutes},
		MapConntrack: {Name: MapConntrack, Type: bpf.LRUHash, KeySize: 16, ValueSize: 24, MaxEntries: sp.MaxConns},
		MapStats:     {Name: MapStats, Type: bpf.PerCPUArray, KeySize: 4, ValueSize: statsSize, MaxEntries: sp.MaxServices},
		MapBackends:  {Name: MapBackends, Type: bpf.Array, KeySize: 4, ValueSize: 12, MaxEntries: sp.MaxServices * TableSize},
	}
}

// Spec configures a load balancer. The zero value (or nil) takes the defaults.
type Spec struct {
	// MaxServices is the number of services (listen entries, stats slots and backend tables);
	// 0 means 64, at most 65536.
	MaxServices uint32
	// MaxRoutes is the capacity of the source-route and SNI maps, each; 0 means 1024.
	MaxRoutes uint32
	// MaxConns is the capacity of the conntrack LRU map (two entries per flow); 0 means 65536.
	MaxConns uint32
	// SNIPort is the TCP port whose ClientHellos are routed by SNI; 0 means 443.
	SNIPort uint16
}

func (s *Spec) withDefaults() Spec {
	var sp Spec
	if s != nil {
		sp = *s
	}
	if sp.MaxServices == 0 {
		sp.MaxServices = 64
	}
	if sp.MaxRoutes == 0 {
		sp.MaxRoutes = 1024
	}
	if sp.MaxConns == 0 {
		sp.MaxConns = 65536
	}
	if sp.SNIPort == 0 {
		sp.SNIPort = 443
	}
	return sp
}

// String prints the Spec's fields.
func (s Spec) String() string {
	return fmt.Sprintf("lb.Spec{MaxServices: %d, MaxRoutes: %d, MaxConns: %d, SNIPort: %d}",
		s.MaxServices, s.MaxRoutes, s.MaxConns, s.SNIPort)
}

// Dump writes the bytecode of the load balancer's two programs in llvm-objdump's notation
// (clj-ebpf's dump-program-bytecode), each under a header with its name, type and size. Map
// loads and jumps print by name ("r1 = map[lb_listen] ll", "goto <pass>"). It needs no kernel.
func Dump(w io.Writer, spec *Spec) error {
	ing, eg := spec.ProgramSpecs()
	for _, p := range []*bpf.ProgramSpec{ing, eg} {
		n := 0
		for _, ins := range p.Instructions {
			if !ins.IsLabel() {
				n++
			}
		}
		if _, err := fmt.Fprintf(w, "%s (%v): %d instructions, %d bytes\n", p.Name, p.Type, n, p.Instructions.EncodedSize()); err != nil {
			return err
		}
		if err := p.Instructions.Fprint(w, &asm.FormatOptions{HelperNames: true, References: true}); err != nil {
			return fmt.Errorf("lb: dump %s: %w", p.Name, err)
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}
