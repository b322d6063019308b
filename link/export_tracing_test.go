package link

// ForceLegacyPerfAttach makes perf-event attachments (kprobes, uprobes,
// tracepoints, perf events) use PERF_EVENT_IOC_SET_BPF instead of a BPF perf
// link, as on kernels before 5.15, until the returned function restores it.
func ForceLegacyPerfAttach() (restore func()) {
	forceSetBPF = true
	return func() { forceSetBPF = false }
}

// ForceTracefsProbes makes kprobes and uprobes go through tracefs
// kprobe_events and uprobe_events, as on kernels before 4.17, until the
// returned function restores the default.
func ForceTracefsProbes() (restore func()) {
	forceTracefsProbes = true
	return func() { forceTracefsProbes = false }
}
