// maps.c: map definitions for the parse tests (never created: pinning by
// name would leave pins behind).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, 8);
	__uint(value_size, 16);
	__uint(max_entries, 128);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__uint(numa_node, 1);
	__uint(map_flags, BPF_F_NUMA_NODE);
} pinned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 4);
	__array(values, struct inner);
} hom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct { __u64 a; __u32 b; });
	__uint(max_entries, 2);
} a_very_long_map_name_here SEC(".maps");

const char greeting[] = "hello"; // .rodata

SEC("xdp")
int use(struct xdp_md *ctx)
{
	__u32 k = 0;
	bpf_map_lookup_elem(&pinned, &k);
	bpf_map_lookup_elem(&a_very_long_map_name_here, &k);
	bpf_map_lookup_elem(&hom, &k);
	bpf_ringbuf_output(&events, &k, sizeof(k), 0);
	bpf_map_peek_elem(&bloom, &k);
	return greeting[ctx->ingress_ifindex & 3];
}
