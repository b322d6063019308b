package elfsec_test

import (
	"fmt"
	"os"

	"github.com/bpfgo/bpf/internal/elfsec"
)

func ExampleFile_Section() {
	data, err := os.ReadFile("../../btf/testdata/core.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := elfsec.OpenBytes(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	lic, err := f.Section("license")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", lic)
	// Output: "GPL\x00"
}
