// Package sys is the only place in bpfgo that calls bpf(2) and
// perf_event_open(2).
//
// It provides:
//
//   - [FD], the one type that owns a kernel file descriptor: never 0-2,
//     close-on-exec, Close idempotent and safe against concurrent users
//     ([FD.Acquire] / [FD.Release]), with a cleanup as a safety net only.
//   - The bpf_attr layouts, one Go struct per command ([MapCreateAttr],
//     [MapElemAttr], [ProgLoadAttr], ...), the info structs ([MapInfo],
//     [ProgInfo], [BTFInfo], [LinkInfo]), [PerfEventAttr], and the kernel's enum
//     values ([Cmd], [MapType], [ProgType], [AttachType], BPF_F_* flags). They
//     are generated into types_gen.go from the running kernel's BTF by ./gen;
//     TestLayout checks every size and offset against BTF again.
//   - One wrapper per bpf command ([MapCreate], [MapLookupElem], [ProgLoad],
//     ...). Wrappers return the raw unix.Errno (use errors.Is) and retry
//     EINTR; those that create objects return an *FD the caller owns.
//   - The shared errors [ErrNotSupported], [ErrClosed] and [FeatureError].
//
// Pointers inside attrs are [Pointer] values, which hold an unsafe.Pointer so
// the garbage collector keeps the pointee alive while the attr is reachable.
//
// On systems other than Linux the package compiles; every kernel call returns
// an error matching [ErrNotSupported].
package sys

//go:generate go run ./gen -out types_gen.go -test layout_gen_test.go -asm ../../asm/helpers_gen.go
