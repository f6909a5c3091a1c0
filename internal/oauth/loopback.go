package oauth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// callbackPath is where the browser brings the answer on the loopback
// receiver.
const callbackPath = "/callback"

func loopbackRedirect(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + callbackPath
}

// registeredLoopbackPort finds the loopback redirect among the app's
// redirect URIs (separated by newlines or spaces) and returns its port.
func registeredLoopbackPort(redirectURIs string) (int, bool) {
	for _, r := range strings.Fields(redirectURIs) {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != callbackPath {
			continue
		}
		p, err := strconv.Atoi(u.Port())
		if err == nil && p > 0 && p < 65536 {
			return p, true
		}
	}
	return 0, false
}

// freeLoopbackPort asks the system for a port free on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// callbackResult is what the loopback redirect brought.
type callbackResult struct {
	code string
	err  error
}

// loopbackReceiver is a one-shot HTTP server on 127.0.0.1 that receives
// the authorization code from the browser's redirect.
type loopbackReceiver struct {
	redirectURI string
	state       string
	addr        string
	// forward, when set, is where every answer is sent on (a 303 with
	// its query) instead of being taken here: the page's own callback
	// (see PageReceiver).
	forward   string
	srv       *http.Server
	result    chan callbackResult // buffered: the handler never blocks
	once      sync.Once
	closeOnce sync.Once
}

// receiver is where the browser brings the answer: the flow's own
// loopback receiver, or the page's (PageReceiver).
type receiver interface {
	// uri is the redirect URI the answer comes to.
	uri() string
	wait(ctx context.Context, d time.Duration) (string, error)
	close(ctx context.Context)
}

func (r *loopbackReceiver) uri() string { return r.redirectURI }

// listenLoopback starts the receiver on 127.0.0.1:port (loopback only:
// nothing else on the network can reach it).
func listenLoopback(port int, state string) (*loopbackReceiver, error) {
	return listenOn(port, state, "", (*loopbackReceiver).callback)
}

// listenLoopbackWith is listenLoopback with another handler of the
// browser's answer (MiAuth's brings a session, not a code).
func listenLoopbackWith(port int, state string, handle func(*loopbackReceiver, http.ResponseWriter, *http.Request)) (*loopbackReceiver, error) {
	return listenOn(port, state, "", handle)
}

// listenForward starts a receiver on 127.0.0.1:port that sends every
// answer on to the address to, query and all.
func listenForward(port int, to string) (*loopbackReceiver, error) {
	return listenOn(port, "", to, (*loopbackReceiver).callback)
}

func listenOn(port int, state, forward string, handle func(*loopbackReceiver, http.ResponseWriter, *http.Request)) (*loopbackReceiver, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	r := &loopbackReceiver{
		redirectURI: loopbackRedirect(port),
		state:       state,
		addr:        ln.Addr().String(),
		forward:     forward,
		result:      make(chan callbackResult, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(callbackPath, func(w http.ResponseWriter, req *http.Request) { handle(r, w, req) })
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *loopbackReceiver) deliver(res callbackResult) {
	r.once.Do(func() { r.result <- res })
}

// callback takes the browser's answer: the code when the state is this
// sign-in's, else the refusal, and shows the person a page saying which.
// A forwarding receiver sends the answer on instead.
func (r *loopbackReceiver) callback(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.forward != "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, req, r.forward+"?"+req.URL.RawQuery, http.StatusSeeOther)
		return
	}
	res, status, title, text := answer(req.URL.Query(), r.state)
	// Record the answer before the page goes out, so that a second
	// request cannot be taken for this one.
	r.deliver(res)
	if res.err == nil {
		text = "You can close this tab and return to the terminal."
	}
	page(w, status, title, text)
}

// answer reads the browser's answer q to the sign-in whose state is
// state: the code, or why it is refused; and what to show the person
// (the status, a title and a line).
func answer(q url.Values, state string) (res callbackResult, status int, title, text string) {
	switch {
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
		return callbackResult{err: failure(fedimarks.EAuth, ErrWrongState, nil,
				"the browser's answer carried a wrong state: refused, nothing saved")},
			http.StatusBadRequest, "Sign-in refused", "This answer does not belong to the sign-in fedimarks started (its state does not match). Nothing was saved."
	case q.Get("error") != "":
		msg := q.Get("error")
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		return callbackResult{err: failure(fedimarks.EAuth, ErrDenied, nil,
				"the server did not authorize fedimarks ("+fedimarks.CleanText(msg)+")")},
			http.StatusOK, "Sign-in cancelled", "The server did not authorize fedimarks. You can close this tab."
	case q.Get("code") == "":
		return callbackResult{err: failure(fedimarks.EAuth, ErrNoCode, nil,
				"the browser's answer carried no authorization code")},
			http.StatusBadRequest, "Sign-in failed", "The answer carried no authorization code."
	}
	return callbackResult{code: q.Get("code")}, http.StatusOK, "fedimarks is approved", ""
}

// page shows the person in the browser how the sign-in went.
func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>fedimarks: %s</title><h1>%s</h1><p>%s</p>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// wait returns the code, or an error when the answer is refused, d passes
// or ctx ends.
func (r *loopbackReceiver) wait(ctx context.Context, d time.Duration) (string, error) {
	return waitFor(ctx, r.result, d)
}

// waitFor waits for the answer on result.
func waitFor(ctx context.Context, result <-chan callbackResult, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case res := <-result:
		return res.code, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", failure(fedimarks.EAuth, ErrTimedOut, nil,
			fmt.Sprintf("no approval came from the browser within %s", ui.Duration(d)))
	}
}

// close stops the receiver, letting a page being written finish.
func (r *loopbackReceiver) close(ctx context.Context) {
	r.closeOnce.Do(func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := r.srv.Shutdown(sctx); err != nil {
			r.srv.Close()
		}
	})
}
