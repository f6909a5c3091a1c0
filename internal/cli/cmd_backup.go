package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type backupOptions struct {
	account string
	full    bool
	// fullEvery makes the backup full when the last full walk is older:
	// 0 is defaultFullEvery, a negative value never.
	fullEvery time.Duration
	// refresh is export's backup: fewer retries, since the archive can
	// serve when the server cannot.
	refresh bool
	// media also downloads attachments and avatars, each file up to
	// mediaMax bytes (0: the engine's default).
	media    bool
	mediaMax int64
	// context keeps each new bookmark's thread: "self" or "all" ("": the
	// account's setting, see backupContext).
	context string
	// noContext (--no-context) keeps no thread this time, whatever the
	// setting; remember (--remember) makes --context or --no-context the
	// account's setting.
	noContext, remember bool
	// foldersEvery, when positive, reads the bookmark folders (Pleroma)
	// only when the last reading is older (sync's checks); 0 reads them
	// every backup.
	foldersEvery time.Duration

	backupDeps
}

// backupDeps are what a backup uses besides its flags, filled from the
// app by app.backupDeps: the commands that back up first (export, sync,
// migrate, the page's jobs) give only the flags, through app.backup.
type backupDeps struct {
	choose       chooseFunc
	archive      archiveFunc
	token        tokenFunc
	paths        pathsFunc // where media files go
	now          func() time.Time
	settings     settingsFunc // each account's thread setting
	saveSettings func(settings) error
	progress     progressFunc
	// mastodonClient and misskeyClient make the clients of a server;
	// retries, when not 0, is the Mastodon client's (export's refresh).
	mastodonClient func(server, token string, shown waitShower, retries int) *mastodon.Client
	misskeyClient  func(server, token string, shown waitShower) *misskey.Client
	// record runs the backup of one account and records how it ended
	// (app.recordBackup).
	record func(ctx context.Context, h fedimarks.Handle, run func() error) error
	// apiError words a server's refusal for a person (app.apiError).
	apiError func(h fedimarks.Handle, server string, err error, scope string) error
	// command is the command that backs up, for hints: only backup's
	// own --quiet speaks when the archive changed.
	command string
	errOut  io.Writer
	// speak shows what --quiet held back; sayError shows an error line
	// even under --quiet; redact blanks the run's secrets.
	speak    func()
	sayError func(string)
	redact   redactFunc
}

// backupDeps are backupOptions' dependencies, from a.
func (a *app) backupDeps() backupDeps {
	return backupDeps{choose: a.chooseAccount, archive: a.openArchive, token: a.token, paths: a.paths, now: a.now,
		settings: a.loadSettings, saveSettings: a.saveSettings, progress: a.progress,
		mastodonClient: func(server, token string, shown waitShower, retries int) *mastodon.Client {
			copts := a.clientOptions(server, token, shown)
			if retries != 0 {
				copts.MaxRetries = retries
			}
			return a.track(mastodon.New(copts))
		},
		misskeyClient: a.newMisskeyClient, record: a.recordBackup, apiError: a.apiError, command: a.cmd.name,
		errOut: a.stderr, speak: a.speak, sayError: a.sayError, redact: a.redact}
}

// backup backs up the account o names, o's dependencies from a: for the
// commands that back up first.
func (a *app) backup(ctx context.Context, o backupOptions) (backupResult, error) {
	o.backupDeps = a.backupDeps()
	return runBackup(ctx, o)
}

func backupCommand() command {
	return command{
		name:    "backup",
		summary: "archive an account's bookmarks locally",
		usage: `Usage: fedimarks backup [ACCOUNT | --all] [--full] [--full-every DURATION]
                        [--media [--media-max-size SIZE]] [--context [all] | --no-context]
                        [--remember] [--json]

Copies the bookmarks of ACCOUNT (user@host, or any part of it that names one
saved account; default: the default account, see 'fedimarks accounts') into
the local archive: each post as the server returned it, and when it was
first and last seen bookmarked. --all backs up every signed-in account, one
after another: one failing does not stop the others, a last line sums them
up, and the exit code is the worst of them (130, 4, 1, 2, then 3).

By default only what is new since the last backup is fetched: an unchanged
account costs one request, so it is safe to run from cron. --full walks all
bookmarks and records the ones that disappeared (kept as history).
Bookmarks can also appear below the newest ones (snac shows a bookmark once
you follow its author; a server may fill some in later), where an
incremental backup does not look: so when the last full walk is older than
--full-every (default 7d; e.g. 12h, 2w; 0 never), the backup walks
everything and says so.
An interrupted backup leaves the archive consistent; the next run finishes it.

--media also downloads each archived post's attachments (original and
preview) and the authors' avatars into the media directory next to the
archive, each file once, named by its content. Only http(s) addresses are
fetched, each file up to --media-max-size (default 100MiB; e.g. 50MB, 2GiB).
Files that are gone (404), too large or not at an http(s) address are
recorded and not tried again; other failures are retried by the next run
with --media.

--context also keeps, for each new bookmark, its thread as the server shows
it (one more request per bookmark, paced within the server's rate limit):
the posts it replies to and its author's own replies below it; --context all
keeps everyone's replies. Each thread post is stored once. A bookmark whose
thread could not be fetched is fetched by the next backup --context.
--remember makes it the account's setting: every later backup of it (by
hand, scheduled, sync, migrate's) keeps threads as if --context were given;
--no-context skips them once, and --no-context --remember ends the setting.
'fedimarks status' and 'fedimarks accounts' show it.

Bookmark folders (Pleroma) are read every backup: the folder list and each
folder's bookmarks (a request a page of 40, plus an empty last page), so a
bookmark moved, taken out of its folder or in a renamed folder is seen
even by an incremental backup (sync's checks read them once an hour).
Each bookmark's folder is kept (name and emoji) and as a local tag
folder:NAME.

--json prints one object on standard output when done:
  {"command":"backup","accounts":[{"account":"alice@example.social",
   "new":3,"unchanged":120,"removed":0,"archived":123,"full":false,
   "resumed":false,"requests":1,"media":null,"exit_code":0,"error":null}],
   "requests":1,"files":[],"duration_seconds":0.4,"exit_code":0,"error":null}
"media" is null without --media, else {"downloaded","bytes","missing",
"too_large","invalid","failed"}; a Pleroma account with folders has
"folders": {"folders","in_folders","filed","renamed","unfiled","complete"};
an account that failed has its exit code and error message.

  fedimarks backup alice@mastodon.social
  fedimarks backup --all --quiet
  fedimarks backup --full
  fedimarks backup --full-every 30d
  fedimarks backup --media --media-max-size 20MB

` + exitCodesHelp + "\n",
		run: runBackupCommand,
	}
}

func runBackupCommand(ctx context.Context, a *app, args []string) error {
	var o backupOptions
	fs := newFlags(a.cmd)
	fs.BoolVar(&o.full, "full", false, "walk every bookmark and record removals")
	fullEveryFlag(fs, &o.fullEvery)
	fs.BoolVar(&o.media, "media", false, "also download attachments and avatars")
	fs.Var(contextFlag{&o.context}, "context", "also keep each new bookmark's thread (--context all: every reply)")
	fs.BoolVar(&o.noContext, "no-context", false, "keep no thread this time, whatever the setting")
	fs.BoolVar(&o.remember, "remember", false, "make --context (or --no-context) what every backup of the account does")
	maxSize := fs.String("media-max-size", "", "largest media file to download (default 100MiB)")
	all := fs.Bool("all", false, "back up every signed-in account")
	asJSON := fs.Bool("json", false, "print a summary object on standard output")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := o.takeArgs(pos, *maxSize, *all); err != nil {
		return err
	}
	o.backupDeps = a.backupDeps()
	sum := &backupSummary{Accounts: []backupResult{}}
	if *all {
		err = runBackupAll(ctx, o, sum)
	} else {
		var res backupResult
		res, err = runBackup(ctx, o)
		if res.Account != "" {
			res.Error, res.ExitCode = errText(ctx, o.redact, err)
			sum.Accounts = append(sum.Accounts, res)
		}
	}
	if !*asJSON {
		return err
	}
	return a.emitSummary(ctx, a.stdout, sum, err)
}

// takeArgs checks backup's options together and takes its positional
// arguments (ACCOUNT, or the "all" of --context all) and
// --media-max-size into o.
func (o *backupOptions) takeArgs(pos []string, maxSize string, all bool) error {
	if maxSize != "" {
		if !o.media {
			return usageError("--media-max-size needs --media")
		}
		n, err := parseSize(maxSize)
		if err != nil {
			return usageError("--media-max-size: %v", err)
		}
		o.mediaMax = n
	}
	if i := slices.Index(pos, "all"); o.context != "" && i >= 0 { // --context all (no account is "all")
		o.context, pos = "all", slices.Delete(pos, i, i+1)
	}
	if err := checkContextFlags(*o); err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("backup takes at most one ACCOUNT")
	}
	if len(pos) == 1 {
		if all {
			return usageError("backup takes an ACCOUNT or --all, not both")
		}
		o.account = pos[0]
	}
	return nil
}

// backupSummary is backup's --json summary.
type backupSummary struct {
	summary
	Accounts []backupResult `json:"accounts"`
}

// backupResult is what the backup of one account did: its --json
// summary too.
type backupResult struct {
	acc       fedimarks.Account
	Account   fedimarks.Handle `json:"account"`
	New       int              `json:"new"`
	Unchanged int              `json:"unchanged"`
	Removed   int              `json:"removed"`
	Archived  int              `json:"archived"`
	Full      bool             `json:"full"`
	Resumed   bool             `json:"resumed"`
	Requests  int64            `json:"requests"`
	Media     *mediaResult     `json:"media"`
	Threads   *threadResult    `json:"threads,omitempty"`
	Folders   *folderResult    `json:"folders,omitempty"`
	ExitCode  int              `json:"exit_code"`
	Error     *string          `json:"error"`
}

// changed reports whether the backup changed the archive.
func (r backupResult) changed() bool {
	return r.New+r.Removed > 0 || (r.Media != nil && r.Media.Downloaded > 0)
}

// mediaResult is what a media download did.
type mediaResult struct {
	Downloaded int   `json:"downloaded"`
	Bytes      int64 `json:"bytes"`
	Missing    int   `json:"missing"`
	TooLarge   int   `json:"too_large"`
	Invalid    int   `json:"invalid"`
	Failed     int   `json:"failed"`
}

// runBackupAll backs up every signed-in account in turn. A failure is
// told at once and the next account goes on; the last line sums up, and
// the error returned carries the worst exit code.
func runBackupAll(ctx context.Context, o backupOptions, sum *backupSummary) error {
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accs) == 0 {
		return factError("no saved account: log in first with: fedimarks login INSTANCE")
	}
	var failed []string
	worst, fresh, removed := ExitOK, 0, 0
	var worstErr error
	for _, acc := range accs {
		o.account = string(acc.Handle)
		res, err := runBackup(ctx, o)
		res.Account = acc.Handle
		res.Error, res.ExitCode = errText(ctx, o.redact, err)
		sum.Accounts = append(sum.Accounts, res)
		if err != nil {
			failed = append(failed, string(acc.Handle))
			if severity(res.ExitCode) > severity(worst) {
				worst, worstErr = res.ExitCode, err
			}
			if res.ExitCode == ExitInterrupted {
				return err
			}
			o.sayError(*res.Error)
			continue
		}
		fresh += res.New
		removed += res.Removed
	}
	done := fmt.Sprintf("backed up %s", fedimarks.Plural(int64(len(accs)), "account"))
	if len(failed) > 0 {
		done = fmt.Sprintf("backed up %d of %s", len(accs)-len(failed), fedimarks.Plural(int64(len(accs)), "account"))
	}
	done += ": " + fedimarks.Plural(int64(fresh), "new bookmark")
	if removed > 0 {
		done += ", " + fedimarks.Count(int64(removed)) + " removed"
	}
	if len(failed) > 0 {
		return &exitError{code: worst, msg: done + "; failed: " + strings.Join(failed, ", "), err: worstErr}
	}
	fmt.Fprintln(o.errOut, done)
	if fresh+removed > 0 {
		o.speak()
	}
	return nil
}

// noteSkipped tells the person of each element of a page the server sent
// unreadable (a bookmark, a favorite), with the start of its JSON.
func noteSkipped(prog *ui.Progress, speak func(), what string, skipped []fedimarks.Skipped) {
	for _, sk := range skipped {
		prog.Note("skipped a %s the server sent unreadable (%v): %.200s", what, sk.Err, sk.Raw)
		speak()
	}
}

// severity orders exit codes from the least to the most in need of the
// person: --all exits with the worst.
func severity(code int) int {
	return slices.Index([]int{ExitOK, ExitPartial, ExitUsage, ExitError, ExitAuth, ExitInterrupted}, code)
}

// bookmarkSource adapts the client to the backup engine, and tells the
// user of any bookmark the server sent in a shape that cannot be kept.
type bookmarkSource struct {
	c     *mastodon.Client
	prog  *ui.Progress
	speak func()
}

func (s bookmarkSource) Page(ctx context.Context, url string) (backup.Page, error) {
	p, err := s.c.BookmarksPage(ctx, url)
	noteSkipped(s.prog, s.speak, "bookmark", p.Skipped)
	return backup.Page{Statuses: p.Statuses, Next: p.Next, URL: p.URL, Skipped: len(p.Skipped), BadNext: p.NextRefused}, err
}

// defaultFullEvery is how old the last full walk of a backup may be.
const defaultFullEvery = 7 * 24 * time.Hour

// fullEveryFlag adds --full-every to fs: "0" stores a negative value
// (never), as backupOptions.fullEvery wants.
func fullEveryFlag(fs *flag.FlagSet, d *time.Duration) {
	fs.Func("full-every", "walk everything when the last full walk is older (default 7d; 0 never)", func(s string) error {
		v, err := parseAge(s)
		if err != nil {
			return err
		}
		if v == 0 {
			v = -1
		}
		*d = v
		return nil
	})
}

// parseAge reads a duration for a person: Go's (90m, 12h) plus days and
// weeks (7d, 2w, 1d12h); "0" is zero.
func parseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration such as 7d, 12h or 2w (0 for never)", s)
	t := strings.TrimSpace(s)
	if t == "0" {
		return 0, nil
	}
	var d time.Duration
	for t != "" {
		i := strings.IndexFunc(t, func(r rune) bool { return r == 'd' || r == 'w' })
		if i < 0 {
			break
		}
		n, err := strconv.ParseUint(t[:i], 10, 16)
		if err != nil {
			return 0, bad
		}
		unit := 24 * time.Hour
		if t[i] == 'w' {
			unit *= 7
		}
		d += time.Duration(n) * unit
		t = t[i+1:]
	}
	if t != "" {
		rest, err := time.ParseDuration(t)
		if err != nil {
			return 0, bad
		}
		d += rest
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// runBackup backs up the account o names and says what it did in a line
// on stderr; the result names the account whenever one was chosen.
func runBackup(ctx context.Context, o backupOptions) (backupResult, error) {
	acc, err := o.choose(ctx, accountQuery{name: o.account})
	if err != nil {
		return backupResult{}, err
	}
	if o, err = o.withContext(acc.Handle); err != nil {
		return backupResult{Account: acc.Handle}, err
	}
	var out backupResult
	err = o.record(ctx, acc.Handle, func() (err error) {
		out, err = backupChosen(ctx, o, acc)
		return err
	})
	return out, err
}

// backupChosen is runBackup once the account is chosen: the walk of its
// bookmarks, then what it keeps beside them (folders, threads, media).
func backupChosen(ctx context.Context, o backupOptions, acc fedimarks.Account) (backupResult, error) {
	out := backupResult{acc: acc, Account: acc.Handle}
	ar, err := o.archive(ctx)
	if err != nil {
		return out, err
	}
	tok, err := o.token(ctx, acc.Handle)
	if err != nil {
		return out, err
	}
	// One backup of an account at a time (cron and an export may meet):
	// a second walk would take the first one's run for an interrupted one.
	lk, err := ar.LockBackup(ctx, acc.Handle)
	if err != nil {
		return out, err
	}
	defer lk.Release(ctx)
	src, err := o.walk(ctx, ar, acc, tok, &out)
	if err != nil {
		return out, err
	}
	if err := o.besides(ctx, ar, acc, src, &out); err != nil {
		return out, err
	}
	if o.command == "backup" && out.changed() {
		o.speak() // --quiet: a backup that changed the archive says so
	}
	return out, nil
}

// accountSource is what a backup reads an account's bookmarks with: the
// server's client as the engine's source, its requests so far, and the
// scope the bookmarks need.
type accountSource struct {
	backup.Source
	c        *mastodon.Client // nil for a Misskey-family account
	requests func() int64
	needs    string
}

// source makes the source of acc's bookmarks: Mastodon's bookmarks or
// Misskey's favorites.
func (o backupOptions) source(acc fedimarks.Account, tok string, prog *ui.Progress) (accountSource, error) {
	if acc.Family() == fedimarks.FamilyMisskey {
		mc := o.misskeyClient(acc.Server, tok, prog)
		return accountSource{Source: favoriteSource{mc, prog, o.speak}, requests: mc.Requests, needs: "read:favorites"}, nil
	}
	retries := 0
	if o.refresh {
		retries = refreshRetries
	}
	c := o.mastodonClient(acc.Server, tok, prog, retries)
	return accountSource{Source: bookmarkSource{c, prog, o.speak}, c: c, requests: c.Requests, needs: "read:bookmarks"}, nil
}

// walk walks acc's bookmarks into the archive (what is new, or all) and
// says what changed in a line.
func (o backupOptions) walk(ctx context.Context, ar *sqlite.Archive, acc fedimarks.Account, tok string, out *backupResult) (accountSource, error) {
	// The total is unknown until the walk ends: the bar shows the count
	// and the rate.
	prog := o.progress("backup "+string(acc.Handle), 0, "bookmarks")
	src, err := o.source(acc, tok, prog)
	if err != nil {
		prog.Abort()
		return src, err
	}
	if o.context != "" {
		if err := ar.EnableContext(ctx, acc.Handle, o.now()); err != nil {
			return src, err
		}
	}
	every := o.fullEvery
	if every == 0 {
		every = defaultFullEvery
	}
	res, err := backup.Run(ctx, acc.Handle, src, ar,
		backup.Options{Full: o.full, FullEvery: max(every, 0), Now: o.now, Progress: prog, API: acc.Family()})
	out.Requests = src.requests()
	if err != nil {
		prog.Abort()
		return src, o.walkError(acc, err, src.needs)
	}
	prog.Finish()
	after, err := ar.Counts(ctx, acc.Handle)
	if err != nil {
		return src, err
	}
	out.New, out.Removed, out.Archived = res.New+res.Restored, res.Removed, after.Active
	out.Unchanged, out.Full, out.Resumed = after.Active-out.New, res.Full, res.Resumed
	resumed := ""
	if res.Resumed {
		resumed = ", finished an interrupted backup"
	}
	fmt.Fprintf(o.errOut, "%s: %s new, %s unchanged, %s removed, %s; %s archived%s\n",
		acc.Handle, fedimarks.Count(int64(out.New)), fedimarks.Count(int64(out.Unchanged)), fedimarks.Count(int64(res.Removed)),
		fedimarks.Plural(src.requests(), "request"), fedimarks.Plural(int64(after.Active), "bookmark"), resumed)
	return src, nil
}

// walkError words why the walk of acc's bookmarks stopped: a redirect
// to another server is not followed; a server's refusal is said as such.
func (o backupOptions) walkError(acc fedimarks.Account, err error, needs string) error {
	var redirect *mastodon.RedirectError
	if errors.As(err, &redirect) {
		return withHint(&fedimarks.Error{Err: err,
			Message: fmt.Sprintf("%s redirected %s %s to %s, another server: not followed (its answer would not be %s's)",
				fedimarks.HostOf(acc.Server), redirect.Method, redirect.Path, redirect.To, acc.Handle)},
			situation{cmd: o.command})
	}
	return o.apiError(acc.Handle, acc.Server, err, needs)
}

// besides keeps what the backup keeps beside acc's bookmarks: the
// bookmark folders (Pleroma, when due), the threads (--context) and the
// media files (--media).
func (o backupOptions) besides(ctx context.Context, ar *sqlite.Archive, acc fedimarks.Account, src accountSource, out *backupResult) error {
	if bs, ok := src.Source.(bookmarkSource); ok && hasFolders(acc) && foldersDue(ctx, ar, acc.Handle, o.foldersEvery, o.now()) {
		if err := o.readFolders(ctx, ar, acc, bs, out); err != nil {
			return err
		}
	}
	if o.context != "" {
		if err := o.fetchThreads(ctx, ar, acc, src.c, o.context == "all", out); err != nil {
			return err
		}
	}
	if o.media {
		m, err := o.downloadMedia(ctx, ar, acc)
		out.Media = m
		if err != nil {
			return err
		}
	}
	return nil
}

// downloadMedia downloads the media files of acc's archived bookmarks
// (and any file left pending by an earlier run) and prints a summary line.
func (o backupOptions) downloadMedia(ctx context.Context, ar *sqlite.Archive, acc fedimarks.Account) (*mediaResult, error) {
	p, err := o.paths()
	if err != nil {
		return nil, err
	}
	prog := o.progress("media "+string(acc.Handle), 0, "bytes")
	// No token: media lives on CDNs and other servers.
	dl := mediaDownloader{o.mastodonClient(acc.Server, "", prog, 0)}
	res, err := backup.DownloadMedia(ctx, acc.Handle, dl, ar, backup.MediaOptions{
		Dir: p.Media, MaxBytes: o.mediaMax, Progress: prog, Now: o.now,
	})
	prog.Finish()
	if err != nil {
		return nil, fmt.Errorf("download media: %w", err)
	}
	invalid := ""
	if res.Invalid > 0 {
		invalid = fmt.Sprintf(", %s not http(s) (never fetched)", fedimarks.Count(int64(res.Invalid)))
	}
	fmt.Fprintf(o.errOut, "media: %s files (%s) downloaded, %s missing, %s too large%s, %s failed\n",
		fedimarks.Count(int64(res.Downloaded)), ui.Bytes(res.Bytes), fedimarks.Count(int64(res.Missing)),
		fedimarks.Count(int64(res.TooLarge)), invalid, fedimarks.Count(int64(res.Failed)))
	if res.Failed > 0 {
		fmt.Fprintf(o.errOut, "some media files failed; retry them with: fedimarks backup %s --media\n", acc.Handle)
		o.speak()
	}
	return &mediaResult{Downloaded: res.Downloaded, Bytes: res.Bytes, Missing: res.Missing, TooLarge: res.TooLarge,
		Invalid: res.Invalid, Failed: res.Failed}, nil
}

// mediaDownloader is the client as the media engine wants it: too large
// files are backup.ErrTooLarge.
type mediaDownloader struct{ c *mastodon.Client }

func (d mediaDownloader) Download(ctx context.Context, rawURL string, w io.Writer, maxBytes int64) (string, int64, error) {
	ct, n, err := d.c.Download(ctx, rawURL, w, maxBytes)
	if errors.Is(err, mastodon.ErrTooLarge) {
		err = fmt.Errorf("%w: %w", backup.ErrTooLarge, err)
	}
	return ct, n, err
}

// parseSize reads a size such as 50MB, 1.5GiB, 300k or 1048576 (bytes).
// Decimal (kB, MB, GB) and binary (KiB, MiB, GiB) units are both taken;
// a bare K, M or G is binary.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	num := strings.TrimRightFunc(t, func(r rune) bool { return r >= 'a' && r <= 'z' || r == ' ' })
	unit := strings.TrimSpace(t[len(num):])
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	}[unit]
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || mult == 0 || v <= 0 || v*mult > 1<<50 {
		return 0, fmt.Errorf("%q is not a size such as 50MB or 2GiB", s)
	}
	return int64(v * mult), nil
}
