package btf

import (
	"fmt"
	"io"
	"os"
)

// noMmap makes loadRawFile read instead of mapping; tests set it to cover
// the fallback older kernels need.
var noMmap bool

// loadRawFile parses the raw BTF file at path. For the kernel's own files
// (kernel set) it memory-maps the file when the OS allows, and reads it
// otherwise; regular files are always read, as one truncated while mapped
// would crash the process. The kernel validated its BTF when it parsed it
// at boot or module load, so its records are checked less thoroughly (see
// newSpec).
func loadRawFile(path string, base *Spec, kernel bool) (*Spec, error) {
	if !kernel || noMmap {
		// os.ReadFile sizes its buffer from stat and reads until EOF.
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return newSpec(data, base, kernel)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if data := mapFile(f, fi.Size()); data != nil {
		s, err := newSpec(data, base, true)
		if err != nil {
			unmap(data)
			return nil, err
		}
		releaseWhenUnreachable(s, data)
		return s, nil
	}
	// Read until EOF rather than trusting the size: some file systems
	// report 0 or a page size.
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return newSpec(data, base, true)
}
