package harness_test

import (
	"bytes"
	"fmt"

	"github.com/bpfgo/bpf/internal/vmtest/harness"
)

// An initramfs is a newc cpio archive; the kernel accepts several
// concatenated, which is how the harness joins its cached base to the
// per-run payload.
func ExampleCPIOWriter() {
	var initrd bytes.Buffer
	base := harness.NewCPIOWriter(&initrd)
	base.Dir("bin", 0o755)
	base.Symlink("bin/sh", "busybox")
	base.File("init", 0o755, []byte("#!/bin/sh\necho hello\n"))
	base.Close()
	payload := harness.NewCPIOWriter(&initrd)
	payload.File("vmtest/env", 0o644, []byte("export BPFGO_VM_KERNEL='6.1'\n"))
	payload.Close()

	entries, err := harness.ReadCPIO(initrd.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("%-10s %o %d bytes\n", e.Name, e.Mode, len(e.Data))
	}
	// Output:
	// bin        40755 0 bytes
	// bin/sh     120777 7 bytes
	// init       100755 21 bytes
	// vmtest/env 100644 29 bytes
}

func ExampleNewestPackage() {
	names := []string{
		"linux-image-6.1.0-47-cloud-amd64",
		"linux-image-6.1.0-56-cloud-amd64",
		"linux-image-6.12.117+deb12-cloud-amd64",
		"linux-image-6.1.0-56-cloud-amd64-dbg",
	}
	for _, series := range []string{"6.1", "6.12"} {
		pkg, _ := harness.NewestPackage(series, names)
		fmt.Println(series, pkg)
	}
	// Output:
	// 6.1 linux-image-6.1.0-56-cloud-amd64
	// 6.12 linux-image-6.12.117+deb12-cloud-amd64
}
