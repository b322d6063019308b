// ALU32/ALU64 with immediates and registers, every jump condition (signed, unsigned, jset,
// 32- and 64-bit), bpf-to-bpf calls, helper calls, 64-bit immediates and map references.
// Compiled for every cpu version (v1 .. v4); see asm/doc.go for the go:generate recipe.
#include "common.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	__uint(type, 1); /* BPF_MAP_TYPE_HASH */
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

volatile __u64 global_u64 = 7;
volatile __u32 global_u32;

__noinline __u64 mix(__u64 a, __u64 b)
{
	a = a * 0x9e3779b1 + b;
	a ^= a >> 17;
	a |= b << 3;
	a &= 0xffff00ff;
	a -= b;
	a = a / (b | 1);
	a = a % (b | 3);
	a += 0x1234567890ULL;
	return (__s64)a >> 5;
}

__noinline __u32 mix32(__u32 a, __u32 b)
{
	a = a * 3 + b;
	a ^= a >> 7;
	a |= b << 2;
	a &= 0xff0f;
	a -= b;
	a = a / (b | 1);
	a = a % (b | 5);
	a = -a;
	return (__s32)a >> 3;
}

SEC("xdp")
int alu_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = ctx->ingress_ifindex;
	__u64 *v;

	if (data + 14 > data_end)
		return 1;
	__u8 b0 = *(__u8 *)data;
	__u16 h = *(__u16 *)(data + 12);
	if (h == 0x0008)
		key += 3;
	if (b0 & 0x40)
		key ^= 9;
	v = bpf_map_lookup_elem(&counts, &key);
	if (!v) {
		__u64 init = 1;
		bpf_map_update_elem(&counts, &key, &init, 0);
		return 2;
	}
	*v += mix(*v, bpf_ktime_get_ns());
	global_u64 = 0xdeadbeefcafeULL;
	global_u32 = mix32(key, (__u32)*v);
	return 2;
}

#define CMP(name, type, op)                                   \
	__noinline int name(type a, type b)                   \
	{                                                     \
		if (a op b)                                   \
			return 10;                            \
		if (a op (type)37)                            \
			return 11;                            \
		if (a op (type)-5)                            \
			return 12;                            \
		return 13;                                    \
	}

CMP(cmp_u64_gt, __u64, >)
CMP(cmp_u64_ge, __u64, >=)
CMP(cmp_u64_lt, __u64, <)
CMP(cmp_u64_le, __u64, <=)
CMP(cmp_s64_gt, __s64, >)
CMP(cmp_s64_ge, __s64, >=)
CMP(cmp_s64_lt, __s64, <)
CMP(cmp_s64_le, __s64, <=)
CMP(cmp_u64_eq, __u64, ==)
CMP(cmp_u64_ne, __u64, !=)
CMP(cmp_u32_gt, __u32, >)
CMP(cmp_u32_ge, __u32, >=)
CMP(cmp_u32_lt, __u32, <)
CMP(cmp_u32_le, __u32, <=)
CMP(cmp_s32_gt, __s32, >)
CMP(cmp_s32_ge, __s32, >=)
CMP(cmp_s32_lt, __s32, <)
CMP(cmp_s32_le, __s32, <=)
CMP(cmp_u32_eq, __u32, ==)
CMP(cmp_u32_ne, __u32, !=)

__noinline int jset64(__u64 a, __u64 b)
{
	if (a & b)
		return 1;
	if (a & 0x80)
		return 2;
	return 3;
}

__noinline int jset32(__u32 a, __u32 b)
{
	if (a & b)
		return 1;
	if (a & 0x80)
		return 2;
	return 3;
}

SEC("tc")
int cmp_prog(void *ctx)
{
	__u64 x = bpf_get_prandom_u32();
	__u64 y = bpf_ktime_get_ns();
	int r = 0;
	r += cmp_u64_gt(x, y) + cmp_u64_ge(x, y) + cmp_u64_lt(x, y) + cmp_u64_le(x, y);
	r += cmp_s64_gt(x, y) + cmp_s64_ge(x, y) + cmp_s64_lt(x, y) + cmp_s64_le(x, y);
	r += cmp_u64_eq(x, y) + cmp_u64_ne(x, y);
	r += cmp_u32_gt(x, y) + cmp_u32_ge(x, y) + cmp_u32_lt(x, y) + cmp_u32_le(x, y);
	r += cmp_s32_gt(x, y) + cmp_s32_ge(x, y) + cmp_s32_lt(x, y) + cmp_s32_le(x, y);
	r += cmp_u32_eq(x, y) + cmp_u32_ne(x, y);
	r += jset64(x, y) + jset32(x, y);
	return r;
}

static int loop_cb(__u32 i, void *ctx)
{
	*(__u64 *)ctx += i;
	return 0;
}

SEC("socket")
int legacy_prog(void *skb)
{
	__u64 sum = 0;
	__u8 buf[4];
	bpf_loop(10, loop_cb, &sum, 0);
	bpf_skb_load_bytes(skb, 0, buf, 4);
	/* legacy packet loads */
	sum += load_byte(skb, 12);
	sum += load_half(skb, 12);
	sum += load_word(skb, 14);
	return sum + buf[1];
}

char _license[] SEC("license") = "GPL";
