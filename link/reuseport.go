package link

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/bpfgo/bpf"
)

// Reuseport is a program attached to the SO_REUSEPORT group of a socket with
// setsockopt(SO_ATTACH_REUSEPORT_EBPF). For every new connection (TCP) or
// datagram (UDP) addressed to the group, the kernel runs the program to pick
// the receiving socket instead of hashing the 4-tuple:
//
//   - An [bpf.SkReuseport] program (BPF_PROG_TYPE_SK_REUSEPORT, Linux 4.19)
//     selects a socket stored in a [bpf.ReusePortSockArray] map with the
//     helper bpf_sk_select_reuseport and returns SK_PASS; returning SK_PASS
//     without a selection falls back to the hash, SK_DROP drops the datagram
//     or SYN. Loaded with [bpf.AttachSkReuseportSelectOrMigrate] (Linux 5.14)
//     it also picks the listener that inherits the requests of a closing
//     listener (net.ipv4.tcp_migrate_req=1); ctx->migrating_sk is then set.
//   - A [bpf.SocketFilter] program (Linux 4.5) returns the index of the
//     socket in the group (in the order the sockets joined); an index out of
//     range falls back to the hash.
//
// The program belongs to the group, not to the socket: attaching through any
// socket of the group replaces it, and it stays while any socket of the group
// is open. Close detaches it (SO_DETACH_REUSEPORT_BPF, Linux 5.3) through the
// socket it was attached by; if that socket was closed in the meantime, Close
// succeeds but the program stays with the group's other sockets until they
// close. Pin and Info are not supported: it is not a BPF link.
type Reuseport struct {
	mu   sync.Mutex
	conn syscall.RawConn
	name string
}

// AttachReuseport attaches prog to the SO_REUSEPORT group of the socket
// behind conn (a *net.UDPConn, *net.TCPListener, *os.File, ...). The socket
// must have SO_REUSEPORT set before it was bound (net.ListenConfig.Control);
// otherwise the kernel answers EINVAL. The group keeps the program even after
// prog is closed; Close the returned Reuseport to detach it.
func AttachReuseport(conn syscall.Conn, prog *bpf.Program) (*Reuseport, error) {
	if conn == nil || prog == nil {
		return nil, errors.New("link: attach reuseport: nil socket or program")
	}
	if err := checkReuseportProgram(prog); err != nil {
		return nil, fmt.Errorf("link: attach reuseport: %w", err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("link: attach reuseport %q: %w", prog.Name(), err)
	}
	if err := reuseportSet(rc, prog); err != nil {
		return nil, fmt.Errorf("link: attach reuseport %q: %w", prog.Name(), err)
	}
	return &Reuseport{conn: rc, name: prog.Name()}, nil
}

func checkReuseportProgram(prog *bpf.Program) error {
	if t := prog.Type(); t != bpf.SkReuseport && t != bpf.SocketFilter {
		return fmt.Errorf("program %q is a %v, want a %v or %v", prog.Name(), t, bpf.SkReuseport, bpf.SocketFilter)
	}
	return nil
}

func reuseportSet(rc syscall.RawConn, prog *bpf.Program) error {
	err := socketControl(rc, func(fd int) error {
		return reuseportAttachFD(fd, prog.FD())
	})
	if errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("setsockopt SO_ATTACH_REUSEPORT_EBPF: %w (was SO_REUSEPORT set on the socket before bind?)", err)
	}
	if err != nil {
		return fmt.Errorf("setsockopt SO_ATTACH_REUSEPORT_EBPF: %w", err)
	}
	return nil
}

// Update atomically replaces the group's program with prog (another
// SO_ATTACH_REUSEPORT_EBPF: no datagram or connection sees the group without
// a program). The Reuseport then detaches prog on Close.
func (r *Reuseport) Update(prog *bpf.Program) error {
	if r == nil {
		return ErrClosed
	}
	if prog == nil {
		return errors.New("link: update reuseport: nil program")
	}
	if err := checkReuseportProgram(prog); err != nil {
		return fmt.Errorf("link: update reuseport: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return ErrClosed
	}
	if err := reuseportSet(r.conn, prog); err != nil {
		return fmt.Errorf("link: update reuseport %q to %q: %w", r.name, prog.Name(), err)
	}
	r.name = prog.Name()
	return nil
}

// Close detaches the program from the group (SO_DETACH_REUSEPORT_BPF,
// Linux 5.3). A group without a program (ENOENT) and a socket closed in the
// meantime count as detached. Safe on nil and when called twice.
func (r *Reuseport) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return nil
	}
	rc := r.conn
	r.conn = nil
	err := socketControl(rc, reuseportDetachFD)
	if err != nil && !errors.Is(err, syscall.ENOENT) && !isClosedConn(err) {
		return fmt.Errorf("link: detach reuseport %q: setsockopt SO_DETACH_REUSEPORT_BPF: %w", r.name, err)
	}
	return nil
}

// Pin is not supported for reuseport programs.
func (r *Reuseport) Pin(string) error { return errReuseportOnly("pin") }

// Unpin is not supported for reuseport programs.
func (r *Reuseport) Unpin() error { return errReuseportOnly("unpin") }

// Info is not supported for reuseport programs.
func (r *Reuseport) Info() (*Info, error) { return nil, errReuseportOnly("info") }

func errReuseportOnly(op string) error {
	return fmt.Errorf("link: %s: %w (reuseport program is not a BPF link)", op, ErrNotSupported)
}

var _ Link = (*Reuseport)(nil)
