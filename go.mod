module github.com/bpfgo/bpf

go 1.24.0

require (
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.41.0
)
