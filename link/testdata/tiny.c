/* tiny.c: a minimal static executable with two functions, the seed of
 * FuzzSymbolOffsets and the input of TestSymbolOffsets.
 * Build: clang-19 -O1 -nostdlib -static -fno-pie -Wl,--build-id=none -o tiny.elf tiny.c
 */
__attribute__((noinline)) int tiny_add(int a, int b) { return a + b; }
__attribute__((noinline)) int tiny_mul(int a, int b) { return a * b; }

void _start(void)
{
	volatile int r = tiny_add(1, 2) + tiny_mul(3, 4);
	(void)r;
	__asm__ volatile("mov $60, %eax; xor %edi, %edi; syscall");
}
