// Weak kfuncs guarded by bpf_ksym_exists (!!sym): the program loads whether
// or not the kernel has them, and returns what it found: 10 for
// bpf_rcu_read_lock (Linux 6.2), 100 for a kfunc no kernel has.
#define SEC(n) __attribute__((section(n), used))
#define __ksym __attribute__((section(".ksyms")))
#define __weak __attribute__((weak))
#define bpf_ksym_exists(sym) (!!(sym))

extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
extern int bpf_no_such_kfunc(void) __ksym __weak;

SEC("syscall") int weak_kfuncs(void *ctx)
{
	int found = 0;

	if (bpf_ksym_exists(bpf_no_such_kfunc))
		found += 100 + bpf_no_such_kfunc();
	if (bpf_ksym_exists(bpf_rcu_read_lock)) {
		bpf_rcu_read_lock();
		bpf_rcu_read_unlock();
		found += 10;
	}
	return found;
}

char LICENSE[] SEC("license") = "GPL";
