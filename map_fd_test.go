//go:build linux

package bpf

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
)

// XDP verdicts used by the tail call tests.
const (
	xdpDrop = 1
	xdpPass = 2
	xdpTx   = 3
)

// xdpReturn loads an XDP program that returns verdict.
func xdpReturn(t *testing.T, name string, verdict int32) *Program {
	t.Helper()
	return loadTestProg(t, &ProgramSpec{Name: name, Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.MovImm(asm.R0, verdict),
		asm.Exit(),
	}})
}

// TestMapProgramArrayTailCall fills a ProgramArray with programs and proves
// in the kernel that bpf_tail_call jumps to the program at the index, and
// falls through once the slot is emptied.
func TestMapProgramArrayTailCall(t *testing.T) {
	jumps := mustNewMap(t, &MapSpec{Name: "t_jumps", Type: ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	// The caller tail-calls into jumps[index], where index is the first
	// byte of the packet; when the slot is empty it returns XDP_DROP.
	caller := loadTestProg(t, &ProgramSpec{Name: "tail_caller", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, 0), // data
		asm.Ldx(asm.W, asm.R3, asm.R1, 4), // data_end
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 1),
		asm.MovImm(asm.R0, 0), // XDP_ABORTED on an empty packet
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"),
		asm.Ldx(asm.B, asm.R3, asm.R2, 0), // R3 = index
		asm.LoadMap(asm.R2, jumps),        // R2 = map; R1 is still ctx
		asm.Call(asm.FnTailCall),
		asm.MovImm(asm.R0, xdpDrop), // only reached when the tail call fails
		asm.Label("out"),
		asm.Exit(),
	}})
	pass := xdpReturn(t, "tail_pass", xdpPass)
	tx := xdpReturn(t, "tail_tx", xdpTx)

	if err := jumps.UpdateProgram(1, pass); err != nil {
		t.Fatal(err)
	}
	if err := jumps.UpdateProgram(2, tx); err != nil {
		t.Fatal(err)
	}
	// The map holds its own reference: the callee keeps working after
	// user space closes it.
	txID, err := tx.ID()
	if err != nil {
		t.Fatal(err)
	}
	tx.Close()

	run := func(index byte) uint32 {
		t.Helper()
		data := make([]byte, 64)
		data[0] = index
		res, err := caller.Run(&RunOptions{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return res.ReturnValue
	}
	tests := []struct {
		index byte
		want  uint32
	}{
		{0, xdpDrop}, // empty slot: fall through
		{1, xdpPass},
		{2, xdpTx},
		{3, xdpDrop},
		{200, xdpDrop}, // beyond max_entries: fall through
	}
	for _, tt := range tests {
		if got := run(tt.index); got != tt.want {
			t.Errorf("tail call to %d returned %d, want %d", tt.index, got, tt.want)
		}
	}

	// Lookup from user space reads program ids.
	if id, err := jumps.LookupProgramID(2); err != nil || id != txID {
		t.Fatalf("LookupProgramID(2) = %d, %v; want %d", id, err, txID)
	}
	got, err := jumps.LookupProgram(1)
	if err != nil {
		t.Fatal(err)
	}
	gotID, _ := got.ID()
	passID, _ := pass.ID()
	got.Close()
	if gotID != passID {
		t.Fatalf("LookupProgram(1) has id %d, want %d", gotID, passID)
	}
	if _, err := jumps.LookupProgramID(0); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("lookup of an empty slot: %v", err)
	}
	// The byte-level view agrees.
	v := make([]byte, 4)
	if err := jumps.Lookup(u32(1), v); err != nil || ProgramID(hostEndian.Uint32(v)) != passID {
		t.Fatalf("Lookup(1) = %x, %v", v, err)
	}

	// Replace: index 1 now tail-calls XDP_TX too.
	tx2 := xdpReturn(t, "tail_tx2", xdpTx)
	if err := jumps.UpdateProgram(1, tx2); err != nil {
		t.Fatal(err)
	}
	if got := run(1); got != xdpTx {
		t.Fatalf("after replacing slot 1: %d", got)
	}

	if n, err := jumps.Count(); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	var keys []uint32
	it := jumps.Iterate()
	for k := range it.Keys() {
		keys = append(keys, hostEndian.Uint32(k))
	}
	if it.Err() != nil || !slices.Equal(keys, []uint32{1, 2}) {
		t.Fatalf("keys %v, %v", keys, it.Err())
	}

	// Delete: the tail call falls through.
	if err := jumps.DeleteProgram(2); err != nil {
		t.Fatal(err)
	}
	if got := run(2); got != xdpDrop {
		t.Fatalf("tail call after delete returned %d, want XDP_DROP", got)
	}
	if err := jumps.DeleteProgram(2); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := jumps.LookupProgramID(2); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("lookup after delete: %v", err)
	}
	if err := jumps.Clear(); err != nil {
		t.Fatal(err)
	}
	if got := run(1); got != xdpDrop {
		t.Fatalf("tail call after clear returned %d", got)
	}
}

// TestMapProgramArrayErrors checks what the kernel and the API refuse.
func TestMapProgramArrayErrors(t *testing.T) {
	jumps := mustNewMap(t, &MapSpec{Name: "t_jumps_err", Type: ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	hash := mustNewMap(t, hashSpec("t_not_prog_arr", 2))
	xdp := xdpReturn(t, "tail_xdp", xdpPass)
	filter := loadTestProg(t, &ProgramSpec{Name: "tail_filter", Type: SocketFilter, License: "GPL", Instructions: asm.Instructions{
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}})
	closed := xdpReturn(t, "tail_closed", xdpPass)
	closed.Close()
	// The first program stored makes XDP the array's owner type.
	if err := jumps.UpdateProgram(0, xdp); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		err   func() error
		want  error
		plain bool // the error is the API's, before any syscall
	}{
		{"another program type", func() error { return jumps.UpdateProgram(1, filter) }, unix.EINVAL, false},
		{"index beyond max entries", func() error { return jumps.UpdateProgram(2, xdp) }, ErrKeyNotExist, false},
		{"nil program", func() error { return jumps.UpdateProgram(1, nil) }, nil, true},
		{"closed program", func() error { return jumps.UpdateProgram(1, closed) }, ErrClosed, true},
		{"not a program array", func() error { return hash.UpdateProgram(0, xdp) }, nil, true},
		{"lookup on a hash", func() error { _, err := hash.LookupProgramID(0); return err }, nil, true},
		{"delete on a hash", func() error { return hash.DeleteProgram(0) }, nil, true},
		// Program arrays know only BPF_ANY.
		{"update noexist", func() error { return jumps.Update(u32(1), u32(uint32(xdp.FD())), UpdateNoExist) }, unix.EINVAL, false},
		{"a map fd", func() error { return jumps.Update(u32(1), u32(uint32(hash.FD())), UpdateAny) }, unix.EINVAL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var errno syscall.Errno
			if tt.plain && errors.As(err, &errno) {
				t.Fatalf("error %v comes from the kernel, want a check before the syscall", err)
			}
		})
	}
	if _, err := jumps.LookupProgramID(1); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("slot 1 after refused updates: %v", err)
	}
}

// TestMapFDArrayLookupSemantics checks what user space reads back from the
// fd-holding arrays: ids for program arrays and maps of maps, nothing for
// perf event and cgroup arrays.
func TestMapFDArrayLookupSemantics(t *testing.T) {
	testutil.RequireRoot(t)
	ncpu, err := PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cgRoot, cgErr := testutil.Cgroup2Root()
	tests := []struct {
		spec *MapSpec
		fill func(t *testing.T) int // returns an fd to store, closed by the test
		ret  string                 // what a lookup returns: "id" or "notsupp"
		// noExist is the error of UpdateNoExist on a stored key: fd
		// arrays take only BPF_ANY.
		noExist error
	}{
		{
			spec: &MapSpec{Name: "t_fd_perf", Type: PerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: uint32(ncpu)},
			fill: func(t *testing.T) int {
				attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_BPF_OUTPUT,
					Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{})), Sample_type: unix.PERF_SAMPLE_RAW}
				fd, err := unix.PerfEventOpen(&attr, -1, 0, -1, unix.PERF_FLAG_FD_CLOEXEC)
				if err != nil {
					t.Skipf("perf_event_open: %v", err)
				}
				return fd
			},
			ret:     "notsupp",
			noExist: unix.EINVAL,
		},
		{
			spec: &MapSpec{Name: "t_fd_cgroup", Type: CgroupArray, KeySize: 4, ValueSize: 4, MaxEntries: 2},
			fill: func(t *testing.T) int {
				if cgErr != nil {
					t.Skip(cgErr)
				}
				fd, err := unix.Open(cgRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				return fd
			},
			ret:     "notsupp",
			noExist: unix.EINVAL,
		},
		{
			spec: &MapSpec{Name: "t_fd_aom", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
				InnerMap: &MapSpec{Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}},
			fill: func(t *testing.T) int {
				in, err := NewMap(&MapSpec{Name: "t_fd_inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
				if err != nil {
					t.Fatal(err)
				}
				fd, err := in.fd.Take()
				if err != nil {
					t.Fatal(err)
				}
				return fd
			},
			ret:     "id",
			noExist: unix.EINVAL,
		},
		{
			spec: &MapSpec{Name: "t_fd_hom", Type: HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2,
				InnerMap: &MapSpec{Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}},
			fill: func(t *testing.T) int {
				in, err := NewMap(&MapSpec{Name: "t_fd_inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
				if err != nil {
					t.Fatal(err)
				}
				fd, err := in.fd.Take()
				if err != nil {
					t.Fatal(err)
				}
				return fd
			},
			ret:     "id",
			noExist: ErrKeyExist,
		},
	}
	for _, tt := range tests {
		t.Run(tt.spec.Type.String(), func(t *testing.T) {
			m := mustNewMap(t, tt.spec)
			fd := tt.fill(t)
			defer unix.Close(fd)
			if err := m.Update(u32(0), u32(uint32(fd)), UpdateAny); err != nil {
				t.Fatalf("store fd: %v", err)
			}
			v := make([]byte, 4)
			err := m.Lookup(u32(0), v)
			switch tt.ret {
			case "notsupp":
				if !errors.Is(err, ErrNotSupported) {
					t.Fatalf("lookup: %v, want ErrNotSupported", err)
				}
			case "id":
				if err != nil {
					t.Fatal(err)
				}
				got, err := NewMapFromID(MapID(hostEndian.Uint32(v)))
				if err != nil {
					t.Fatalf("open the id the lookup returned: %v", err)
				}
				name := got.Name()
				got.Close()
				if name != "t_fd_inner" {
					t.Fatalf("lookup returned the id of %q", name)
				}
			}
			if err := m.Update(u32(0), u32(uint32(fd)), UpdateNoExist); !errors.Is(err, tt.noExist) {
				t.Fatalf("update noexist of a stored key: %v, want %v", err, tt.noExist)
			}
			// The kernel does not say which slots of a perf event or cgroup
			// array are filled, so they cannot be counted or walked.
			n, err := m.Count()
			if tt.ret == "notsupp" && !errors.Is(err, ErrNotSupported) || tt.ret == "id" && (err != nil || n != 1) {
				t.Fatalf("count = %d, %v", n, err)
			}
			// A non-fd value is refused by the kernel.
			if err := m.Update(u32(1), u32(0x7fffffff), UpdateAny); !errors.Is(err, unix.EBADF) {
				t.Fatalf("store a closed fd: %v", err)
			}
			if err := m.Delete(u32(0)); err != nil {
				t.Fatal(err)
			}
			if err := m.Delete(u32(0)); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

// listenTCP listens on loopback with plain TCP: Go's default listener may be
// MPTCP, which socket maps refuse.
func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// tcpPair returns both ends of an established loopback TCP connection.
func tcpPair(t *testing.T, ln net.Listener) (client, server *net.TCPConn) {
	t.Helper()
	var d net.Dialer
	d.SetMultipathTCP(false)
	c, err := d.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// sockOpt reads an integer socket option of conn.
func sockOpt(t *testing.T, conn syscall.Conn, level, opt int) uint64 {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v uint64
	var gerr error
	if opt == unix.SO_COOKIE {
		rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptUint64(int(fd), level, opt) })
	} else {
		rc.Control(func(fd uintptr) {
			var i int
			i, gerr = unix.GetsockoptInt(int(fd), level, opt)
			v = uint64(i)
		})
	}
	if gerr != nil {
		t.Fatalf("getsockopt %d: %v", opt, gerr)
	}
	return v
}

// TestMapSockMapSockHash fills SockMap and SockHash with real loopback TCP
// sockets and checks every user-space operation.
func TestMapSockMapSockHash(t *testing.T) {
	for _, typ := range []MapType{SockMap, SockHash} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNewMap(t, &MapSpec{Name: "t_" + typ.KernelName(), Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 4})
			ln := listenTCP(t)
			client, server := tcpPair(t, ln)
			socks := []syscall.Conn{ln.(*net.TCPListener), client, server}
			want := map[uint32]uint64{}
			for i, s := range socks {
				if err := m.UpdateSocket(u32(uint32(i)), s, UpdateNoExist); err != nil {
					t.Fatalf("store socket %d: %v", i, err)
				}
				want[uint32(i)] = sockOpt(t, s, unix.SOL_SOCKET, unix.SO_COOKIE)
			}
			for k, cookie := range want {
				got, err := m.LookupSocketCookie(u32(k))
				if err != nil || got != cookie {
					t.Fatalf("cookie of %d: %d, %v; want %d (SO_COOKIE)", k, got, err, cookie)
				}
			}

			// Update modes.
			if err := m.UpdateSocket(u32(0), client, UpdateNoExist); !errors.Is(err, ErrKeyExist) {
				t.Fatalf("noexist on a stored key: %v", err)
			}
			if err := m.UpdateSocket(u32(3), client, UpdateExist); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("exist on a missing key: %v", err)
			}
			// Swap the two ends through the raw fd API.
			for k, s := range map[uint32]syscall.Conn{1: server, 2: client} {
				rc, _ := s.SyscallConn()
				var uerr error
				rc.Control(func(fd uintptr) { uerr = m.UpdateSocketFD(u32(k), int(fd), UpdateExist) })
				if uerr != nil {
					t.Fatalf("UpdateSocketFD(%d): %v", k, uerr)
				}
			}
			want[1], want[2] = want[2], want[1]

			// Iteration yields keys and cookies; Count agrees.
			got := map[uint32]uint64{}
			it := m.Iterate()
			for k, v := range it.All() {
				got[hostEndian.Uint32(k)] = hostEndian.Uint64(v)
			}
			if it.Err() != nil || len(got) != len(want) {
				t.Fatalf("iteration: %v, %v", got, it.Err())
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("iteration: key %d has cookie %d, want %d", k, got[k], v)
				}
			}
			if n, err := m.Count(); err != nil || n != 3 {
				t.Fatalf("count = %d, %v", n, err)
			}

			// Delete.
			if err := m.Delete(u32(1)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.LookupSocketCookie(u32(1)); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("lookup after delete: %v", err)
			}
			// A SockMap answers EINVAL for an empty slot, a SockHash ENOENT;
			// both match ErrKeyNotExist.
			err := m.Delete(u32(1))
			if !errors.Is(err, ErrKeyNotExist) || typ == SockMap && !errors.Is(err, unix.EINVAL) {
				t.Fatalf("second delete: %v", err)
			}

			// Closing a socket removes it from the map.
			client.Close()
			if _, err := m.LookupSocketCookie(u32(2)); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("lookup of a closed socket: %v", err)
			}
			if err := m.Clear(); err != nil {
				t.Fatal(err)
			}
			if n, err := m.Count(); err != nil || n != 0 {
				t.Fatalf("count after clear = %d, %v", n, err)
			}
		})
	}
}

// TestMapSockMapErrors checks the sockets and maps the kernel and the API
// refuse.
func TestMapSockMapErrors(t *testing.T) {
	ln := listenTCP(t)
	client, _ := tcpPair(t, ln)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	unbound, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(unbound)

	for _, typ := range []MapType{SockMap, SockHash} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNewMap(t, &MapSpec{Name: "t_err_" + typ.KernelName(), Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 2})
			m4 := mustNewMap(t, &MapSpec{Name: "t_err4_" + typ.KernelName(), Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 2})
			hash := mustNewMap(t, hashSpec("t_err_hash", 2))
			tests := []struct {
				name  string
				err   func() error
				want  error
				plain bool // refused before any syscall
			}{
				{"not a socket", func() error { return m.UpdateSocket(u32(0), devNull, UpdateAny) }, unix.ENOTSOCK, false},
				{"unconnected TCP socket", func() error { return m.UpdateSocketFD(u32(0), unbound, UpdateAny) }, unix.EOPNOTSUPP, false},
				{"closed fd", func() error { return m.UpdateSocketFD(u32(0), 0x7fffffff, UpdateAny) }, unix.EBADF, false},
				{"negative fd", func() error { return m.UpdateSocketFD(u32(0), -1, UpdateAny) }, nil, true},
				{"nil socket", func() error { return m.UpdateSocket(u32(0), nil, UpdateAny) }, nil, true},
				{"short key", func() error { return m.UpdateSocket([]byte{1}, client, UpdateAny) }, nil, true},
				{"not a socket map", func() error { return hash.UpdateSocket(u32(0), client, UpdateAny) }, nil, true},
				{"lookup with 4-byte values", func() error { _, err := m4.LookupSocketCookie(u32(0)); return err }, nil, true},
				{"lookup on a hash", func() error { _, err := hash.LookupSocketCookie(u32(0)); return err }, nil, true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.err()
					if err == nil {
						t.Fatal("no error")
					}
					if tt.want != nil && !errors.Is(err, tt.want) {
						t.Fatalf("error %v, want %v", err, tt.want)
					}
					var errno syscall.Errno
					if tt.plain && errors.As(err, &errno) {
						t.Fatalf("error %v comes from the kernel, want a check before the syscall", err)
					}
				})
			}
			switch typ {
			case SockMap:
				if err := m.UpdateSocket(u32(2), client, UpdateAny); !errors.Is(err, ErrKeyNotExist) {
					t.Fatalf("index beyond max entries: %v", err)
				}
			case SockHash:
				for k := range uint32(2) {
					if err := m.UpdateSocket(u32(k), client, UpdateAny); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.UpdateSocket(u32(2), client, UpdateAny); !errors.Is(err, ErrMapFull) {
					t.Fatalf("insert into a full sockhash: %v", err)
				}
				if err := m.Clear(); err != nil {
					t.Fatal(err)
				}
			}

			// A map with 4-byte values takes sockets, but the kernel does
			// not answer lookups on it.
			if err := m4.UpdateSocket(u32(0), client, UpdateAny); err != nil {
				t.Fatal(err)
			}
			if err := m4.Lookup(u32(0), make([]byte, 4)); !errors.Is(err, unix.ENOSPC) {
				t.Fatalf("raw lookup with 4-byte values: %v", err)
			}
			if err := m4.Delete(u32(0)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMapSockMapRefusesMPTCP documents why tests use SetMultipathTCP(false):
// Go's default listener is MPTCP where the kernel has it, and socket maps
// only take plain TCP.
func TestMapSockMapRefusesMPTCP(t *testing.T) {
	m := mustNewMap(t, &MapSpec{Name: "t_mptcp", Type: SockMap, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	var lc net.ListenConfig
	lc.SetMultipathTCP(true)
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const ipprotoMPTCP = 262
	if p := sockOpt(t, ln.(*net.TCPListener), unix.SOL_SOCKET, unix.SO_PROTOCOL); p != ipprotoMPTCP {
		t.Skipf("listener protocol is %d, not MPTCP (MPTCP disabled on this kernel)", p)
	}
	if err := m.UpdateSocket(u32(0), ln.(*net.TCPListener), UpdateAny); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("store an MPTCP listener: %v, want EOPNOTSUPP", err)
	}
}
