package bpf

import (
	"bufio"
	"fmt"
	"io"
)

// Dump writes every entry of the map to w in bpftool's plain format: the
// key and value bytes in hex, per-CPU values one line per CPU, and a final
// "Found N elements" line. Keyless maps (queues, stacks, ring buffers)
// cannot be walked: Dump returns an error matching [ErrNotSupported].
func (m *Map) Dump(w io.Writer) error {
	bw := bufio.NewWriter(w)
	n := 0
	it := m.Iterate()
	cpus := 1
	if m.typ.IsPerCPU() {
		cpus = int(m.valueBuf / m.stride)
	}
	for k, v := range it.All() {
		n++
		if !m.typ.IsPerCPU() {
			fmt.Fprintf(bw, "key: %s  value: %s\n", hexBytes(k), hexBytes(v))
			continue
		}
		fmt.Fprintf(bw, "key:\n%s\n", hexBytes(k))
		for cpu := range cpus {
			fmt.Fprintf(bw, "value (CPU %02d): %s\n", cpu, hexBytes(m.PerCPUSlot(v, cpu)))
		}
	}
	if err := it.Err(); err != nil {
		bw.Flush()
		return fmt.Errorf("dump: %w", err)
	}
	fmt.Fprintf(bw, "Found %d element", n)
	if n != 1 {
		bw.WriteString("s")
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// hexBytes formats b as "01 00 0a".
func hexBytes(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
