//go:build linux

package link_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/elfobj"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// TestStructOpsFromELF registers the TCP congestion control of a clang
// object (../elfobj/testdata/struct_ops.c: a .struct_ops.link table whose
// members are in another order than the kernel's) and sees a real TCP flow
// use it: the socket reports its name, and its init and cong_avoid programs
// count in the object's .bss.
func TestStructOpsFromELF(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireFeature(t, "struct_ops tcp_congestion_ops", func() error {
		return bpf.HaveMapType(bpf.StructOpsMap)
	})
	spec, err := elfobj.LoadCollectionSpec("../elfobj/testdata/struct_ops.o")
	if err != nil {
		t.Fatal(err)
	}
	cc := spec.StructOps["bpfgo_elf_cc"]
	if cc == nil || cc.Type != "tcp_congestion_ops" || !cc.Link {
		t.Fatalf("struct_ops table: %+v", cc)
	}
	coll, err := bpf.NewCollection(spec)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	so, err := link.AttachStructOpsVar(coll, cc)
	testutil.SkipIfNotSupported(t, err)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	defer so.Close()
	const name = "bpfgo_elf_cc"
	if avail := availableCC(t); !strings.Contains(strings.Join(avail, " "), name) {
		t.Fatalf("%s not among the available congestion controls %v", name, avail)
	}
	sendWithCC(t, name)

	bss := make([]byte, 16)
	if err := coll.Maps[".bss"].Lookup(make([]byte, 4), bss); err != nil {
		t.Fatal(err)
	}
	if inits := binary.NativeEndian.Uint64(bss); inits < 1 {
		t.Errorf("init ran %d times for one connection", inits)
	}
	if avoids := binary.NativeEndian.Uint64(bss[8:]); avoids < 1 {
		t.Errorf("cong_avoid ran %d times while sending 4 MiB", avoids)
	}
	if err := so.Close(); err != nil {
		t.Fatal(err)
	}
	if avail := availableCC(t); strings.Contains(strings.Join(avail, " "), name) {
		t.Errorf("%s still registered after Close: %v", name, avail)
	}

	// A table naming a program the collection lacks is refused by name.
	initProg := coll.Programs["cc_init"]
	delete(coll.Programs, "cc_init")
	defer func() { coll.Programs["cc_init"] = initProg }()
	if so, err := link.AttachStructOpsVar(coll, cc); err == nil || !strings.Contains(err.Error(), `"cc_init"`) {
		if so != nil {
			so.Close()
		}
		t.Errorf("missing program: %v", err)
	}
}
