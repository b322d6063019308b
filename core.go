package bpf

import (
	"fmt"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// applyCORE resolves the CO-RE relocations carried by instructions built with the asm.Core*
// helpers against target, or against the running kernel's BTF (parsed once per process, see
// kernelSpec) when target is nil. Relocations that find nothing in the kernel poison their
// instruction, so the verifier names it if it is reachable.
func applyCORE(insns asm.Instructions, target *btf.Spec) (asm.Instructions, error) {
	if target == nil {
		var err error
		if target, err = kernelSpec(); err != nil {
			return nil, fmt.Errorf("CO-RE: kernel BTF: %w", err)
		}
	}
	return btf.ApplyCORE(insns, target)
}
