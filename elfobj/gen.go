package elfobj

//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/collection.c -o testdata/collection.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfeb -c testdata/collection.c -o testdata/collection_eb.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/sections.c -o testdata/sections.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/maps.c -o testdata/maps.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/kconfig.c -o testdata/kconfig.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/ksyms.c -o testdata/ksyms.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/ksyms_weak.c -o testdata/ksyms_weak.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/ksyms_untyped.c -o testdata/ksyms_untyped.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/struct_ops.c -o testdata/struct_ops.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/tailcall.c -o testdata/tailcall.o
//go:generate clang-19 -I/usr/include/x86_64-linux-gnu -O2 -g -target bpfel -c testdata/bad.c -o testdata/bad.o
