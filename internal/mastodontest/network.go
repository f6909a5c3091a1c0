// Package mastodontest is a fake network of Mastodon-API servers for tests
// and benchmarks. Each Instance is a real HTTP server (httptest, on
// 127.0.0.1) that speaks the parts of the client API fedimarks uses:
// bookmarks with each server family's paging, statuses, search with
// resolve over a federation of instances, OAuth 2 with PKCE, rate limits
// with Mastodon's headers, and faults (down servers, dropped connections,
// 5xx answers, latency). It keeps the quirks described in
// shared/MASTODON.md: see Quirk.
//
// Everything is safe for concurrent use. Ids, times and URLs are
// deterministic for a given sequence of calls; tokens, client secrets and
// authorization codes are random.
package mastodontest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Quirk selects which server family an Instance imitates.
type Quirk int

// The server families. The zero value is Mastodon.
const (
	// Mastodon: snowflake ids, Link paging with max_id/min_id, next only on
	// full pages, limit 20 by default and at most 40, 503 when a remote post
	// cannot be fetched.
	Mastodon Quirk = iota
	// GoToSocial: ULID ids, limit 30 by default and no cap, next on every
	// non-empty underlying page (see InstanceOptions.HideEvery), empty
	// search results instead of 503, "Not Found: ..." error bodies, a
	// code_verifier refused when no challenge was sent.
	GoToSocial
	// Pixelfed: opaque cursor Link paging (?cursor=...), no max_id,
	// limit at most 40, no /api/v2/instance.
	Pixelfed
	// Snac: no Link header, max_id read as a status id, MD5 ids, 422 when
	// bookmarking an already bookmarked post, no /api/v2/instance, no
	// X-RateLimit-* headers; OAuth as snac's (see snacToken, snacRevoke):
	// revoking a token deletes its app, an unknown client gets 400 from
	// /oauth/authorize and 401 with no body from /oauth/token. Its
	// listing's hiding is InstanceOptions.HideUnfollowed.
	Snac
	// Pleroma (2.7+): Mastodon's ids and limits, next and prev links on
	// every non-empty page, and bookmark folders (see folders.go).
	Pleroma
	// Misskey: Misskey's own API instead of Mastodon's (misskey.go): POST
	// /api/<endpoint> with JSON bodies, the token as "i" or a Bearer header,
	// favorites instead of bookmarks, aidx ids, MiAuth sign-in, errors as
	// {"error":{"code",...}}, per-endpoint rate limits. Forks (Sharkey,
	// Firefish, ...) are InstanceOptions.Software.
	Misskey
)

// String returns the quirk's name.
func (q Quirk) String() string {
	switch q {
	case Mastodon:
		return "mastodon"
	case GoToSocial:
		return "gotosocial"
	case Pixelfed:
		return "pixelfed"
	case Snac:
		return "snac"
	case Pleroma:
		return "pleroma"
	case Misskey:
		return "misskey"
	}
	return "quirk(" + strconv.Itoa(int(q)) + ")"
}

// defaultVersion is what each family reports by default.
func (q Quirk) defaultVersion() string {
	switch q {
	case GoToSocial:
		return "0.17.3 git-c0ffee"
	case Pixelfed:
		return "3.5.3 (compatible; Pixelfed 0.12.4)"
	case Snac:
		return "4.0.0 (compatible; snac/2.59)"
	case Pleroma:
		return "2.7.2 (compatible; Pleroma 2.7.0)"
	case Misskey:
		return "2024.11.0"
	}
	return "4.3.0"
}

// Network is a set of fake instances that federate with each other: a post
// of one instance can be resolved, bookmarked and shown on the others. Its
// servers are closed by the test's Cleanup. A Network is safe for concurrent
// use; one mutex guards the state of all its instances.
type Network struct {
	t      TB
	client *http.Client
	done   chan struct{}

	mu        sync.Mutex
	now       func() time.Time
	instances []*Instance
	byHost    map[string]*Instance
	byURI     map[string]*post
	byURL     map[string]*post
	postSeq   int64
}

// TB is what a Network needs of its owner: a test's *testing.T (or B)
// satisfies it, and so does a Sandbox, which lets the fake run outside
// tests (fedimarks demo).
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewNetwork returns an empty network. Its instances are closed when the
// test ends (by t's Cleanup).
func NewNetwork(t TB) *Network {
	t.Helper()
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}
	n := &Network{
		t:      t,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		done:   make(chan struct{}),
		now:    time.Now,
		byHost: map[string]*Instance{},
		byURI:  map[string]*post{},
		byURL:  map[string]*post{},
	}
	t.Cleanup(func() {
		close(n.done)
		n.mu.Lock()
		insts := append([]*Instance(nil), n.instances...)
		n.mu.Unlock()
		for _, i := range insts {
			i.srv.CloseClientConnections()
			i.srv.Close()
		}
		tr.CloseIdleConnections()
	})
	return n
}

// SetClock replaces the clock (time.Now by default) used for rate-limit
// windows, X-RateLimit-Reset, the Date header, app-registration windows,
// authorization-code expiry and token creation times. Latency and the
// default creation times of posts do not use it.
func (n *Network) SetClock(now func() time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.now = now
}

// Instance returns the instance listening on host ("127.0.0.1:PORT"), or
// nil if there is none.
func (n *Network) Instance(host string) *Instance {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byHost[strings.ToLower(host)]
}

// InstanceOptions configures a new Instance. The zero value is a Mastodon
// 4.3.0 server with OAuth metadata, granular scopes and PKCE.
type InstanceOptions struct {
	Quirk Quirk
	// Version is reported by /api/v1/instance and /api/v2/instance. Default
	// per quirk: "4.3.0", GoToSocial "0.17.3 git-c0ffee", Pixelfed
	// "3.5.3 (compatible; Pixelfed 0.12.4)", Snac "4.0.0 (compatible; snac/2.59)".
	Version string
	// Title is the instance's name (default "Fake <quirk> <host>").
	Title string
	// Software is the name nodeinfo reports (default: the quirk's name), as
	// a fork does: "sharkey", "firefish", "iceshrimp" or "cherrypick" with
	// Quirk Misskey, "akkoma" or "pleroma" with Quirk Mastodon.
	Software string
	// NoNodeinfo makes /.well-known/nodeinfo and the documents it links
	// answer 404, as behind a proxy that serves only the API.
	NoNodeinfo bool
	// NoAuthMetadata makes /.well-known/oauth-authorization-server answer
	// 404, like Mastodon < 4.3 and GoToSocial. It is not implied by Quirk.
	NoAuthMetadata bool
	// NoGranularScopes makes app registration, authorization and tokens
	// accept only read, write, follow and push (422 "Validation failed:
	// Scopes are invalid" from /api/v1/apps, invalid_scope from OAuth).
	NoGranularScopes bool
	// NoPKCE leaves code_challenge_methods_supported out of the OAuth
	// metadata and ignores code_challenge and code_verifier.
	NoPKCE bool
	// HideEvery > 0 hides every bookmark whose (instance-wide, 1-based)
	// bookmark number is a multiple of it from bookmark listings, as a
	// server does for posts of blocked or muted authors. GoToSocial hides
	// after paging (short or empty pages that still carry next); the other
	// families before (full pages).
	HideEvery int
	// HideUnfollowed leaves out of bookmark listings the bookmarks of
	// posts not in the account's timeline: those of authors it neither is
	// nor follows, as snac's listing does (see hiddenFrom). They stay
	// bookmarked. Like HideEvery, it is not implied by Quirk.
	HideUnfollowed bool

	// SignIn makes /oauth/authorize send a request without the signed-in
	// user's session cookie (Instance.SessionCookie) to /auth/sign_in
	// before it looks at the client, as Mastodon and GoToSocial do. Off,
	// the authorizing user approves every request at once.
	SignIn bool
}

// Instance is one fake server of a Network, listening on 127.0.0.1. All its
// methods are safe for concurrent use.
type Instance struct {
	n    *Network
	opts InstanceOptions
	srv  *httptest.Server
	host string

	// Guarded by n.mu.
	seq         int64 // ids of accounts, statuses and media
	bookmarkSeq int64
	accounts    map[string]*Account  // local accounts by lower-case username
	accountByID map[string]*Account  // local and known remote accounts by local id
	remoteIDs   map[*Account]string  // local ids of remote accounts
	copies      map[*post]*localCopy // local posts and local copies of remote ones
	byID        map[string]*post     // by local id
	files       map[string]*file     // served under /system/
	tokens      map[string]*token    // by access token
	apps        map[string]*app      // by client_id
	grants      map[string]*grant    // authorization codes
	appRegs     int                  // successful POST /api/v1/apps
	appWindows  map[string]rateCount // POST /api/v1/apps attempts per IP
	rateUsed    map[string]rateCount // API requests per token (or IP)
	authorizing *Account
	down        bool
	latency     time.Duration
	failN       int
	failStatus  int
	failRetry   time.Duration
	dropN       int
	rateN       int
	rateWindow  time.Duration
	lim         limits // header modes, answer jitter, window records (limits.go)
	reqs        []reqRecord
	statuses    map[int]int // responses sent, by status
	faults      listingFaults
	ap          objectState  // as the origin of posts: see origin.go
	race        raceState    // see race.go
	folders     folderState  // Pleroma's bookmark folders: see folders.go
	mk          misskeyState // as a Misskey server: see misskey.go
}

type reqRecord struct{ method, path string }

type rateCount struct {
	start int64 // window start, Unix nanoseconds
	used  int
}

// NewInstance starts a new instance on 127.0.0.1:0.
func (n *Network) NewInstance(opts InstanceOptions) *Instance {
	n.t.Helper()
	if opts.Version == "" {
		opts.Version = opts.Quirk.defaultVersion()
	}
	i := &Instance{
		n:           n,
		opts:        opts,
		accounts:    map[string]*Account{},
		accountByID: map[string]*Account{},
		remoteIDs:   map[*Account]string{},
		copies:      map[*post]*localCopy{},
		byID:        map[string]*post{},
		files:       map[string]*file{},
		tokens:      map[string]*token{},
		apps:        map[string]*app{},
		grants:      map[string]*grant{},
		appWindows:  map[string]rateCount{},
		rateUsed:    map[string]rateCount{},
		statuses:    map[int]int{},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(i.serve))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	i.srv = srv
	i.host = strings.TrimPrefix(srv.URL, "http://")
	if i.opts.Title == "" {
		i.opts.Title = "Fake " + opts.Quirk.String() + " " + i.host
	}
	n.mu.Lock()
	n.instances = append(n.instances, i)
	n.byHost[i.host] = i
	n.mu.Unlock()
	return i
}

// URL returns the instance's base URL, "http://127.0.0.1:PORT".
func (i *Instance) URL() string { return "http://" + i.host }

// Host returns "127.0.0.1:PORT".
func (i *Instance) Host() string { return i.host }

// Quirk returns the server family the instance imitates.
func (i *Instance) Quirk() Quirk { return i.opts.Quirk }

// SetDown takes the instance down or brings it back. While down, every
// request to it has its connection closed without an answer, so other
// instances cannot fetch its posts either (Mastodon's search then answers
// 503 "Remote data could not be fetched", the others an empty result).
func (i *Instance) SetDown(down bool) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.down = down
}

// SetRateLimit limits API requests to n per window for each access token
// (requests without a valid token count per client IP), in fixed windows
// aligned to the Unix epoch (keep window whole seconds: Mastodon's are,
// and it stamps each answer's reset with the request's sub-second part;
// see RateHeaders). Over budget the answer is 429. n = 0 (the
// default) is unlimited; the headers then still say 300 per 5 minutes,
// with X-RateLimit-Remaining always 300 so that pacing clients never wait.
// Changing the limit starts every budget afresh.
func (i *Instance) SetRateLimit(n int, window time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	if n > 0 && window <= 0 {
		window = 5 * time.Minute
	}
	i.rateN, i.rateWindow = n, window
	i.rateUsed = map[string]rateCount{}
	i.lim.windows = nil
}

// SetLatency delays every request to the instance by d (real time), also
// the fetches other instances make when they resolve its posts.
func (i *Instance) SetLatency(d time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.latency = d
}

// FailNext makes the next n requests under /api/ answer status with a JSON
// error body, and a Retry-After header (whole seconds, rounded up) when
// retryAfter > 0. They are not counted by Requests and use no rate budget.
func (i *Instance) FailNext(n int, status int, retryAfter time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.failN, i.failStatus, i.failRetry = n, status, retryAfter
}

// DropNext makes the next n requests under /api/ have their connection
// closed without an answer (after a few bytes of a status line, so that
// each drop is one failed attempt for the client: see hangUp). They are
// not counted by Requests.
func (i *Instance) DropNext(n int) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.dropN = n
}

// Requests counts the requests the instance handled whose method is method
// ("" for any) and whose path starts with pathPrefix ("" for any), e.g.
// Requests("POST", "/api/v1/statuses/"). Requests closed by SetDown or
// DropNext and answered by FailNext are not counted; everything else is,
// 401s and 429s included, as are the ActivityPub fetches of other
// instances (GET on a post's URI path) and media downloads.
func (i *Instance) Requests(method, pathPrefix string) int {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	c := 0
	for _, r := range i.reqs {
		if (method == "" || r.method == method) && strings.HasPrefix(r.path, pathPrefix) {
			c++
		}
	}
	return c
}

// Responses counts the responses the instance sent with status, e.g.
// Responses(429) for rate-limited requests. Unlike Requests it includes
// the answers of FailNext.
func (i *Instance) Responses(status int) int {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.statuses[status]
}

// ResetCounts forgets the requests and responses counted so far.
func (i *Instance) ResetCounts() {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.reqs = nil
	i.statuses = map[int]int{}
}

// reply is a response computed under the lock and written after it.
type reply struct {
	status int
	ctype  string
	body   []byte
	header http.Header
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("mastodontest: encode reply: %v", err)) // a bug in this package
	}
	return reply{status: status, ctype: "application/json; charset=utf-8", body: b}
}

func errReply(status int, msg string) reply {
	return jsonReply(status, map[string]string{"error": msg})
}

func (rp *reply) set(k, v string) {
	if rp.header == nil {
		rp.header = http.Header{}
	}
	rp.header.Set(k, v)
}

func (rp reply) write(w http.ResponseWriter) {
	for k, vs := range rp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if rp.ctype != "" {
		w.Header().Set("Content-Type", rp.ctype)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	w.WriteHeader(rp.status)
	w.Write(rp.body)
}

// hangUp closes the client's connection without an answer. With partial,
// it first writes the start of a status line, so that the client sees a
// broken response: Go's Transport silently retries an idempotent request
// once when a reused connection closes before any byte arrives, which
// would hide a dropped request from the code under test.
func hangUp(w http.ResponseWriter, partial bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or already written: abort the stream
	}
	if partial {
		conn.Write([]byte("HTTP/1.1 50"))
	}
	conn.Close()
}

// sleep waits d, or until ctx is done or the network closes; it reports
// whether the full time passed.
func (n *Network) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-n.done:
		return false
	}
}

// serve applies faults and latency, counts the request and routes it.
func (i *Instance) serve(w http.ResponseWriter, r *http.Request) {
	n := i.n
	n.mu.Lock()
	down, lat := i.down, i.latency
	n.mu.Unlock()
	if down {
		hangUp(w, false)
		return
	}
	if lat > 0 && !n.sleep(r.Context(), lat) {
		hangUp(w, false)
		return
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	n.mu.Lock()
	if i.down || (api && i.dropN > 0) {
		drop := !i.down
		if drop {
			i.dropN--
		}
		n.mu.Unlock()
		hangUp(w, drop)
		return
	}
	now := n.now()
	if api && i.failN > 0 {
		i.failN--
		status, retry := i.failStatus, i.failRetry
		i.statuses[status]++
		n.mu.Unlock()
		rp := errReply(status, failMessage(status))
		if retry > 0 {
			rp.set("Retry-After", strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10))
		}
		rp.set("Date", now.UTC().Format(http.TimeFormat))
		rp.write(w)
		return
	}
	i.reqs = append(i.reqs, reqRecord{r.Method, r.URL.Path})
	var rp reply
	var hold time.Duration
	func() {
		defer n.mu.Unlock()
		rp = i.route(r)
		i.statuses[rp.status]++
		if api {
			hold = i.answerDelay()
		}
	}()
	rp.set("Date", now.UTC().Format(http.TimeFormat))
	if hold > 0 && !n.sleep(r.Context(), hold) {
		hangUp(w, false)
		return
	}
	rp.write(w)
}

func failMessage(status int) string {
	switch status {
	case http.StatusBadGateway:
		return "Bad Gateway"
	case http.StatusServiceUnavailable:
		return "Service Unavailable"
	case http.StatusGatewayTimeout:
		return "Gateway Timeout"
	case http.StatusTooManyRequests:
		return "Too many requests"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// route answers one request; it runs with n.mu held (search may release
// it while it fetches from another instance).
func (i *Instance) route(r *http.Request) reply {
	p := r.URL.Path
	if p == "/.well-known/nodeinfo" || strings.HasPrefix(p, "/nodeinfo") || p == "/api/nodeinfo/2.0.json" {
		return i.nodeinfo(r)
	}
	if i.opts.Quirk == Misskey {
		return i.misskeyRoute(r)
	}
	switch {
	case strings.HasPrefix(p, "/api/"):
		return i.api(r)
	case p == "/.well-known/oauth-authorization-server":
		return i.authMetadata(r)
	case strings.HasPrefix(p, "/oauth/"):
		return i.oauth(r)
	case strings.HasPrefix(p, "/system/"):
		return i.serveFile(r)
	}
	return i.servePage(r)
}
