package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/oauth"
	"github.com/fedimarks/fedimarks/internal/schedule"
	"github.com/fedimarks/fedimarks/internal/web"
)

// pageAccounts is the accounts page's web.AccountService: each thing the
// page asks is done by the command's own code (login, logout, export
// --offline, schedule install and remove, status), in a run of its own
// whose messages the page shows.
type pageAccounts struct {
	serve *app // the serve run: its archive, tokens and environment
}

// lockedBuffer is a bytes.Buffer safe to read while another goroutine
// writes it: a page run's messages (a sign-in's flow may write from
// another goroutine than the request's).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pageRun is one action of the page, run as command name would run it.
type pageRun struct {
	a   *app
	out *lockedBuffer
}

// run makes the run for command name: the serve run's environment,
// archive and token store, its own messages.
func (p pageAccounts) run(ctx context.Context, name string) (pageRun, error) {
	s := p.serve
	ar, err := s.openArchive(ctx)
	if err != nil {
		return pageRun{}, err
	}
	st, err := s.secretStore(ctx)
	if err != nil {
		return pageRun{}, err
	}
	out := &lockedBuffer{}
	io2 := s.io
	io2.Stdin, io2.Stdout, io2.Stderr = strings.NewReader(""), out, out
	if s.home != "" {
		// --home given to serve: the page's runs keep to it too.
		home, get := s.home, s.io.Getenv
		io2.Getenv = func(k string) string {
			if k == "FEDIMARKS_HOME" {
				return home
			}
			return get(k)
		}
	}
	a := newApp(io2)
	a.archive, a.secrets = ar, st
	a.cmd, _ = findCommand(name)
	return pageRun{a: a, out: out}, nil
}

// said is what the run told the person, line by line, clean and without
// a secret of the run.
func (r pageRun) said() web.Said {
	var lines web.Said
	for _, l := range strings.Split(r.out.String(), "\n") {
		if l = strings.TrimSpace(cleanText(r.a.redact(l))); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// fail words err as the command's last line would (with its hint), for
// the page.
func (r pageRun) fail(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	_, msg := classify(ctx, withHint(err, situation{cmd: r.a.cmd.name}))
	return errors.New(cleanText(r.a.redact(msg)))
}

// Accounts lists the accounts as `fedimarks status` does (with what
// `fedimarks accounts` adds: server, software, where the token is).
func (p pageAccounts) Accounts(ctx context.Context) ([]web.AccountInfo, error) {
	r, err := p.run(ctx, "status")
	if err != nil {
		return nil, err
	}
	rep, err := statusOptionsOf(r.a).report(ctx, r.a.archive)
	if err != nil {
		return nil, r.fail(ctx, err)
	}
	accs, err := r.a.archive.Accounts(ctx)
	if err != nil {
		return nil, r.fail(ctx, err)
	}
	saved := map[fedimarks.Handle]fedimarks.Account{}
	for _, acc := range accs {
		saved[acc.Handle] = acc
	}
	def := r.a.defaultAccount()
	var out []web.AccountInfo
	for _, st := range rep.Accounts {
		acc := saved[st.Account]
		info := web.AccountInfo{Handle: string(st.Account), Server: cleanText(acc.Server), Software: cleanText(acc.Software),
			Bookmarks: st.Bookmarks, SignedIn: st.SignedIn, TokenStore: acc.TokenStore, Default: st.Account == def,
			Failing: cleanText(st.Failing)}
		if st.LastBackup != nil {
			info.LastBackup = *st.LastBackup
		}
		out = append(out, info)
	}
	return out, nil
}

// SignIn signs in as `fedimarks login INSTANCE` does, the page being the
// browser.
func (p pageAccounts) SignIn(ctx context.Context, instance string, rcv *oauth.PageReceiver, pr *oauth.PageRedirect) (web.Said, error) {
	r, err := p.run(ctx, "login")
	if err != nil {
		return nil, err
	}
	o := loginOptions{page: rcv, prompter: pr}
	o.instance, o.user = loginTarget(instance)
	err = runLoginWith(ctx, r.a, o)
	var said web.Said
	for _, l := range pr.Lines() {
		said = append(said, cleanText(r.a.redact(l)))
	}
	return append(said, r.said()...), r.fail(ctx, err)
}

// SignOut signs out as `fedimarks logout ACCOUNT` does.
func (p pageAccounts) SignOut(ctx context.Context, account string) (web.Said, error) {
	r, err := p.run(ctx, "logout")
	if err != nil {
		return nil, err
	}
	acc, err := r.a.chooseAccount(ctx, accountQuery{name: account})
	if err == nil {
		err = runLogout(ctx, r.a, acc)
	}
	return r.said(), r.fail(ctx, err)
}

// ExportFormats are export's formats.
func (p pageAccounts) ExportFormats() []web.ExportFormat {
	var out []web.ExportFormat
	for _, f := range formats.All() {
		out = append(out, web.ExportFormat{Name: f.Name, Description: f.Description})
	}
	return out
}

// Export writes the file `fedimarks export ACCOUNT --offline --format
// FORMAT -o FILE` writes, FILE in dir.
func (p pageAccounts) Export(ctx context.Context, account, format, dir string) (path, name, mediaType string, err error) {
	r, err := p.run(ctx, "export")
	if err != nil {
		return "", "", "", err
	}
	f, ok := formats.Lookup(format)
	if !ok {
		return "", "", "", fmt.Errorf("unknown format %q", cleanText(format))
	}
	h, err := fedimarks.ParseHandle(account)
	if err != nil {
		return "", "", "", r.fail(ctx, err)
	}
	// bookmarks-alice-at-example.social.csv: letters, digits, dots and
	// dashes only, which every system takes in a file name.
	name = "bookmarks-" + strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '-'
	}, strings.ReplaceAll(string(h), "@", "-at-")) + f.Extension
	path = filepath.Join(dir, name)
	o := exportOptionsOf(r.a)
	o.account, o.format, o.output, o.offline, o.visibility = string(h), f.Name, path, true, "all"
	if err := runExport(ctx, o, &exportSummary{Format: f.Name}); err != nil {
		return "", "", "", r.fail(ctx, err)
	}
	mediaType = f.MediaType
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	return path, name, mediaType, nil
}

// Schedule shows the schedule as `fedimarks status` does and the sync
// pairs as `fedimarks sync --status` does.
func (p pageAccounts) Schedule(ctx context.Context) (web.ScheduleInfo, error) {
	var info web.ScheduleInfo
	for _, d := range schedule.Periods {
		info.Periods = append(info.Periods, schedule.Every(d))
	}
	r, err := p.run(ctx, "status")
	if err != nil {
		return info, err
	}
	st, err := r.a.scheduleState(ctx, r.a.archive)
	if err != nil {
		return info, r.fail(ctx, err)
	}
	info.Installed = st.Installed
	var b bytes.Buffer
	writeScheduleState(&b, st, "", r.a.now())
	info.Schedule = lines(b.String())
	pairs, err := r.a.archive.SyncPairs(ctx)
	if err != nil {
		return info, r.fail(ctx, err)
	}
	b.Reset()
	for _, pair := range pairs {
		ps, err := pairStatus(ctx, r.a.archive, pair)
		if err != nil {
			return info, r.fail(ctx, err)
		}
		printPairStatus(&b, ps, r.a.now())
	}
	info.Sync = lines(b.String())
	return info, nil
}

// lines splits text into clean lines, keeping their indentation.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l != "" {
			out = append(out, cleanText(l))
		}
	}
	return out
}

// InstallSchedule runs `fedimarks schedule install` with the form's
// options.
func (p pageAccounts) InstallSchedule(ctx context.Context, req web.ScheduleRequest) (web.Said, error) {
	r, err := p.run(ctx, "schedule")
	if err != nil {
		return nil, err
	}
	args := []string{"--every", req.Every}
	if req.At != "" {
		args = append(args, "--at", req.At)
	}
	switch {
	case req.From != "" && req.To != "":
		args = append(args, "--sync", req.From+" "+req.To)
	case req.From != "" || req.To != "":
		return nil, errors.New("choose both accounts to sync, or neither")
	}
	err = runScheduleInstall(ctx, r.a, args)
	return r.said(), r.fail(ctx, err)
}

// RemoveSchedule runs `fedimarks schedule remove`.
func (p pageAccounts) RemoveSchedule(ctx context.Context) (web.Said, error) {
	r, err := p.run(ctx, "schedule")
	if err != nil {
		return nil, err
	}
	err = runScheduleRemove(ctx, r.a)
	return r.said(), r.fail(ctx, err)
}
