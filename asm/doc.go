// Package asm is the eBPF instruction set: registers, opcodes, the Instruction type and builders
// in the vocabulary of clj-ebpf's DSL, labels resolved by Encode, Decode, and printing in the
// notation of llvm-objdump and the kernel verifier log.
//
// A program is an Instructions slice built from the builders:
//
//	insns := asm.Instructions{
//		asm.Ldx(asm.W, asm.R2, asm.R1, asm.XDPMdData),
//		asm.Ldx(asm.W, asm.R3, asm.R1, asm.XDPMdDataEnd),
//		asm.MovImm(asm.R0, asm.XDPPass),
//		asm.Exit(),
//	}
//
// Every builder records the Go position of its caller (Instruction.Source), so that an error of
// the verifier can name the line that emitted the faulty instruction. Jumps and bpf-to-bpf calls
// name their target label; maps are referenced by name or handle and resolved when the program is
// loaded. The package never touches the kernel.
//
// The oracle test compares the printed text of every instruction in the objects under testdata
// with llvm-objdump-19. Rebuild those objects with `go generate` (needs clang-19).
package asm

//go:generate sh testdata/build.sh
