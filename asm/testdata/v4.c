// cpu v4 instructions: sign-extending loads and moves, unconditional byte swaps, signed
// division and modulo, and (via a long branch) gotol. Compiled for v4 only.
#include "common.h"

__noinline __s64 sext(__s8 *a, __s16 *b, __s32 *c, __s64 x)
{
	__s64 r = *a;
	r += *b;
	r += *c;
	r += (__s8)x;
	r += (__s16)x;
	r += (__s32)x;
	r += (__s32)(__s8)(__s32)x;
	return r;
}

__noinline __u32 sext32(__u32 x)
{
	return (__u32)(__s32)(__s8)x + (__u32)(__s32)(__s16)x;
}

__noinline __u64 swaps(__u64 x)
{
	__u64 r = __builtin_bswap64(x);
	r += __builtin_bswap32((__u32)x);
	r += __builtin_bswap16((__u16)x);
	return r;
}

__noinline __s64 sdivmod(__s64 a, __s64 b)
{
	return a / b + a % b + a / 7 + a % -9;
}

__noinline __s32 sdivmod32(__s32 a, __s32 b)
{
	return a / b + a % b + a / 7 + a % -9;
}

SEC("xdp")
int v4_prog(struct xdp_md *ctx)
{
	__s8 a = ctx->data;
	__s16 b = ctx->data_end;
	__s32 c = ctx->ingress_ifindex;
	return sext(&a, &b, &c, c) + sext32(c) + swaps(c) + sdivmod(c, b) + sdivmod32(c, a);
}

char _license[] SEC("license") = "GPL";
