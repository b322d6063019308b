package clock_test

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/emit"
	"github.com/bpfgo/bpf/emit/clock"
)

func ExampleWeightedSelect() {
	// Pick backend 0, 1 or 2 with probabilities 30%, 50% and 20%.
	insns, err := clock.WeightedSelect([]uint32{30, 50, 20})
	if err != nil {
		panic(err)
	}
	fmt.Print(insns)
	// Output:
	// 0: call 0x7
	//    1: w1 = w0
	//    2: w1 %= 0x64
	//    3: r0 = 0x0
	//    4: if w1 < 0x1e goto +0x3
	//    5: r0 = 0x1
	//    6: if w1 < 0x50 goto +0x1
	//    7: r0 = 0x2
}

func ExampleElapsed() {
	st := emit.NewStack()
	start := st.MustAlloc("start", 8)
	insns := clock.StoreTimestamp(clock.Monotonic, start)
	// ... the work to time ...
	insns = append(insns, clock.Elapsed(clock.Monotonic, start, asm.R6)...) // R6 = ns since start
	fmt.Print(insns)
	// Output:
	// 0: call 0x5
	//    1: *(u64 *)(r10 - 0x8) = r0
	//    2: call 0x5
	//    3: r1 = *(u64 *)(r10 - 0x8)
	//    4: r0 -= r1
	//    5: r6 = r0
}
