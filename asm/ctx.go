package asm

// Context field offsets. Programs read their context (R1 on entry) with Ldx at these offsets;
// the verifier rewrites the accesses into reads of the kernel's real structures. Offsets and
// sizes come from the kernel's BTF (struct xdp_md, struct __sk_buff); the widths the verifier
// accepts are listed in XDPMdFields and SkBuffFields.

// Offsets of the fields of struct xdp_md, the context of XDP programs. Every field is a __u32 and
// the verifier accepts only 4-byte loads of it: use Ldx(W, ...). data, data_end and data_meta
// load as packet pointers.
const (
	XDPMdData           int16 = 0  // data: start of the packet
	XDPMdDataEnd        int16 = 4  // data_end: end of the packet
	XDPMdDataMeta       int16 = 8  // data_meta: start of the metadata area before data
	XDPMdIngressIfindex int16 = 12 // ingress_ifindex
	XDPMdRxQueueIndex   int16 = 16 // rx_queue_index
	XDPMdEgressIfindex  int16 = 20 // egress_ifindex (devmap programs; Linux 5.8)
)

// Offsets of the fields of struct __sk_buff, the context of socket filter, tc, cgroup_skb,
// sk_skb, lwt and flow dissector programs. Which fields a program may read or write depends on
// its type; SkBuffFields lists the access widths.
const (
	SkBuffLen            int16 = 0
	SkBuffPktType        int16 = 4
	SkBuffMark           int16 = 8
	SkBuffQueueMapping   int16 = 12
	SkBuffProtocol       int16 = 16 // network byte order
	SkBuffVlanPresent    int16 = 20
	SkBuffVlanTCI        int16 = 24
	SkBuffVlanProto      int16 = 28
	SkBuffPriority       int16 = 32
	SkBuffIngressIfindex int16 = 36
	SkBuffIfindex        int16 = 40
	SkBuffTCIndex        int16 = 44
	SkBuffCB             int16 = 48 // cb[0]; cb[i] is at SkBuffCB + 4*i, i < 5
	SkBuffHash           int16 = 68
	SkBuffTCClassid      int16 = 72
	SkBuffData           int16 = 76
	SkBuffDataEnd        int16 = 80
	SkBuffNapiID         int16 = 84
	SkBuffFamily         int16 = 88
	SkBuffRemoteIP4      int16 = 92  // network byte order
	SkBuffLocalIP4       int16 = 96  // network byte order
	SkBuffRemoteIP6      int16 = 100 // remote_ip6[4], network byte order
	SkBuffLocalIP6       int16 = 116 // local_ip6[4], network byte order
	SkBuffRemotePort     int16 = 132 // network byte order
	SkBuffLocalPort      int16 = 136 // host byte order
	SkBuffDataMeta       int16 = 140
	SkBuffFlowKeys       int16 = 144 // struct bpf_flow_keys *, flow dissector programs only
	SkBuffTstamp         int16 = 152
	SkBuffWireLen        int16 = 160
	SkBuffGSOSegs        int16 = 164
	SkBuffSk             int16 = 168 // struct bpf_sock *, may be NULL
	SkBuffGSOSize        int16 = 176
	SkBuffTstampType     int16 = 180 // __u8
	SkBuffHwtstamp       int16 = 184
)

// Sizes of the context structures.
const (
	XDPMdSize  = 24  // sizeof(struct xdp_md)
	SkBuffSize = 192 // sizeof(struct __sk_buff)
)

// CtxField describes a field of a context structure and the loads the verifier accepts for it.
type CtxField struct {
	Name   string // the C name of the field
	Offset int16  // offset in the structure
	Size   int    // size in bytes in the C structure (an array's whole size)
	// Loads are the access widths of the loads the verifier accepts, at any offset inside the
	// field aligned to the width. Empty means programs cannot read the field in general (some
	// program types can; see the field's comment).
	Loads []Size
	// Store is the width of stores into the field, for the program types that may write it
	// (0: none may).
	Store Size
	// Note says what the field holds or which program types restrict it.
	Note string
}

// XDPMdFields lists the fields of struct xdp_md with the loads the verifier accepts: 4 bytes only
// (xdp_is_valid_access). Note that clj-ebpf's documentation reads data and data_end with 8-byte
// loads at offsets 0 and 8; the kernel rejects that.
var XDPMdFields = []CtxField{
	{Name: "data", Offset: XDPMdData, Size: 4, Loads: loads4, Note: "packet pointer"},
	{Name: "data_end", Offset: XDPMdDataEnd, Size: 4, Loads: loads4, Note: "packet end pointer"},
	{Name: "data_meta", Offset: XDPMdDataMeta, Size: 4, Loads: loads4, Note: "metadata pointer"},
	{Name: "ingress_ifindex", Offset: XDPMdIngressIfindex, Size: 4, Loads: loads4},
	{Name: "rx_queue_index", Offset: XDPMdRxQueueIndex, Size: 4, Loads: loads4},
	{Name: "egress_ifindex", Offset: XDPMdEgressIfindex, Size: 4, Loads: loads4, Note: "devmap programs only"},
}

var (
	loads4      = []Size{W}
	loads8      = []Size{DW}
	loadsNarrow = []Size{B, H, W}
	loadsAny    = []Size{B, H, W, DW}
)

// SkBuffFields lists the fields of struct __sk_buff with the widths the verifier accepts
// (bpf_skb_is_valid_access in net/core/filter.c): loads of 1, 2 or 4 bytes of plain __u32
// fields (narrow loads at aligned offsets), 4 bytes only for the packet pointers and addresses,
// 8 bytes for the 64-bit fields and pointers; stores are 4 bytes wide (8 for tstamp), and each
// program type narrows which fields it may touch at all.
var SkBuffFields = []CtxField{
	{Name: "len", Offset: SkBuffLen, Size: 4, Loads: loadsNarrow},
	{Name: "pkt_type", Offset: SkBuffPktType, Size: 4, Loads: loadsNarrow},
	{Name: "mark", Offset: SkBuffMark, Size: 4, Loads: loadsNarrow, Store: W},
	{Name: "queue_mapping", Offset: SkBuffQueueMapping, Size: 4, Loads: loadsNarrow, Store: W, Note: "writable by tc"},
	{Name: "protocol", Offset: SkBuffProtocol, Size: 4, Loads: loadsNarrow, Note: "network byte order"},
	{Name: "vlan_present", Offset: SkBuffVlanPresent, Size: 4, Loads: loadsNarrow},
	{Name: "vlan_tci", Offset: SkBuffVlanTCI, Size: 4, Loads: loadsNarrow},
	{Name: "vlan_proto", Offset: SkBuffVlanProto, Size: 4, Loads: loadsNarrow},
	{Name: "priority", Offset: SkBuffPriority, Size: 4, Loads: loadsNarrow, Store: W},
	{Name: "ingress_ifindex", Offset: SkBuffIngressIfindex, Size: 4, Loads: loadsNarrow},
	{Name: "ifindex", Offset: SkBuffIfindex, Size: 4, Loads: loadsNarrow},
	{Name: "tc_index", Offset: SkBuffTCIndex, Size: 4, Loads: loadsNarrow, Store: W},
	{Name: "cb", Offset: SkBuffCB, Size: 20, Loads: loadsAny, Store: W, Note: "scratch space; any aligned width inside cb, stores too"},
	{Name: "hash", Offset: SkBuffHash, Size: 4, Loads: loadsNarrow},
	{Name: "tc_classid", Offset: SkBuffTCClassid, Size: 4, Loads: loadsNarrow, Store: W, Note: "tc only"},
	{Name: "data", Offset: SkBuffData, Size: 4, Loads: loads4, Note: "packet pointer; not for socket filters"},
	{Name: "data_end", Offset: SkBuffDataEnd, Size: 4, Loads: loads4, Note: "packet end pointer; not for socket filters"},
	{Name: "napi_id", Offset: SkBuffNapiID, Size: 4, Loads: loadsNarrow},
	{Name: "family", Offset: SkBuffFamily, Size: 4, Loads: loadsNarrow, Note: "not for socket filters and tc"},
	{Name: "remote_ip4", Offset: SkBuffRemoteIP4, Size: 4, Loads: loads4, Note: "network byte order"},
	{Name: "local_ip4", Offset: SkBuffLocalIP4, Size: 4, Loads: loads4, Note: "network byte order"},
	{Name: "remote_ip6", Offset: SkBuffRemoteIP6, Size: 16, Loads: loads4, Note: "network byte order"},
	{Name: "local_ip6", Offset: SkBuffLocalIP6, Size: 16, Loads: loads4, Note: "network byte order"},
	{Name: "remote_port", Offset: SkBuffRemotePort, Size: 4, Loads: loadsNarrow, Note: "network byte order"},
	{Name: "local_port", Offset: SkBuffLocalPort, Size: 4, Loads: loadsNarrow, Note: "host byte order"},
	{Name: "data_meta", Offset: SkBuffDataMeta, Size: 4, Loads: loads4, Note: "metadata pointer; tc only"},
	{Name: "flow_keys", Offset: SkBuffFlowKeys, Size: 8, Note: "8-byte loads in flow dissector programs only"},
	{Name: "tstamp", Offset: SkBuffTstamp, Size: 8, Loads: loads8, Store: DW},
	{Name: "wire_len", Offset: SkBuffWireLen, Size: 4, Loads: loadsNarrow},
	{Name: "gso_segs", Offset: SkBuffGSOSegs, Size: 4, Loads: loadsNarrow},
	{Name: "sk", Offset: SkBuffSk, Size: 8, Loads: loads8, Note: "struct bpf_sock pointer, may be NULL"},
	{Name: "gso_size", Offset: SkBuffGSOSize, Size: 4, Loads: loadsNarrow},
	{Name: "tstamp_type", Offset: SkBuffTstampType, Size: 1, Note: "1-byte loads in tc programs only"},
	{Name: "hwtstamp", Offset: SkBuffHwtstamp, Size: 8, Loads: loads8},
}

// CanLoad reports whether the verifier's generic rules for the field accept a load of width size
// at offset off (absolute, inside the structure).
func (f CtxField) CanLoad(off int16, size Size) bool {
	n := int16(size.Sizeof())
	if n == 0 || off < f.Offset || off+n > f.Offset+int16(f.Size) || off%n != 0 {
		return false
	}
	for _, s := range f.Loads {
		if s == size {
			return true
		}
	}
	return false
}
