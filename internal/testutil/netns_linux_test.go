package testutil

import (
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestNewVeth sends a datagram across a veth pair between two namespaces and
// checks the namespaces are really apart from the test's own.
func TestNewVeth(t *testing.T) {
	v := NewVeth(t)
	if v.IndexA <= 0 || v.IndexB <= 0 {
		t.Fatalf("indexes %d, %d", v.IndexA, v.IndexB)
	}
	var self, inA unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &self); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(v.A.FD(), &inA); err != nil {
		t.Fatal(err)
	}
	if self.Ino == inA.Ino {
		t.Fatal("namespace A is the test's own namespace")
	}
	var rx *net.UDPConn
	if err := v.B.Do(func() (err error) {
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: v.AddrB})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	var tx *net.UDPConn
	if err := v.A.Do(func() (err error) {
		tx, err = net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if _, err := tx.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	n, from, err := rx.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "hello" || !from.IP.Equal(v.AddrA) {
		t.Errorf("got %q from %v, want hello from %v", buf[:n], from.IP, v.AddrA)
	}
	// Do returns fn's error.
	if err := v.A.Do(func() error { return os.ErrInvalid }); err != os.ErrInvalid {
		t.Errorf("Do returned %v, want fn's error", err)
	}
}
