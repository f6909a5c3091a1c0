package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
)

// quietHelp is what every command's help says of -q.
const quietHelp = `  -q, --quiet   nothing on standard error unless something failed (then all
                that was held back is shown, then the error)` + "\n"

// backupQuietHelp is quietHelp for backup, which also speaks when the
// archive changed.
const backupQuietHelp = `  -q, --quiet   nothing on standard error unless something failed or the
                archive changed (new or removed bookmarks, media downloaded)` + "\n"

// helpText is a command's help with the options every command takes
// (-q), placed before its exit codes.
func (c command) helpText() string {
	usage := strings.TrimRight(c.usage, "\n") + "\n"
	q := quietHelp
	if c.name == "backup" {
		q = backupQuietHelp
	}
	if i := strings.LastIndex(usage, "\nExit codes"); i >= 0 {
		return usage[:i+1] + q + usage[i:]
	}
	return usage + "\n" + q
}

// holdWriter is standard error under --quiet: it keeps what is written
// until something is worth showing (a failure, or a backup that changed
// the archive), then Flush shows it all, so that a cron mail has the
// whole story. It keeps at most holdMax bytes, the first ones.
type holdWriter struct {
	mu      sync.Mutex
	w       io.Writer
	buf     bytes.Buffer
	dropped int
}

const holdMax = 1 << 20

func (h *holdWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := holdMax - h.buf.Len(); room < len(p) {
		h.buf.Write(p[:max(room, 0)])
		h.dropped += len(p) - max(room, 0)
		return len(p), nil
	}
	return h.buf.Write(p)
}

// Flush writes what is held and forgets it.
func (h *holdWriter) Flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.w.Write(h.buf.Bytes())
	if h.dropped > 0 {
		fmt.Fprintf(h.w, "(%d more bytes of messages left out)\n", h.dropped)
	}
	h.buf.Reset()
	h.dropped = 0
}

// flushingReader is standard input under --quiet: a question written
// before reading an answer is shown first.
type flushingReader struct {
	r io.Reader
	h *holdWriter
}

func (f flushingReader) Read(p []byte) (int, error) {
	f.h.Flush()
	return f.r.Read(p)
}

// beQuiet holds standard error back from now on (see holdWriter).
func (a *app) beQuiet() {
	if a.hold != nil {
		return
	}
	a.quiet = true
	a.hold = &holdWriter{w: a.errOut}
	a.stderr = a.hold
	a.stdin = flushingReader{r: a.stdin, h: a.hold}
}

// speak shows what --quiet held back: something the person must see
// happened (the archive changed, something failed without failing the
// command). Without --quiet it does nothing: all was shown.
func (a *app) speak() {
	if a.hold != nil {
		a.hold.Flush()
	}
}

// sayError shows msg as an error line on standard error (under --quiet
// too, after what was held back).
func (a *app) sayError(msg string) {
	a.speak()
	fmt.Fprintln(a.errOut, "fedimarks:", cleanText(a.redact(msg)))
}

// track keeps c, so that --json summaries count every request of the run.
func (a *app) track(c *mastodon.Client) *mastodon.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clients = append(a.clients, c)
	return c
}

// requests is how many HTTP requests the run's clients sent.
func (a *app) requests() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int64
	for _, c := range a.clients {
		n += c.Requests()
	}
	return n
}

// summary is what every --json summary holds. Files are the files the
// command wrote; Error is the message of the error line (null when none),
// ExitCode the tool's exit code.
type summary struct {
	Command  string   `json:"command"`
	Requests int64    `json:"requests"`
	Files    []string `json:"files"`
	Seconds  float64  `json:"duration_seconds"`
	ExitCode int      `json:"exit_code"`
	Error    *string  `json:"error"`
}

// summarized is a --json summary: a struct embedding summary.
type summarized interface{ base() *summary }

func (s *summary) base() *summary { return s }

// emitSummary writes v, the command's --json summary, to w as one line
// and returns err: the exit code and error are err's, as Main reports
// them. A mistake in the command line (a usage error) prints none: the
// command did not start.
func (a *app) emitSummary(ctx context.Context, w io.Writer, v summarized, err error) error {
	var u *errUsage
	if errors.As(err, &u) || errors.Is(err, errHelp) {
		return err
	}
	s := v.base()
	s.Command = a.cmd.name
	s.Requests = a.requests()
	if s.Files == nil {
		s.Files = []string{}
	}
	s.Seconds = math.Round(a.now().Sub(a.started).Seconds()*1000) / 1000
	if err != nil {
		code, msg := classify(ctx, err)
		msg = a.redact(msg)
		s.ExitCode, s.Error = code, &msg
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if werr := enc.Encode(v); werr != nil && err == nil {
		return fmt.Errorf("write summary: %w", werr)
	}
	return err
}

// exitError is an error that exits with code, its message msg: a command
// that did several things (backup --all) and exits with the worst.
type exitError struct {
	code int
	msg  string
	err  error
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) Unwrap() error { return e.err }

// redactor blanks the run's secrets out of a message: the app, or a
// command's redactFunc.
type redactor interface{ redact(string) string }

// redactFunc is app.redact as a command's options take it.
type redactFunc func(string) string

func (f redactFunc) redact(s string) string { return f(s) }

// errText is err's message for a summary's per-item error, or nil.
func errText(ctx context.Context, r redactor, err error) (*string, int) {
	if err == nil {
		return nil, 0
	}
	code, msg := classify(ctx, err)
	msg = r.redact(msg)
	return &msg, code
}

// outcomeCounts has every outcome (and pending) as a key, zero or not,
// so that scripts need not test for a key.
func outcomeCounts(counts map[fedimarks.Outcome]int) map[string]int {
	m := map[string]int{string(fedimarks.Pending): counts[fedimarks.Pending]}
	for _, o := range fedimarks.Outcomes {
		m[string(o)] = counts[o]
	}
	return m
}
