package bpf_test

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/packet"
)

// An XDP program built from instructions, loaded and run on a real packet.
func ExampleNewProgram() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:    "pass",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.MovImm(asm.R0, 2), // XDP_PASS
			asm.Exit(),
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%+v\n", err) // a *VerifierError prints the whole log with %+v
		return
	}
	defer prog.Close()
	fmt.Println(prog.VerifierStats()) // processed 2 insns ...
}

func ExampleProgram_Run() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "drop", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.MovImm(asm.R0, 1), asm.Exit()}, // XDP_DROP
	})
	if err != nil {
		return
	}
	defer prog.Close()
	frame := packet.Spec{Protocol: packet.IPProtoUDP, DstPort: 53}.MustBuild()
	res, err := prog.Run(&bpf.RunOptions{Data: frame, Repeat: 1000})
	if err != nil {
		return
	}
	fmt.Println(res.ReturnValue, res.Duration) // 1 and the mean run time
}

func ExampleVerifierError() {
	_, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "bad", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{
			asm.Label("start"),
			asm.MovReg(asm.R0, asm.R2), // r2 was never written
			asm.Exit(),
		},
	})
	var ve *bpf.VerifierError
	if errors.As(err, &ve) {
		// program "bad": verifier: R2 !read_ok at insn 0 (Instructions[1]) "r0 = r2",
		// emitted at example_prog_test.go:56 after label "start": permission denied
		fmt.Println(ve)
		fmt.Println(errors.Is(err, unix.EACCES)) // true
		fmt.Printf("%+v", ve)                    // the whole verifier log
	}
}

func ExampleHaveProgramType() {
	if err := bpf.HaveProgramType(bpf.LSM); errors.Is(err, bpf.ErrNotSupported) {
		fmt.Println("no LSM programs here:", err)
	}
}

func ExampleCheck() {
	report, err := bpf.Check()
	report.WriteText(os.Stdout)
	if err != nil {
		fmt.Println("BPF is unusable here:", err)
	}
}

func ExampleProgramType_KernelName() {
	fmt.Println(bpf.SchedCLS, bpf.SchedCLS.KernelName())
	t, ok := bpf.ParseProgramType("cgroup_sock_addr")
	fmt.Println(t, ok)
	fmt.Println(bpf.AttachTCXIngress, bpf.AttachTCXIngress.KernelName())
	// Output:
	// SchedCLS sched_cls
	// CgroupSockAddr true
	// AttachTCXIngress tcx_ingress
}
