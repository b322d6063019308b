package ratelimit_test

import (
	"fmt"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/mapop"
	"github.com/bpfgo/bpf/emit/ratelimit"
)

// An XDP program that allows each IPv4 source 100 packets a second with bursts of 200.
func ExampleCheck() {
	st := emit.NewStack()
	key := st.MustAlloc("src", 4)
	scratch := st.MustAlloc("scratch", ratelimit.ScratchSize)
	insns := asm.Instructions{
		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),
		asm.Ldx(asm.W, asm.R3, asm.R1, asm.XDPMdDataEnd),
		asm.MovReg(asm.R4, asm.R2),
		asm.AddImm(asm.R4, 14+20),
		asm.JmpReg(asm.JGT, asm.R4, asm.R3, "pass"),
		asm.Ldx(asm.W, asm.R4, asm.R2, 14+12), // IPv4 source address
		asm.Stx(asm.W, asm.R10, asm.R4, key.Off),
	}
	insns = append(insns, ratelimit.Check(mapop.Name("buckets"), key, scratch, 100, 200, "pass", "drop")...)
	insns = append(insns,
		asm.Label("pass"), asm.MovImm(asm.R0, asm.XDPPass), asm.Exit(),
		asm.Label("drop"), asm.MovImm(asm.R0, asm.XDPDrop), asm.Exit(),
	)
	fmt.Println(len(insns) > 50)
	// Output: true
}

// The config-map variant reads rate and burst at run time; user space changes them.
func ExampleCheckConfig() {
	config, err := bpf.NewMap(&bpf.MapSpec{Name: "rl_config", Type: bpf.Array, KeySize: 4,
		ValueSize: ratelimit.ConfigSize, MaxEntries: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer config.Close()
	v, err := ratelimit.EncodeConfig(1000, 50) // 1000 packets/s, bursts of 50
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := config.Update([]byte{0, 0, 0, 0}, v, bpf.UpdateAny); err != nil {
		fmt.Println(err)
		return
	}
	// Later: turn it off without reloading the program.
	_ = config.Update([]byte{0, 0, 0, 0}, ratelimit.DisabledConfig(), bpf.UpdateAny)

	st := emit.NewStack()
	key := st.MustAlloc("key", 4)
	scratch := st.MustAlloc("scratch", ratelimit.ScratchSize)
	_ = ratelimit.CheckConfig(config, 0, mapop.Name("buckets"), key, scratch, "pass", "drop")
}

func ExampleEncodeConfig() {
	v, _ := ratelimit.EncodeConfig(100, 200)
	fmt.Println(len(v), ratelimit.DisabledConfig())
	// Output: 16 [0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0]
}
