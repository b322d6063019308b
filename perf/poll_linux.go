//go:build linux

package perf

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

// poller waits on an epoll set that holds the watched fds and an eventfd.
// Writing the eventfd (Close, or a cancelled context through
// context.AfterFunc) wakes a blocked wait at once: there is no polling tick.
//
// wait must not be called concurrently with itself; wake may be called from
// any goroutine, also after close.
type poller struct {
	epfd   *sys.FD
	efd    *sys.FD
	events []unix.EpollEvent

	wg       sync.WaitGroup // the AfterFunc callback of the current wait
	onCancel func()         // allocated once: wakes the wait and marks wg done
}

func newPoller(maxEvents int) (*poller, error) {
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
	p := &poller{epfd: epfd, efd: efd, events: make([]unix.EpollEvent, maxEvents+1)}
	p.onCancel = func() {
		p.wake()
		p.wg.Done()
	}
	if err := p.add(efd.Int(), unix.EPOLLIN, wakeTag); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// add watches fd for events; tag comes back from wait.
func (p *poller) add(fd int, events uint32, tag int32) error {
	ev := unix.EpollEvent{Events: events, Fd: tag}
	if err := unix.EpollCtl(p.epfd.Int(), unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

// wake makes a blocked or the next wait return. It is safe after close.
func (p *poller) wake() {
	raw, err := p.efd.Acquire()
	if err != nil {
		return
	}
	one := [8]byte{1}
	unix.Write(raw, one[:]) // EAGAIN means the counter is already non-zero: still awake
	p.efd.Release()
}

// drainWake resets the eventfd counter.
func (p *poller) drainWake() {
	var buf [8]byte
	unix.Read(p.efd.Int(), buf[:])
}

// wait blocks until a watched fd is ready and returns the tags of the ready
// fds. It returns ErrClosed once closed is set (and the eventfd written), and
// ctx's error, wrapped, when ctx is done. No goroutine outlives wait.
func (p *poller) wait(ctx context.Context, closed *atomic.Bool) ([]unix.EpollEvent, error) {
	if closed.Load() {
		return nil, ErrClosed
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
				return nil, ErrClosed
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

// close closes the epoll fd and the eventfd.
func (p *poller) close() error {
	return errors.Join(p.epfd.Close(), p.efd.Close())
}
