package bpf

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// TailCall is a program and the index of a program array it is registered
// at: bpf_tail_call(ctx, array, Index) jumps to Program.
type TailCall struct {
	Index   uint32
	Program *Program
}

// TailCallChainOptions configures [NewTailCallChain]. The zero value is
// valid.
type TailCallChainOptions struct {
	// Name is the program array's name; "tail_call_chain" if empty.
	Name string
	// MaxEntries is the number of slots (indexes 0 to MaxEntries-1); 32 if 0.
	MaxEntries uint32
	// OwnPrograms makes the chain own the programs registered in it: Close
	// and Unregister close them (clj-ebpf's close-programs? true). By
	// default the caller keeps owning them.
	OwnPrograms bool
}

// TailCallChain is a program array (BPF_MAP_TYPE_PROG_ARRAY) together with
// the programs registered in it: programs that end in bpf_tail_call(ctx,
// chain.Map(), index) continue in the program at index, and fall through to
// the next instruction when the slot is empty (or after 33 nested calls).
// It ports clj-ebpf's create-tail-call-chain, register-tail-call,
// unregister-tail-call, get-tail-call-program and tail-call-chain-size;
// with-tail-call-chain is `defer chain.Close()`.
//
// The programs in one array must be compatible with its first user (same
// program type, and for XDP the same frags setting). The kernel empties the
// array when its last user-space reference goes away, even while programs
// still refer to it, so keep the chain open (or its map pinned) as long as
// the calls should work. Requires Linux 4.2. The methods are safe for
// concurrent use.
type TailCallChain struct {
	mu    sync.Mutex
	m     *Map
	progs map[uint32]*Program
	own   bool
}

// NewTailCallChain creates a program array and registers calls in it. On
// error nothing is left open (with OwnPrograms, the programs of calls are
// closed too, as the chain was given them). The caller must Close the chain.
func NewTailCallChain(calls []TailCall, opts *TailCallChainOptions) (*TailCallChain, error) {
	if opts == nil {
		opts = &TailCallChainOptions{}
	}
	name, entries := opts.Name, opts.MaxEntries
	if name == "" {
		name = "tail_call_chain"
	}
	if entries == 0 {
		entries = 32
	}
	closeGiven := func() {
		if opts.OwnPrograms {
			for _, c := range calls {
				c.Program.Close()
			}
		}
	}
	m, err := NewMap(&MapSpec{Name: name, Type: ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: entries})
	if err != nil {
		closeGiven()
		return nil, fmt.Errorf("tail call chain %q: %w", name, err)
	}
	c := &TailCallChain{m: m, progs: map[uint32]*Program{}, own: opts.OwnPrograms}
	for i, call := range calls {
		if err := c.Register(call.Index, call.Program); err != nil {
			if opts.OwnPrograms {
				for _, rest := range calls[i+1:] {
					rest.Program.Close()
				}
				if _, registered := c.progs[call.Index]; !registered || c.progs[call.Index] != call.Program {
					call.Program.Close()
				}
			}
			return nil, errors.Join(err, c.Close())
		}
	}
	return c, nil
}

// Map returns the program array, for the bpf_tail_call instructions of the
// programs (asm.LoadMap(asm.R2, chain.Map())). The chain keeps ownership.
func (c *TailCallChain) Map() *Map { return c.m }

// Register stores p at index, replacing the program there (which the chain
// closes if it owns it). The kernel checks that p is compatible with the
// array (EINVAL otherwise) and that index is below MaxEntries (E2BIG).
func (c *TailCallChain) Register(index uint32, p *Program) error {
	if c == nil {
		return ErrClosed
	}
	if p == nil {
		return fmt.Errorf("tail call chain %q: register at %d: nil program", c.m.Name(), index)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progs == nil {
		return fmt.Errorf("tail call chain: register at %d: %w", index, ErrClosed)
	}
	if err := c.m.UpdateProgram(index, p); err != nil {
		return fmt.Errorf("tail call chain: register %q at %d: %w", p.Name(), index, err)
	}
	if old := c.progs[index]; c.own && old != nil && old != p {
		old.Close()
	}
	c.progs[index] = p
	return nil
}

// Unregister empties index: a tail call to it falls through from then on.
// An empty index matches [ErrKeyNotExist]. The program is closed if the chain
// owns it.
func (c *TailCallChain) Unregister(index uint32) error {
	if c == nil {
		return ErrClosed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progs == nil {
		return fmt.Errorf("tail call chain: unregister %d: %w", index, ErrClosed)
	}
	if err := c.m.DeleteProgram(index); err != nil {
		return fmt.Errorf("tail call chain: unregister %d: %w", index, err)
	}
	if p := c.progs[index]; c.own && p != nil {
		p.Close()
	}
	delete(c.progs, index)
	return nil
}

// Program returns the program registered at index, or nil if the slot is
// empty. The chain (or the caller, without OwnPrograms) keeps ownership.
func (c *TailCallChain) Program(index uint32) *Program {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progs[index]
}

// Len returns the number of programs registered (clj-ebpf's
// tail-call-chain-size).
func (c *TailCallChain) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.progs)
}

// Indexes returns the registered indexes in increasing order.
func (c *TailCallChain) Indexes() []uint32 {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.progs))
}

// Close closes the program array, which empties it in the kernel, and the
// registered programs if the chain owns them. Safe on nil and when called
// twice.
func (c *TailCallChain) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progs == nil {
		return nil
	}
	var errs []error
	if c.own {
		for _, p := range c.progs {
			errs = append(errs, p.Close())
		}
	}
	c.progs = nil
	errs = append(errs, c.m.Close())
	return errors.Join(errs...)
}
