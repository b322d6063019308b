// Package tour is the registry of the chapters of `bpfgo tour`, the main job of the command line:
// each chapter shows one capability of the library running for real in the kernel. Packages and
// command files add chapters in init with Register, so parallel work never collides in one file.
package tour

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Chapter is one part of the tour.
type Chapter struct {
	// Order sorts the chapters; lower runs first. Use steps of 10.
	Order int
	// Name is a short title, unique among chapters.
	Name string
	// Run performs the chapter and writes what it shows to w. It returns an error when the
	// capability does not work; a chapter that needs something this kernel lacks returns an
	// error that wraps bpf.ErrNotSupported, and the tour reports it as skipped.
	Run func(ctx context.Context, w io.Writer) error
}

var (
	mu       sync.Mutex
	chapters []Chapter
)

// Register adds a chapter. It panics on a duplicate name, a programming error found at start-up.
func Register(c Chapter) {
	mu.Lock()
	defer mu.Unlock()
	for _, o := range chapters {
		if o.Name == c.Name {
			panic(fmt.Sprintf("tour: duplicate chapter %q", c.Name))
		}
	}
	chapters = append(chapters, c)
}

// Chapters returns the registered chapters in order.
func Chapters() []Chapter {
	mu.Lock()
	defer mu.Unlock()
	out := append([]Chapter(nil), chapters...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	return out
}
