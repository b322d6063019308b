// An untyped (const void) ksym: its address needs kallsyms, which the loader
// does not read; it refuses the object with a clear error.
#define SEC(n) __attribute__((section(n), used))
#define __ksym __attribute__((section(".ksyms")))

extern const void bpf_prog_active __ksym;

static void *(*bpf_per_cpu_ptr)(const void *percpu_ptr, unsigned int cpu) = (void *)153;

SEC("syscall") int untyped(void *ctx)
{
	return bpf_per_cpu_ptr(&bpf_prog_active, 0) != 0;
}

char LICENSE[] SEC("license") = "GPL";
