package asm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

// TestKernelBPFCalls calls a bpf-to-bpf function with five arguments that uses its own stack
// and callee-saved registers and calls a second function: the result comes back in R0, and
// the caller's R6, R7 and stack survive.
func TestKernelBPFCalls(t *testing.T) {
	requireSyscallRun(t)
	pb := progBody{
		body: asm.Instructions{
			asm.MovReg(asm.R7, asm.R1),
			asm.St(asm.DW, asm.R10, -8, 0x1111), // the caller's stack slot
			asm.MovImm(asm.R4, 4),
			asm.MovImm(asm.R5, 5),
			asm.CallLabel("f1"),                     // f1(a, b, c, 4, 5)
			asm.Stx(asm.DW, asm.R6, asm.R7, ctxOut), // R6 (the context) and R7 survive the call
			asm.Ldx(asm.DW, asm.R1, asm.R10, -8),
			asm.Stx(asm.DW, asm.R6, asm.R1, ctxOut+8),
		},
		funcs: asm.Instructions{
			// f1(a, b, c, d, e) = f2(3a + b - c + d*e, a) + 1000, with a kept on its own stack.
			asm.Label("f1"),
			asm.Stx(asm.DW, asm.R10, asm.R1, -8),
			asm.MovReg(asm.R6, asm.R1), // clobbers the callee-saved registers of the caller
			asm.MovReg(asm.R7, asm.R2),
			asm.MulImm(asm.R6, 3),
			asm.AddReg(asm.R6, asm.R7),
			asm.SubReg(asm.R6, asm.R3),
			asm.MovReg(asm.R0, asm.R4),
			asm.MulReg(asm.R0, asm.R5),
			asm.AddReg(asm.R6, asm.R0),
			asm.MovReg(asm.R1, asm.R6),
			asm.Ldx(asm.DW, asm.R2, asm.R10, -8),
			asm.CallLabel("f2"),
			asm.AddImm(asm.R0, 1000),
			asm.Exit(),

			// f2(x, y) = (x ^ y) + 77, with 77 from its own stack.
			asm.Label("f2"),
			asm.St(asm.DW, asm.R10, -8, 77),
			asm.Ldx(asm.DW, asm.R3, asm.R10, -8),
			asm.MovReg(asm.R0, asm.R1),
			asm.XorReg(asm.R0, asm.R2),
			asm.AddReg(asm.R0, asm.R3),
			asm.Exit(),
		},
	}
	var inputs []operands
	for _, a := range []uint64{0, 1, 0xdead_beef_cafe_f00d, ^uint64(0)} {
		for _, b := range []uint64{0, 7, 0x8000_0000_0000_0000} {
			inputs = append(inputs, operands{a, b, a ^ b>>1})
		}
	}
	checkWith(t, pb, inputs,
		func(in operands) string { return fmt.Sprintf("f1(%#x, %#x, %#x, 4, 5)", in[0], in[1], in[2]) },
		func(in operands, got result) string {
			a, b, c := in[0], in[1], in[2]
			want := ((3*a + b - c + 4*5) ^ a) + 77 + 1000
			if got.r0 != want || got.out[0] != a || got.out[1] != 0x1111 {
				return fmt.Sprintf("R0 %#x, R7 %#x, stack %#x; want %#x, %#x, 0x1111", got.r0, got.out[0], got.out[1], want, a)
			}
			return ""
		})
}

// TestKernelLoopCallback passes a function (asm.LoadFunc) to bpf_loop, whose callback sums the
// indices into the caller's stack and stops early at a given index.
func TestKernelLoopCallback(t *testing.T) {
	requireSyscallRun(t)
	testutil.RequireFeature(t, "bpf_loop (Linux 5.17)", func() error {
		return bpf.HaveHelper(bpf.Syscall, asm.FnLoop)
	})
	body := asm.Instructions{
		asm.St(asm.DW, asm.R10, -16, 0),      // ctx.sum
		asm.Stx(asm.DW, asm.R10, asm.R2, -8), // ctx.stop
		// R1 = a: the number of iterations
	}
	loadFuncLine := thisLine() + 1
	body = append(body, asm.LoadFunc(asm.R2, "sum"))
	pb := progBody{
		body: append(body,
			asm.MovReg(asm.R3, asm.R10),
			asm.AddImm(asm.R3, -16),
			asm.MovImm(asm.R4, 0),
			asm.Call(asm.FnLoop),
			asm.Ldx(asm.DW, asm.R1, asm.R10, -16),
			asm.Stx(asm.DW, asm.R6, asm.R1, ctxOut),
		),
		funcs: asm.Instructions{
			// long sum(u64 index, struct {u64 sum, stop} *ctx)
			asm.Label("sum"),
			asm.Ldx(asm.DW, asm.R3, asm.R2, 0),
			asm.AddReg(asm.R3, asm.R1),
			asm.Stx(asm.DW, asm.R2, asm.R3, 0),
			asm.Ldx(asm.DW, asm.R4, asm.R2, 8),
			asm.MovImm(asm.R0, 0), // continue
			asm.JmpReg(asm.JNE, asm.R1, asm.R4, "next"),
			asm.MovImm(asm.R0, 1), // stop
			asm.Label("next"),
			asm.Exit(),
		},
	}
	// The verifier needs BTF func_info for a program that takes a function's address
	// (BPF_PSEUDO_FUNC): NewProgram generates it. Without it (ProgramOptions.NoBTF) the
	// kernel refuses the program, and the error names the LoadFunc line.
	noBTF := pb
	noBTF.opts = &bpf.ProgramOptions{NoBTF: true}
	if sp, err := tryLoadSyscall(noBTF, fromContext, operands{}); err == nil {
		sp.p.Close()
		t.Fatal("a LoadFunc callback loaded without func_info")
	} else {
		wantVerifierError(t, err, "kernel_call_test.go", loadFuncLine, "missing btf func_info")
	}
	sp := loadSyscall(t, pb, fromContext, operands{})
	const maxLoops = 1 << 23 // BPF_MAX_LOOPS
	checkProgram(t, sp, []operands{{0, 99}, {1, 99}, {10, 99}, {1000, 5000}, {10, 3}, {10, 0}, {maxLoops + 1, 0}},
		func(in operands) string { return fmt.Sprintf("bpf_loop(%d) stopping at %d", in[0], in[1]) },
		func(in operands, got result) string {
			n, stop := in[0], in[1]
			wantRet, wantSum := n, n*(n-1)/2
			if stop < n {
				wantRet, wantSum = stop+1, stop*(stop+1)/2
			}
			if n > maxLoops {
				// -E2BIG without a call. The verifier inlines bpf_loop (flags 0, one
				// callback) and its inlined code sets -E2BIG with a 32-bit move: only the
				// low half is certain.
				if int32(got.r0) != -7 || got.out[0] != 0 {
					return fmt.Sprintf("returned %#x, sum %d; want -E2BIG in the low 32 bits and 0", got.r0, got.out[0])
				}
				return ""
			}
			if got.r0 != wantRet || got.out[0] != wantSum {
				return fmt.Sprintf("returned %d, sum %d; want %d and %d", int64(got.r0), got.out[0], int64(wantRet), wantSum)
			}
			return ""
		})
}

// TestKernelLoadImm64 loads 64-bit immediates that need both halves.
func TestKernelLoadImm64(t *testing.T) {
	requireSyscallRun(t)
	for _, v := range []uint64{
		0, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x1_8000_0000, 0xffff_ffff_0000_0000,
		0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ^uint64(0), 0xdead_beef_cafe_f00d,
	} {
		body := asm.Instructions{asm.LoadImm64(asm.R0, int64(v)), asm.LoadImm64(asm.R9, int64(^v)), asm.XorReg(asm.R9, asm.R0)}
		body = append(body, asm.Stx(asm.DW, asm.R6, asm.R9, ctxOut))
		checkWith(t, progBody{body: body}, []operands{{}},
			func(operands) string { return fmt.Sprintf("lddw %#x", v) },
			func(_ operands, got result) string {
				if got.r0 != v || got.out[0] != ^uint64(0) {
					return fmt.Sprintf("got %#x and v^^v = %#x", got.r0, got.out[0])
				}
				return ""
			})
	}
}

// TestKernelMapReferences loads maps by handle (asm.LoadMap) and by name (asm.LoadMapPtr,
// resolved through ProgramOptions.Maps), and writes a map value directly (asm.LoadMapValue);
// user space reads back what the program wrote.
func TestKernelMapReferences(t *testing.T) {
	requireSyscallRun(t)
	counts := newArrayMap(t, "counts", 8, 4)
	global := newArrayMap(t, "global", 32, 1)
	opts := &bpf.ProgramOptions{Maps: map[string]asm.MapHandle{"counts": counts, "global": global}}
	key := func(k uint32) []byte { return binary.NativeEndian.AppendUint32(nil, k) }
	u64 := func(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
	// Before Linux 6.4 the verifier called the map's update op directly, which returned int:
	// on x86-64 the program's R0 got the error zero-extended from 32 bits. 6.4 made the ops
	// return long, and R0 holds the sign-extended errno.
	major, minor, _ := testutil.KernelVersion()
	int32Ret := major < 6 || major == 6 && minor < 4

	// update(counts, a, b) by name, then lookup(counts, a) by handle: R0 = *value.
	update := asm.Instructions{
		asm.Stx(asm.W, asm.R10, asm.R1, -4), // key
		asm.Stx(asm.DW, asm.R10, asm.R2, -16),
		asm.LoadMapPtr(asm.R1, "counts"),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.MovReg(asm.R3, asm.R10),
		asm.AddImm(asm.R3, -16),
		asm.MovImm(asm.R4, 0), // BPF_ANY
		asm.Call(asm.FnMapUpdateElem),
		asm.Stx(asm.DW, asm.R6, asm.R0, ctxOut), // the update's error
		asm.LoadMap(asm.R1, counts),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "miss"),
		asm.Ldx(asm.DW, asm.R0, asm.R0, 0),
		asm.Ja("out"),
		asm.Label("miss"),
		asm.MovImm(asm.R0, -1),
		asm.Label("out"),
	}
	checkWith(t, progBody{body: update, opts: opts}, []operands{{0, 5}, {3, 0xdead_beef_cafe_f00d}, {4, 1}},
		func(in operands) string { return fmt.Sprintf("counts[%d] = %#x", in[0], in[1]) },
		func(in operands, got result) string {
			if in[0] >= 4 { // out of the array's range: E2BIG, lookup misses
				ret := int64(got.out[0])
				if int32Ret && ret == int64(uint32(0xffff_fff9)) {
					ret = int64(int32(ret)) // -E2BIG in the low 32 bits, zero-extended
				}
				if ret != -7 || got.r0 != ^uint64(0) {
					return fmt.Sprintf("update returned %d, lookup %#x; want -E2BIG and a miss", int64(got.out[0]), got.r0)
				}
				return ""
			}
			if got.out[0] != 0 || got.r0 != in[1] {
				return fmt.Sprintf("update returned %d, lookup %#x; want 0 and %#x", int64(got.out[0]), got.r0, in[1])
			}
			v := make([]byte, 8)
			if err := counts.Lookup(key(uint32(in[0])), v); err != nil {
				return err.Error()
			}
			if binary.NativeEndian.Uint64(v) != in[1] {
				return fmt.Sprintf("user space reads % x", v)
			}
			return ""
		})

	// Direct value access: R0 = global[0:8]; global[8:16] = a; global[16:24] = b.
	if err := global.Update(key(0), append(u64(0x4242_4242_4242_4242), make([]byte, 24)...), bpf.UpdateAny); err != nil {
		t.Fatal(err)
	}
	direct := asm.Instructions{
		asm.LoadMapValue(asm.R4, "global", 8),
		asm.Stx(asm.DW, asm.R4, asm.R1, 0),
		asm.LoadMapValue(asm.R5, "global", 16),
		asm.Stx(asm.DW, asm.R5, asm.R2, 0),
		asm.Ldx(asm.DW, asm.R0, asm.R4, -8),
	}
	checkWith(t, progBody{body: direct, opts: opts}, []operands{{1, 2}, {0xdead_beef_cafe_f00d, ^uint64(0)}},
		func(in operands) string { return fmt.Sprintf("global = {.., %#x, %#x}", in[0], in[1]) },
		func(in operands, got result) string {
			if got.r0 != 0x4242_4242_4242_4242 {
				return fmt.Sprintf("R0 = %#x", got.r0)
			}
			v := make([]byte, 32)
			if err := global.Lookup(key(0), v); err != nil {
				return err.Error()
			}
			if a, b := binary.NativeEndian.Uint64(v[8:]), binary.NativeEndian.Uint64(v[16:]); a != in[0] || b != in[1] {
				return fmt.Sprintf("user space reads % x", v)
			}
			return ""
		})

	// A name nobody resolves is an error naming it, before the kernel sees the program.
	_, err := tryLoadSyscall(progBody{body: asm.Instructions{asm.LoadMapPtr(asm.R1, "nowhere"), asm.MovImm(asm.R0, 0)}, opts: opts}, fromContext, operands{})
	if err == nil || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("unresolved map name: %v", err)
	}
	var ve *bpf.VerifierError
	if errors.As(err, &ve) {
		t.Errorf("unresolved map name reached the verifier: %v", err)
	}
}

// TestKernelLegacyPacketLoads runs LD_ABS and LD_IND in a socket filter on a UDP/IPv4 frame
// with an IP option. Under BPF_PROG_TEST_RUN a socket filter's skb->data starts at the network
// header (the kernel pulls the Ethernet header, as for a packet a socket receives), so LD_ABS
// offset 0 is the first byte of the IPv4 header; SKF_LL_OFF reaches the Ethernet header and
// SKF_NET_OFF the network header. The loads convert from network byte order.
func TestKernelLegacyPacketLoads(t *testing.T) {
	testutil.RequirePrivilege(t, "CAP_BPF")
	frame, err := packet.Build(
		packet.Ethernet{},
		packet.IPv4{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7"), TTL: 64,
			Options: []byte{0x94, 0x04, 0x00, 0x00}}, // router alert: IHL 6
		packet.UDP{SrcPort: 40000, DstPort: 53},
		packet.Payload("hello"),
	)
	if err != nil {
		t.Fatal(err)
	}
	const (
		ethLen    = 14
		ipLen     = 24
		skfNetOff = -0x100000 // SKF_NET_OFF
		skfLLOff  = -0x200000 // SKF_LL_OFF
	)
	ip := frame[ethLen:]
	be16 := func(b []byte) uint32 { return uint32(binary.BigEndian.Uint16(b)) }
	be32 := binary.BigEndian.Uint32
	// R7 = the IPv4 header length from the packet, as classic BPF's "ldxb 4*([0]&0xf)".
	ihl := asm.Instructions{asm.LdAbs(asm.B, 0), asm.AndImm(asm.R0, 0xf), asm.LshImm(asm.R0, 2), asm.MovReg(asm.R7, asm.R0)}
	for _, tt := range []struct {
		name string
		body asm.Instructions
		want uint32
	}{
		{"abs b 0: version and IHL", asm.Instructions{asm.LdAbs(asm.B, 0)}, 0x46},
		{"abs h 2: total length", asm.Instructions{asm.LdAbs(asm.H, 2)}, uint32(len(ip))},
		{"abs b 8: ttl", asm.Instructions{asm.LdAbs(asm.B, 8)}, 64},
		{"abs w 12: source", asm.Instructions{asm.LdAbs(asm.W, 12)}, 0xc000_0201},
		{"abs w 16: destination", asm.Instructions{asm.LdAbs(asm.W, 16)}, be32(ip[16:])},
		{"abs w 20: option", asm.Instructions{asm.LdAbs(asm.W, 20)}, 0x9404_0000},
		{"ind h: source port", append(ihl, asm.LdInd(asm.H, asm.R7, 0)), 40000},
		{"ind h: destination port", append(ihl, asm.LdInd(asm.H, asm.R7, 2)), 53},
		{"ind w: payload", append(ihl, asm.LdInd(asm.W, asm.R7, 8)), be32([]byte("hell"))},
		{"ind b: last byte", append(ihl, asm.MovImm(asm.R8, 8+4), asm.LdInd(asm.B, asm.R8, ipLen)), 'o'},
		{"ll h 12: ethertype", asm.Instructions{asm.LdAbs(asm.H, skfLLOff+12)}, be16(frame[12:])},
		{"net b 0", asm.Instructions{asm.LdAbs(asm.B, skfNetOff)}, 0x46},
		{"skb->len excludes the Ethernet header", asm.Instructions{asm.Ldx(asm.W, asm.R0, asm.R6, 0)}, uint32(len(frame) - ethLen)},
		// Out of the packet: the program ends at once, returning 0.
		{"abs beyond the end", asm.Instructions{asm.LdAbs(asm.B, int32(len(ip))), asm.MovImm(asm.R0, 7)}, 0},
		{"abs last byte", asm.Instructions{asm.LdAbs(asm.B, int32(len(ip)-1)), asm.MovImm(asm.R0, 7)}, 7},
		{"ind beyond the end", asm.Instructions{asm.MovImm(asm.R8, int32(len(ip))), asm.LdInd(asm.H, asm.R8, -1), asm.MovImm(asm.R0, 7)}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			insns := append(asm.Instructions{asm.MovReg(asm.R6, asm.R1)}, tt.body...)
			insns = append(insns, asm.Exit())
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "ld_abs", Type: bpf.SocketFilter, License: "GPL", Instructions: insns})
			testutil.SkipIfNotSupported(t, err)
			if err != nil {
				t.Fatalf("load: %+v", err)
			}
			defer p.Close()
			res, err := p.Run(&bpf.RunOptions{Data: frame})
			if err != nil {
				t.Fatal(err)
			}
			if res.ReturnValue != tt.want {
				t.Fatalf("got %#x, want %#x\n%v", res.ReturnValue, tt.want, insns)
			}
		})
	}
}

// kfuncID returns the BTF id of the kernel function name in vmlinux, read with bpftool; it
// skips t when the kernel lacks the kfunc, which Linux since added.
func kfuncID(t *testing.T, name, since string) int32 {
	t.Helper()
	tool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(tool, "btf", "dump", "file", "/sys/kernel/btf/vmlinux").Output()
	if err != nil {
		testutil.SetupProblem(t, "bpftool btf dump: %v", err)
	}
	// [65481] FUNC 'bpf_rcu_read_lock' type_id=65480 linkage=static
	needle := []byte("] FUNC '" + name + "' ")
	i := bytes.Index(out, needle)
	if i < 0 {
		t.Skipf("kernel BTF lacks the kfunc %s (Linux %s)", name, since)
	}
	start := bytes.LastIndexByte(out[:i], '[')
	id, err := strconv.ParseInt(string(out[start+1:i]), 10, 32)
	if err != nil {
		t.Fatalf("bpftool output %q: %v", out[start:i+len(needle)], err)
	}
	return int32(id)
}

// TestKernelKfuncCall calls the kfuncs bpf_rcu_read_lock and bpf_rcu_read_unlock (Linux 6.2)
// by BTF id and by name: the program loads and runs; without the unlock the verifier refuses
// it, which shows that it recognised the kfunc.
func TestKernelKfuncCall(t *testing.T) {
	requireSyscallRun(t)
	lock, unlock := kfuncID(t, "bpf_rcu_read_lock", "6.2"), kfuncID(t, "bpf_rcu_read_unlock", "6.2")
	ids := map[string]int32{"bpf_rcu_read_lock": lock, "bpf_rcu_read_unlock": unlock}
	resolve := func(name string) (int32, int16, error) {
		if id, ok := ids[name]; ok {
			return id, 0, nil
		}
		return 0, 0, fmt.Errorf("kfunc %q: not found", name)
	}
	// A kfunc call clobbers R1–R5 like a helper call: keep a in R7.
	byID := asm.Instructions{
		asm.MovReg(asm.R7, asm.R1),
		asm.CallKfunc(lock),
		asm.AddImm(asm.R7, 1),
		asm.CallKfunc(unlock),
		asm.MovReg(asm.R0, asm.R7),
	}
	byName := asm.Instructions{
		asm.MovReg(asm.R7, asm.R1),
		asm.CallKfuncByName("bpf_rcu_read_lock"),
		asm.AddImm(asm.R7, 1),
		asm.CallKfuncByName("bpf_rcu_read_unlock"),
		asm.MovReg(asm.R0, asm.R7),
	}
	for name, pb := range map[string]progBody{
		"by id":   {body: byID},
		"by name": {body: byName, opts: &bpf.ProgramOptions{KfuncID: resolve}},
	} {
		t.Run(name, func(t *testing.T) {
			check(t, pb, []operands{{0}, {41}, {^uint64(0)}},
				func(in operands) uint64 { return in[0] + 1 },
				func(in operands) string { return fmt.Sprintf("%s (a=%d)", name, in[0]) })
		})
	}

	t.Run("unbalanced", func(t *testing.T) {
		_, err := tryLoadSyscall(progBody{body: asm.Instructions{asm.CallKfunc(lock), asm.MovImm(asm.R0, 0)}}, fromContext, operands{})
		var ve *bpf.VerifierError
		if !errors.As(err, &ve) || !strings.Contains(fmt.Sprintf("%+v", err), "rcu_read_lock") {
			t.Fatalf("got %v, want a verifier error about the rcu_read_lock region", err)
		}
	})

	// Without ProgramOptions.KfuncID, NewProgram looks names up in the kernel's BTF; a name
	// that is not there fails with an error naming it, before the kernel sees a placeholder id.
	t.Run("name without resolver", func(t *testing.T) {
		check(t, progBody{body: byName}, []operands{{0}, {41}},
			func(in operands) uint64 { return in[0] + 1 },
			func(in operands) string { return fmt.Sprintf("by name, default resolver (a=%d)", in[0]) })
		unknown := asm.Instructions{asm.CallKfuncByName("bpf_no_such_kfunc"), asm.MovImm(asm.R0, 0)}
		sp, err := tryLoadSyscall(progBody{body: unknown}, fromContext, operands{})
		if err == nil {
			sp.p.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "bpf_no_such_kfunc") {
			t.Fatalf("a kfunc name the kernel lacks: got %v, want an error naming it", err)
		}
	})
}
