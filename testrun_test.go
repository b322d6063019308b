package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/internal/testutil"
	"github.com/bpfgo/bpf/packet"
)

// udpFrame is a UDP/IPv4 frame from 10.0.0.1:12345 to 10.0.0.2:53.
func udpFrame(t testing.TB) []byte {
	t.Helper()
	b, err := packet.Spec{Protocol: packet.IPProtoUDP, DstPort: 53, Payload: []byte("hello")}.Build()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunXDP(t *testing.T) {
	// Return XDP_TX (3) and rewrite the first byte of the destination MAC to 0xee.
	p := loadTestProg(t, &ProgramSpec{Name: "xdp_tx", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, 0), // data
		asm.Ldx(asm.W, asm.R3, asm.R1, 4), // data_end
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14),
		asm.MovImm(asm.R0, 1), // XDP_DROP when short
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "out"),
		asm.St(asm.B, asm.R2, 0, 0xee),
		asm.MovImm(asm.R0, 3),
		asm.Label("out"),
		asm.Exit(),
	}})
	in := udpFrame(t)
	res, err := p.Run(&RunOptions{Data: in, Repeat: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 3 {
		t.Fatalf("return %d, want XDP_TX", res.ReturnValue)
	}
	if len(res.Data) != len(in) || res.Data[0] != 0xee || !bytes.Equal(res.Data[1:], in[1:]) {
		t.Fatalf("data out % x", res.Data)
	}
	if in[0] == 0xee {
		t.Fatal("Run modified the caller's input")
	}
	if res.Duration <= 0 {
		t.Fatalf("duration %v", res.Duration)
	}
	if _, err := packet.Parse(res.Data); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}

	// Context in and out: xdp_md with ingress_ifindex 0 and rx_queue_index 0.
	ctx := make([]byte, 24)
	binary.NativeEndian.PutUint32(ctx[4:], uint32(len(in)))
	res, err = p.Run(&RunOptions{Data: in, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Context) != 24 {
		t.Fatalf("context out %d bytes", len(res.Context))
	}
}

// TestRunGrowsDataOut has the program grow the packet beyond the default output buffer: Run
// retries with the size the kernel asks for.
func TestRunGrowsDataOut(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "xdp_grow", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.MovImm(asm.R2, 1000),
		asm.Call(asm.FnXDPAdjustTail),
		asm.MovImm(asm.R0, 2),
		asm.Exit(),
	}})
	in := udpFrame(t)
	res, err := p.Run(&RunOptions{Data: in})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != len(in)+1000 || !bytes.Equal(res.Data[:len(in)], in) {
		t.Fatalf("data out %d bytes, want %d", len(res.Data), len(in)+1000)
	}
	res, err = p.Run(&RunOptions{Data: in, DataOutSize: 16})
	if err != nil || len(res.Data) != len(in)+1000 {
		t.Fatalf("tiny DataOutSize: %v, %d bytes", err, len(res.Data))
	}
}

func TestRunSchedCLSAndSocketFilter(t *testing.T) {
	// Both return skb->len (offset 0 of __sk_buff).
	body := asm.Instructions{asm.Ldx(asm.W, asm.R0, asm.R1, 0), asm.Exit()}
	in := udpFrame(t)
	for _, tt := range []struct {
		typ  ProgramType
		want uint32
	}{
		{SchedCLS, uint32(len(in))},
		{SocketFilter, uint32(len(in) - 14)}, // a socket filter's skb->len excludes the Ethernet header
	} {
		t.Run(tt.typ.String(), func(t *testing.T) {
			p := loadTestProg(t, &ProgramSpec{Name: "skblen", Type: tt.typ, License: "GPL", Instructions: body})
			res, err := p.Run(&RunOptions{Data: in, Repeat: 100})
			if err != nil {
				t.Fatal(err)
			}
			if res.ReturnValue != tt.want {
				t.Fatalf("skb->len %d, want %d", res.ReturnValue, tt.want)
			}
			// The kernel returns a socket filter's packet with the Ethernet header zeroed.
			if len(res.Data) != len(in) || !bytes.Equal(res.Data[14:], in[14:]) {
				t.Fatalf("data out changed: % x", res.Data)
			}
			// __sk_buff as context: mark (offset 8) is read by the kernel from ctx_in.
			ctx := make([]byte, 192)
			res, err = p.Run(&RunOptions{Data: in, Context: ctx})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Context) != len(ctx) {
				t.Fatalf("ctx out %d bytes", len(res.Context))
			}
		})
	}
}

func TestRunRawTracepoint(t *testing.T) {
	// Return the second argument: ctx is an array of u64 arguments.
	p := loadTestProg(t, &ProgramSpec{Name: "rawtp", Type: RawTracepoint, License: "GPL", Instructions: asm.Instructions{
		asm.Ldx(asm.DW, asm.R0, asm.R1, 8),
		asm.Exit(),
	}})
	ctx := make([]byte, 16)
	binary.NativeEndian.PutUint64(ctx[8:], 0xbeef)
	res, err := p.Run(&RunOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 0xbeef {
		t.Fatalf("return %#x", res.ReturnValue)
	}
	// Raw tracepoints take no repeat: a clear error before the syscall.
	if _, err := p.Run(&RunOptions{Context: ctx, Repeat: 10}); err == nil || !strings.Contains(err.Error(), "only a context") {
		t.Fatalf("repeat: %v", err)
	}
	// On a given CPU.
	res, err = p.Run(&RunOptions{Context: ctx, Flags: 1 /* BPF_F_TEST_RUN_ON_CPU */, CPU: 0})
	if err != nil || res.ReturnValue != 0xbeef {
		t.Fatalf("on cpu 0: %v %v", res, err)
	}
}

func TestRunSyscall(t *testing.T) {
	// Double the u32 at ctx[0] in place and return it.
	p := loadTestProg(t, &ProgramSpec{Name: "sys", Type: Syscall, Flags: 1 << 4, License: "GPL", Instructions: asm.Instructions{
		asm.Ldx(asm.W, asm.R0, asm.R1, 0),
		asm.LshImm(asm.R0, 1),
		asm.Stx(asm.W, asm.R1, asm.R0, 0),
		asm.Exit(),
	}})
	ctx := []byte{21, 0, 0, 0}
	res, err := p.Run(&RunOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 42 || binary.NativeEndian.Uint32(res.Context) != 42 {
		t.Fatalf("return %d, ctx % x", res.ReturnValue, res.Context)
	}
	if ctx[0] != 21 {
		t.Fatal("Run modified the caller's context")
	}
}

func TestRunFlowDissector(t *testing.T) {
	// Return BPF_OK (0); the keys come back in data out.
	p := loadTestProg(t, &ProgramSpec{Name: "flow", Type: FlowDissector, License: "GPL", Instructions: retZero()})
	res, err := p.Run(&RunOptions{Data: udpFrame(t)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 0 {
		t.Fatalf("return %d", res.ReturnValue)
	}
	if len(res.Data) == 0 {
		t.Fatal("no flow keys in data out")
	}
}

func TestRunInputChecks(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "xdp", Type: XDP, License: "GPL", Instructions: retZero()})
	for _, tt := range []struct {
		opts *RunOptions
		want string
	}{
		{nil, "at least 14 bytes"},
		{&RunOptions{Data: make([]byte, 13)}, "at least 14 bytes"},
		{&RunOptions{Data: make([]byte, 14), CPU: 1}, "BPF_F_TEST_RUN_ON_CPU"},
	} {
		if _, err := p.Run(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%+v) = %v, want %q", tt.opts, err, tt.want)
		}
	}
	// The kernel's own refusal is wrapped with a hint and keeps the errno.
	// xdp_md.egress_ifindex (offset 20) must be zero in a test run.
	ctx := make([]byte, 24)
	ctx[20] = 1
	_, err := p.Run(&RunOptions{Data: make([]byte, 64), Context: ctx})
	if err == nil || !strings.Contains(err.Error(), "refused this input") {
		t.Fatalf("bad context: %v", err)
	}
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("bad context: %v, want EINVAL reachable", err)
	}
}

func BenchmarkRunXDP(b *testing.B) {
	p := loadTestProg(b, &ProgramSpec{Name: "bench", Type: XDP, License: "GPL", Instructions: retZero()})
	opts := &RunOptions{Data: udpFrame(b)}
	b.ReportAllocs()
	b.SetBytes(int64(len(opts.Data)))
	for b.Loop() {
		if _, err := p.Run(opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunXDPInKernel reports the kernel's own measure of one run (Repeat 10,000).
func BenchmarkRunXDPInKernel(b *testing.B) {
	testutil.RequirePrivilege(b, "CAP_BPF")
	p := loadTestProg(b, &ProgramSpec{Name: "bench", Type: XDP, License: "GPL", Instructions: retZero()})
	opts := &RunOptions{Data: udpFrame(b), Repeat: 10_000}
	var total float64
	for b.Loop() {
		res, err := p.Run(opts)
		if err != nil {
			b.Fatal(err)
		}
		total += float64(res.Duration.Nanoseconds())
	}
	b.ReportMetric(total/float64(b.N), "kernel-ns/run")
}

// TestRunCallerBuffer reuses a caller-owned output buffer: one allocation per run (the result).
func TestRunCallerBuffer(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "xdp", Type: XDP, License: "GPL", Instructions: asm.Instructions{asm.MovImm(asm.R0, 2), asm.Exit()}})
	in := udpFrame(t)
	buf := make([]byte, 2048)
	opts := &RunOptions{Data: in, DataOut: buf}
	res, err := p.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if &res.Data[0] != &buf[0] || !bytes.Equal(res.Data, in) {
		t.Fatal("result does not alias the caller's buffer")
	}
	if n := testing.AllocsPerRun(100, func() { p.Run(opts) }); n > 1 {
		t.Fatalf("%v allocations per run, want at most 1", n)
	}
}

// TestRunXDPLiveFrames runs with BPF_F_TEST_XDP_LIVE_FRAMES and a batch size: the frames go
// through the real XDP path (here: dropped).
func TestRunXDPLiveFrames(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "live", Type: XDP, License: "GPL", Instructions: asm.Instructions{asm.MovImm(asm.R0, 1), asm.Exit()}})
	res, err := p.Run(&RunOptions{Data: udpFrame(t), Repeat: 64, BatchSize: 16, Flags: 2 /* BPF_F_TEST_XDP_LIVE_FRAMES */})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration <= 0 {
		t.Fatalf("duration %v", res.Duration)
	}
}

// TestRunNotSupported: program types the kernel cannot test-run answer ErrNotSupported.
func TestRunNotSupported(t *testing.T) {
	p := loadTestProg(t, &ProgramSpec{Name: "kp", Type: Kprobe, License: "GPL", Instructions: retZero()})
	_, err := p.Run(&RunOptions{Context: make([]byte, 8)})
	var fe *FeatureError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "BPF_PROG_TEST_RUN of kprobe") {
		t.Fatalf("kprobe test run: %v, want a *FeatureError", err)
	}
}
