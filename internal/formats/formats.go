// Package formats reads and writes every file format fedimarks knows:
// writers (Encoder) that export an archive's bookmarks, and readers (Read,
// ReadFile) that turn a file someone already has into import rows.
//
// The package is pure: functions over io.Reader and io.Writer and the domain
// types of package fedimarks, with no database and no network. Each format
// lives in a file of its own and registers its writer from init, so adding
// a format is adding a file.
package formats

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Encoder writes bookmarks to one output in one format. Bookmarks arrive
// newest bookmark first, as an archive lists them; Close writes any trailer
// and flushes, and must be called once after the last Encode. An Encoder is
// not safe for concurrent use. After a write error every later call returns
// that error; an error about one bookmark alone (json, jsonl: its stored
// JSON is broken) leaves the output sound and the Encoder usable.
type Encoder interface {
	Encode(b fedimarks.Bookmark) error
	Close() error
}

// Format describes one export format: its Name on the command line, a
// one-line Description for help, the usual file Extension (with the dot),
// the MediaType for HTTP downloads, and New, which starts an Encoder on w.
type Format struct {
	Name        string
	Description string
	Extension   string
	MediaType   string
	New         func(w io.Writer, meta Meta) Encoder
}

// Meta is what a writer may put in a header: Account is the archived
// account's handle (user@host), Generated the export time (injected so that
// golden tests are stable; the zero value leaves the time out).
type Meta struct {
	Account   string
	Generated time.Time
	// LocalCopy, when set, says how the html writer may show a file of a
	// post (an attachment, its preview, the author's avatar) that backup
	// --media kept: it is called with the post's URI and the file's
	// remote URL for each file the page would show, and its answer (the
	// zero LocalCopy: no copy) is checked before use. Other writers
	// ignore it.
	LocalCopy func(statusURI, remoteURL string) LocalCopy
}

// registry holds the formats registered by the init functions of this
// package's files. It is written only during package initialisation and
// read afterwards; the mutex keeps a late Register honest anyway.
var registry = struct {
	sync.RWMutex
	m map[string]Format
}{m: map[string]Format{}}

// Register adds f to the formats Lookup and All know. It is meant to be
// called from init; it panics if f has no Name or New, or if a format of
// that name is already registered.
func Register(f Format) {
	if f.Name == "" || f.New == nil {
		panic("formats: Register: format without name or constructor")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[f.Name]; dup {
		panic("formats: Register: duplicate format " + f.Name)
	}
	registry.m[f.Name] = f
}

// Lookup returns the format registered under name (case-insensitive).
func Lookup(name string) (Format, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[strings.ToLower(strings.TrimSpace(name))]
	return f, ok
}

// All returns every registered format, sorted by name.
func All() []Format {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Format, 0, len(registry.m))
	for _, f := range registry.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the names of every registered format, sorted, for help
// texts and error messages.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, f := range all {
		out[i] = f.Name
	}
	return out
}

// Layouts of the times exports show to people: UTC, since a file outlives
// the time zone it was written in.
const (
	displayTime = fedimarks.TimeLayout + " UTC"
	displayDate = "2006-01-02"
)

// stickyErr remembers the first write error so that an Encoder keeps
// failing once its output has failed.
type stickyErr struct{ err error }

func (s *stickyErr) set(err error) error {
	if s.err == nil && err != nil {
		s.err = err
	}
	return s.err
}

// begin is the head every streaming Encode shares: refuse after Close,
// write the format's header once (start), and report an earlier write
// error, which sticks.
func begin(closed bool, start func(), err *stickyErr) error {
	if closed {
		return errClosed
	}
	start()
	return err.err
}

// errClosed is returned by Encode after Close.
var errClosed = fmt.Errorf("encoder closed")
