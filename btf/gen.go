package btf

// The test object testdata/core.o (and its big-endian twin core_eb.o) is
// compiled from testdata/core.c; both are committed.
//go:generate clang-19 -O2 -g -target bpfel -c testdata/core.c -o testdata/core.o
//go:generate clang-19 -O2 -g -target bpfeb -c testdata/core.c -o testdata/core_eb.o
