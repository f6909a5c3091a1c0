package mastodontest

import (
	"fmt"
	"slices"
	"sync"
)

// Sandbox owns a Network outside a test: fedimarks demo runs the real
// tool against one. Close stops its servers. Fatalf panics, since outside
// a test it can only mean a bug in the code that set the network up.
type Sandbox struct {
	mu       sync.Mutex
	cleanups []func()
}

// NewSandbox returns a network owned by a new Sandbox; call the
// Sandbox's Close when done.
func NewSandbox() (*Network, *Sandbox) {
	s := &Sandbox{}
	return NewNetwork(s), s
}

// Helper does nothing: it is there to satisfy TB.
func (s *Sandbox) Helper() {}

// Cleanup registers f to run at Close, last registered first.
func (s *Sandbox) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// Fatalf panics with the message.
func (s *Sandbox) Fatalf(format string, args ...any) {
	panic("mastodontest: " + fmt.Sprintf(format, args...))
}

// Close stops every server of the network. Calling it again does nothing.
func (s *Sandbox) Close() {
	s.mu.Lock()
	fs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}
