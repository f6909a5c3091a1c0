package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks/internal/oauth"
)

// The accounts page (/accounts): add an account (the sign-in of `fedimarks
// login`, its authorization page opened in the page's own tab and its
// answer taken at oauth.CallbackPath on this server), list the accounts,
// sign one out (as `fedimarks logout`), export one as a download (as
// `fedimarks export --offline`), and show and set up the schedule and
// sync (as `fedimarks status` shows them and `fedimarks schedule
// install` sets them up). The page only asks: AccountService does each
// thing through the commands' own code.
//
// Every request that changes something is a POST that carries this
// session's form token and comes from this page (sameOrigin), as the tag
// forms do. The one exception is the sign-in's answer, a GET the server
// sends the browser to: it changes nothing unless it carries the state of
// a sign-in this page started (and the code is then traded with the PKCE
// verifier where the server supports it).

const (
	accountsPath = "/accounts"
	addPath      = "/accounts/add"
	signOutPath  = "/accounts/signout"
	exportPath   = "/accounts/export"
	schedulePath = "/accounts/schedule"
)

// AccountService does what the accounts page asks, through the commands'
// code. Its errors are for a person: one clean line, no secret.
type AccountService interface {
	// Accounts lists the saved accounts, and those logged out whose
	// bookmarks the archive holds.
	Accounts(ctx context.Context) ([]AccountInfo, error)
	// SignIn signs in to instance (a server name or a handle) as
	// `fedimarks login` does, with the page's prompter and receiver, and
	// saves the account. It returns when the sign-in is over, with what
	// the flow and the command said.
	SignIn(ctx context.Context, instance string, rcv *oauth.PageReceiver, p *oauth.PageRedirect) (Said, error)
	// SignOut revokes the account's token and forgets it, as `fedimarks
	// logout` does.
	SignOut(ctx context.Context, account string) (Said, error)
	// ExportFormats lists the formats an export can be downloaded in.
	ExportFormats() []ExportFormat
	// Export writes the account's archived bookmarks in format to a new
	// file in dir, as `fedimarks export --offline -o FILE` does, and
	// returns its path, the file name to offer, and its media type.
	Export(ctx context.Context, account, format, dir string) (path, name, mediaType string, err error)
	// Schedule is the schedule and the sync pairs, as `fedimarks status`
	// and `fedimarks sync --status` show them.
	Schedule(ctx context.Context) (ScheduleInfo, error)
	// InstallSchedule installs the schedule as `fedimarks schedule
	// install` does; RemoveSchedule removes it as `schedule remove` does.
	InstallSchedule(ctx context.Context, req ScheduleRequest) (Said, error)
	RemoveSchedule(ctx context.Context) (Said, error)
}

// AccountInfo is one account as the page lists it.
type AccountInfo struct {
	Handle     string
	Server     string
	Software   string // "" when unknown
	LastBackup time.Time
	Bookmarks  int
	SignedIn   bool
	TokenStore string
	Default    bool
	// Failing says what goes on failing in its backups, for a person
	// ("" when the last backup worked).
	Failing string
}

// ExportFormat is one format offered for download.
type ExportFormat struct {
	Name, Description string
}

// Said is what a command told the person (its lines on stderr).
type Said []string

// ScheduleInfo is the schedule's state and the sync pairs, each as lines
// of the commands' own text.
type ScheduleInfo struct {
	Installed bool
	Schedule  []string
	Sync      []string
	// Periods are the schedule's choices for "every" (6h, 1d, ...).
	Periods []string
}

// ScheduleRequest is the schedule form: install's --every, --at and one
// --sync pair (From and To both empty: none).
type ScheduleRequest struct {
	Every, At, From, To string
}

// accountsView is what templates/accounts.html renders.
type accountsView struct {
	Title    string
	Token    string
	Notice   *notice
	Error    string
	Accounts []accountRow
	SignedIn []string
	Formats  []ExportFormat
	Schedule ScheduleInfo
	// Redirect is the server's authorization page: the page sends the
	// tab there (a refresh, no script) and links to it.
	Redirect     string
	RedirectHost string
}

type accountRow struct {
	AccountInfo
	HandleView handleView
	LastText   string
	LastISO    string
	Software   string
}

// notice is the outcome of a POST, shown once on the page it redirects
// to (/accounts?notice=ID).
type notice struct {
	Failed bool
	Title  string
	Lines  []string
}

// accountsState is the accounts page's memory: the sign-ins waiting for
// their answer (by state) and the notices to show.
type accountsState struct {
	mu        sync.Mutex
	receivers map[int]*oauth.PageReceiver // by the port the page is served on
	signIns   map[string]*signInRun       // by OAuth state
	notices   map[string]*notice
	order     []string // notice IDs, oldest first
}

// signInRun is a sign-in started from the page.
type signInRun struct {
	done   chan struct{}
	notice string // set before done closes
}

// maxNotices bounds the notices kept.
const maxNotices = 32

func (st *accountsState) addNotice(n *notice) string {
	id := newFormToken()[:16]
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.notices == nil {
		st.notices = map[string]*notice{}
	}
	st.notices[id] = n
	st.order = append(st.order, id)
	if len(st.order) > maxNotices {
		delete(st.notices, st.order[0])
		st.order = st.order[1:]
	}
	return id
}

func (st *accountsState) notice(id string) *notice {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.notices[id]
}

// receiver is the page's receiver of sign-in answers for requests that
// came in on r's port.
func (st *accountsState) receiver(r *http.Request) (*oauth.PageReceiver, error) {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return nil, errors.New("no local address")
	}
	// The answer comes to http://127.0.0.1:PORT (the loopback redirect
	// servers accept): the page must be there to take it.
	tcp, ok := local.(*net.TCPAddr)
	if !ok || !tcp.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		return nil, errors.New("a sign-in's answer comes to 127.0.0.1: serve the page there (fedimarks serve --addr 127.0.0.1:PORT)")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.receivers == nil {
		st.receivers = map[int]*oauth.PageReceiver{}
	}
	rcv := st.receivers[tcp.Port]
	if rcv == nil {
		rcv = &oauth.PageReceiver{Port: tcp.Port}
		st.receivers[tcp.Port] = rcv
	}
	return rcv, nil
}

// serveAccounts answers the accounts page's routes; it reports false for
// a path that is not one of them.
func (s *Server) serveAccounts(w http.ResponseWriter, r *http.Request) bool {
	if s.accounts == nil {
		return false
	}
	route := map[string]func(http.ResponseWriter, *http.Request){
		addPath:      s.addAccount,
		signOutPath:  s.signOut,
		exportPath:   s.exportAccount,
		schedulePath: s.setSchedule,
	}
	switch {
	case r.URL.Path == accountsPath:
		if !getOnly(w, r) {
			return true
		}
		v := accountsView{}
		if n := s.acc.notice(r.URL.Query().Get("notice")); n != nil {
			v.Notice = n
		}
		s.renderAccounts(w, r, http.StatusOK, v)
	case r.URL.Path == oauth.CallbackPath:
		if getOnly(w, r) {
			s.signInAnswer(w, r)
		}
	case route[r.URL.Path] != nil:
		if !s.formPost(w, r) {
			return true
		}
		route[r.URL.Path](w, r)
	default:
		return false
	}
	return true
}

func getOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// formPost checks that r is a POST of this page's forms: from this
// page's origin, with this session's token. It answers and reports false
// otherwise.
func (s *Server) formPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.formToken)) != 1 {
		http.Error(w, "refused: this form was not sent by this page (reload the page and try again)", http.StatusForbidden)
		return false
	}
	return true
}

// done shows n on the accounts page, by a redirect (so that reloading
// the page sends nothing again).
func (s *Server) done(w http.ResponseWriter, r *http.Request, n *notice) {
	http.Redirect(w, r, accountsPath+"?notice="+s.acc.addNotice(n), http.StatusSeeOther)
}

// outcome is the notice of an action that said said and ended with err.
func outcome(title string, said Said, err error) *notice {
	n := &notice{Title: title, Lines: said}
	if err != nil {
		n.Failed = true
		n.Lines = append(n.Lines, err.Error())
	}
	return n
}

// signInWait is how long the page waits for the sign-in to reach the
// server's authorization page, and for it to end once the answer came.
const signInWait = 45 * time.Second

// addAccount starts the sign-in and sends the tab to the server's
// authorization page.
func (s *Server) addAccount(w http.ResponseWriter, r *http.Request) {
	instance := strings.TrimSpace(r.PostForm.Get("instance"))
	if instance == "" {
		s.renderAccounts(w, r, http.StatusBadRequest, accountsView{Error: "Type a server name (mastodon.social) or your handle (alice@mastodon.social)."})
		return
	}
	rcv, err := s.acc.receiver(r)
	if err != nil {
		s.renderAccounts(w, r, http.StatusInternalServerError, accountsView{Error: "Cannot take a sign-in's answer here: " + err.Error()})
		return
	}
	p := oauth.NewPageRedirect()
	run := &signInRun{done: make(chan struct{})}
	// The sign-in outlives this request: it waits for the answer the
	// server sends the browser to (at most the flow's wait).
	ctx := context.WithoutCancel(r.Context())
	go func() {
		defer close(run.done)
		said, err := s.accounts.SignIn(ctx, instance, rcv, p)
		title := "Signed in"
		if err != nil {
			title = "Could not sign in to " + instance
		}
		run.notice = s.acc.addNotice(outcome(title, said, err))
	}()
	t := time.NewTimer(signInWait)
	defer t.Stop()
	select {
	case u := <-p.Open:
		au, err := url.Parse(u)
		if err != nil {
			break
		}
		s.acc.mu.Lock()
		if s.acc.signIns == nil {
			s.acc.signIns = map[string]*signInRun{}
		}
		s.acc.signIns[au.Query().Get("state")] = run
		s.acc.mu.Unlock()
		go func() {
			<-run.done
			s.acc.mu.Lock()
			delete(s.acc.signIns, au.Query().Get("state"))
			s.acc.mu.Unlock()
		}()
		// A redirect answering the form would be held to the page's
		// form-action 'self'; a refresh is a navigation of its own.
		s.renderAccounts(w, r, http.StatusOK, accountsView{Title: "Approve fedimarks", Redirect: u, RedirectHost: au.Host})
		return
	case <-run.done:
		http.Redirect(w, r, accountsPath+"?notice="+run.notice, http.StatusSeeOther)
		return
	case <-t.C:
	}
	s.renderAccounts(w, r, http.StatusGatewayTimeout, accountsView{Error: "The sign-in to " + instance + " is taking long: the server is slow to answer. Reload this page in a minute to see whether the account was added."})
}

// signInAnswer takes the server's answer at oauth.CallbackPath, then
// waits for the sign-in to save the account and shows how it went.
func (s *Server) signInAnswer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rcv, err := s.acc.receiver(r)
	if err != nil || !rcv.Deliver(q) {
		s.renderAccounts(w, r, http.StatusBadRequest, accountsView{Notice: &notice{Failed: true, Title: "Sign-in refused",
			Lines: []string{"This answer does not belong to a sign-in started on this page (it may have been taken already, or the sign-in gave up waiting). Nothing was saved."}}})
		return
	}
	s.acc.mu.Lock()
	run := s.acc.signIns[q.Get("state")]
	s.acc.mu.Unlock()
	if run == nil {
		http.Redirect(w, r, accountsPath, http.StatusSeeOther)
		return
	}
	t := time.NewTimer(signInWait)
	defer t.Stop()
	select {
	case <-run.done:
		http.Redirect(w, r, accountsPath+"?notice="+run.notice, http.StatusSeeOther)
	case <-t.C:
		http.Redirect(w, r, accountsPath, http.StatusSeeOther)
	case <-r.Context().Done():
	}
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	account := r.PostForm.Get("account")
	said, err := s.accounts.SignOut(r.Context(), account)
	title := "Signed out " + account
	if err != nil {
		title = "Signing out " + account + " did not go through"
	}
	s.done(w, r, outcome(title, said, err))
}

// exportAccount sends the export as a download. It is written to a
// temporary file first, as `export -o` writes, so that a failure is
// shown on the page rather than as half a file.
func (s *Server) exportAccount(w http.ResponseWriter, r *http.Request) {
	account, format := r.PostForm.Get("account"), r.PostForm.Get("format")
	dir, err := os.MkdirTemp("", "fedimarks-export-")
	if err != nil {
		s.done(w, r, outcome("Could not export "+account, nil, err))
		return
	}
	defer os.RemoveAll(dir)
	path, name, mediaType, err := s.accounts.Export(r.Context(), account, format, dir)
	if err != nil {
		s.done(w, r, outcome("Could not export "+account, nil, err))
		return
	}
	f, err := os.Open(path)
	if err != nil {
		s.done(w, r, outcome("Could not export "+account, nil, err))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.done(w, r, outcome("Could not export "+account, nil, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

func (s *Server) setSchedule(w http.ResponseWriter, r *http.Request) {
	if r.PostForm.Get("remove") != "" {
		said, err := s.accounts.RemoveSchedule(r.Context())
		title := "Schedule removed"
		if err != nil {
			title = "Could not remove the schedule"
		}
		s.done(w, r, outcome(title, said, err))
		return
	}
	req := ScheduleRequest{Every: r.PostForm.Get("every"), At: r.PostForm.Get("at"),
		From: r.PostForm.Get("from"), To: r.PostForm.Get("to")}
	said, err := s.accounts.InstallSchedule(r.Context(), req)
	title := "Schedule installed"
	if err != nil {
		title = "Could not install the schedule"
	}
	s.done(w, r, outcome(title, said, err))
}

// renderAccounts fills v with the accounts and the schedule and renders
// the accounts page.
func (s *Server) renderAccounts(w http.ResponseWriter, r *http.Request, code int, v accountsView) {
	ctx := r.Context()
	if v.Title == "" {
		v.Title = "Accounts"
	}
	v.Title += " · fedimarks"
	v.Token = s.formToken
	if v.Redirect == "" {
		accs, err := s.accounts.Accounts(ctx)
		if err != nil {
			v.Error = "Could not read the accounts: " + err.Error()
		}
		for _, a := range accs {
			row := accountRow{AccountInfo: a, HandleView: handleOf(a.Handle), LastText: "never", Software: a.Software}
			if !a.LastBackup.IsZero() {
				row.LastText, row.LastISO = timeText(a.LastBackup, s.loc), a.LastBackup.UTC().Format(time.RFC3339)
			}
			if row.Software == "" {
				row.Software = "unknown"
			}
			v.Accounts = append(v.Accounts, row)
			if a.SignedIn {
				v.SignedIn = append(v.SignedIn, a.Handle)
			}
		}
		v.Formats = s.accounts.ExportFormats()
		if v.Schedule, err = s.accounts.Schedule(ctx); err != nil && v.Error == "" {
			v.Error = "Could not read the schedule: " + err.Error()
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "accounts.html", v); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}
