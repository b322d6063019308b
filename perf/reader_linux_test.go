//go:build linux

package perf

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpfgo/bpf"
	"github.com/bpfgo/bpf/internal/testutil"
)

type readMode struct {
	name string
	read func(ctx context.Context, rd *Reader, rec *Record, got *[]Record) error
}

func keep(rec Record) Record {
	rec.RawSample = append([]byte(nil), rec.RawSample...)
	return rec
}

var readModes = []readMode{
	{"Read", func(ctx context.Context, rd *Reader, _ *Record, got *[]Record) error {
		rec, err := rd.Read(ctx)
		if err == nil {
			*got = append(*got, keep(rec))
		}
		return err
	}},
	{"ReadInto", func(ctx context.Context, rd *Reader, rec *Record, got *[]Record) error {
		err := rd.ReadInto(ctx, rec)
		if err == nil {
			*got = append(*got, keep(*rec))
		}
		return err
	}},
	{"Drain", func(ctx context.Context, rd *Reader, _ *Record, got *[]Record) error {
		_, err := rd.Drain(ctx, func(cpu int, s []byte, lost uint64) bool {
			*got = append(*got, keep(Record{CPU: cpu, RawSample: s, LostSamples: lost}))
			return true
		})
		return err
	}},
}

func TestReadAllInOrder(t *testing.T) {
	const rounds, perRound = 5, 2000
	for _, size := range []int{64, 60, 4} {
		for _, rm := range readModes {
			t.Run(fmt.Sprintf("%s/size=%d", rm.name, size), func(t *testing.T) {
				r := newRig(t, size)
				// 2000 records of at most 80 bytes fit in 256 KiB: nothing is lost.
				rd := newReader(t, r.events, &ReaderOptions{PerCPUBuffer: 256 << 10})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				done := make(chan error, 1)
				var got []Record
				var count atomic.Int64
				go func() {
					var rec Record
					for {
						if err := rm.read(ctx, rd, &rec, &got); err != nil {
							done <- err
							return
						}
						count.Store(int64(len(got)))
					}
				}()
				var produced uint64
				for range rounds {
					r.run(t, perRound)
					produced = readCounter(t, r.seq)
					for count.Load() < int64(produced) && ctx.Err() == nil {
						time.Sleep(100 * time.Microsecond)
					}
				}
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Fatal(err)
				}
				if f := readCounter(t, r.fails); f != 0 {
					t.Fatalf("%d outputs failed", f)
				}
				if uint64(len(got)) != produced || produced < rounds*perRound {
					t.Fatalf("read %d records, produced %d", len(got), produced)
				}
				for i, rec := range got {
					if rec.LostSamples != 0 {
						t.Fatalf("record %d: %d samples lost", i, rec.LostSamples)
					}
					if _, err := checkSample(rec.RawSample, size, int64(i)); err != nil {
						t.Fatalf("record %d (cpu %d): %v", i, rec.CPU, err)
					}
				}
			})
		}
	}
}

// TestLostSamples overflows a one-page ring: the reader surfaces the
// kernel's lost-samples records, and produced = read + lost.
func TestLostSamples(t *testing.T) {
	r := newRig(t, recordSize)
	rd := newReader(t, r.events, &ReaderOptions{PerCPUBuffer: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.run(t, 10_000)
	read, lost := 0, uint64(0)
	last := int64(-1)
	drain := func() {
		for {
			rctx, rcancel := context.WithTimeout(ctx, 50*time.Millisecond)
			rec, err := rd.Read(rctx)
			rcancel()
			if errors.Is(err, context.DeadlineExceeded) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.LostSamples > 0 {
				lost += rec.LostSamples
				continue
			}
			seq, err := checkSample(rec.RawSample, recordSize, -1)
			if err != nil {
				t.Fatal(err)
			}
			if int64(seq) <= last {
				t.Fatalf("sample %d after %d", seq, last)
			}
			last = int64(seq)
			read++
		}
	}
	drain()
	// The kernel writes the lost count before the next sample that fits.
	r.run(t, 1)
	drain()
	produced, fails := readCounter(t, r.seq), readCounter(t, r.fails)
	t.Logf("produced %d, read %d, lost %d (program saw %d failures)", produced, read, lost, fails)
	if uint64(read)+lost != produced {
		t.Fatalf("read %d + lost %d != produced %d", read, lost, produced)
	}
	if lost == 0 || lost != fails {
		t.Fatalf("lost %d, program failures %d: want equal and non-zero", lost, fails)
	}
	if rd.LostSamples() != lost {
		t.Fatalf("LostSamples() = %d, want %d", rd.LostSamples(), lost)
	}
}

func TestPauseResume(t *testing.T) {
	r := newRig(t, recordSize)
	rd := newReader(t, r.events, nil)
	if err := rd.Pause(); err != nil {
		t.Fatal(err)
	}
	r.run(t, 10)
	if f := readCounter(t, r.fails); f != 10 {
		t.Fatalf("paused: %d outputs failed, want 10", f)
	}
	if err := rd.Resume(); err != nil {
		t.Fatal(err)
	}
	r.run(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := rd.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkSample(rec.RawSample, recordSize, 10); err != nil {
		t.Fatal(err)
	}
}

func TestCancelBlockedRead(t *testing.T) {
	r := newRig(t, recordSize)
	rd := newReader(t, r.events, nil)
	for _, rm := range readModes {
		t.Run(rm.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				var rec Record
				var got []Record
				done <- rm.read(ctx, rd, &rec, &got)
			}()
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Second):
				t.Fatal("Read still blocked 1s after cancel")
			}
			// 100 ms on hardware; more under emulation, where wake-ups wait for the vCPU.
			if took, bound := time.Since(start), testutil.LatencyBound(100*time.Millisecond); took > bound {
				t.Errorf("Read returned %v after cancel, want < %v", took, bound)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			deadline := time.Now().Add(time.Second)
			for runtime.NumGoroutine() > before {
				if time.Now().After(deadline) {
					t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), before)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

func TestCloseWakesBlockedRead(t *testing.T) {
	r := newRig(t, recordSize)
	rd, err := NewReader(r.events, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rd.Read(context.Background())
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(time.Second):
		t.Fatal("Read still blocked 1s after Close")
	}
	if !errors.Is(err, ErrClosed) || !errors.Is(err, bpf.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
	if _, err := rd.Read(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	// Close removed the ring from the array: output now fails.
	r.run(t, 1)
	if f := readCounter(t, r.fails); f != 1 {
		t.Fatalf("after Close: %d outputs failed, want 1", f)
	}
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"0", []int{0}, true},
		{"0-3", []int{0, 1, 2, 3}, true},
		{"0-1,4,6-7", []int{0, 1, 4, 6, 7}, true},
		{"", nil, false},
		{"3-1", nil, false},
		{"a", nil, false},
		{"-1", nil, false},
	} {
		got, err := parseCPUList(tc.in)
		if (err == nil) != tc.ok || fmt.Sprint(got) != fmt.Sprint(tc.want) && tc.ok {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestMmapPageLayout checks the offsets of data_head and friends against the
// kernel's BTF.
func TestMmapPageLayout(t *testing.T) {
	bpftool := testutil.RequireTool(t, "bpftool")
	out, err := exec.Command(bpftool, "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw").Output()
	if err != nil {
		t.Skipf("bpftool btf dump: %v", err)
	}
	re := regexp.MustCompile(`(?s)STRUCT 'perf_event_mmap_page' size=\d+ vlen=\d+\n(.*?)\n\[`)
	m := re.FindSubmatch(out)
	if m == nil {
		t.Fatal("no struct perf_event_mmap_page in vmlinux BTF")
	}
	for name, want := range map[string]int{"data_head": offDataHead, "data_tail": offDataTail, "data_offset": offDataOffset, "data_size": offDataSize} {
		fm := regexp.MustCompile(`'` + name + `' type_id=\d+ bits_offset=(\d+)`).FindSubmatch(m[1])
		if fm == nil {
			t.Fatalf("no member %s", name)
		}
		bits, _ := strconv.Atoi(string(fm[1]))
		if bits/8 != want {
			t.Errorf("%s at %d, want %d", name, bits/8, want)
		}
	}
}

// TestCloseWhileReading closes the Reader while another goroutine reads
// full rings as fast as it can: the read returns ErrClosed and nothing faults.
func TestCloseWhileReading(t *testing.T) {
	r := newRig(t, recordSize)
	for i := range 10 {
		rd, err := NewReader(r.events, &ReaderOptions{PerCPUBuffer: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		r.run(t, 10_000)
		done := make(chan error, 1)
		go func() {
			var rec Record
			for {
				if err := rd.ReadInto(context.Background(), &rec); err != nil {
					done <- err
					return
				}
			}
		}()
		time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}
