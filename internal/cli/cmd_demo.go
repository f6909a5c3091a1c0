package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// demoExport is the file the demo's export step writes in the current
// folder, unless -o names another.
const demoExport = "fedimarks-demo-bookmarks.html"

// demoOptions are demo's: its flags, the environment its steps run in
// (the person's, but for where state lives), how a step runs (Main), and
// standard output.
type demoOptions struct {
	home   string
	serve  bool
	addr   string
	output string

	getenv     func(string) string
	httpClient *http.Client
	now        func() time.Time
	backoff    time.Duration
	// main runs one step, a real command: Main.
	main func(ctx context.Context, args []string, stdio IO) int
	out  io.Writer
}

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "try fedimarks on a sandbox of fake servers (no account, no internet)",
		usage: `Usage: fedimarks demo [--home DIR] [--serve [--addr 127.0.0.1:0]] [-o FILE]

Shows what fedimarks does without an account or a network: it starts three
small Mastodon-like servers inside this process, on 127.0.0.1 only, with an
account full of bookmarks (posts from several servers, media, a
followers-only post, a post deleted after the backup), and runs the real
commands against them, printing what each one prints:

  login    both accounts, through the real browser sign-in; a stand-in for
           the browser approves at once
  backup   the first account, with --media
  export   to an HTML page in the current folder (-o FILE to choose)
  migrate  the bookmarks to a second account on another server
  verify   what the second account still lacks

It ends by saying what happened to each bookmark and why, and how to look
at the archive it made.

Its state lives in a temporary folder that is removed at the end; it never
reads or writes your own archive, tokens or keyring.

  --home DIR   keep the sandbox's archive in DIR (new or empty), to look at
               it later with: fedimarks serve --home DIR
  --serve      after the run, serve the web page over the sandbox archive
               until Ctrl-C (like 'fedimarks serve')
  --addr A     where --serve listens (default 127.0.0.1:0, a free port)
  -o FILE      where the export step writes its HTML page (default
               ` + demoExport + ` in the current folder)

Exit codes: 0 done; 1 error (a step failed unexpectedly); 2 usage;
130 interrupted.
`,
		run: runDemoCommand,
	}
}

func runDemoCommand(ctx context.Context, a *app, args []string) error {
	var o demoOptions
	fs := newFlags(a.cmd)
	fs.StringVar(&o.home, "home", a.home, "keep the sandbox in `DIR`") // also given before "demo"
	fs.BoolVar(&o.serve, "serve", false, "serve the page on the sandbox archive until Ctrl-C")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "where --serve listens")
	fs.StringVar(&o.output, "o", demoExport, "the export step's `FILE`")
	fs.StringVar(&o.output, "output", demoExport, "the export step's `FILE`")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("demo takes no arguments besides its options (got %q)", pos[0])
	}
	o.getenv, o.httpClient, o.now, o.backoff, o.main, o.out = a.io.Getenv, a.io.HTTPClient, a.io.Now, a.io.Backoff, Main, a.stdout
	return runDemo(ctx, o)
}

// demo is one run of the sandbox: its servers, its home and what it made
// there, so that the summary can say why each row ended as it did.
type demo struct {
	o    demoOptions
	out  io.Writer
	home string

	old, dest, art *mastodontest.Instance
	from, to       string // handles of the two accounts
	// notes says, by post URI, what the sandbox did to a post that the
	// summary must explain (followers-only, deleted).
	notes   map[string]string
	deleted []*mastodontest.Status
	step    int
	missing int  // posts verify listed
	serving bool // the last step: Ctrl-C ends it well
}

// demoStep is one command the demo runs, the exit codes that are fine,
// and what to do after it with its standard output.
type demoStep struct {
	title string
	args  []string
	ok    []int
	after func(out string)
}

// runDemo runs the steps in a sandbox of fake servers, says what
// happened, and serves the result when asked.
func runDemo(ctx context.Context, o demoOptions) error {
	output, err := filepath.Abs(o.output)
	if err != nil {
		return err
	}
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if o.serve {
		if err := checkAddr(o.addr); err != nil {
			return err
		}
	}
	home, cleanup, err := demoHome(o.home, o.getenv("TMPDIR"))
	if err != nil {
		return err
	}
	defer cleanup()

	n, sandbox := mastodontest.NewSandbox()
	defer sandbox.Close()
	d := &demo{o: o, out: o.out, home: home, notes: map[string]string{}}
	d.populate(n)
	d.intro()
	for _, s := range d.steps(output) {
		out, err := d.run(ctx, s.title, s.ok, s.args...)
		if err != nil {
			return err
		}
		if s.after != nil {
			s.after(out)
		}
	}
	if err := d.summary(ctx, output, o); err != nil {
		return err
	}
	if !o.serve {
		return nil
	}
	// Ctrl-C is how serving ends: serve then exits with 0, and so does
	// the demo.
	d.serving = true
	_, err = d.run(ctx, "Serve the sandbox archive", []int{ExitOK}, "serve", "--addr", o.addr)
	return err
}

// intro says what runs where.
func (d *demo) intro() {
	fmt.Fprintf(d.out, `fedimarks demo: three fake servers are running on this machine (loopback only):
  %s  Mastodon 4.3, where %s keeps her bookmarks
  %s  GoToSocial, where she is moving to (%s)
  %s  Mastodon, home of carol and erin, whose posts she bookmarked
The sandbox's state lives in %s; your own archive and tokens are not touched.
`, d.old.URL(), d.from, d.dest.URL(), d.to, d.art.URL(), d.home)
}

// steps are the commands the demo runs, in order; the export writes
// output.
func (d *demo) steps(output string) []demoStep {
	return []demoStep{
		{title: "Sign in to the old account (the real OAuth flow; a stand-in for the browser approves at once)",
			args: []string{"login", d.old.URL()}, ok: []int{ExitOK}},
		{title: "Sign in to the new account the same way",
			args: []string{"login", d.dest.URL()}, ok: []int{ExitOK}},
		{title: "Make the old account the default: commands act for it when none is named",
			args: []string{"accounts", "use", d.from}, ok: []int{ExitOK}},
		{title: "Back up the old account's bookmarks, with their images and avatars",
			args: []string{"backup", d.from, "--media"}, ok: []int{ExitOK},
			after: func(string) {
				for _, st := range d.deleted {
					fmt.Fprintf(d.out, "\nMeanwhile %s deletes a post on %s; the archive keeps its copy.\n", st.Author().Handle(), st.Author().Instance().Host())
					st.Delete()
				}
			}},
		{title: "Export the archive to a web page you can open or share",
			args: []string{"export", d.from, "--format", "html", "-o", output}, ok: []int{ExitOK}},
		{title: "Move the bookmarks to the new account",
			args: []string{"migrate", "--from", d.from, "--to", d.to}, ok: []int{ExitOK, ExitPartial}},
		{title: "Check what the new account still lacks (the missing posts go to standard output)",
			args: []string{"verify", "--from", d.from, "--to", d.to}, ok: []int{ExitOK, ExitPartial},
			after: func(out string) { d.missing = len(strings.Fields(out)) }},
	}
}

// checkAddr is web.CheckAddr, asked before the demo runs its steps.
func checkAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError("--addr %q is not host:port (e.g. 127.0.0.1:8080)", addr)
	}
	if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return usageError("--addr %q: the page listens on loopback only (127.0.0.1:PORT)", addr)
	}
	return nil
}

// demoHome returns the sandbox's home: dir, which must be new or empty
// (so that a real archive is never mixed with the sandbox's), or a new
// temporary folder in tmpBase ("": the system's) that cleanup removes.
func demoHome(dir, tmpBase string) (home string, cleanup func(), err error) {
	if dir == "" {
		tmp, err := os.MkdirTemp(tmpBase, "fedimarks-demo-")
		if err != nil {
			return "", nil, fmt.Errorf("make the sandbox folder: %w", err)
		}
		return tmp, func() { os.RemoveAll(tmp) }, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	ents, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", nil, fmt.Errorf("make %s: %w", abs, err)
		}
	case err != nil:
		return "", nil, &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("--home %s: %v", dir, errors.Unwrap(err))}
	case len(ents) > 0:
		return "", nil, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("--home %s is not empty: the demo keeps its sandbox only in a new or empty folder, never beside a real archive", dir),
			Hint:    "pick a new folder, e.g. fedimarks demo --home fedimarks-demo"}
	}
	return abs, func() {}, nil
}

// populate makes the sandbox's servers, accounts and bookmarks.
func (d *demo) populate(n *mastodontest.Network) {
	d.old = n.NewInstance(mastodontest.InstanceOptions{Title: "Old Town Social"})
	d.dest = n.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial, Title: "New Harbour"})
	d.art = n.NewInstance(mastodontest.InstanceOptions{Title: "Art Space"})

	alice := d.old.AddAccount("alice")
	bob := d.old.AddAccount("bob")
	aliceNew := d.dest.AddAccount("alice")
	dana := d.dest.AddAccount("dana")
	carol := d.art.AddAccount("carol")
	erin := d.art.AddAccount("erin")
	d.old.SetAuthorizingUser(alice)
	d.dest.SetAuthorizingUser(aliceNew)
	d.from, d.to = alice.Handle(), aliceNew.Handle()

	// alice@old follows carol and so sees her followers-only posts;
	// alice@new does not follow anyone yet.
	alice.Follow(carol)

	day := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(k int) time.Time { return day.Add(time.Duration(k) * 7 * time.Hour) }
	img := func(desc string) []mastodontest.MediaOptions {
		return []mastodontest.MediaOptions{{Description: desc, Size: 2048}}
	}
	posts := []struct {
		by   *mastodontest.Account
		opts mastodontest.PostOptions
		note string
	}{
		{by: bob, opts: mastodontest.PostOptions{Text: "<p>Welcome to Old Town! Say hi in <a href=\"#\">#introductions</a>.</p>", Tags: []string{"introductions"}, Language: "en"}},
		{by: carol, opts: mastodontest.PostOptions{Text: "<p>Watercolour of the harbour at dawn.</p>", Media: img("A harbour at dawn in watercolour"), Tags: []string{"art"}, Language: "en"}},
		{by: dana, opts: mastodontest.PostOptions{Text: "<p>How we run our small server: costs, moderation, backups.</p>", Language: "en"}},
		{by: carol, opts: mastodontest.PostOptions{Text: "<p>Sketchbook pages, for my followers only.</p>", Visibility: "private", Media: img("Pencil sketches")},
			note: "followers-only"},
		{by: erin, opts: mastodontest.PostOptions{Text: "<p>Draft thoughts on federation, to be rewritten.</p>"}, note: "deleted"},
		{by: bob, opts: mastodontest.PostOptions{Text: "<p>Recipe: lemon bread, step by step.</p>", Visibility: "unlisted", Media: img("A loaf of lemon bread")}},
		{by: dana, opts: mastodontest.PostOptions{Text: "<p>Moving servers? Take your bookmarks with you.</p>"}, note: "already"},
		{by: carol, opts: mastodontest.PostOptions{Text: "<p>Colour palettes I keep coming back to <a href=\"#\">#art</a></p>", Tags: []string{"art"}, Media: img("Five colour swatches")}},
		{by: erin, opts: mastodontest.PostOptions{Text: "<p>Trail map of the northern ridge, with water points.</p>", Language: "en"}},
		{by: bob, opts: mastodontest.PostOptions{Text: "<p>Reminder: the town meetup is on Saturday.</p>"}},
	}
	for k, p := range posts {
		p.opts.CreatedAt = at(k)
		st := p.by.Post(p.opts)
		alice.Bookmark(st)
		switch p.note {
		case "followers-only":
			d.notes[st.URI()] = "a followers-only post by " + p.by.Handle() + ", whom the old account follows and the new one does not"
		case "deleted":
			d.notes[st.URI()] = "deleted by " + p.by.Handle() + " after the backup; the archive and the export keep its copy"
			d.deleted = append(d.deleted, st)
		case "already":
			aliceNew.Bookmark(st)
			d.notes[st.URI()] = "bookmarked on the new account already"
		}
	}
}

// getenv is the environment of the commands the demo runs: the process's
// own, except that state lives in the sandbox and tokens go to files
// there, never to the keyring.
func (d *demo) getenv(k string) string {
	switch k {
	case "FEDIMARKS_HOME":
		return d.home
	case "FEDIMARKS_KEYRING":
		return "off"
	}
	return d.o.getenv(k)
}

// approve is the browser stand-in: it opens the sandbox's authorization
// page, where the account is signed in and approves at once, and follows
// the redirect back to the login's loopback listener. It opens nothing
// outside the sandbox.
func (d *demo) approve(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || !slices.Contains([]string{d.old.Host(), d.dest.Host(), d.art.Host()}, p.Host) {
		return fmt.Errorf("the demo's browser opens only the sandbox's pages, not %s", u)
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get(u)
	if err != nil {
		return fmt.Errorf("browser stand-in: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return nil
}

// run runs one real command in the sandbox, its output indented under the
// command line, and fails unless it exits with one of ok. It returns what
// the command wrote to standard output.
func (d *demo) run(ctx context.Context, title string, ok []int, args ...string) (string, error) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n$ fedimarks %s\n", d.step, title, strings.Join(args, " "))
	w := &indentWriter{w: d.out, prefix: "    "}
	var stdout bytes.Buffer
	no := false
	code := d.o.main(ctx, args, IO{
		Stdin:            strings.NewReader(""),
		Stdout:           io.MultiWriter(w, &stdout),
		Stderr:           w,
		Getenv:           d.getenv,
		HTTPClient:       d.o.httpClient,
		OpenBrowser:      d.approve,
		Now:              d.o.now,
		Backoff:          d.o.backoff,
		StdinIsTerminal:  &no,
		StdoutIsTerminal: &no,
		StderrIsTerminal: &no,
	})
	w.Flush()
	fmt.Fprintf(d.out, "(exit %d)\n", code)
	if ctx.Err() != nil && !d.serving {
		return "", ctx.Err()
	}
	if !slices.Contains(ok, code) {
		return "", fmt.Errorf("demo step %d (fedimarks %s) exited with %d: see its output above", d.step, args[0], code)
	}
	return stdout.String(), nil
}

// summary says in plain words what happened to each bookmark, from the
// migration's journal in the sandbox archive, and how to look further.
func (d *demo) summary(ctx context.Context, output string, o demoOptions) error {
	ar, err := sqlite.Open(ctx, filepath.Join(d.home, "archive.db"))
	if err != nil {
		return err
	}
	defer ar.Close()
	counts, err := ar.Counts(ctx, fedimarks.Handle(d.from))
	if err != nil {
		return err
	}
	items, err := d.migrationItems(ctx, ar)
	if err != nil {
		return err
	}
	media, err := ar.MediaCounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nWhat happened\n")
	fmt.Fprintf(d.out, "- The backup archived %s of %s, and %s (images and avatars).\n",
		fedimarks.Plural(counts.Active, "bookmark"), d.from, fedimarks.Plural(media.Done, "media file"))
	fmt.Fprintf(d.out, "- The export wrote %s (open it in a browser).\n", output)
	d.sayRows(items)
	fmt.Fprintf(d.out, "- verify found %s missing on %s and listed them in Mastodon's format, ready for 'fedimarks import' or the server's own importer.\n",
		fedimarks.Plural(d.missing, "post"), d.to)
	d.lookFurther(output, o)
	return nil
}

// migrationItems are the rows of the migration's job.
func (d *demo) migrationItems(ctx context.Context, ar *sqlite.Archive) ([]fedimarks.JobItem, error) {
	job, err := ar.FindJob(ctx, "migrate "+d.from+" "+d.to)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("the migration left no job in the sandbox archive")
	}
	return ar.JobItems(ctx, job.ID)
}

// sayRows says how the migration's rows ended, and why for each that
// was not simply imported or that the sandbox made special.
func (d *demo) sayRows(items []fedimarks.JobItem) {
	byOutcome := map[fedimarks.Outcome]int{}
	for _, it := range items {
		byOutcome[it.Outcome]++
	}
	var parts []string
	for _, oc := range fedimarks.Outcomes {
		if c := byOutcome[oc]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, oc))
		}
	}
	fmt.Fprintf(d.out, "- The migration to %s ended %s: %s.\n", d.to, fedimarks.Plural(len(items), "row"), strings.Join(parts, ", "))
	for _, it := range items {
		note := d.notes[it.URI]
		if it.Outcome == fedimarks.Imported && note == "" {
			continue
		}
		why := it.Detail
		if why == "" {
			why = outcomeMeaning(it.Outcome)
		}
		fmt.Fprintf(d.out, "  - %s: %s\n      why, as the report says: %s\n", it.Outcome, it.URI, why)
		if note != "" {
			fmt.Fprintf(d.out, "      what the sandbox did: %s\n", note)
		}
	}
}

// lookFurther says how to look at the result.
func (d *demo) lookFurther(output string, o demoOptions) {
	fmt.Fprintln(d.out, "\nLook at the result")
	switch {
	case o.serve:
		fmt.Fprintln(d.out, "  The page on the sandbox archive follows; Ctrl-C stops it.")
	case o.home != "":
		fmt.Fprintf(d.out, "  fedimarks serve --home %s\n", shellWord(d.home))
	default:
		fmt.Fprintf(d.out, "  open %s, or run 'fedimarks demo --serve' for the web page on the sandbox archive\n", output)
		fmt.Fprintln(d.out, "  (or 'fedimarks demo --home DIR' to keep it). The sandbox folder is removed now.")
	}
	fmt.Fprintln(d.out, "\nFor your own account: fedimarks login YOUR.SERVER (e.g. fedimarks login mastodon.social)")
}

// outcomeMeaning says what an outcome means for the person and what to
// do about it ("" for a plain success).
func outcomeMeaning(o fedimarks.Outcome) string {
	switch o {
	case fedimarks.Already:
		return "it was there before, nothing to do"
	case fedimarks.Duplicate:
		return "it was listed twice; bookmarked once"
	case fedimarks.NotFound:
		return "its server says it no longer exists; the archive and the export keep its copy"
	case fedimarks.NotVisible:
		return "the new account may not see it until it follows the author; follow, then rerun the migrate command with --retry-failed"
	case fedimarks.Unreachable:
		return "its server did not answer; running the same command again retries it"
	case fedimarks.Invalid:
		return "not a post address"
	case fedimarks.Failed:
		return "the server refused it; the report has its message"
	}
	return ""
}

// indentWriter prefixes every line written through it.
type indentWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (w *indentWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadBytes('\n')
		if err != nil { // no newline yet: keep the start of the line
			rest := slices.Clone(line)
			w.buf.Reset()
			w.buf.Write(rest)
			return len(p), nil
		}
		if _, err := fmt.Fprintf(w.w, "%s%s", w.prefix, line); err != nil {
			return len(p), err
		}
	}
}

// Flush writes a last line that had no newline.
func (w *indentWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		fmt.Fprintf(w.w, "%s%s\n", w.prefix, w.buf.Bytes())
		w.buf.Reset()
	}
}
