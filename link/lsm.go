package link

import (
	"errors"
	"fmt"

	"github.com/bpfgo/bpf"
)

// AttachLSM attaches prog, a [bpf.LSM] program loaded with AttachType
// [bpf.AttachLSMMac] and AttachTo naming the hook ("file_open"), to its LSM
// hook (BPF_LSM_MAC). The program's return value is the hook's verdict: 0
// allows, a negative errno denies. Requires Linux 5.7 with CONFIG_BPF_LSM and
// "bpf" in the active LSMs (the lsm= boot parameter); without them the
// program loads but never runs. The caller must Close the Link.
func AttachLSM(prog *bpf.Program) (Link, error) {
	if prog == nil {
		return nil, errors.New("lsm: attach: nil program")
	}
	if prog.Type() != bpf.LSM {
		return nil, fmt.Errorf("lsm: attach program %q: type %v, want LSM", prog.Name(), prog.Type())
	}
	l, err := AttachTracing(prog, nil)
	if err != nil {
		return nil, fmt.Errorf("lsm: %w", err)
	}
	return l, nil
}
