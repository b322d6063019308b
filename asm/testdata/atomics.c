// Atomic operations on 32- and 64-bit words, with and without fetch, xchg and cmpxchg.
// Needs cpu v3 or later for the fetch forms; compiled for v3 and v4.
#include "common.h"

__u64 c64;
__u32 c32;

SEC("tc")
int atomics_prog(void *ctx)
{
	__u64 *p = &c64;
	__u32 *q = &c32;
	__u64 r = 0;

	/* without fetch (result unused) */
	__sync_fetch_and_add(p, 1);
	__sync_fetch_and_or(p, 2);
	__sync_fetch_and_and(p, 3);
	__sync_fetch_and_xor(p, 4);
	__sync_fetch_and_add(q, 5);
	__sync_fetch_and_or(q, 6);
	__sync_fetch_and_and(q, 7);
	__sync_fetch_and_xor(q, 8);

	/* with fetch */
	r += __sync_fetch_and_add(p, 11);
	r += __sync_fetch_and_or(p, 12);
	r += __sync_fetch_and_and(p, 13);
	r += __sync_fetch_and_xor(p, 14);
	r += __sync_fetch_and_add(q, 15);
	r += __sync_fetch_and_or(q, 16);
	r += __sync_fetch_and_and(q, 17);
	r += __sync_fetch_and_xor(q, 18);

	/* exchange and compare-and-exchange */
	r += __sync_lock_test_and_set(p, 21);
	r += __sync_lock_test_and_set(q, 22);
	r += __sync_val_compare_and_swap(p, r, 23);
	r += __sync_val_compare_and_swap(q, (__u32)r, 24);
	r += __atomic_exchange_n(p, r, __ATOMIC_SEQ_CST);
	return r;
}

char _license[] SEC("license") = "GPL";
