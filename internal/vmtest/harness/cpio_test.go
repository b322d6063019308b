package harness

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPIORoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		write func(*CPIOWriter) error
		want  []CPIOEntry
	}{
		{"empty", func(*CPIOWriter) error { return nil }, nil},
		{"dir", func(c *CPIOWriter) error { return c.Dir("bin", 0o755) },
			[]CPIOEntry{{Name: "bin", Mode: modeDir | 0o755, Data: []byte{}}}},
		{"leading slash is dropped", func(c *CPIOWriter) error { return c.File("/etc/hosts", 0o644, []byte("x")) },
			[]CPIOEntry{{Name: "etc/hosts", Mode: modeRegular | 0o644, Data: []byte("x")}}},
		{"padding of every length", func(c *CPIOWriter) error {
			for _, s := range []string{"", "a", "ab", "abc", "abcd", "abcde"} {
				if err := c.File("f"+s, 0o600, []byte(s)); err != nil {
					return err
				}
			}
			return nil
		}, []CPIOEntry{
			{Name: "f", Mode: modeRegular | 0o600, Data: []byte{}},
			{Name: "fa", Mode: modeRegular | 0o600, Data: []byte("a")},
			{Name: "fab", Mode: modeRegular | 0o600, Data: []byte("ab")},
			{Name: "fabc", Mode: modeRegular | 0o600, Data: []byte("abc")},
			{Name: "fabcd", Mode: modeRegular | 0o600, Data: []byte("abcd")},
			{Name: "fabcde", Mode: modeRegular | 0o600, Data: []byte("abcde")},
		}},
		{"symlink", func(c *CPIOWriter) error { return c.Symlink("bin/sh", "busybox") },
			[]CPIOEntry{{Name: "bin/sh", Mode: modeSymlink | 0o777, Data: []byte("busybox")}}},
		{"file from reader", func(c *CPIOWriter) error {
			return c.FileFrom("init", 0o755, 5, strings.NewReader("hello, world"))
		}, []CPIOEntry{{Name: "init", Mode: modeRegular | 0o755, Data: []byte("hello")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := NewCPIOWriter(&buf)
			if err := tt.write(c); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.Len()%4 != 0 {
				t.Errorf("archive length %d is not a multiple of 4", buf.Len())
			}
			got, err := ReadCPIO(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.Name != w.Name || g.Mode != w.Mode || !bytes.Equal(g.Data, w.Data) {
					t.Errorf("entry %d: got %q %o %q, want %q %o %q", i, g.Name, g.Mode, g.Data, w.Name, w.Mode, w.Data)
				}
			}
		})
	}
}

func TestCPIOErrors(t *testing.T) {
	var buf bytes.Buffer
	c := NewCPIOWriter(&buf)
	for _, name := range []string{"", "/", cpioTrailer, "a\x00b"} {
		if err := c.File(name, 0o644, nil); err == nil {
			t.Errorf("File(%q): no error", name)
		}
	}
	if err := c.FileFrom("short", 0o644, 10, strings.NewReader("abc")); err == nil {
		t.Error("FileFrom with a short reader: no error")
	}
	if err := c.File("after", 0o644, nil); err == nil {
		t.Error("File after a failed write: no error")
	}
	c = NewCPIOWriter(&buf)
	if err := c.FileFrom("neg", 0o644, -1, strings.NewReader("")); err == nil {
		t.Error("FileFrom with a negative size: no error")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err == nil {
		t.Error("second Close: no error")
	}
	if err := c.Dir("late", 0o755); err == nil {
		t.Error("Dir after Close: no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCPIOWriteError(t *testing.T) {
	c := NewCPIOWriter(failWriter{})
	if err := c.File("big", 0o644, make([]byte, 1<<17)); err == nil {
		t.Error("File to a failing writer: no error")
	}
}

// TestCPIOConcatenated checks that two archives back to back read as one
// initramfs, the way the harness joins the base and the payload.
func TestCPIOConcatenated(t *testing.T) {
	var buf bytes.Buffer
	for _, name := range []string{"base", "payload"} {
		c := NewCPIOWriter(&buf)
		if err := c.File(name, 0o644, []byte(name)); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadCPIO(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "base" || got[1].Name != "payload" {
		t.Errorf("got %+v", got)
	}
}

func TestReadCPIOErrors(t *testing.T) {
	var buf bytes.Buffer
	c := NewCPIOWriter(&buf)
	c.File("name", 0o644, []byte("data"))
	c.Close()
	good := buf.Bytes()
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated header", good[:50]},
		{"bad magic", append([]byte("070707"), good[6:]...)},
		{"bad hex", append(append([]byte{}, good[:6]...), append([]byte("zzzzzzzz"), good[14:]...)...)},
		{"truncated data", good[:118]},
	}
	for _, tt := range tests {
		if _, err := ReadCPIO(tt.data); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestCPIOBusybox lists an archive with an independent reader, busybox cpio.
func TestCPIOBusybox(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed (apt-get install busybox-static): cannot cross-check with busybox cpio")
	}
	var buf bytes.Buffer
	c := NewCPIOWriter(&buf)
	c.Dir("bin", 0o755)
	c.File("bin/busybox", 0o755, []byte("#!/bin/sh\n"))
	c.Symlink("bin/sh", "busybox")
	c.File("init", 0o755, []byte("odd"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bb, "cpio", "-i", "-d")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("busybox cpio -i: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "init")); err != nil || string(b) != "odd" {
		t.Errorf("init: %q, %v", b, err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "bin/sh")); err != nil || target != "busybox" {
		t.Errorf("bin/sh: %q, %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "bin/busybox")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bin/busybox: %v, %v", fi, err)
	}
}

func FuzzReadCPIO(f *testing.F) {
	var buf bytes.Buffer
	c := NewCPIOWriter(&buf)
	c.Dir("d", 0o755)
	c.File("d/f", 0o644, []byte("abc"))
	c.Symlink("l", "d/f")
	c.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("070701"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ReadCPIO(data)
		if err != nil {
			return
		}
		// What parses must survive a round trip through the writer.
		var out bytes.Buffer
		w := NewCPIOWriter(&out)
		var kept []CPIOEntry
		for _, e := range entries {
			name := strings.TrimPrefix(e.Name, "/")
			if name == "" || strings.IndexByte(name, 0) >= 0 {
				continue
			}
			if err := w.entry(name, e.Mode, 1, e.Data, nil); err != nil {
				t.Fatalf("rewrite %q: %v", e.Name, err)
			}
			kept = append(kept, CPIOEntry{Name: name, Mode: e.Mode, Data: e.Data})
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCPIO(out.Bytes())
		if err != nil {
			t.Fatalf("reread: %v", err)
		}
		if len(again) != len(kept) {
			t.Fatalf("reread %d entries, want %d", len(again), len(kept))
		}
		for i := range again {
			if again[i].Name != kept[i].Name || again[i].Mode != kept[i].Mode || !bytes.Equal(again[i].Data, kept[i].Data) {
				t.Fatalf("entry %d changed: %+v vs %+v", i, again[i], kept[i])
			}
		}
	})
}

func BenchmarkCPIOWrite(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)) * 8)
	b.ReportAllocs()
	for b.Loop() {
		c := NewCPIOWriter(discard{})
		for i := range 8 {
			c.File("f"+string(rune('a'+i)), 0o644, data)
		}
		c.Close()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
