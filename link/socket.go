package link

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/bpfgo/bpf"
)

// SocketFilter is a SocketFilter program attached to one socket with
// setsockopt(SO_ATTACH_BPF) (Linux 3.19). The program sees every packet the
// socket receives; a return value smaller than the packet length truncates it,
// and 0 drops it. Close detaches it (SO_DETACH_BPF). Pin, Update and Info are
// not supported; attaching another program replaces this one.
type SocketFilter struct {
	mu   sync.Mutex
	conn syscall.RawConn
	name string
}

// AttachSocketFilter attaches prog to the socket behind conn (a *net.UDPConn,
// *net.TCPConn, *os.File, ...). The socket keeps the program even after prog is
// closed; Close the returned SocketFilter to detach it.
func AttachSocketFilter(conn syscall.Conn, prog *bpf.Program) (*SocketFilter, error) {
	if conn == nil || prog == nil {
		return nil, errors.New("link: attach socket filter: nil socket or program")
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("link: attach socket filter %q: %w", prog.Name(), err)
	}
	err = socketControl(rc, func(fd int) error {
		return socketSetBPF(fd, prog.FD())
	})
	if err != nil {
		return nil, fmt.Errorf("link: attach socket filter %q: setsockopt SO_ATTACH_BPF: %w", prog.Name(), err)
	}
	return &SocketFilter{conn: rc, name: prog.Name()}, nil
}

func socketControl(rc syscall.RawConn, fn func(fd int) error) error {
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = fn(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// Close detaches the filter from the socket. A socket closed in the meantime
// counts as detached. Safe on nil and when called twice.
func (s *SocketFilter) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	rc := s.conn
	s.conn = nil
	err := socketControl(rc, func(fd int) error {
		return socketClearBPF(fd)
	})
	if err != nil && !errors.Is(err, syscall.ENOENT) && !isClosedConn(err) {
		return fmt.Errorf("link: detach socket filter %q: %w", s.name, err)
	}
	return nil
}

// isClosedConn reports the error RawConn.Control returns for a closed socket.
func isClosedConn(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EBADF)
}

// Pin is not supported for socket filters.
func (s *SocketFilter) Pin(string) error { return errSocketOnly("pin") }

// Unpin is not supported for socket filters.
func (s *SocketFilter) Unpin() error { return errSocketOnly("unpin") }

// Update is not supported for socket filters; attach the new program with
// [AttachSocketFilter] instead (it replaces the old one).
func (s *SocketFilter) Update(*bpf.Program) error { return errSocketOnly("update") }

// Info is not supported for socket filters.
func (s *SocketFilter) Info() (*Info, error) { return nil, errSocketOnly("info") }

func errSocketOnly(op string) error {
	return fmt.Errorf("link: %s: %w (socket filter is not a BPF link)", op, ErrNotSupported)
}

var _ Link = (*SocketFilter)(nil)
