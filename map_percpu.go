package bpf

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// PossibleCPUs returns the number of possible CPUs
// (/sys/devices/system/cpu/possible), which is how many values a per-CPU map
// holds per key. The answer is read once and cached.
func PossibleCPUs() (int, error) { return possibleCPUs() }

var possibleCPUs = sync.OnceValues(func() (int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, fmt.Errorf("possible CPUs: %w", err)
	}
	n, err := parseCPUList(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("possible CPUs: %w", err)
	}
	return n, nil
})

// parseCPUList counts the CPUs in a list such as "0-3,5,7-8".
func parseCPUList(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty CPU list")
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				return 0, fmt.Errorf("CPU list %q: %w", s, err)
			}
		}
		if b < a {
			return 0, fmt.Errorf("CPU list %q: range %s is reversed", s, part)
		}
		n += int(b-a) + 1
	}
	return n, nil
}

// Number is the constraint of the per-CPU aggregation helpers.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// Sum returns the sum of values (e.g. the per-CPU values of one key); 0 for
// none. Integer sums wrap around like Go arithmetic.
func Sum[V Number](values []V) V {
	var s V
	for _, v := range values {
		s += v
	}
	return s
}

// Min returns the smallest of values, or 0 for none.
func Min[V Number](values []V) V {
	if len(values) == 0 {
		return 0
	}
	m := values[0]
	for _, v := range values[1:] {
		if v < m {
			m = v
		}
	}
	return m
}

// Max returns the largest of values, or 0 for none.
func Max[V Number](values []V) V {
	if len(values) == 0 {
		return 0
	}
	m := values[0]
	for _, v := range values[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// Avg returns the arithmetic mean of values as a float64 (0 for none),
// summed in float64 so integer values cannot overflow.
func Avg[V Number](values []V) float64 {
	if len(values) == 0 {
		return 0
	}
	var s float64
	for _, v := range values {
		s += float64(v)
	}
	return s / float64(len(values))
}

// PerCPUSlot returns the bytes of CPU cpu's value inside a per-CPU value
// buffer of m (as Lookup fills it), or nil if m is not per-CPU or cpu is out
// of range. It does not copy.
func (m *Map) PerCPUSlot(buf []byte, cpu int) []byte {
	if !m.typ.IsPerCPU() || cpu < 0 || len(buf) != int(m.valueBuf) {
		return nil
	}
	off := cpu * int(m.stride)
	if off+int(m.stride) > len(buf) {
		return nil
	}
	return buf[off : off+int(m.valueSize) : off+int(m.stride)]
}
