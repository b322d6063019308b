// A program the verifier refuses: it reads the packet without a bounds
// check. The loader's VerifierError must point at the C line below.
typedef unsigned int __u32;

#define SEC(n) __attribute__((section(n), used))

struct xdp_md {
	__u32 data;
	__u32 data_end;
};

SEC("xdp") int unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[20]; // no check against data_end
}

char LICENSE[] SEC("license") = "GPL";
