// Package bpf is a pure-Go eBPF library: it creates and operates BPF maps,
// loads programs built with package asm or parsed from ELF, runs them with
// BPF_PROG_TEST_RUN, pins objects to the BPF file system and reads what the
// kernel reports about them. It calls bpf(2) directly (through
// internal/sys), without cgo or libbpf.
//
// # Specs and live objects
//
// A [MapSpec] or ProgramSpec is plain data; [NewMap] and NewProgram turn it
// into a live [*Map] or *Program that owns a file descriptor and must be
// closed. Live objects report what the kernel says ([Map.Info]).
//
// # Maps
//
// [*Map] works on bytes: keys of KeySize bytes and values of
// [Map.ValueBufferSize] bytes, checked before any syscall. Lookup, Update and
// Delete allocate nothing. Per-CPU maps hold one value per possible CPU
// ([PossibleCPUs]), each padded to 8 bytes. Queues and stacks have
// [Map.Push], [Map.Pop] and [Map.Peek]; LPM tries take keys from netip
// ([LPMKey], [LPMKeyIPv4]); maps of maps take inner maps
// ([Map.UpdateInnerMap]); arrays created with MapFlagMmapable can be
// memory-mapped ([Map.Mmap]). Walks ([Map.Iterate]) and [Map.Count],
// [Map.Clear] use the kernel's batch operations where it has them, and the
// batch methods ([Map.BatchLookup], [Map.BatchUpdate], ...) fall back to
// single operations where it does not.
//
// [TypedMap] and [PerCPUTypedMap] are generic views over pointer-free Go
// types, checked once at construction.
//
// # Errors
//
// Errors name the object and the operation (`map "counts": lookup: key does
// not exist`) and match sentinels with errors.Is: [ErrKeyNotExist],
// [ErrKeyExist], [ErrMapFull], [ErrNotSupported], [ErrClosed]; the kernel's
// errno stays reachable too.
//
// # Concurrency
//
// Maps and programs are safe for concurrent use. Close waits for operations
// in flight, and an operation that races with Close returns [ErrClosed]
// rather than acting on a reused fd number.
package bpf
