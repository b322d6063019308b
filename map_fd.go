package bpf

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// This file holds the operations of the maps whose values are file
// descriptors on the way in and kernel ids or cookies on the way out:
// ProgramArray (programs for tail calls) and SockMap/SockHash (sockets).
// ArrayOfMaps/HashOfMaps are in map_inner.go.

// UpdateProgram stores p at index of a ProgramArray
// (BPF_MAP_TYPE_PROG_ARRAY), making it the target of bpf_tail_call(ctx,
// map, index). The kernel takes p's fd and keeps a reference, so p may be
// closed afterwards. The kernel only accepts programs compatible with the
// array's owner (the first program that used it): same program type, JIT
// state and, for XDP, the same frags setting; it answers EINVAL otherwise.
// The kernel knows only BPF_ANY for program arrays, so there are no update
// flags. The kernel empties a program array when its last user-space
// reference (fd or pin) goes away, even while programs still use it: keep
// the Map open or pinned as long as the tail calls should work. Requires
// Linux 4.2.
func (m *Map) UpdateProgram(index uint32, p *Program) error {
	const op = "update program"
	if m == nil {
		return ErrClosed
	}
	if m.typ != ProgramArray {
		return m.opError(op, fmt.Errorf("%v is not a %v", m.typ, ProgramArray))
	}
	if p == nil {
		return m.opError(op, errors.New("nil program"))
	}
	raw, err := p.fd.Acquire()
	if err != nil {
		return m.opError(op, fmt.Errorf("program %q: %w", p.name, err))
	}
	defer p.fd.Release()
	fd := uint32(raw)
	return m.update(unsafe.Pointer(&index), unsafe.Pointer(&fd), uint64(UpdateAny))
}

// LookupProgramID returns the id of the program stored at index of a
// ProgramArray: user space reads program ids from a program array, never
// fds. An empty slot matches [ErrKeyNotExist]. Requires Linux 4.13.
func (m *Map) LookupProgramID(index uint32) (ProgramID, error) {
	if m == nil {
		return 0, ErrClosed
	}
	if m.typ != ProgramArray {
		return 0, m.opError("lookup program", fmt.Errorf("%v is not a %v", m.typ, ProgramArray))
	}
	var id uint32
	if err := m.lookup(unsafe.Pointer(&index), unsafe.Pointer(&id), 0); err != nil {
		return 0, err
	}
	return ProgramID(id), nil
}

// LookupProgram opens the program stored at index of a ProgramArray by its
// id. The caller must Close it. An empty slot matches [ErrKeyNotExist].
func (m *Map) LookupProgram(index uint32) (*Program, error) {
	id, err := m.LookupProgramID(index)
	if err != nil {
		return nil, err
	}
	return NewProgramFromID(id)
}

// DeleteProgram empties index of a ProgramArray, so that a bpf_tail_call to
// it falls through to the instruction after the call. An empty slot matches
// [ErrKeyNotExist].
func (m *Map) DeleteProgram(index uint32) error {
	if m == nil {
		return ErrClosed
	}
	if m.typ != ProgramArray {
		return m.opError("delete program", fmt.Errorf("%v is not a %v", m.typ, ProgramArray))
	}
	return m.delete(unsafe.Pointer(&index))
}

func (m *Map) checkSockMap(op string) error {
	if m.typ != SockMap && m.typ != SockHash && m.typ != ReusePortSockArray {
		return m.opError(op, fmt.Errorf("%v is not a %v, %v or %v", m.typ, SockMap, SockHash, ReusePortSockArray))
	}
	return nil
}

// UpdateSocket stores the socket conn (a *net.TCPConn, *net.TCPListener,
// *net.UDPConn, *net.UnixConn, *os.File, ... anything with a SyscallConn)
// under key in a SockMap (BPF_MAP_TYPE_SOCKMAP, key is the 4-byte index),
// SockHash (BPF_MAP_TYPE_SOCKHASH) or ReusePortSockArray
// (BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: a TCP listener or bound UDP socket with
// SO_REUSEPORT, for sk_reuseport programs; Linux 4.19). The kernel takes a reference to the
// socket, not to the fd; the map entry disappears when the socket closes.
//
// The kernel accepts TCP sockets that are established or listening, UDP
// sockets (Linux 5.7), and Unix sockets (Linux 5.15); others fail with
// EOPNOTSUPP. Go's net.Listen and net.Dial make MPTCP sockets on kernels
// that have MPTCP, which are not TCP to the kernel: use a net.ListenConfig
// or net.Dialer with SetMultipathTCP(false). An fd that is not a socket
// fails with ENOTSOCK. Requires Linux 4.14 (SockMap), 4.18 (SockHash).
func (m *Map) UpdateSocket(key []byte, conn syscall.Conn, flags UpdateFlags) error {
	const op = "update socket"
	if m == nil {
		return ErrClosed
	}
	if err := m.checkSockMap(op); err != nil {
		return err
	}
	if err := m.checkKey(op, key); err != nil {
		return err
	}
	if conn == nil {
		return m.opError(op, errors.New("nil socket"))
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return m.opError(op, err)
	}
	var uerr error
	// Control keeps the fd open while the kernel looks the socket up.
	if err := rc.Control(func(fd uintptr) { uerr = m.updateSocketFD(key, int(fd), flags) }); err != nil {
		return m.opError(op, err)
	}
	return uerr
}

// UpdateSocketFD is [Map.UpdateSocket] for a raw socket file descriptor,
// which stays the caller's. It writes fd in the map's value size (4 or 8
// bytes).
func (m *Map) UpdateSocketFD(key []byte, fd int, flags UpdateFlags) error {
	const op = "update socket"
	if m == nil {
		return ErrClosed
	}
	if err := m.checkSockMap(op); err != nil {
		return err
	}
	if err := m.checkKey(op, key); err != nil {
		return err
	}
	if fd < 0 {
		return m.opError(op, fmt.Errorf("invalid fd %d", fd))
	}
	return m.updateSocketFD(key, fd, flags)
}

func (m *Map) updateSocketFD(key []byte, fd int, flags UpdateFlags) error {
	// The kernel reads a u64 fd when value_size is 8, a u32 otherwise; a
	// u64 holding a small fd starts with the same bytes as the u32 only on
	// little-endian machines, so write the width the map has.
	var v uint64
	var p unsafe.Pointer
	if m.valueSize == 8 {
		v = uint64(fd)
		p = unsafe.Pointer(&v)
	} else {
		v32 := uint32(fd)
		p = unsafe.Pointer(&v32)
	}
	return m.update(slicePtr(key), p, uint64(flags))
}

// LookupSocketCookie returns the socket cookie (SO_COOKIE) of the socket
// stored under key in a SockMap, SockHash or ReusePortSockArray: user space reads cookies from
// socket maps, never fds. The kernel answers lookups only for maps with an
// 8-byte value; for 4-byte values this fails before the syscall. A missing
// key matches [ErrKeyNotExist]. Requires Linux 5.7 for the cookie.
func (m *Map) LookupSocketCookie(key []byte) (uint64, error) {
	const op = "lookup socket"
	if m == nil {
		return 0, ErrClosed
	}
	if err := m.checkSockMap(op); err != nil {
		return 0, err
	}
	if err := m.checkKey(op, key); err != nil {
		return 0, err
	}
	if m.valueSize != 8 {
		return 0, m.opError(op, fmt.Errorf("value size is %d: the kernel returns socket cookies only for 8-byte values", m.valueSize))
	}
	var cookie uint64
	if err := m.lookup(slicePtr(key), unsafe.Pointer(&cookie), 0); err != nil {
		return 0, err
	}
	return cookie, nil
}
