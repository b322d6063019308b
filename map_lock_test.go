//go:build linux

package bpf

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfgo/bpf/asm"
	"github.com/bpfgo/bpf/btf"
)

// bpf_spin_lock mirrors the kernel's struct bpf_spin_lock { __u32 val; }.
// btf.NewMapBTF names the BTF struct after the Go type, and the kernel finds
// the lock by that name, so the Go name has to be the C one.
type bpf_spin_lock struct {
	Val uint32
}

// lockedCounter is a map value with a spin lock: Count and Total change
// together under the lock, Total always 10 times Count.
type lockedCounter struct {
	Lock  bpf_spin_lock
	Count uint32
	Total uint64
}

// lockedSpec returns a spec of typ whose value BTF has a bpf_spin_lock.
func lockedSpec(t *testing.T, name string, typ MapType) *MapSpec {
	t.Helper()
	mb, err := btf.NewMapBTF(reflect.TypeFor[uint32](), reflect.TypeFor[lockedCounter]())
	if err != nil {
		t.Fatal(err)
	}
	return &MapSpec{Name: name, Type: typ, KeySize: 4, ValueSize: uint32(unsafe.Sizeof(lockedCounter{})), MaxEntries: 4,
		BTF: mb.BTF, BTFKeyTypeID: uint32(mb.KeyTypeID), BTFValueTypeID: uint32(mb.ValueTypeID)}
}

// lockedIncrement returns an XDP program that, under the value's
// bpf_spin_lock, adds 1 to Count and 10 to Total of element key of m.
func lockedIncrement(t *testing.T, m *Map, key int32) *Program {
	t.Helper()
	countOff := int16(unsafe.Offsetof(lockedCounter{}.Count))
	totalOff := int16(unsafe.Offsetof(lockedCounter{}.Total))
	return loadTestProg(t, &ProgramSpec{Name: "lock_inc", Type: XDP, License: "GPL", Instructions: asm.Instructions{
		asm.St(asm.W, asm.R10, -4, key),
		asm.LoadMap(asm.R1, m),
		asm.MovReg(asm.R2, asm.R10),
		asm.AddImm(asm.R2, -4),
		asm.Call(asm.FnMapLookupElem),
		asm.JmpImm(asm.JEQ, asm.R0, 0, "out"),
		asm.MovReg(asm.R6, asm.R0),
		asm.MovReg(asm.R1, asm.R6), // &value->lock
		asm.Call(asm.FnSpinLock),
		asm.Ldx(asm.W, asm.R1, asm.R6, countOff),
		asm.AddImm(asm.R1, 1),
		asm.Stx(asm.W, asm.R6, asm.R1, countOff),
		asm.Ldx(asm.DW, asm.R1, asm.R6, totalOff),
		asm.AddImm(asm.R1, 10),
		asm.Stx(asm.DW, asm.R6, asm.R1, totalOff),
		asm.MovReg(asm.R1, asm.R6),
		asm.Call(asm.FnSpinUnlock),
		asm.Label("out"),
		asm.MovImm(asm.R0, xdpPass),
		asm.Exit(),
	}})
}

// TestMapSpinLock updates and reads values holding a bpf_spin_lock with
// BPF_F_LOCK while programs run by test-run change them under the lock, and
// checks that no locked read ever sees a half-done update.
func TestMapSpinLock(t *testing.T) {
	for _, typ := range []MapType{Hash, Array} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNewMap(t, lockedSpec(t, "t_lock_"+typ.KernelName(), typ))
			tm, err := NewTypedMap[uint32, lockedCounter](m)
			if err != nil {
				t.Fatal(err)
			}
			// User-space update under the lock; the lock word we pass is
			// ignored, and reads back as zero.
			if err := tm.Update(1, lockedCounter{Lock: bpf_spin_lock{Val: 0xdead}, Count: 5, Total: 50}, UpdateAny|UpdateLock); err != nil {
				t.Fatal(err)
			}
			got, err := tm.LookupLock(1)
			if err != nil {
				t.Fatal(err)
			}
			if got != (lockedCounter{Count: 5, Total: 50}) {
				t.Fatalf("LookupLock = %+v", got)
			}
			raw := make([]byte, m.ValueSize())
			if err := m.LookupLock(u32(1), raw); err != nil {
				t.Fatal(err)
			}
			if c := hostEndian.Uint32(raw[unsafe.Offsetof(got.Count):]); c != 5 {
				t.Fatalf("byte LookupLock: count %d, % x", c, raw)
			}
			switch typ {
			case Hash:
				if err := tm.Update(1, lockedCounter{}, UpdateNoExist|UpdateLock); !errors.Is(err, ErrKeyExist) {
					t.Fatalf("noexist|lock on a present key: %v", err)
				}
				if _, err := tm.LookupLock(3); !errors.Is(err, ErrKeyNotExist) {
					t.Fatalf("LookupLock of a missing key: %v", err)
				}
			case Array:
				if err := tm.Update(9, lockedCounter{}, UpdateAny|UpdateLock); !errors.Is(err, ErrKeyNotExist) {
					t.Fatalf("update|lock beyond max entries: %v", err)
				}
			}

			// Two programs on two CPUs and a reader, all through the lock.
			prog := lockedIncrement(t, m, 1)
			const runs, repeat = 2, 20000
			var wg sync.WaitGroup
			errs := make(chan error, runs+1)
			for range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := prog.Run(&RunOptions{Data: make([]byte, 64), Repeat: repeat}); err != nil {
						errs <- err
					}
				}()
			}
			done, stop := make(chan struct{}), make(chan struct{})
			var torn []lockedCounter
			var reads int
			go func() {
				defer close(done)
				for {
					v, err := tm.LookupLock(1)
					if err != nil {
						errs <- err
						return
					}
					reads++
					if v.Total != 10*uint64(v.Count) {
						torn = append(torn, v)
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
			wg.Wait()
			close(stop)
			<-done
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if len(torn) > 0 {
				t.Fatalf("%d of %d locked reads saw a torn value, e.g. %+v", len(torn), reads, torn[0])
			}
			got, err = tm.LookupLock(1)
			if err != nil {
				t.Fatal(err)
			}
			if want := (lockedCounter{Count: 5 + runs*repeat, Total: 10 * (5 + runs*repeat)}); got != want {
				t.Fatalf("after %d locked increments: %+v, want %+v", runs*repeat, got, want)
			}
		})
	}
}

// TestMapSpinLockErrors checks what BPF_F_LOCK is refused on.
func TestMapSpinLockErrors(t *testing.T) {
	plain := mustNewMap(t, &MapSpec{Name: "t_lock_plain", Type: Hash, KeySize: 4, ValueSize: 16, MaxEntries: 2})
	if err := plain.Update(u32(0), make([]byte, 16), UpdateAny); err != nil {
		t.Fatal(err)
	}
	locked := mustNewMap(t, lockedSpec(t, "t_lock_sizes", Hash))
	tests := []struct {
		name string
		err  func() error
		want error
	}{
		{"lookup lock without a spin lock", func() error { return plain.LookupLock(u32(0), make([]byte, 16)) }, unix.EINVAL},
		{"update lock without a spin lock", func() error { return plain.Update(u32(0), make([]byte, 16), UpdateAny|UpdateLock) }, unix.EINVAL},
		{"short value", func() error { return locked.LookupLock(u32(0), make([]byte, 8)) }, nil},
		{"short key", func() error { return locked.LookupLock([]byte{0}, make([]byte, 16)) }, nil},
		{"nil map", func() error { return (*Map)(nil).LookupLock(u32(0), nil) }, ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var errno unix.Errno
			if tt.want == nil && errors.As(err, &errno) {
				t.Fatalf("error %v comes from the kernel, want a check before the syscall", err)
			}
		})
	}

	// Socket filters may not use maps with a spin lock: the kernel says so
	// at load time.
	_, err := NewProgram(&ProgramSpec{Name: "lock_filter", Type: SocketFilter, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMap(asm.R1, locked),
		asm.MovImm(asm.R0, 0),
		asm.Exit(),
	}})
	var verr *VerifierError
	if !errors.As(err, &verr) {
		t.Fatalf("socket filter with a spin lock map: %v, want a verifier error", err)
	}
}
