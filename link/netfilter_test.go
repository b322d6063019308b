//go:build linux

package link_test

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// TestNetfilter hooks a counting program into LOCAL_OUT of a private
// namespace: accepting (NF_ACCEPT), datagrams leave and are counted; dropping
// (NF_DROP), sending fails with EPERM; after Close nothing is counted.
func TestNetfilter(t *testing.T) {
	if err := bpf.HaveProgramType(bpf.Netfilter); errors.Is(err, bpf.ErrNotSupported) {
		t.Skipf("kernel lacks netfilter programs (Linux 6.4): %v", err)
	}
	for _, tc := range []struct {
		name string
		ret  int32
	}{{"accept", 1}, {"drop", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := testutil.NewNetNS(t)
			prog, counts := newCounter(t, counterSpec{typ: bpf.Netfilter, attachType: bpf.AttachNetfilter, ret: tc.ret})
			closeAll(t, prog, counts)
			var l *link.NetfilterLink
			opts := link.NetfilterOptions{Program: prog, Protocol: link.NetfilterIPv4, Hook: link.NetfilterLocalOut, Priority: -100}
			if err := ns.Do(func() (err error) {
				l, err = link.AttachNetfilter(opts)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			err := udpTo127(t, ns)
			if tc.ret == 1 && err != nil {
				t.Errorf("send through accepting hook: %v", err)
			}
			if tc.ret == 0 && !errors.Is(err, unix.EPERM) {
				t.Errorf("send through dropping hook: %v, want EPERM", err)
			}
			if c := count(t, counts); c == 0 {
				t.Error("netfilter program did not run")
			}
			info, err := l.Info()
			if err != nil {
				t.Fatal(err)
			}
			want := link.NetfilterInfo{Protocol: link.NetfilterIPv4, Hook: link.NetfilterLocalOut, Priority: -100}
			if nf := info.Netfilter(); info.Type != link.NetfilterType || nf == nil || *nf != want {
				t.Errorf("info %+v, netfilter %+v, want %+v", info, nf, want)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			c0 := count(t, counts)
			if err := udpTo127(t, ns); err != nil {
				t.Errorf("send after Close: %v", err)
			}
			if c := count(t, counts); c != c0 {
				t.Errorf("program ran %d times after Close", c-c0)
			}
		})
	}
}

func TestNetfilterErrors(t *testing.T) {
	if _, err := link.AttachNetfilter(link.NetfilterOptions{}); err == nil {
		t.Error("attach without program succeeded")
	}
}
