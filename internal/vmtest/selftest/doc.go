// Package selftest holds the kernel tests the vmtest harness runs to check
// itself: they pass on the host and in every guest, and prove the guest is
// set up the way kernel tests need (the kernel it claims, bpf(2) usable,
// bpffs/tracefs/cgroup2 mounted, modules loaded).
//
// Two switches make them misbehave on purpose, to test the harness's
// failure paths: BPFGO_VMTEST_SELFTEST_FAIL=1 makes TestDeliberateFailure
// fail, and BPFGO_VMTEST_SELFTEST_HANG=1 makes TestDeliberateHang block
// forever.
package selftest
