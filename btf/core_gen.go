package btf

// testdata/core_kernel.o, compiled from testdata/core_kernel.c, holds every CO-RE relocation
// kind for the tests against the running kernel.
//go:generate clang-19 -O2 -g -target bpfel -c testdata/core_kernel.c -o testdata/core_kernel.o
