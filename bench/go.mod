module github.com/bpfgo/bpf/bench

go 1.24.0

require (
	github.com/bpfgo/bpf v0.0.0
	github.com/cilium/ebpf v0.21.0
	golang.org/x/sys v0.41.0
)

require (
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
)

replace github.com/bpfgo/bpf => ../
