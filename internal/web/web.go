// Package web is the local browser page over the archive: a timeline of an
// account's bookmarks, newest first and paged, a search box that takes the
// same filters as `fedimarks search`, and each post shown as Mastodon shows
// it (author, avatar, time, content warning, text, media, link to the
// original).
//
// The page must work with the network off and must never let a post run
// code: post HTML goes through posthtml.Sanitize, every response carries a
// Content-Security-Policy that allows nothing but this server's own styles
// and images (no scripts at all, no remote images: avatars and media are
// shown only from local copies), and the server answers only on loopback
// and only to requests whose Host header names loopback with its own port,
// so that a web page elsewhere cannot reach it by DNS rebinding.
package web

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

//go:embed templates/*.html static/*
var assets embed.FS

// ContentSecurityPolicy is the policy every response carries: nothing may
// run, only this server's stylesheet and images load, forms submit only
// here, and no one may frame the page.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Archive is what the page reads from the archive (*sqlite.Archive has
// these methods).
type Archive interface {
	// ArchivedAccounts lists the accounts that have bookmarks, sorted.
	ArchivedAccounts(ctx context.Context) ([]fedimarks.Handle, error)
	// Search returns the bookmarks matching q (an empty query: all of
	// them, newest bookmark first).
	Search(ctx context.Context, q fedimarks.Query) ([]fedimarks.Hit, error)
	// SearchCountAtMost counts them, up to max (max <= 0: all). It must
	// be cheap for an empty query (every page shows each account's
	// count).
	SearchCountAtMost(ctx context.Context, q fedimarks.Query, max int) (int, error)
}

// SearchTotaler is what an Archive may also do: tell how many bookmarks
// match a search when that costs no more than a page (known false when
// not). A page of a search past the ranking's limit then says how many
// match and numbers its pages, instead of "more than".
type SearchTotaler interface {
	SearchTotal(ctx context.Context, q fedimarks.Query) (n int, known bool, err error)
}

// LocalFile is a downloaded copy of a remote file: an attachment (original
// or preview) or an author's avatar.
type LocalFile struct {
	// RemoteURL is the address the file was downloaded from, as the
	// status JSON names it.
	RemoteURL string
	// Path is where the copy is on disk.
	Path string
	// ContentType is the copy's media type ("image/png"), "" if unknown.
	ContentType string
}

// MediaSource finds the local copies of a post's files. Files that were
// not downloaded are simply absent; the page then links to the original.
type MediaSource interface {
	LocalFiles(ctx context.Context, statusURI string) ([]LocalFile, error)
}

// MediaFunc adapts a function to MediaSource.
type MediaFunc func(ctx context.Context, statusURI string) ([]LocalFile, error)

// LocalFiles calls f.
func (f MediaFunc) LocalFiles(ctx context.Context, statusURI string) ([]LocalFile, error) {
	return f(ctx, statusURI)
}

// Options configure a Server.
type Options struct {
	// Archive is read for every page. Required.
	Archive Archive
	// Media, when set, provides local copies of avatars and attachments.
	Media MediaSource
	// PageSize is how many posts a page shows (default 20).
	PageSize int
	// CountLimit is how far a search's matches are counted and ranked by
	// relevance; past it the page says "more than", lists them newest
	// first and pages on without a last page number. Counting and ranking
	// every match of a common word would cost more than the page. 0 is
	// fedimarks.RankLimit.
	CountLimit int
	// Location is the time zone the page shows times in, with their
	// zone's name (default time.Local).
	Location *time.Location
	// Accounts, when set, makes the accounts page (/accounts): add, list,
	// sign out and export accounts, see and set up the schedule.
	Accounts AccountService
	// Jobs, when set, runs backups, moves and verifications from the
	// page (see jobs.go).
	Jobs Jobs
	// MaxUpload is the largest file a move takes (default DefaultMaxUpload).
	MaxUpload int64
}

// Server is the page's http.Handler. It is safe for concurrent use.
type Server struct {
	archive    Archive
	media      MediaSource
	pageSize   int
	countLimit int
	loc        *time.Location
	tmpl       *template.Template
	staticFS   fs.FS
	static     http.Handler
	// formToken is this session's token for the tag and note forms
	// (see labels.go), the accounts page's and the job forms (jobs.go).
	formToken string
	accounts  AccountService
	acc       accountsState
	jobs      Jobs
	maxUpload int64
}

// New returns a Server over opt.Archive.
func New(opt Options) (*Server, error) {
	if opt.Archive == nil {
		return nil, errors.New("web: no archive")
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 20
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"inc":      func(i int) int { return i + 1 },
		"count":    func(n int) string { return fedimarks.Count(int64(n)) }, // 25,000
		"duration": func(d time.Duration) string { return d.Round(time.Second).String() },
	}).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return &Server{
		archive:    opt.Archive,
		media:      opt.Media,
		pageSize:   opt.PageSize,
		countLimit: opt.CountLimit,
		loc:        opt.Location,
		tmpl:       tmpl,
		staticFS:   static,
		static:     http.StripPrefix("/static/", http.FileServerFS(static)),
		formToken:  newFormToken(),
		accounts:   opt.Accounts,
		jobs:       opt.Jobs,
		maxUpload:  cmp.Or(opt.MaxUpload, DefaultMaxUpload),
	}, nil
}

// ServeHTTP answers GET and HEAD for the page (/), its stylesheet
// (/static/) and local media copies (/local); anything else is 404 or 405.
// Requests whose Host header is not loopback with this server's port are
// refused with 421 before anything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !hostAllowed(r) {
		http.Error(w, "this server answers only to http://127.0.0.1 or http://localhost with its own port", http.StatusMisdirectedRequest)
		return
	}
	if r.URL.Path == labelsPath {
		s.serveLabels(w, r)
		return
	}
	if r.URL.Path == "/jobs" || strings.HasPrefix(r.URL.Path, "/jobs/") {
		s.serveJobs(w, r)
		return
	}
	if s.serveAccounts(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.URL.Path == "/":
		s.servePage(w, r)
	case r.URL.Path == "/local":
		s.serveLocal(w, r)
	case strings.HasPrefix(r.URL.Path, "/static/"):
		// Files only: a directory would be listed.
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(s.staticFS, name); err != nil || !fi.Mode().IsRegular() {
			s.notFound(w, r, "There is nothing at this address.")
			return
		}
		h.Set("Cache-Control", "no-cache")
		s.static.ServeHTTP(w, r)
	default:
		s.notFound(w, r, "There is nothing at this address.")
	}
}

// hostAllowed reports whether r's Host header names a loopback address
// (127.0.0.1, [::1]) or localhost with the port the request came in on.
// Browsers send the Host they resolved, so a rebinding attacker's page
// arrives with the attacker's host name and is refused.
func hostAllowed(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		return false
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	_, localPort, err := net.SplitHostPort(local.String())
	if err != nil || port != localPort {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckAddr reports whether addr (host:port) is one the page may listen
// on: a loopback IP address or localhost, any port. Anything else, an
// empty host (all interfaces) included, is an EInvalid error saying why.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fedimarks.Errorf(fedimarks.EInvalid, "--addr %q is not host:port (e.g. 127.0.0.1:8080)", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fedimarks.Errorf(fedimarks.EInvalid, "--addr %q: bad port", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: fmt.Sprintf("refusing to serve on %q: the page shows your private archive, so it listens on loopback only", addr),
		Hint:    "use --addr 127.0.0.1:PORT"}
}

// Listen opens a TCP listener on addr after CheckAddr accepts it;
// localhost is bound as 127.0.0.1, so that the name cannot resolve to
// anything else.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	if strings.EqualFold(host, "localhost") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	return ln, nil
}

// listenError says why the page cannot listen on addr in plain words,
// without the socket call's own text ("listen tcp ADDR: bind: ...").
func listenError(addr string, err error) error {
	fe := &fedimarks.Error{Code: fedimarks.EInternal, Err: err,
		Hint: "pick another port with --addr 127.0.0.1:PORT, or --addr 127.0.0.1:0 for a free one"}
	var se *os.SyscallError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		fe.Message = addr + " is in use by another program"
	case errors.As(err, &se):
		fe.Message = "cannot listen on " + addr + ": " + se.Err.Error()
	default:
		fe.Message = "cannot listen on " + addr + ": " + err.Error()
	}
	return fe
}

// Serve serves h on ln until ctx is done, then shuts down gracefully,
// giving requests in flight up to five seconds. It returns nil after a
// shutdown caused by ctx. Requests see ctx's values but not its
// cancellation, so that those in flight can finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Not ctx itself: its end would cancel the requests that the
		// graceful shutdown below promises to let finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
