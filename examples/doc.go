// Package examples is the catalogue of ready-to-use BPF programs of clj-ebpf's
// clj-ebpf.examples namespace, ported to bpfgo and each proven in the kernel by its tests: XDP
// filters and parsers, TC classifiers, map counters and lookups, tracing with bpf_trace_printk
// and timestamps, ALU and jump demonstrations, SYN flood protection, ICMP rate limiting, an IP
// allowlist, perf event output and the CPU id, plus what bpfgo adds (a ring buffer flow log, a
// dual-stack port filter, CO-RE reads of task_struct).
//
// The names are clj-ebpf's ("xdp-pass-all", "ip-allowlist"), so its users find them. Every
// program is built from asm and the emit helpers (bounds checks, map operations, the token
// bucket, output), never with hand-computed jump offsets. Where clj-ebpf's example disagrees
// with the kernel, the kernel wins and [Example.Notes] says so.
//
// Loading one takes three lines; Load also creates the maps the program uses:
//
//	l, err := examples.Load("xdp-map-counter") // program and maps, owned by l
//	if err != nil { ... }
//	defer l.Close()
//	res, err := l.Program.Run(&bpf.RunOptions{Data: packet.Spec{}.MustBuild()})
//
// or step by step, with maps the caller creates (or reuses) and owns:
//
//	ex, _ := examples.Get("ip-allowlist")
//	maps, _ := ex.NewMaps() // the caller closes them: defer maps.Close()
//	spec, _ := ex.Build(maps)
//	prog, _ := bpf.NewProgram(spec)
//
// [Example.Instructions] gives the program with maps referenced by name, without a kernel:
// `bpfgo examples show NAME` prints it.
//
// Programs that filter on fixed values use clj-ebpf's (port 80, UDP ports 1024–2048, more than 60
// bytes); the constants of this package name them. Packet examples read IPv4 without VLAN tags.
package examples
