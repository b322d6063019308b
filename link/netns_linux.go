//go:build linux

package link

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// netCurrentNS opens the calling thread's network namespace, so that later
// netlink calls (a detach from another goroutine) reach the same namespace.
func netCurrentNS() (*sys.FD, error) {
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	return sys.NewFD(fd)
}

// netRunIn runs fn on a fresh OS thread that has entered the network namespace
// ns. The thread is never unlocked, so the runtime discards it afterwards and
// the namespace switch cannot leak to other goroutines.
func netRunIn(ns *sys.FD, fn func() error) error {
	raw, err := ns.Acquire()
	if err != nil {
		return err
	}
	defer ns.Release()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(raw, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
