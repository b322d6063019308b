// Test object for the btf package: BTF of a struct with bitfields, an enum,
// a 64-bit enum, a union, a function pointer, globals and functions, and a
// .BTF.ext with func_info, line_info and CO-RE relocations of several kinds.
//
// Rebuild with `go generate ./btf/` (clang-19).

typedef unsigned int u32;
typedef unsigned long long u64;

#define SEC(name) __attribute__((section(name), used))
#define __tag(x) __attribute__((btf_decl_tag(x)))

enum color { RED = 0, GREEN = 1, BLUE = -3 };
enum big { BIG = 0x100000000ULL, BIGGER = 0xffffffffffffffffULL };

struct flags {
	unsigned int a : 3;
	unsigned int b : 5;
	int c : 7;
	unsigned char d;
	u64 e : 40;
} __tag("flags_tag");

union value {
	u32 n;
	char bytes[4];
};

struct task {
	int pid;
	int tgid;
	struct flags fl;
	union value v;
	enum color col;
	struct task *parent;
	int (*cb)(struct task *, u32);
	const volatile char comm[16];
	struct {
		int x;
		long y;
	};
} __attribute__((preserve_access_index));

struct task___old {
	int pid;
} __attribute__((preserve_access_index));

struct task global_task;
int counter SEC(".data") = 1;
const volatile u32 config = 7;
enum big big_value;

static __attribute__((noinline)) int helper(struct task *t, u32 n)
{
	return t->pid + n;
}

SEC("xdp") int prog(struct task *t)
{
	int r = 0;
	r += __builtin_preserve_field_info(t->tgid, 0);     // byte_off
	r += __builtin_preserve_field_info(t->fl, 1);       // byte_sz
	r += __builtin_preserve_field_info(t->comm, 2);     // field_exists
	r += __builtin_preserve_field_info(t->parent->y, 0); // byte_off through an anonymous struct
	r += __builtin_preserve_type_info(*t, 0);           // type_exists
	r += __builtin_preserve_type_info(*(struct task___old *)t, 1); // type_size
	r += __builtin_preserve_enum_value(*(enum color *)BLUE, 1);    // enumval_value
	r += __builtin_preserve_enum_value(*(enum color *)GREEN, 0);   // enumval_exists
	r += helper(t, counter + config);
	return r;
}

char _license[] SEC("license") = "GPL";
