// Extern kernel symbols (.ksyms): kfunc calls and a typed per-CPU variable.
typedef int __s32;
typedef unsigned int __u32;
struct task_struct { int pid; } __attribute__((preserve_access_index));
struct rq { int cpu; } __attribute__((preserve_access_index));

#define SEC(n) __attribute__((section(n), used))
#define __ksym __attribute__((section(".ksyms")))
#define __weak __attribute__((weak))

extern struct task_struct *bpf_task_from_pid(__s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern int bpf_no_such_kfunc(void) __ksym __weak;
extern const struct rq runqueues __ksym;

static void *(*bpf_per_cpu_ptr)(const void *percpu_ptr, __u32 cpu) = (void *)153;

struct args { __u32 pid; __u32 cpu; };

SEC("syscall") int task_pid(struct args *a)
{
	struct task_struct *t = bpf_task_from_pid(a->pid);
	int pid;

	if (!t)
		return -1;
	pid = t->pid;
	bpf_task_release(t);
	return pid;
}

SEC("syscall") int rq_cpu(struct args *a)
{
	struct rq *rq = bpf_per_cpu_ptr(&runqueues, a->cpu);

	if (!rq)
		return -1;
	return rq->cpu;
}

char LICENSE[] SEC("license") = "GPL";
