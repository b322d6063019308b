// collection.c: maps, global data, bpf-to-bpf calls, several programs per
// section and a CO-RE read, loaded and run by the elfobj kernel tests.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

// A BTF-defined array of per-slot counters.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} counts SEC(".maps");

// A hash map with flags, to check parsing of map_flags.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} seen SEC(".maps");

// An array of maps whose inner maps are described by "values".
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 2);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

// Slot 1 starts out holding inner_b.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {[1] = &inner_b},
};

// A legacy map definition (struct bpf_map_def in section "maps").
struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def legacy SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 3,
};

const volatile __u32 magic = 0;   // .rodata, set from Go before loading
__u64 hits = 0;                   // .bss, read back after a run
__u32 seed = 7;                   // .data
__u64 pair[2] = {0, 0};           // .bss: pid and tgid seen by the CO-RE program

static __noinline int bump(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &idx);
	if (!v)
		return 0;
	__sync_fetch_and_add(v, 1);
	return 1;
}

static __noinline int bump_legacy(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&legacy, &idx);
	if (!v)
		return 0;
	*v += seed;
	return 1;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	bump(0);
	hits += magic;
	if (magic == 42)
		return XDP_PASS;
	return XDP_DROP;
}

SEC("socket")
int sock_one(struct __sk_buff *skb)
{
	bump(1);
	bump_legacy(1);
	return 0;
}

SEC("socket")
int sock_two(struct __sk_buff *skb)
{
	bump(2);
	return skb->len;
}

SEC("syscall")
int sys_seed(void *ctx)
{
	__u32 k = seed;
	__u32 v = magic;
	bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	hits += seed;
	return 0;
}

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int core_pid(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	pair[0] = BPF_CORE_READ(t, pid);
	pair[1] = BPF_CORE_READ(t, tgid);
	bump(3);
	return 0;
}

__u64 loop_sum = 0; // .bss: written by the bpf_loop program

static int add_cb(__u32 i, void *ctx)
{
	__u64 *sum = ctx;
	*sum += i;
	return 0;
}

// A global function: the verifier checks it on its own, from its BTF.
__noinline int global_double(int x)
{
	return 2 * x;
}

SEC("syscall")
int loop(void *ctx)
{
	__u64 sum = 0;
	bpf_loop(5, add_cb, &sum, 0);        // 0+1+2+3+4
	loop_sum = sum + global_double(100); // 10 + 200
	return 0;
}
