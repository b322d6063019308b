package main

//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c tourdata/xdp_count.c -o tourdata/xdp_count.o

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/elfobj"
	"github.com/bpfgo/bpf/internal/tour"
	"github.com/bpfgo/bpf/packet"
)

// xdpCountObj is tourdata/xdp_count.c compiled by clang-19 (see the go:generate line).
//
//go:embed tourdata/xdp_count.o
var xdpCountObj []byte

func init() {
	tour.Register(tour.Chapter{
		Order: 75,
		Name:  "ELF objects compiled by clang",
		Run:   tourELF,
	})
}

func tourELF(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "tourdata/xdp_count.c, compiled by clang-19 and embedded in this binary (%d bytes),\n"+
		"parsed by elfobj: programs, BTF-defined maps and global data (.rodata, .bss).\n", len(xdpCountObj))
	spec, err := elfobj.LoadCollectionSpecFromReader(bytes.NewReader(xdpCountObj))
	if err != nil {
		return fmt.Errorf("xdp_count.o: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Programs)) {
		fmt.Fprintf(w, "  program %v\n", spec.Programs[name])
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Maps)) {
		fmt.Fprintf(w, "  map     %v\n", spec.Maps[name])
	}
	rodata := spec.Maps[".rodata"]
	if rodata == nil || len(rodata.Contents) != 1 || len(rodata.Contents[0].Value) < 1 {
		return fmt.Errorf("xdp_count.o: no .rodata holding drop_proto")
	}
	if spec.Programs["xdp_count"] == nil || spec.Maps[".bss"] == nil || spec.Maps["proto_count"] == nil {
		return fmt.Errorf("xdp_count.o: program xdp_count, map proto_count or .bss missing")
	}
	// drop_proto is the only variable in .rodata: drop UDP.
	rodata.Contents[0].Value[0] = byte(packet.IPProtoUDP)
	fmt.Fprintf(w, "\nset the constant drop_proto = %d (UDP) in .rodata before loading\n", packet.IPProtoUDP)

	coll, err := bpf.NewCollection(spec)
	if err != nil {
		return fmt.Errorf("xdp_count.o: load: %+v", err)
	}
	defer coll.Close()
	prog, bss, counts := coll.Programs["xdp_count"], coll.Maps[".bss"], coll.Maps["proto_count"]
	fmt.Fprintf(w, "loaded: %d program, %d maps, accepted by the verifier\n", len(coll.Programs), len(coll.Maps))

	for _, f := range []pktFrame{
		{"TCP 10.0.0.1:12345 > 10.0.0.2:80", packet.Spec{}.MustBuild(), asm.XDPPass},
		{"TCP 10.0.0.1:12345 > 10.0.0.2:443", packet.Spec{DstPort: 443}.MustBuild(), asm.XDPPass},
		{"UDP 10.0.0.1:12345 > 10.0.0.2:53", packet.Spec{Protocol: packet.IPProtoUDP, DstPort: 53}.MustBuild(), asm.XDPDrop},
	} {
		if err := pktRun(ctx, w, prog, []pktFrame{f}); err != nil {
			return err
		}
	}

	v := make([]byte, bss.ValueSize())
	if err := bss.Lookup(make([]byte, 4), v); err != nil {
		return fmt.Errorf("map .bss: lookup: %w", err)
	}
	if len(v) < 16 {
		return fmt.Errorf("map .bss: %d bytes, want 16 (frames, dropped)", len(v))
	}
	frames, dropped := binary.NativeEndian.Uint64(v), binary.NativeEndian.Uint64(v[8:])
	fmt.Fprintf(w, "\n.bss read back: frames = %d, dropped = %d\n", frames, dropped)
	if frames != 3 || dropped != 1 {
		return fmt.Errorf("map .bss: frames %d, dropped %d; want 3 and 1", frames, dropped)
	}
	for _, p := range []packet.IPProto{packet.IPProtoTCP, packet.IPProtoUDP} {
		var key [4]byte
		var val [8]byte
		binary.NativeEndian.PutUint32(key[:], uint32(p))
		if err := counts.Lookup(key[:], val[:]); err != nil {
			return fmt.Errorf("map proto_count: lookup %d: %w", p, err)
		}
		n := binary.NativeEndian.Uint64(val[:])
		fmt.Fprintf(w, "proto_count[%d] = %d\n", p, n)
		if want := map[packet.IPProto]uint64{packet.IPProtoTCP: 2, packet.IPProtoUDP: 1}[p]; n != want {
			return fmt.Errorf("map proto_count: protocol %d counted %d frames, want %d", p, n, want)
		}
	}
	return nil
}
