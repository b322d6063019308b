// Tail calls from C: a program array whose slots are filled by the object
// itself (`.values = { [0] = &prog }`), and an XDP entry program that jumps
// to the slot named by the frame's last byte.
typedef unsigned int __u32;

#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

struct xdp_md {
	__u32 data;
	__u32 data_end;
};

static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;

int tail_drop(struct xdp_md *ctx);
int tail_tx(struct xdp_md *ctx);

struct {
	__uint(type, 3 /* BPF_MAP_TYPE_PROG_ARRAY */);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_drop,
		[2] = (void *)&tail_tx,
	},
};

SEC("xdp") int tail_drop(struct xdp_md *ctx)
{
	return 1; // XDP_DROP
}

SEC("xdp") int tail_tx(struct xdp_md *ctx)
{
	return 3; // XDP_TX
}

SEC("xdp") int entry(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	if (data + 15 > end)
		return 0; // XDP_ABORTED
	bpf_tail_call(ctx, &jump_table, data[14]);
	return 2; // XDP_PASS: the slot is empty
}

char LICENSE[] SEC("license") = "GPL";
