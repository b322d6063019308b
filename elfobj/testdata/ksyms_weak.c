// A call of a __weak extern kfunc: the loader refuses it with a clear error.
#define SEC(n) __attribute__((section(n), used))
#define __ksym __attribute__((section(".ksyms")))

extern void bpf_rcu_read_lock(void) __ksym __attribute__((weak));

SEC("syscall") int weak_call(void *ctx)
{
	bpf_rcu_read_lock();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
