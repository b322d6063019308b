package asm

import "errors"

// ErrKernelSymbolNotFound is what [EncodeOptions] resolvers (KfuncID, KsymID) wrap when the
// running kernel lacks the symbol; the encoder then applies weak semantics (see
// [Instruction.Weak]) instead of failing.
var ErrKernelSymbolNotFound = errors.New("kernel symbol not found")

// PoisonedKfunc is the helper id a weak kfunc call is encoded with when the kernel lacks the
// kfunc. No kernel has this helper: the verifier accepts the program as long as the call is
// unreachable (dead code behind a [LoadKfuncExists] test) and rejects it with "invalid func"
// if it is reached.
const PoisonedKfunc BuiltinFunc = 0x7fff0000

// Weak returns a copy of ins marked weak. ins is a kfunc call by name ([CallKfuncByName]) or a
// kernel variable load ([LoadKsym]); where the running kernel lacks the symbol, the loader
// encodes the call as a call of [PoisonedKfunc] (fine while unreachable) and the load as 0,
// instead of refusing the program. This is C's __weak on a __ksym extern.
func (ins Instruction) Weak() Instruction {
	e := ins.extraCopy()
	e.weak = true
	ins.ext = e
	return ins
}

// IsWeak reports whether ins is marked weak ([Instruction.Weak], [LoadKfuncExists]).
func (ins Instruction) IsWeak() bool { return ins.ext != nil && ins.ext.weak }

// LoadKfuncExists returns dst = 1 if the running kernel has the kfunc name, else 0, decided at
// load time: C's bpf_ksym_exists() on a kfunc. The verifier sees a constant and skips the
// branch that does not apply, so a weak call of a missing kfunc behind it loads.
//
//go:noinline
func LoadKfuncExists(dst Register, name string) Instruction {
	return Instruction{OpCode: opLoadImm64, Dst: dst, Reference: name, pc: callerPC(), ext: &extra{weak: true, kfuncExists: true}}
}

// IsKfuncExists reports whether ins is a [LoadKfuncExists].
func (ins Instruction) IsKfuncExists() bool { return ins.ext != nil && ins.ext.kfuncExists }
