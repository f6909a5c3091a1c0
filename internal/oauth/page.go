package oauth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
)

// PageReceiver takes the browser's answer to a sign-in started from the
// local page (fedimarks serve), at the page's own route CallbackPath on
// 127.0.0.1:Port: the authorization page opens in the page's tab, and the
// server sends that tab back to the page.
//
// The redirect URI must be one registered with fedimarks' app on the
// server: servers that compare them exactly (GoToSocial) refuse any
// other, and Mastodon (Doorkeeper) lets only the port of a loopback one
// vary (RFC 8252 section 7.3). It is the loopback redirect of the app
// (http://127.0.0.1:PORT/callback), the one `fedimarks login` uses too: an
// app registered from the page gets the page's port. When the app kept
// from a login names another port, the answer comes there, to a receiver
// of this sign-in that sends the browser on to the page at once (a 303),
// so that the redirect URI is exactly the registered one on every server.
//
// As in the terminal's flow, the answer is taken only with the state of a
// sign-in that waits for it, and the code is traded with the PKCE
// verifier where the server supports PKCE. It is safe for concurrent use.
type PageReceiver struct {
	// Port is the page's port on 127.0.0.1.
	Port int

	mu      sync.Mutex
	waiting map[string]*pageWait // by state
}

// CallbackPath is the page's route for the answer (the loopback
// receiver's path).
const CallbackPath = callbackPath

// pageWait is one sign-in waiting for its answer on the page.
type pageWait struct {
	r        *PageReceiver
	state    string
	redirect string
	result   chan callbackResult // buffered: Deliver never blocks
	once     sync.Once
	fwd      *loopbackReceiver // nil unless the app's port is not the page's
}

// receiver prepares the page to take the answer for state to app's
// loopback redirect.
func (r *PageReceiver) receiver(app fedimarks.App, state string) (*pageWait, error) {
	port, ok := registeredLoopbackPort(app.RedirectURI)
	if !ok {
		return nil, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: "fedimarks' app on this server has no loopback redirect, so the page cannot take the answer",
			Hint:    "sign in from a terminal with: fedimarks login SERVER --no-browser"}
	}
	w := &pageWait{r: r, state: state, redirect: loopbackRedirect(port), result: make(chan callbackResult, 1)}
	if port != r.Port {
		fwd, err := listenForward(port, loopbackRedirect(r.Port))
		if err != nil {
			return nil, &fedimarks.Error{Code: fedimarks.EUnavailable, Err: err,
				Message: fmt.Sprintf("fedimarks' app on this server takes the answer on 127.0.0.1:%d, which is in use (%v)", port, err),
				Hint:    fmt.Sprintf("stop what listens there, or serve the page on it: fedimarks serve --addr 127.0.0.1:%d", port)}
		}
		w.fwd = fwd
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiting == nil {
		r.waiting = map[string]*pageWait{}
	}
	r.waiting[state] = w
	return w, nil
}

// Deliver hands the browser's answer (the query of the callback) to the
// sign-in waiting for its state, and reports whether one was. An answer
// with any other state changes nothing: a page elsewhere cannot end a
// sign-in by sending the browser here.
func (r *PageReceiver) Deliver(q url.Values) bool {
	r.mu.Lock()
	var w *pageWait
	for state, pw := range r.waiting {
		if subtle.ConstantTimeCompare([]byte(state), []byte(q.Get("state"))) == 1 {
			w = pw
		}
	}
	r.mu.Unlock()
	if w == nil {
		return false
	}
	res, _, _, _ := answer(q, w.state)
	w.once.Do(func() { w.result <- res })
	return true
}

func (w *pageWait) uri() string { return w.redirect }

func (w *pageWait) wait(ctx context.Context, d time.Duration) (string, error) {
	return waitFor(ctx, w.result, d)
}

// close forgets the sign-in: a later answer with its state is refused.
func (w *pageWait) close(ctx context.Context) {
	w.r.mu.Lock()
	delete(w.r.waiting, w.state)
	w.r.mu.Unlock()
	if w.fwd != nil {
		w.fwd.close(ctx)
	}
}

// PageRedirect is what the page needs of a sign-in: a Prompter whose
// OpenBrowser hands the authorization address to the page (which sends
// its own tab there) instead of opening a browser. Lines the flow says
// are kept for the page to show.
type PageRedirect struct {
	// Open receives the authorization address, once. Buffered.
	Open chan string

	mu    sync.Mutex
	lines []string
}

// NewPageRedirect returns a prompter for one sign-in from the page.
func NewPageRedirect() *PageRedirect { return &PageRedirect{Open: make(chan string, 1)} }

// Say keeps line (cleaned of control characters) for the page.
func (p *PageRedirect) Say(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, fedimarks.CleanText(line))
}

// Lines returns what the flow said so far.
func (p *PageRedirect) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// CanOpenBrowser is true: the page is the browser.
func (p *PageRedirect) CanOpenBrowser() bool { return true }

// OpenBrowser hands u to the page.
func (p *PageRedirect) OpenBrowser(u string) error {
	select {
	case p.Open <- u:
		return nil
	default:
		return fmt.Errorf("the page was already sent to the server")
	}
}

// ReadCode fails: the page takes the answer itself, nothing is pasted.
func (p *PageRedirect) ReadCode(ctx context.Context, prompt string) (string, error) {
	return "", fmt.Errorf("the page cannot take a pasted code")
}
