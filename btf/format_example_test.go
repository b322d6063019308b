package btf_test

import (
	"fmt"

	"github.com/bpfgo/bpf/btf"
)

// Gaps that C's natural alignment would not leave are printed as unnamed
// bitfields, as bpftool does, so that the printed struct has the layout
// the BTF describes.
func ExampleSpec_FormatC_padding() {
	b := btf.NewBuilder()
	char, _ := b.Add(&btf.Int{Name: "char", Size: 1, Encoding: btf.Signed | btf.Char, Bits: 8})
	u32, _ := b.Add(&btf.Int{Name: "unsigned int", Size: 4, Bits: 32})
	id, _ := b.Add(&btf.Struct{Name: "rec", Size: 32, Members: []btf.Member{
		{Name: "tag", Type: char},
		{Name: "len", Type: u32, BitOffset: 64}, // byte 8, not 4
	}})
	raw, err := b.Marshal(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, err := btf.LoadSpecFromBytes(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := spec.FormatC(id, nil)
	fmt.Println(c)
	// Output:
	// struct rec {
	// 	char tag;
	// 	long: 0;
	// 	unsigned int len;
	// 	long: 64;
	// 	long: 64;
	// };
}
