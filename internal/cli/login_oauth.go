package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// OAuth constants of the browser login.
const (
	oobRedirect  = "urn:ietf:wg:oauth:2.0:oob"
	callbackPath = "/callback"
	appName      = "fedimarks"
	appWebsite   = "https://github.com/fedimarks/fedimarks"
	// browserWait is how long login waits for the person to approve in
	// the browser (or to paste the code).
	browserWait = 5 * time.Minute
	// granularScopes are what fedimarks uses: read bookmarks (backup,
	// export), write them and resolve posts (import). The scope that lets
	// it read the account's name is added: profile or read:accounts.
	granularScopes = "read:bookmarks write:bookmarks read:search"
	coarseScopes   = "read write"
)

// oauthFlow is one browser login to one server.
type oauthFlow struct {
	a         *app
	ar        *sqlite.Archive
	c         *mastodon.Client
	server    string
	meta      *mastodon.AuthMetadata
	noBrowser bool
	wait      time.Duration
	// fresh says the app in use was registered by this run.
	fresh bool
	// forgotten are kept apps the server no longer knows: tokens they
	// issued may still need their credentials to be revoked (snac).
	forgotten []mastodon.App
}

// runOAuthLogin signs in through the browser: it registers fedimarks on
// the server once (or reuses the app kept in the archive), has the person
// approve it, trades the code for a token, checks the token and saves the
// account.
func runOAuthLogin(ctx context.Context, a *app, o loginOptions) error {
	server, err := mastodon.NormalizeServer(ctx, o.instance)
	if err != nil {
		return err
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	f := &oauthFlow{a: a, ar: ar, c: a.newClient(server, "", nil), server: server, noBrowser: o.noBrowser, wait: browserWait}
	meta, err := f.c.AuthMetadata(ctx)
	if err != nil {
		if unreachable(err) || ctx.Err() != nil {
			return fmt.Errorf("reach %s: %w", server, err)
		}
		// A server that answers the well-known path strangely is treated as
		// one that publishes nothing: no PKCE, scopes found by trying.
		fmt.Fprintf(a.stderr, "Note: %s gave no usable OAuth metadata (%v); continuing without it.\n", fedimarks.HostOf(server), err)
		meta = nil
	}
	f.meta = meta

	var tok mastodon.Token
	var app mastodon.App
	for attempt := 0; ; attempt++ {
		app, err = f.app(ctx)
		if err != nil {
			return err
		}
		tok, err = f.authorize(ctx, app)
		if err == nil {
			break
		}
		if attempt == 0 && !f.fresh && invalidClient(err) {
			// The server forgot the app after the check (its admin deleted
			// it, or the database was reset): register once more and ask
			// again.
			fmt.Fprintf(a.stderr, "%s no longer knows fedimarks' app (%s): registering it again; approve once more.\n", fedimarks.HostOf(server), refusal(err))
			if err := f.forget(ctx, app); err != nil {
				return err
			}
			continue
		}
		return err
	}
	a.remember(tok.AccessToken)
	// The scopes are the server's words: kept clean for the terminal.
	scopes := strings.Fields(cleanText(tok.Scope))
	if len(scopes) == 0 {
		scopes = strings.Fields(cleanText(app.Scopes))
	}
	acc, old, err := a.saveLogin(ctx, server, tok.AccessToken, scopes)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "Logged in as %s with scopes %s (token kept in %s).\n", acc.Handle, strings.Join(acc.Scopes, " "), acc.TokenStore)
	a.revokeReplaced(ctx, acc, old, f.forgotten...)
	return nil
}

// forget drops the kept app the server no longer knows, remembering its
// credentials for revoking the tokens it issued.
func (f *oauthFlow) forget(ctx context.Context, app mastodon.App) error {
	f.forgotten = append(f.forgotten, app)
	return f.ar.DeleteApp(ctx, f.server)
}

// app returns the app registered on the server, registering one (and
// keeping it) when the archive holds none. Mastodon allows 5
// registrations per IP in 10 minutes, so a kept app is always reused.
func (f *oauthFlow) app(ctx context.Context) (mastodon.App, error) {
	stored, err := f.ar.App(ctx, f.server)
	if err != nil {
		return mastodon.App{}, err
	}
	host := fedimarks.HostOf(f.server)
	if stored != nil {
		f.a.remember(stored.ClientSecret)
		kept := mastodon.App{ClientID: stored.ClientID, ClientSecret: stored.ClientSecret, RedirectURI: stored.RedirectURI, Scopes: stored.Scopes}
		// A server that forgot the app would show the person an error page
		// that never comes back here: ask it first.
		state, why, err := f.c.CheckApp(ctx, kept, probeRedirect(kept.RedirectURI))
		if err != nil {
			return mastodon.App{}, err
		}
		if state != mastodon.AppForgotten {
			return kept, nil
		}
		fmt.Fprintf(f.a.stderr, "%s no longer knows fedimarks' app (%s): registering it again.\n", host, f.a.redact(why))
		if err := f.forget(ctx, kept); err != nil {
			return mastodon.App{}, err
		}
	}
	f.fresh = true
	// The loopback port is chosen once and registered with the app: servers
	// that compare redirect URIs exactly (GoToSocial) accept later logins
	// on the same port. The out-of-band URI rides along, so that one
	// registration serves both ways of receiving the code.
	port, err := freeLoopbackPort()
	if err != nil {
		return mastodon.App{}, err
	}
	redirects := loopbackRedirect(port) + "\n" + oobRedirect
	scopes, granular := chooseScopes(f.meta)
	if !granular {
		fmt.Fprintf(f.a.stderr, "%s does not offer fine-grained scopes: asking for %q, which allows reading and writing everything in the account.\n", host, coarseScopes)
	}
	app, err := f.c.RegisterApp(ctx, appName, redirects, scopes, appWebsite)
	if err != nil && granular && scopesRefused(err) {
		fmt.Fprintf(f.a.stderr, "%s refused fine-grained scopes (%v): asking for %q instead, which allows reading and writing everything in the account.\n", host, err, coarseScopes)
		scopes = coarseScopes
		app, err = f.c.RegisterApp(ctx, appName, redirects, scopes, appWebsite)
	}
	if err != nil {
		if fedimarks.ErrorKind(err) == fedimarks.KindRateLimited {
			return mastodon.App{}, &fedimarks.Error{Code: fedimarks.EUnavailable, Err: err,
				Message: fmt.Sprintf("%s refused to register fedimarks: too many app registrations from this address", host),
				Hint:    "wait 10 minutes, then run fedimarks login " + loginArg(f.server) + " again"}
		}
		return mastodon.App{}, fmt.Errorf("register app on %s: %w", host, err)
	}
	f.a.remember(app.ClientSecret)
	if app.RedirectURI == "" {
		app.RedirectURI = redirects
	}
	if strings.TrimSpace(app.Scopes) == "" {
		app.Scopes = scopes
	}
	if err := f.ar.SaveApp(ctx, sqlite.App{Server: f.server, ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		RedirectURI: app.RedirectURI, Scopes: app.Scopes}); err != nil {
		return mastodon.App{}, err
	}
	return app, nil
}

// chooseScopes returns the scopes to register, and whether they are the
// fine-grained ones. Servers with metadata say what they support; servers
// without are tried with fine-grained scopes first.
func chooseScopes(meta *mastodon.AuthMetadata) (string, bool) {
	if meta == nil || len(meta.ScopesSupported) == 0 {
		return granularScopes + " read:accounts", true
	}
	for _, s := range strings.Fields(granularScopes) {
		if !slices.Contains(meta.ScopesSupported, s) {
			return coarseScopes, false
		}
	}
	if slices.Contains(meta.ScopesSupported, "profile") {
		return granularScopes + " profile", true
	}
	return granularScopes + " read:accounts", true
}

// scopesRefused reports whether an app registration failed because of its
// scopes: Mastodon answers that they fail its checks ("Validation failed:
// Scopes are invalid"), others that the request is invalid.
func scopesRefused(err error) bool {
	k := fedimarks.ErrorKind(err)
	return k == fedimarks.KindConflict || k == fedimarks.KindInvalid
}

// invalidClient reports whether the token endpoint refused the app
// itself, not the code.
func invalidClient(err error) bool {
	return fedimarks.ErrorKind(err) == fedimarks.KindAppUnknown
}

// refusal says in a few words how the server refused: its status and
// message.
func refusal(err error) string {
	var api *mastodon.APIError
	if errors.As(err, &api) {
		return "its token endpoint answered " + api.Answer()
	}
	return err.Error()
}

// probeRedirect is the redirect URI to check a kept app with: the
// out-of-band one when registered (a server shows the code page for it),
// else the first.
func probeRedirect(redirectURIs string) string {
	uris := strings.Fields(redirectURIs)
	if slices.Contains(uris, oobRedirect) || len(uris) == 0 {
		return oobRedirect
	}
	return uris[0]
}

// unreachable reports whether err says a server did not answer.
func unreachable(err error) bool { return fedimarks.IsUnreachable(err) }

// authorize has the person approve app and returns the token: through a
// loopback redirect when a browser can be opened here, else through the
// out-of-band code the person pastes.
func (f *oauthFlow) authorize(ctx context.Context, app mastodon.App) (mastodon.Token, error) {
	state, err := randomToken(24)
	if err != nil {
		return mastodon.Token{}, err
	}
	var verifier, challenge string
	if f.meta.SupportsPKCE() {
		if verifier, err = randomToken(32); err != nil {
			return mastodon.Token{}, err
		}
		sum := sha256.Sum256([]byte(verifier))
		challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	host := fedimarks.HostOf(f.server)
	var open func(string) error
	if !f.noBrowser {
		open = f.a.browserOpener()
	}

	redirect := oobRedirect
	var code string
	port, hasLoopback := registeredLoopbackPort(app.RedirectURI)
	var lb *loopbackReceiver
	switch {
	case f.noBrowser:
	case open == nil:
		fmt.Fprintln(f.a.stderr, "No browser can be opened here: using a code to paste instead.")
	case !hasLoopback:
		fmt.Fprintln(f.a.stderr, "fedimarks' app on this server has no loopback redirect: using a code to paste instead.")
	default:
		lb, err = listenLoopback(port, state)
		if err != nil {
			fmt.Fprintf(f.a.stderr, "Cannot receive the answer on 127.0.0.1:%d (%v): using a code to paste instead.\n", port, err)
			lb = nil
		}
	}
	if lb != nil {
		defer lb.close(ctx)
		u := f.c.AuthorizeURL(app, lb.redirectURI, app.Scopes, state, challenge)
		fmt.Fprintf(f.a.stderr, "Opening your browser to approve fedimarks on %s. If it does not open, visit:\n  %s\n", host, u)
		if err := open(u); err != nil {
			fmt.Fprintf(f.a.stderr, "Could not open a browser (%v): using a code to paste instead.\n", err)
			lb.close(ctx)
			lb, open = nil, nil
		} else {
			fmt.Fprintf(f.a.stderr, "Waiting up to %s for your approval (Ctrl-C to cancel)...\n", ui.Duration(f.wait))
			code, err = lb.wait(ctx, f.wait)
			if err != nil {
				return mastodon.Token{}, err
			}
			redirect = lb.redirectURI
		}
	}
	if lb == nil {
		u := f.c.AuthorizeURL(app, oobRedirect, app.Scopes, "", challenge)
		fmt.Fprintf(f.a.stderr, "Open this address in a browser, approve fedimarks, then paste the code it shows:\n  %s\n", u)
		if open != nil {
			_ = open(u) // the address is printed: a failure here changes nothing
		}
		fmt.Fprint(f.a.stderr, "Code: ")
		code, err = readCode(ctx, f.a.stdin, f.wait)
		if !f.a.stdinTTY() {
			fmt.Fprintln(f.a.stderr) // a terminal echoed the person's newline
		}
		if err != nil {
			return mastodon.Token{}, err
		}
	}
	f.a.remember(code)
	tok, err := f.c.ExchangeCode(ctx, app, code, redirect, verifier)
	if err != nil {
		var api *mastodon.APIError
		if fedimarks.ErrorKind(err) == fedimarks.KindAuth && errors.As(err, &api) {
			return tok, &fedimarks.Error{Code: fedimarks.EAuth, Err: err,
				Message: fmt.Sprintf("%s refused the authorization code (%s)", host, strings.TrimSpace(api.Message+" "+api.Description)),
				Hint:    "it may be mistyped, expired or already used: run fedimarks login " + loginArg(f.server) + " again"}
		}
		if invalidClient(err) {
			return tok, err
		}
		return tok, fmt.Errorf("get token from %s: %w", host, err)
	}
	return tok, nil
}

// randomToken returns n random bytes in unpadded base64url: an n of 32
// gives a 43-character PKCE verifier (RFC 7636).
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

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
	srv         *http.Server
	result      chan callbackResult // buffered: the handler never blocks
	once        sync.Once
	closeOnce   sync.Once
}

// listenLoopback starts the receiver on 127.0.0.1:port (loopback only:
// nothing else on the network can reach it).
func listenLoopback(port int, state string) (*loopbackReceiver, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	r := &loopbackReceiver{
		redirectURI: loopbackRedirect(port),
		state:       state,
		addr:        ln.Addr().String(),
		result:      make(chan callbackResult, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(callbackPath, r.callback)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *loopbackReceiver) deliver(res callbackResult) {
	r.once.Do(func() { r.result <- res })
}

func (r *loopbackReceiver) callback(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := req.URL.Query()
	page := func(status int, title, text string) {
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
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(r.state)) != 1 {
		r.deliver(callbackResult{err: &fedimarks.Error{Code: fedimarks.EAuth,
			Message: "the browser's answer carried a wrong state: refused, nothing saved",
			Hint:    "run fedimarks login again; if it happens again, something other than your browser is answering"}})
		page(http.StatusBadRequest, "Sign-in refused", "This answer does not belong to the sign-in fedimarks started (its state does not match). Nothing was saved.")
		return
	}
	if e := q.Get("error"); e != "" {
		msg := e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		r.deliver(callbackResult{err: &fedimarks.Error{Code: fedimarks.EAuth,
			Message: "the server did not authorize fedimarks (" + msg + ")", Hint: "run fedimarks login again to retry"}})
		page(http.StatusOK, "Sign-in cancelled", "The server did not authorize fedimarks. You can close this tab.")
		return
	}
	code := q.Get("code")
	if code == "" {
		r.deliver(callbackResult{err: &fedimarks.Error{Code: fedimarks.EAuth,
			Message: "the browser's answer carried no authorization code", Hint: "run fedimarks login again"}})
		page(http.StatusBadRequest, "Sign-in failed", "The answer carried no authorization code.")
		return
	}
	// Record the answer before the page goes out, so that a second
	// request cannot be taken for this one.
	r.deliver(callbackResult{code: code})
	page(http.StatusOK, "fedimarks is approved", "You can close this tab and return to the terminal.")
}

// wait returns the code, or an error when the answer is refused, d passes
// or ctx ends.
func (r *loopbackReceiver) wait(ctx context.Context, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case res := <-r.result:
		return res.code, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", &fedimarks.Error{Code: fedimarks.EAuth,
			Message: fmt.Sprintf("no approval came from the browser within %s", ui.Duration(d)),
			Hint:    "run fedimarks login again, or with --no-browser to paste a code instead"}
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

// readCode reads the pasted authorization code from in, giving up when d
// passes or ctx ends.
func readCode(ctx context.Context, in io.Reader, d time.Duration) (string, error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1) // buffered: an abandoned read does not block forever
	go func() {
		var b strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				if buf[0] == '\n' {
					ch <- line{s: b.String()}
					return
				}
				if b.Len() < 4096 {
					b.WriteByte(buf[0])
				}
			}
			if err != nil {
				ch <- line{s: b.String(), err: err}
				return
			}
		}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case l := <-ch:
		code := strings.TrimSpace(l.s)
		if code == "" {
			return "", usageError("no authorization code on standard input")
		}
		if strings.ContainsAny(code, " \t") {
			return "", usageError("that does not look like an authorization code")
		}
		return code, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", &fedimarks.Error{Code: fedimarks.EAuth,
			Message: fmt.Sprintf("no code was pasted within %s", ui.Duration(d)), Hint: "run fedimarks login again"}
	}
}

// browserOpener returns the function that opens a URL in the person's
// browser, or nil when none can be opened here (no display: an SSH
// session, a server).
func (a *app) browserOpener() func(string) error {
	if a.io.OpenBrowser != nil {
		return a.io.OpenBrowser
	}
	return systemOpener(a.io.Getenv, runtime.GOOS)
}

// systemOpener finds the platform's opener: $BROWSER, else open (macOS),
// rundll32 (Windows) or xdg-open (elsewhere, only with a display). The URL
// it is given is an authorize address, which holds no secret, so passing
// it as an argument is safe.
func systemOpener(getenv func(string) string, goos string) func(string) error {
	var name string
	var args []string
	if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
		first, _, _ := strings.Cut(b, string(listSeparator(goos)))
		fields := strings.Fields(first)
		if len(fields) == 0 {
			return nil
		}
		name, args = fields[0], fields[1:]
	} else {
		switch goos {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
		default:
			if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
				return nil
			}
			name = "xdg-open"
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil
	}
	return func(u string) error {
		cmd := exec.Command(path, append(slices.Clone(args), u)...)
		if err := cmd.Start(); err != nil {
			return err
		}
		go cmd.Wait() // reap it; some openers live as long as the browser
		return nil
	}
}

func listSeparator(goos string) rune {
	if goos == "windows" {
		return ';'
	}
	return ':'
}
