// A TCP congestion control written in C as a struct_ops table (the
// .struct_ops.link section): the loader matches the object's members to the
// kernel's tcp_congestion_ops by name, whatever their order here.
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(n) __attribute__((section(n), used))

struct sock;

// Not the kernel's layout: members in another order, only the ones used.
struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	char name[16];
};

__u64 inits, avoids;

SEC("struct_ops/cc_init") int cc_init(__u64 *ctx)
{
	__sync_fetch_and_add(&inits, 1);
	return 0;
}

SEC("struct_ops/cc_cong_avoid") int cc_cong_avoid(__u64 *ctx)
{
	__sync_fetch_and_add(&avoids, 1);
	return 0;
}

SEC("struct_ops/cc_ssthresh") __u32 cc_ssthresh(__u64 *ctx)
{
	return 2;
}

SEC("struct_ops/cc_undo_cwnd") __u32 cc_undo_cwnd(__u64 *ctx)
{
	return 10;
}

SEC(".struct_ops.link") struct tcp_congestion_ops bpfgo_elf_cc = {
	.init = (void *)cc_init,
	.cong_avoid = (void *)cc_cong_avoid,
	.ssthresh = (void *)cc_ssthresh,
	.undo_cwnd = (void *)cc_undo_cwnd,
	.name = "bpfgo_elf_cc",
};

char LICENSE[] SEC("license") = "GPL";
