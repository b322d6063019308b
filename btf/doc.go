// Package btf reads, writes and prints BTF, the BPF Type Format: the type
// information the kernel exposes for itself (/sys/kernel/btf/vmlinux, Linux
// 5.4 with CONFIG_DEBUG_INFO_BTF), for its modules (split BTF, Linux 5.11),
// and that clang emits into the .BTF and .BTF.ext sections of BPF objects.
//
// The package is pure Go and never calls bpf(2): loading BTF into the kernel
// (BPF_BTF_LOAD) happens in the root package with the bytes
// [Builder.Marshal] or [Spec.Marshal] produce.
//
// # Specs and types
//
// A [Spec] holds the raw sections of one BTF blob and an index of its type
// records. Types are decoded on demand, so looking up task_struct in vmlinux
// decodes that one record, not the 100 000 others; [Spec.All] decodes them
// all. Decoded types ([*Struct], [*Int], [*FuncProto], ...) refer to other
// types by [TypeID] within the same Spec:
//
//	spec, _ := btf.LoadKernelSpec()
//	id, task, _ := btf.Find[*btf.Struct](spec, "task_struct")
//	pid, _ := spec.Field(id, "pid") // pid.Offset is in bits
//	fmt.Println(task.Size, pid.Offset/8)
//
// Lookups go by ID ([Spec.TypeByID]), by name ([Spec.AnyTypeByName],
// [Spec.TypeByName], [Find]), and by CO-RE essential name
// ([Spec.TypeIDsByEssentialName], which ignores "___flavour" suffixes).
// [Spec.Underlying], [Spec.Sizeof], [Spec.Alignof] and [Spec.Field] resolve
// typedefs, qualifiers and nested anonymous members.
//
// # Building BTF
//
// A [Builder] encodes types into raw BTF, for instance the key and value
// types of a map defined in Go ([NewMapBTF], [Builder.AddGoType]), so that
// bpftool prints map entries with field names.
//
// # Printing
//
// [Spec.FormatC] prints a type as C, like `bpftool btf dump ... format c`,
// optionally with everything it depends on; [Spec.FormatRaw] prints bpftool's
// raw format.
//
// # Object files
//
// [LoadSpecAndExtFromELF] parses .BTF and .BTF.ext: func_info, line_info and
// CO-RE relocation records per code section ([Ext]).
//
// # CO-RE
//
// CO-RE relocations adapt a program to the kernel it is loaded on: field
// offsets and sizes, bitfield shifts, type and enumerator existence, sizes,
// IDs and values (all 13 BPF_CORE_* kinds). [CalcCORE] resolves a .BTF.ext
// record of an object against a target Spec with libbpf's rules ("___flavour"
// suffixes, compatible kinds, access strings such as "0:1:2", anonymous
// members, ambiguity checks); [ApplyCORERelos] writes the results into the
// instructions, and poisons those that cannot be resolved so that the
// verifier rejects them only where they are reachable. Programs built in Go
// name kernel types instead ([asm.CoreFieldOffset], [asm.CoreRead], ...);
// [ApplyCORE] resolves those, and bpf.NewProgram calls it with the running
// kernel's BTF.
package btf
