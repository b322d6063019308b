#!/bin/sh
# Rebuilds the oracle objects from their C sources with clang-19 (run by `go generate ./asm`).
set -e
cd "$(dirname "$0")"
for v in v1 v2 v3 v4; do clang-19 -O2 -target bpf -mcpu=$v -c alu.c -o alu_$v.o; done
for v in v3 v4; do clang-19 -O2 -target bpf -mcpu=$v -c atomics.c -o atomics_$v.o; done
clang-19 -O2 -target bpf -mcpu=v4 -c v4.c -o v4.o
clang-19 -O2 -target bpf -mcpu=v4 -c isa.c -o isa.o
# Big-endian objects check decoding in the other byte order.
clang-19 -O2 -target bpfeb -mcpu=v3 -c alu.c -o alu_v3_eb.o
clang-19 -O2 -target bpfeb -mcpu=v4 -c atomics.c -o atomics_v4_eb.o
clang-19 -O2 -target bpfeb -mcpu=v4 -c v4.c -o v4_eb.o
