// Package elfsec reads sections of ELF object files.
//
// It is a thin layer over debug/elf shared by the BTF parser, the ELF object
// loader and the disassembler, so that every package reads sections the same
// way: from bytes or an io.ReaderAt, by name, with compressed sections
// (SHF_COMPRESSED) decompressed and SHT_NOBITS sections reported as empty.
// It never touches the kernel.
package elfsec

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
)

// ErrNoSection is returned by [File.Section] when the object has no section
// with the requested name.
var ErrNoSection = errors.New("no such section")

// File is an ELF object opened for section reading.
type File struct {
	*elf.File
}

// Open parses the ELF headers read from r. Section contents are read on
// demand, so r must stay readable while the File is in use.
func Open(r io.ReaderAt) (*File, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("elf: %w", err)
	}
	return &File{File: f}, nil
}

// OpenBytes parses an ELF object held in memory.
func OpenBytes(b []byte) (*File, error) {
	return Open(bytes.NewReader(b))
}

// IsELF reports whether the first bytes of r carry the ELF magic "\x7fELF".
func IsELF(r io.ReaderAt) bool {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return false
	}
	return string(magic[:]) == elf.ELFMAG
}

// Names returns the names of all sections in header order, skipping the
// null section at index 0.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Sections))
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NULL {
			continue
		}
		names = append(names, s.Name)
	}
	return names
}

// Section returns the contents of the first section called name. A section of
// type SHT_NOBITS (such as .bss) yields an empty, non-nil slice. The error
// wraps [ErrNoSection] when there is no such section.
func (f *File) Section(name string) ([]byte, error) {
	s := f.File.Section(name)
	if s == nil {
		return nil, fmt.Errorf("section %q: %w", name, ErrNoSection)
	}
	return SectionData(s)
}

// SectionData returns the contents of s, decompressed if needed. A section of
// type SHT_NOBITS yields an empty, non-nil slice.
func SectionData(s *elf.Section) ([]byte, error) {
	if s.Type == elf.SHT_NOBITS {
		return []byte{}, nil
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("section %q: read: %w", s.Name, err)
	}
	return data, nil
}
