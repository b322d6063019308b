// Package bench compares bpfgo with cilium/ebpf, the most used Go eBPF library, on the same
// kernel objects in the same run. It is a module of its own, so that bpfgo itself does not
// depend on cilium/ebpf; run it from this directory, as root:
//
//	go test -run '^$' -bench . -benchmem
//
// Each paired benchmark alternates blocks of a bare bpf(2) call on a prebuilt attr (the floor),
// bpfgo and cilium/ebpf, rotating which goes first, and reports each library's median ratio to
// the floor (1.00 would be free) beside its ns/op. Plain benchmarks report ns/op and
// allocations with -benchmem.
package bench
