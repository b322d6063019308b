// Test object for CO-RE against the running kernel: every relocation kind, on local
// definitions of kernel types (some flavoured, some with invented members), in the style of a
// libbpf program compiled against a trimmed vmlinux.h. btf/core_kernel_test.go applies its
// relocations against /sys/kernel/btf/vmlinux and compares with libbpf's own results
// (bpftool -d prog loadall) and with bpftool's raw dump.
//
// Rebuild with `go generate ./btf/` (clang-19).

typedef unsigned int u32;
typedef unsigned long long u64;

#define SEC(name) __attribute__((section(name), used))
#define __core __attribute__((preserve_access_index))

struct thread_struct {
	unsigned long sp;
} __core;

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	char comm[16];
	unsigned int in_execve : 1;
	unsigned int sched_reset_on_fork : 1;
	struct thread_struct thread;
	int no_such_field; /* invented: not in any kernel */
} __core;

/* A flavour with fewer members and an invented one. */
struct task_struct___flav {
	int tgid;
	long invented;
} __core;

struct list_head {
	struct list_head *next, *prev;
};

/* callback_head exists, but its next is a pointer, not an int. */
struct callback_head___bad {
	int next;
};

struct bpf_map {
	int whatever;
};

struct no_such_type_xyz {
	int x;
};

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };
enum pid_type___new { PIDTYPE_NO_SUCH___new = 9, PIDTYPE_SID___new = 3 };

/* __builtin_preserve_field_info kinds */
#define BYTE_OFFSET 0
#define BYTE_SIZE 1
#define EXISTS 2
#define SIGNED 3
#define LSHIFT 4
#define RSHIFT 5

SEC("raw_tp/sys_enter") int values(u64 *ctx)
{
	struct task_struct *t = (void *)ctx[0];
	struct task_struct___flav *f = (void *)ctx[0];
	u64 r = 0;

	r += __builtin_preserve_field_info(t->pid, BYTE_OFFSET);
	r += __builtin_preserve_field_info(t->thread.sp, BYTE_OFFSET);
	r += __builtin_preserve_field_info(t->comm[3], BYTE_OFFSET);
	r += __builtin_preserve_field_info(t->in_execve, BYTE_OFFSET);
	r += __builtin_preserve_field_info(t->comm, BYTE_SIZE);
	r += __builtin_preserve_field_info(t->in_execve, BYTE_SIZE);
	r += __builtin_preserve_field_info(t->pid, EXISTS);
	r += __builtin_preserve_field_info(t->no_such_field, EXISTS);
	r += __builtin_preserve_field_info(f->invented, EXISTS);
	r += __builtin_preserve_field_info(f->tgid, BYTE_OFFSET);
	r += __builtin_preserve_field_info(t->pid, SIGNED);
	r += __builtin_preserve_field_info(t->in_execve, SIGNED);
	r += __builtin_preserve_field_info(t->in_execve, LSHIFT);
	r += __builtin_preserve_field_info(t->in_execve, RSHIFT);
	r += __builtin_preserve_field_info(t->sched_reset_on_fork, LSHIFT);
	r += __builtin_preserve_field_info(t->sched_reset_on_fork, RSHIFT);
	r += __builtin_btf_type_id(*t, 0);                                    /* type id local */
	r += __builtin_btf_type_id(*t, 1);                                    /* type id target */
	r += __builtin_preserve_type_info(*(struct bpf_map *)0, 0);           /* exists */
	r += __builtin_preserve_type_info(*(struct no_such_type_xyz *)0, 0);  /* exists: 0 */
	r += __builtin_preserve_type_info(*t, 1);                             /* size */
	r += __builtin_preserve_type_info(*(struct list_head *)0, 2);         /* matches */
	r += __builtin_preserve_type_info(*(struct callback_head___bad *)0, 2); /* matches: 0 */
	r += __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_TGID, 1);
	r += __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_MAX, 1);
	r += __builtin_preserve_enum_value(*(enum pid_type___new *)PIDTYPE_SID___new, 1);
	r += __builtin_preserve_enum_value(*(enum pid_type___new *)PIDTYPE_NO_SUCH___new, 0);
	r += __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_SID, 0);
	return r;
}

/* Loads and stores through relocated offsets (the verifier would reject these direct
 * accesses to a scalar; only the relocations matter here). */
SEC("raw_tp/sys_exit") int loads(u64 *ctx)
{
	struct task_struct *t = (void *)ctx[0];

	t->thread.sp = 7;
	return t->tgid + t->real_parent->pid + t->comm[1];
}

char _license[] SEC("license") = "GPL";
