package sys

// Constants that are #defines in the UAPI headers and therefore absent from
// BTF. Values are from include/uapi/linux/bpf.h and include/uapi/linux/if_link.h
// of Linux 6.18; flags that BTF does carry (BPF_ANY, BPF_F_NO_PREALLOC,
// BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_F_LOCK, BPF_F_LINK, ...) are generated
// into types_gen.go instead.
const (
	// BPF_OBJ_NAME_LEN is the size of map_name / prog_name including the NUL.
	BPF_OBJ_NAME_LEN = 16
	// BPF_TAG_SIZE is the size of a program tag.
	BPF_TAG_SIZE = 8
	// BPF_BUILD_ID_SIZE is the size of a build id in stack traces.
	BPF_BUILD_ID_SIZE = 20

	// Attach flags of BPF_PROG_ATTACH / BPF_LINK_CREATE.
	BPF_F_ALLOW_OVERRIDE = 1 << 0
	BPF_F_ALLOW_MULTI    = 1 << 1
	BPF_F_REPLACE        = 1 << 2
	BPF_F_BEFORE         = 1 << 3 // Linux 6.6 (mprog: tcx, netkit)
	BPF_F_AFTER          = 1 << 4 // Linux 6.6
	BPF_F_ID             = 1 << 5 // Linux 6.6
	BPF_F_PREORDER       = 1 << 6 // Linux 6.15 (cgroup)

	// Program load flags (prog_flags of BPF_PROG_LOAD).
	BPF_F_STRICT_ALIGNMENT    = 1 << 0
	BPF_F_ANY_ALIGNMENT       = 1 << 1
	BPF_F_TEST_RND_HI32       = 1 << 2
	BPF_F_TEST_STATE_FREQ     = 1 << 3
	BPF_F_SLEEPABLE           = 1 << 4
	BPF_F_XDP_HAS_FRAGS       = 1 << 5
	BPF_F_XDP_DEV_BOUND_ONLY  = 1 << 6
	BPF_F_TEST_REG_INVARIANTS = 1 << 7

	// BPF_F_NETFILTER_IP_DEFRAG asks a netfilter link for defragmented packets.
	BPF_F_NETFILTER_IP_DEFRAG = 1 << 0

	// Source register values of BPF_LD_IMM64 and BPF_CALL instructions.
	BPF_PSEUDO_MAP_FD        = 1
	BPF_PSEUDO_MAP_VALUE     = 2
	BPF_PSEUDO_BTF_ID        = 3
	BPF_PSEUDO_FUNC          = 4
	BPF_PSEUDO_MAP_IDX       = 5
	BPF_PSEUDO_MAP_IDX_VALUE = 6
	BPF_PSEUDO_CALL          = 1
	BPF_PSEUDO_KFUNC_CALL    = 2

	// BPF_F_QUERY_EFFECTIVE makes BPF_PROG_QUERY report inherited programs.
	BPF_F_QUERY_EFFECTIVE = 1 << 0

	// Flags of BPF_PROG_TEST_RUN.
	BPF_F_TEST_RUN_ON_CPU            = 1 << 0
	BPF_F_TEST_XDP_LIVE_FRAMES       = 1 << 1
	BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2

	// XDP attach flags (include/uapi/linux/if_link.h), used by XDP links and netlink.
	XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
	XDP_FLAGS_SKB_MODE          = 1 << 1
	XDP_FLAGS_DRV_MODE          = 1 << 2
	XDP_FLAGS_HW_MODE           = 1 << 3
	XDP_FLAGS_REPLACE           = 1 << 4
)
