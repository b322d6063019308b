// kconfig.c: extern variables of the running kernel (.kconfig), filled in
// by NewCollection.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern int CONFIG_BPFGO_NO_SUCH_OPTION __kconfig __weak;

__u64 out[3];

SEC("syscall")
int kconf(void *ctx)
{
	out[0] = LINUX_KERNEL_VERSION;
	out[1] = CONFIG_BPF_SYSCALL;
	out[2] = CONFIG_BPFGO_NO_SUCH_OPTION + 7;
	return 0;
}
