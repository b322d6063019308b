package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Mode bits of the newc cpio format (the same values as the st_mode file
// type bits of Linux).
const (
	modeDir      = 0o040000
	modeRegular  = 0o100000
	modeSymlink  = 0o120000
	modeTypeMask = 0o170000
)

// cpioTrailer is the name of the entry that ends a cpio archive.
const cpioTrailer = "TRAILER!!!"

// CPIOWriter writes a cpio archive in the "newc" format (magic 070701), the
// format the Linux kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst). Several
// archives concatenated are accepted by the kernel as one initramfs; later
// entries replace earlier ones with the same name.
//
// The zero value is not usable: call NewCPIOWriter. Close writes the trailer
// but does not close the underlying writer.
type CPIOWriter struct {
	w   *bufio.Writer
	ino uint32
	off int64
	err error
}

// NewCPIOWriter returns a writer of a newc cpio archive to w. All entries get
// the modification time 0, so the same input gives the same bytes.
func NewCPIOWriter(w io.Writer) *CPIOWriter {
	return &CPIOWriter{w: bufio.NewWriterSize(w, 1<<16), ino: 1}
}

// Dir adds a directory entry with the permission bits perm.
func (c *CPIOWriter) Dir(name string, perm fs.FileMode) error {
	return c.entry(name, modeDir|uint32(perm.Perm()), 2, nil, nil)
}

// File adds a regular file with the permission bits perm and the contents data.
func (c *CPIOWriter) File(name string, perm fs.FileMode, data []byte) error {
	return c.entry(name, modeRegular|uint32(perm.Perm()), 1, data, nil)
}

// FileFrom adds a regular file of size bytes read from r.
func (c *CPIOWriter) FileFrom(name string, perm fs.FileMode, size int64, r io.Reader) error {
	if size < 0 || size > 0xffffffff {
		return fmt.Errorf("cpio %q: size %d out of range", name, size)
	}
	return c.entry(name, modeRegular|uint32(perm.Perm()), 1, nil, &sizedReader{r: r, n: size})
}

// Symlink adds a symbolic link name pointing at target.
func (c *CPIOWriter) Symlink(name, target string) error {
	return c.entry(name, modeSymlink|0o777, 1, []byte(target), nil)
}

// Close writes the trailer entry and flushes buffered data. It does not close
// the underlying writer.
func (c *CPIOWriter) Close() error {
	if c.err != nil {
		return c.err
	}
	if err := c.header(cpioTrailer, 0, 0, 1, 0); err != nil {
		return err
	}
	c.err = errors.New("cpio: archive closed")
	return c.w.Flush()
}

type sizedReader struct {
	r io.Reader
	n int64
}

func (c *CPIOWriter) entry(name string, mode, nlink uint32, data []byte, r *sizedReader) error {
	if c.err != nil {
		return c.err
	}
	name = strings.TrimPrefix(name, "/")
	if name == "" || name == cpioTrailer || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("cpio: invalid entry name %q", name)
	}
	size := int64(len(data))
	if r != nil {
		size = r.n
	}
	if err := c.header(name, mode, size, nlink, c.ino); err != nil {
		return err
	}
	c.ino++
	if r != nil {
		n, err := io.CopyN(c.w, r.r, r.n)
		c.off += n
		if err != nil {
			c.err = fmt.Errorf("cpio %q: %w", name, err)
			return c.err
		}
	} else {
		n, err := c.w.Write(data)
		c.off += int64(n)
		if err != nil {
			c.err = err
			return err
		}
	}
	return c.pad()
}

// header writes a newc header: the magic, 13 fields of 8 hex digits, the
// NUL-terminated name, and padding to a multiple of 4 bytes.
func (c *CPIOWriter) header(name string, mode uint32, size int64, nlink, ino uint32) error {
	h := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, uint32(size), 0, 0, 0, 0, len(name)+1, 0)
	n, err := io.WriteString(c.w, h+name+"\x00")
	c.off += int64(n)
	if err != nil {
		c.err = err
		return err
	}
	return c.pad()
}

func (c *CPIOWriter) pad() error {
	var zero [3]byte
	if p := (4 - c.off%4) % 4; p > 0 {
		n, err := c.w.Write(zero[:p])
		c.off += int64(n)
		if err != nil {
			c.err = err
			return err
		}
	}
	return nil
}

// CPIOEntry is one entry read back from a newc cpio archive.
type CPIOEntry struct {
	Name string
	Mode uint32 // file type and permission bits, as in st_mode
	Data []byte // file contents, or the target of a symbolic link
}

// IsDir reports whether the entry is a directory.
func (e CPIOEntry) IsDir() bool { return e.Mode&modeTypeMask == modeDir }

// IsSymlink reports whether the entry is a symbolic link.
func (e CPIOEntry) IsSymlink() bool { return e.Mode&modeTypeMask == modeSymlink }

// ReadCPIO parses every newc cpio archive in data (several may be
// concatenated, with NUL padding between them, as in an initramfs) and
// returns their entries in order, without the trailers.
func ReadCPIO(data []byte) ([]CPIOEntry, error) {
	var entries []CPIOEntry
	off := 0
	for {
		for off < len(data) && data[off] == 0 {
			off++
		}
		if off >= len(data) {
			return entries, nil
		}
		if len(data)-off < 110 {
			return entries, fmt.Errorf("cpio: truncated header at offset %d", off)
		}
		h := data[off : off+110]
		if string(h[:6]) != "070701" {
			return entries, fmt.Errorf("cpio: bad magic %q at offset %d", h[:6], off)
		}
		var fields [13]uint32
		for i := range fields {
			v, err := parseHex8(h[6+8*i : 14+8*i])
			if err != nil {
				return entries, fmt.Errorf("cpio: header at offset %d: field %d: %w", off, i, err)
			}
			fields[i] = v
		}
		mode, size, namesize := fields[1], int(fields[6]), int(fields[11])
		if namesize < 1 || namesize > len(data)-off-110 {
			return entries, fmt.Errorf("cpio: name size %d out of range at offset %d", namesize, off)
		}
		nameBytes := data[off+110 : off+110+namesize]
		if nameBytes[namesize-1] != 0 {
			return entries, fmt.Errorf("cpio: name not NUL-terminated at offset %d", off)
		}
		name := string(nameBytes[:namesize-1])
		off = align4(off + 110 + namesize)
		if size < 0 || off > len(data) || size > len(data)-off {
			return entries, fmt.Errorf("cpio %q: data size %d exceeds archive", name, size)
		}
		body := data[off : off+size]
		off = align4(off + size)
		if name == cpioTrailer {
			continue
		}
		entries = append(entries, CPIOEntry{Name: name, Mode: mode, Data: body})
	}
}

func align4(n int) int { return (n + 3) &^ 3 }

func parseHex8(b []byte) (uint32, error) {
	var v uint32
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("bad hex digit %q", c)
		}
		v = v<<4 | uint32(d)
	}
	return v, nil
}
