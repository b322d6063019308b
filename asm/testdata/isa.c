// Every instruction form of the ISA written as inline assembly, so that the oracle test covers
// what clang does not emit from C (jset, gotol, may_goto, le/be, legacy packet loads, ...).
// Encodings llvm 19 cannot assemble are written as raw .quad words (little endian: opcode in
// the low byte, then dst | src << 4, then the offset and the immediate).
// Compiled for cpu v4; see asm/doc.go for the go:generate recipe.
#include "common.h"

SEC("socket/alu")
int isa_alu(void *ctx)
{
	asm volatile(
		/* ALU64, immediate and register */
		"r1 += 7\n r1 -= 7\n r1 *= 7\n r1 /= 7\n r1 |= 7\n r1 &= 7\n r1 <<= 7\n r1 >>= 7\n"
		"r1 %= 7\n r1 ^= 7\n r1 = 7\n r1 s>>= 7\n r1 s/= 7\n r1 s%= 7\n"
		"r1 += r2\n r1 -= r2\n r1 *= r2\n r1 /= r2\n r1 |= r2\n r1 &= r2\n r1 <<= r2\n r1 >>= r2\n"
		"r1 %= r2\n r1 ^= r2\n r1 = r2\n r1 s>>= r2\n r1 s/= r2\n r1 s%= r2\n"
		"r3 = -r3\n"
		/* ALU32 */
		"w1 += 7\n w1 -= 7\n w1 *= 7\n w1 /= 7\n w1 |= 7\n w1 &= 7\n w1 <<= 7\n w1 >>= 7\n"
		"w1 %= 7\n w1 ^= 7\n w1 = 7\n w1 s>>= 7\n w1 s/= 7\n w1 s%= 7\n"
		"w1 += w2\n w1 -= w2\n w1 *= w2\n w1 /= w2\n w1 |= w2\n w1 &= w2\n w1 <<= w2\n w1 >>= w2\n"
		"w1 %= w2\n w1 ^= w2\n w1 = w2\n w1 s>>= w2\n w1 s/= w2\n w1 s%= w2\n"
		"w3 = -w3\n"
		/* extreme immediates */
		"r4 = 0x7fffffff\n r4 = -0x80000000\n w4 = -1\n r4 &= -256\n"
		/* sign-extending moves */
		"r5 = (s8)r6\n r5 = (s16)r6\n r5 = (s32)r6\n w5 = (s8)w6\n w5 = (s16)w6\n"
		/* byte swaps */
		"r0 = le16 r0\n r0 = le32 r0\n r0 = le64 r0\n r0 = be16 r0\n r0 = be32 r0\n r0 = be64 r0\n"
		"r7 = bswap16 r7\n r7 = bswap32 r7\n r7 = bswap64 r7\n"
		/* 64-bit immediates */
		"r1 = 0x1234 ll\n r1 = -1 ll\n r2 = 0x8000000000000000 ll\n r9 = 0x7fffffffffffffff ll\n");
	return 0;
}

SEC("socket/jmp")
int isa_jmp(void *ctx)
{
	asm volatile(
		"if r1 == r2 goto +1\n if r1 > r2 goto +1\n if r1 >= r2 goto +1\n if r1 & r2 goto +1\n"
		"if r1 != r2 goto +1\n if r1 s> r2 goto +1\n if r1 s>= r2 goto +1\n if r1 < r2 goto +1\n"
		"if r1 <= r2 goto +1\n if r1 s< r2 goto +1\n if r1 s<= r2 goto +1\n"
		"if r1 == -3 goto -1\n if r1 > 3 goto -1\n if r1 >= 3 goto -1\n if r1 & 3 goto -1\n"
		"if r1 != 3 goto -1\n if r1 s> 3 goto -1\n if r1 s>= 3 goto -1\n if r1 < 3 goto -1\n"
		"if r1 <= 3 goto -1\n if r1 s< 3 goto -1\n if r1 s<= 3 goto -1\n"
		"if w1 == w2 goto +1\n if w1 > w2 goto +1\n if w1 >= w2 goto +1\n if w1 & w2 goto +1\n"
		"if w1 != w2 goto +1\n if w1 s> w2 goto +1\n if w1 s>= w2 goto +1\n if w1 < w2 goto +1\n"
		"if w1 <= w2 goto +1\n if w1 s< w2 goto +1\n if w1 s<= w2 goto +1\n"
		"if w1 == -3 goto -1\n if w1 > 3 goto -1\n if w1 >= 3 goto -1\n if w1 & 3 goto -1\n"
		"if w1 != 3 goto -1\n if w1 s> 3 goto -1\n if w1 s>= 3 goto -1\n if w1 < 3 goto -1\n"
		"if w1 <= 3 goto -1\n if w1 s< 3 goto -1\n if w1 s<= 3 goto -1\n"
		"goto +0\n goto -32768\n gotol -2\n .quad 0x000186a000000006\n may_goto +3\n"
		"call 1\n call 212\n callx r3\n"
		".quad 0x0000000100002085\n" /* kfunc call, BTF id 1 */
		".quad 0x0000000700032085\n" /* kfunc call, BTF id 7 in fd_array[3] */
		"exit\n");
	return 0;
}

SEC("socket/mem")
int isa_mem(void *ctx)
{
	asm volatile(
		"r0 = *(u8 *)(r1 + 1)\n r0 = *(u16 *)(r1 - 2)\n r0 = *(u32 *)(r1 + 0x7fff)\n"
		"r0 = *(u64 *)(r1 - 0x8000)\n"
		"r0 = *(s8 *)(r1 + 1)\n r0 = *(s16 *)(r1 + 2)\n r0 = *(s32 *)(r1 + 4)\n"
		"*(u8 *)(r10 - 1) = r2\n *(u16 *)(r10 - 2) = r2\n *(u32 *)(r10 - 4) = r2\n *(u64 *)(r10 - 8) = r2\n"
		"*(u8 *)(r10 - 1) = 1\n *(u16 *)(r10 - 2) = -2\n *(u32 *)(r10 - 4) = 3\n *(u64 *)(r10 - 8) = -4\n"
		/* atomics, 64 bit */
		"lock *(u64 *)(r1 + 8) += r2\n lock *(u64 *)(r1 + 8) |= r2\n"
		"lock *(u64 *)(r1 + 8) &= r2\n lock *(u64 *)(r1 + 8) ^= r2\n"
		"r2 = atomic_fetch_add((u64 *)(r1 + 8), r2)\n r2 = atomic_fetch_or((u64 *)(r1 + 8), r2)\n"
		"r2 = atomic_fetch_and((u64 *)(r1 + 8), r2)\n r2 = atomic_fetch_xor((u64 *)(r1 + 8), r2)\n"
		"r2 = xchg_64(r1 + 8, r2)\n r0 = cmpxchg_64(r1 + 8, r0, r2)\n"
		/* atomics, 32 bit */
		"lock *(u32 *)(r1 + 4) += w2\n lock *(u32 *)(r1 + 4) |= w2\n"
		"lock *(u32 *)(r1 + 4) &= w2\n lock *(u32 *)(r1 + 4) ^= w2\n"
		"w2 = atomic_fetch_add((u32 *)(r1 + 4), w2)\n w2 = atomic_fetch_or((u32 *)(r1 + 4), w2)\n"
		"w2 = atomic_fetch_and((u32 *)(r1 + 4), w2)\n w2 = atomic_fetch_xor((u32 *)(r1 + 4), w2)\n"
		"w2 = xchg32_32(r1 + 4, w2)\n w0 = cmpxchg32_32(r1 + 4, w0, w2)\n"
		/* legacy packet loads */
		"r0 = *(u8 *)skb[12]\n r0 = *(u16 *)skb[12]\n r0 = *(u32 *)skb[14]\n"
		"r0 = *(u8 *)skb[r6]\n r0 = *(u16 *)skb[r6]\n r0 = *(u32 *)skb[r6]\n"
		".quad 0x0000000800006040\n" /* r0 = *(u32 *)skb[r6 + 0x8]: llvm prints no immediate */
		/* 64-bit immediate loads with pseudo sources (src 1..6) */
		".quad 0x0000000700001118\n .quad 0x0000000000000000\n" /* map fd 7 */
		".quad 0x0000000700002218\n .quad 0x0000001000000000\n" /* map value fd 7 + 0x10 */
		".quad 0x0000abcd00003318\n .quad 0x0000000000000000\n" /* BTF id */
		".quad 0x0000000300004418\n .quad 0x0000000000000000\n" /* function */
		".quad 0x0000000200005518\n .quad 0x0000000000000000\n" /* map index 2 */
		".quad 0x0000000200006618\n .quad 0x0000000800000000\n" /* map index 2 value + 8 */
		/* load-acquire and store-release (Linux 6.15; llvm 19 does not know them) */
		".quad 0x00000100000021db\n" /* r1 = load_acquire((u64 *)(r2 + 0x0)) */
		".quad 0x00000100000421d3\n" /* w1 = load_acquire((u8 *)(r2 + 0x4)) */
		".quad 0x00000110fff821cb\n" /* store_release((u16 *)(r1 - 0x8), w2) */
		".quad 0x00000110000021c3\n" /* store_release((u32 *)(r1 + 0x0), w2) */
		"exit\n");
	return 0;
}

char _license[] SEC("license") = "GPL";
