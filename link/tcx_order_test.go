//go:build linux

package link_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/link"
)

// seenRan marks a slot of the "seen" map as written (a program with nothing
// before it writes 0 | seenRan).
const seenRan = 0x100

// orderProg loads TCX program number k: it records in seen[k] the programs
// that ran before it on the packet (the bits of skb->mark, which starts at
// 0 on a packet that crossed into the namespace), adds its own bit, and
// returns TCX_NEXT (TC_ACT_UNSPEC) so the next program runs.
func orderProg(t *testing.T, seen *bpf.Map, k int32) *bpf.Program {
	t.Helper()
	insns := asm.Instructions{
		asm.MovReg(asm.R6, asm.R1),
		asm.Ldx(asm.W, asm.R7, asm.R6, asm.SkBuffMark),
		asm.St(asm.W, asm.R10, -4, k),
		asm.LoadMap(asm.R1, seen),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.MovReg(asm.R1, asm.R7),
		asm.OrImm(asm.R1, seenRan),
		asm.Stx(asm.DW, asm.R0, asm.R1, 0),
		asm.Label("out"),
		asm.OrImm(asm.R7, 1<<k),
		asm.Stx(asm.W, asm.R6, asm.R7, asm.SkBuffMark),
		asm.MovImm(asm.R0, asm.TCActUnspec),
		asm.Exit(),
	}
	return loadProg(t, &bpf.ProgramSpec{Name: "order", Type: bpf.SchedCLS, Instructions: insns})
}

func seenBefore(t *testing.T, seen *bpf.Map, k uint32) uint64 {
	t.Helper()
	var val [8]byte
	if err := seen.Lookup(binary.NativeEndian.AppendUint32(nil, k), val[:]); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(val[:])
}

// TestTCXOrder attaches TCX programs on the ingress of a veth end with every
// kind of anchor, replaces one attached with BPF_PROG_ATTACH, checks what
// BPF_PROG_QUERY reports (order, links, revision), that a stale expected
// revision fails with ESTALE, and proves the order with real traffic: each
// program records which ran before it.
func TestTCXOrder(t *testing.T) {
	requireTCX(t)
	v := testutil.NewVeth(t)
	u := newNetUDP(t, v)
	seen := newStats(t, 8)
	p := make([]*bpf.Program, 8)
	for k := range p {
		p[k] = orderProg(t, seen, int32(k))
	}
	ids := make([]bpf.ProgramID, len(p))
	for k := range p {
		id, err := p[k].ID()
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = id
	}
	inB := func(fn func() error) {
		t.Helper()
		if err := v.B.Do(fn); err != nil {
			t.Fatal(err)
		}
	}
	query := func() *link.QueryResult {
		t.Helper()
		var res *link.QueryResult
		inB(func() (err error) { res, err = link.QueryTCX(v.IndexB, link.Ingress); return err })
		return res
	}
	attach := func(k int, anchor link.Anchor, rev uint64) (*link.TCXLink, error) {
		var l *link.TCXLink
		err := v.B.Do(func() (err error) {
			l, err = link.AttachTCX(link.TCXOptions{Program: p[k], Interface: v.IndexB, Direction: link.Ingress, Anchor: anchor, ExpectedRevision: rev})
			return err
		})
		if err == nil {
			closeAll(t, l)
		}
		return l, err
	}
	mustAttach := func(k int, anchor link.Anchor) *link.TCXLink {
		t.Helper()
		before := query().Revision
		l, err := attach(k, anchor, before)
		if err != nil {
			t.Fatalf("attach program %d: %v", k, err)
		}
		if after := query().Revision; after != before+1 {
			t.Errorf("attach of program %d: revision %d -> %d, want +1", k, before, after)
		}
		return l
	}

	first := query()
	if len(first.Programs) != 0 || first.Revision == 0 {
		t.Fatalf("empty hook: %+v", first)
	}
	l0 := mustAttach(0, link.Anchor{})         // [0]
	mustAttach(1, link.BeforeLink(l0.RawLink)) // [1 0]
	mustAttach(2, link.AfterProgram(p[1]))     // [1 2 0]
	mustAttach(3, link.First())                // [3 1 2 0]
	l0id, err := l0.ID()
	if err != nil {
		t.Fatal(err)
	}
	mustAttach(4, link.AfterLinkID(l0id))       // [3 1 2 0 4]
	mustAttach(5, link.BeforeProgramID(ids[4])) // [3 1 2 0 5 4]

	if _, err := attach(6, link.Last(), first.Revision); !errors.Is(err, unix.ESTALE) {
		t.Errorf("attach with the stale revision %d: %v, want ESTALE", first.Revision, err)
	}
	if _, err := attach(0, link.Last(), 0); !errors.Is(err, unix.EEXIST) {
		t.Errorf("attaching program 0 twice: %v, want EEXIST", err)
	}
	if _, err := attach(6, link.AfterProgram(p[6]), 0); !errors.Is(err, unix.ENOENT) {
		t.Errorf("anchor that is not attached: %v, want ENOENT", err)
	}

	// Program 6 attached with BPF_PROG_ATTACH after program 4, then replaced
	// in place by program 7 (BPF_F_REPLACE). Its Close needs the namespace.
	var pa *link.TCXProgAttach
	inB(func() (err error) {
		pa, err = link.AttachTCXProgram(link.TCXOptions{Program: p[6], Interface: v.IndexB, Direction: link.Ingress, Anchor: link.AfterProgram(p[4])})
		return err
	})
	inB(func() error { return pa.Update(p[7]) })
	order := []int{3, 1, 2, 0, 5, 4, 7}
	res := query()
	if len(res.Programs) != len(order) {
		t.Fatalf("query: %d programs %+v, want %d", len(res.Programs), res.Programs, len(order))
	}
	for i, k := range order {
		got := res.Programs[i]
		if got.Program != ids[k] || (k == 7) != (got.Link == 0) {
			t.Errorf("position %d: %+v, want program %d (id %d), with a link: %v", i, got, k, ids[k], k != 7)
		}
	}

	// Real traffic: each program saw exactly those before it.
	for k := range uint32(8) {
		if err := seen.Update(binary.NativeEndian.AppendUint32(nil, k), make([]byte, 8), bpf.UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	u.roundTrip(t, 3)
	var before uint64
	for _, k := range order {
		if got := seenBefore(t, seen, uint32(k)); got != before|seenRan {
			t.Errorf("program %d saw %#x before it, want %#x", k, got&^seenRan, before)
		}
		before |= 1 << k
	}
	if got := seenBefore(t, seen, 6); got != 0 {
		t.Errorf("replaced program 6 ran (%#x)", got)
	}
	inB(pa.Close)
	if res := query(); len(res.Programs) != len(order)-1 {
		t.Errorf("after Close of the prog_attach program: %+v", res.Programs)
	}
}

// TestTCXErrors checks the errors for bad anchors and options.
func TestTCXErrors(t *testing.T) {
	requireTCX(t)
	v := testutil.NewVeth(t)
	seen := newStats(t, 8)
	p := orderProg(t, seen, 0)
	bad := []link.TCXOptions{
		{Program: p, Interface: v.IndexB, Anchor: link.BeforeLink(nil)},
		{Program: p, Interface: v.IndexB, Anchor: link.AfterProgram(nil)},
		{Program: p, Interface: v.IndexB, Replace: p},
		{Program: p, Interface: v.IndexB, Direction: 7},
		{Interface: v.IndexB},
		{Program: p},
	}
	for i, opts := range bad {
		err := v.B.Do(func() error {
			l, err := link.AttachTCX(opts)
			if err == nil {
				l.Close()
			}
			return err
		})
		if err == nil {
			t.Errorf("case %d: AttachTCX(%+v) succeeded", i, opts)
		}
	}
	if _, err := link.QueryTCX(0, link.Ingress); err == nil {
		t.Error("query of ifindex 0 succeeded")
	}
}
