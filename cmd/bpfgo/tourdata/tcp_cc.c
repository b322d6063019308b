// A TCP congestion control in C for the tour: a struct_ops table that
// bpfgo registers from this object. It keeps the kernel's default window
// behaviour out of the way (ssthresh 2, undo to 10) and counts, per event,
// how often the kernel called it.
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(n) __attribute__((section(n), used))

struct sock;

struct tcp_congestion_ops {
	void (*init)(struct sock *sk);
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	char name[16];
};

// calls[0]: init, [1]: cong_avoid, [2]: ssthresh.
__u64 calls[3];

SEC("struct_ops/tour_init") int tour_init(__u64 *ctx)
{
	__sync_fetch_and_add(&calls[0], 1);
	return 0;
}

SEC("struct_ops/tour_cong_avoid") int tour_cong_avoid(__u64 *ctx)
{
	__sync_fetch_and_add(&calls[1], 1);
	return 0;
}

SEC("struct_ops/tour_ssthresh") __u32 tour_ssthresh(__u64 *ctx)
{
	__sync_fetch_and_add(&calls[2], 1);
	return 2;
}

SEC("struct_ops/tour_undo_cwnd") __u32 tour_undo_cwnd(__u64 *ctx)
{
	return 10;
}

SEC(".struct_ops.link") struct tcp_congestion_ops bpfgo_tour_cc = {
	.init = (void *)tour_init,
	.ssthresh = (void *)tour_ssthresh,
	.cong_avoid = (void *)tour_cong_avoid,
	.undo_cwnd = (void *)tour_undo_cwnd,
	.name = "bpfgo_tour",
};

char LICENSE[] SEC("license") = "GPL";
