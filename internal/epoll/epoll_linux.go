//go:build linux

// Package epoll is the wait loop the event readers share: an epoll set holding the watched fds
// and an eventfd, so that Close or a cancelled context wakes a blocked wait at once, with no
// polling tick.
package epoll

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/internal/sys"
)

// wakeTag marks the eventfd in the epoll set; ring fds use their own index.
const wakeTag = -1

// Poller waits on an epoll set that holds the watched fds and an eventfd.
// Writing the eventfd (Close, or a cancelled context through
// context.AfterFunc) wakes a blocked wait at once: there is no polling tick.
//
// Wait must not be called concurrently with itself; wake may be called from
// any goroutine, also after close.
type Poller struct {
	epfd   *sys.FD
	efd    *sys.FD
	events []unix.EpollEvent

	wg       sync.WaitGroup // the AfterFunc callback of the current wait
	onCancel func()         // allocated once: wakes the wait and marks wg done
}

// New returns a Poller that reports up to maxEvents ready fds per wait. The caller must Close it.
func New(maxEvents int) (*Poller, error) {
	raw, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	epfd, err := sys.NewFD(raw)
	if err != nil {
		return nil, err
	}
	raw, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		epfd.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	efd, err := sys.NewFD(raw)
	if err != nil {
		epfd.Close()
		return nil, err
	}
	p := &Poller{epfd: epfd, efd: efd, events: make([]unix.EpollEvent, maxEvents+1)}
	p.onCancel = func() {
		p.Wake()
		p.wg.Done()
	}
	if err := p.Add(efd.Int(), unix.EPOLLIN, wakeTag); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Add watches fd for events; tag comes back from wait.
func (p *Poller) Add(fd int, events uint32, tag int32) error {
	ev := unix.EpollEvent{Events: events, Fd: tag}
	if err := unix.EpollCtl(p.epfd.Int(), unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

// Wake makes a blocked or the next wait return. It is safe after close.
func (p *Poller) Wake() {
	raw, err := p.efd.Acquire()
	if err != nil {
		return
	}
	one := [8]byte{1}
	unix.Write(raw, one[:]) // EAGAIN means the counter is already non-zero: still awake
	p.efd.Release()
}

// drainWake resets the eventfd counter.
func (p *Poller) drainWake() {
	var buf [8]byte
	unix.Read(p.efd.Int(), buf[:])
}

// wait blocks until a watched fd is ready and returns the tags of the ready
// fds. It returns sys.ErrClosed once closed is set (and the eventfd written), and
// ctx's error, wrapped, when ctx is done. No goroutine outlives wait.
func (p *Poller) Wait(ctx context.Context, closed *atomic.Bool) ([]unix.EpollEvent, error) {
	if closed.Load() {
		return nil, sys.ErrClosed
	}
	if ctx.Done() != nil {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("wait: %w", err)
		}
		p.wg.Add(1)
		stop := context.AfterFunc(ctx, p.onCancel)
		defer func() {
			if stop() {
				p.wg.Done() // the callback will never run
			} else {
				p.wg.Wait() // it ran or is running: let it finish
			}
		}()
	}
	for {
		n, err := unix.EpollWait(p.epfd.Int(), p.events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("epoll_wait: %w", err)
		}
		ready := p.events[:0]
		woken := false
		for _, ev := range p.events[:n] {
			if ev.Fd == wakeTag {
				woken = true
				continue
			}
			ready = append(ready, ev)
		}
		if woken {
			p.drainWake()
			if closed.Load() {
				return nil, sys.ErrClosed
			}
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("wait: %w", err)
			}
		}
		if len(ready) > 0 {
			return ready, nil
		}
		// A late wake-up from an earlier wait's context: wait again.
	}
}

// Close closes the epoll fd and the eventfd.
func (p *Poller) Close() error {
	return errors.Join(p.epfd.Close(), p.efd.Close())
}
