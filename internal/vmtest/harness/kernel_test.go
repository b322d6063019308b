package harness

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestNewestPackage(t *testing.T) {
	names := []string{
		"linux-image-6.1.0-47-cloud-amd64",
		"linux-image-6.1.0-9-cloud-amd64",
		"linux-image-6.1.0-56-cloud-amd64",
		"linux-image-6.1.0-56-cloud-amd64-dbg",
		"linux-image-6.1.0-57-cloud-amd64-unsigned",
		"linux-image-6.12.9+deb12-cloud-amd64",
		"linux-image-6.12.117+deb12-cloud-amd64",
		"linux-image-6.12.100+deb12-cloud-amd64",
		"linux-image-6.12-cloud-amd64",
		"linux-image-cloud-amd64",
		"linux-image-6.1.0-60-amd64",
	}
	tests := []struct {
		series, want string
		ok           bool
	}{
		{"6.1", "linux-image-6.1.0-56-cloud-amd64", true},
		{"6.12", "linux-image-6.12.117+deb12-cloud-amd64", true},
		{"6.6", "", false},
		// A series matches whole version components: "6" takes every 6.x.
		{"6", "linux-image-6.12.117+deb12-cloud-amd64", true},
	}
	for _, tt := range tests {
		got, ok := NewestPackage(tt.series, names)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NewestPackage(%q) = %q, %v; want %q, %v", tt.series, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"6.1.0-9", "6.1.0-56", -1},
		{"6.12.117", "6.12.100", 1},
		{"6.1.0-56", "6.1.0-56", 0},
		{"6.1", "6.1.0", -1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseModinfoDepends(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"license=GPL\x00depends=\x00vermagic=6.1\x00", nil},
		{"depends=nf_conntrack,nf_defrag_ipv4\x00", []string{"nf_conntrack", "nf_defrag_ipv4"}},
		{"depends=a,,a, b\x00", []string{"a", "b"}},
		{"", nil},
		{"xdepends=a\x00", nil},
	}
	for _, tt := range tests {
		if got := ParseModinfoDepends([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("ParseModinfoDepends(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fakeModule returns a minimal ELF64 relocatable object with a .modinfo
// section holding modinfo, enough for ModuleDepends.
func fakeModule(modinfo string) []byte {
	shstr := "\x00.modinfo\x00.shstrtab\x00"
	const ehsize, shentsize = 64, 64
	dataOff := ehsize
	strOff := dataOff + len(modinfo)
	shOff := (strOff + len(shstr) + 7) &^ 7
	buf := make([]byte, shOff+3*shentsize)
	copy(buf, "\x7fELF")
	buf[4], buf[5], buf[6] = 2, 1, 1 // ELFCLASS64, little endian, EV_CURRENT
	le := binary.LittleEndian
	le.PutUint16(buf[16:], 1)  // ET_REL
	le.PutUint16(buf[18:], 62) // EM_X86_64
	le.PutUint32(buf[20:], 1)
	le.PutUint64(buf[40:], uint64(shOff))
	le.PutUint16(buf[52:], ehsize)
	le.PutUint16(buf[58:], shentsize)
	le.PutUint16(buf[60:], 3) // shnum
	le.PutUint16(buf[62:], 2) // shstrndx
	copy(buf[dataOff:], modinfo)
	copy(buf[strOff:], shstr)
	sec := func(i int, name, typ uint32, off, size int) {
		s := buf[shOff+i*shentsize:]
		le.PutUint32(s[0:], name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[24:], uint64(off))
		le.PutUint64(s[32:], uint64(size))
		le.PutUint64(s[48:], 1)
	}
	sec(1, 1, 1, dataOff, len(modinfo)) // .modinfo, SHT_PROGBITS
	sec(2, 10, 3, strOff, len(shstr))   // .shstrtab, SHT_STRTAB
	return buf
}

func TestModuleDepends(t *testing.T) {
	got, err := ModuleDepends(fakeModule("license=GPL\x00depends=b,c\x00"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("got %q", got)
	}
	if _, err := ModuleDepends([]byte("not an ELF file")); err == nil {
		t.Error("garbage: no error")
	}
}

// TestLoadModules builds a fake lib/modules tree: a depends on b and c, c on
// b, d is built in, and e depends on a missing module.
func TestLoadModules(t *testing.T) {
	dir := t.TempDir()
	mods := filepath.Join(dir, "lib/modules/6.1.0-1-cloud-amd64")
	files := map[string]string{
		"kernel/net/a.ko":          "depends=b,c\x00",
		"kernel/net/b.ko":          "depends=\x00",
		"kernel/drivers/c-dash.ko": "depends=b,d\x00",
		"kernel/e.ko":              "depends=missing\x00",
	}
	for name, info := range files {
		p := filepath.Join(mods, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, fakeModule(info), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// modinfo names use "_" where file names use "-".
	if err := os.Rename(filepath.Join(mods, "kernel/drivers/c-dash.ko"), filepath.Join(mods, "kernel/drivers/c.ko")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mods, "modules.builtin"), []byte("kernel/fs/d.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := &Kernel{Release: "6.1.0-1-cloud-amd64", Modules: mods}
	got, err := k.LoadModules([]string{"a", "b", "d"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
		if !bytes.HasPrefix(m.Data, []byte("\x7fELF")) {
			t.Errorf("module %s: data is not the .ko", m.Name)
		}
	}
	if want := []string{"b", "c", "a"}; !slices.Equal(names, want) {
		t.Errorf("load order %q, want %q", names, want)
	}
	if _, err := k.LoadModules([]string{"e"}); err == nil {
		t.Error("module with a missing dependency: no error")
	}
	if _, err := k.LoadModules([]string{"nonexistent"}); err == nil {
		t.Error("missing module: no error")
	}
}

func TestFindKernel(t *testing.T) {
	dir := t.TempDir()
	if _, err := findKernel("6.1", "pkg", dir); err == nil {
		t.Error("empty tree: no error")
	}
	os.MkdirAll(filepath.Join(dir, "boot"), 0o755)
	os.WriteFile(filepath.Join(dir, "boot/vmlinuz-6.1.0-56-cloud-amd64"), []byte("bzImage"), 0o644)
	os.MkdirAll(filepath.Join(dir, "lib/modules/6.1.0-56-cloud-amd64"), 0o755)
	k, err := findKernel("6.1", "pkg", dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.Release != "6.1.0-56-cloud-amd64" {
		t.Errorf("release %q", k.Release)
	}
}

// TestResolveCached checks that a kernel already unpacked in the cache is
// used without apt (the package name given in full).
func TestResolveCached(t *testing.T) {
	dir := t.TempDir()
	pkg := "linux-image-6.1.0-56-cloud-amd64"
	tree := filepath.Join(dir, "kernels", pkg)
	os.MkdirAll(filepath.Join(tree, "boot"), 0o755)
	os.WriteFile(filepath.Join(tree, "boot/vmlinuz-6.1.0-56-cloud-amd64"), []byte("bzImage"), 0o644)
	os.MkdirAll(filepath.Join(tree, "lib/modules/6.1.0-56-cloud-amd64"), 0o755)
	os.WriteFile(filepath.Join(tree, ".complete"), nil, 0o644)
	c := &Cache{Dir: dir}
	k, err := c.Resolve(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if k.Package != pkg || k.Release != "6.1.0-56-cloud-amd64" {
		t.Errorf("got %+v", k)
	}
	if got := c.cachedPackages("6.1"); !slices.Equal(got, []string{pkg}) {
		t.Errorf("cachedPackages(6.1) = %q", got)
	}
	if got := c.cachedPackages("6.12"); len(got) != 0 {
		t.Errorf("cachedPackages(6.12) = %q", got)
	}
}
