package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// serveOptions are serve's: where to listen, whether to open the page,
// and what it serves.
type serveOptions struct {
	addr string
	open bool
	// anyPort listens on another free port when addr's is taken (a
	// double-clicked program: nobody chose the port).
	anyPort bool

	archive archiveFunc
	paths   pathsFunc // where media files are
	// services are the page's accounts and jobs: they run commands in
	// the serve run (see pageServices).
	services func(context.Context, *sqlite.Archive) (web.AccountService, pageJobs, error)
	// browser finds how to open a URL in the person's browser (nil:
	// there is none).
	browser func() func(string) error
	errOut  io.Writer
}

// pageJobs are the jobs the page starts: runServe waits for them to
// record how they ended before the archive closes.
type pageJobs interface {
	web.Jobs
	Wait()
}

// serveOptionsOf are serve's options with their dependencies from a: the
// page's accounts and jobs run commands in a.
func serveOptionsOf(a *app) serveOptions {
	return serveOptions{archive: a.openArchive, paths: a.paths, browser: a.browserOpener, errOut: a.stderr,
		services: func(ctx context.Context, ar *sqlite.Archive) (web.AccountService, pageJobs, error) {
			jobs, err := newJobService(ctx, a, ar)
			return pageAccounts{serve: a}, jobs, err
		}}
}

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "browse and search the archive in a local web page",
		usage: `Usage: fedimarks serve [--addr 127.0.0.1:8080] [--open]

Serves a web page over the local archive until Ctrl-C: each account's
bookmarks newest first, a search box (the filters of 'fedimarks search'
work there too), and each post as Mastodon shows it. It needs no network:
avatars and media show from the copies 'fedimarks backup --media' keeps,
and otherwise as links to the originals.

Its Accounts page (/accounts) adds an account (the sign-in of 'fedimarks
login': your server's page opens in the same tab and sends you back to the
page), lists the accounts with their software, last backup and bookmarks,
signs one out (as 'fedimarks logout'), downloads an export in any format
(as 'fedimarks export --offline'), and shows and installs the schedule and
a sync pair (as 'fedimarks status' shows them and 'fedimarks schedule
install' sets them up).

From the page (Back up and move) you can also back up accounts, move
bookmarks from an account or an uploaded file to another account (a dry
run first), follow the progress, filter the results and retry, as the
commands backup, import, migrate and verify do. A job goes on when the tab
is closed; one that stopping fedimarks cut short is shown with Resume.

The page listens on loopback only (127.0.0.1, ::1 or localhost) and
answers only requests addressed to it there, so other machines and other
web sites cannot read your archive or start a job. It runs no scripts but
its own small one on the job pages. Its forms are taken only from the page
itself (a token of this run, Origin checked).

fedimarks started without a command and without a terminal (double-clicked)
serves the page and opens it, on 127.0.0.1:8080 or, when that port is
taken, another.

  fedimarks serve --open
  fedimarks serve --addr 127.0.0.1:9000

` + localExitCodes + "\n",
		run: runServeCommand,
	}
}

func runServeCommand(ctx context.Context, a *app, args []string) error {
	var addr string
	var open bool
	fs := newFlags(a.cmd)
	fs.StringVar(&addr, "addr", defaultServeAddr, "listen on `HOST:PORT` (loopback only)")
	fs.BoolVar(&open, "open", false, "open the page in your browser")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("serve takes no arguments")
	}
	o := serveOptionsOf(a)
	o.addr, o.open = addr, open
	return runServe(ctx, o)
}

// runServe serves the archive's page until ctx ends; the jobs the page
// started stop with it (interrupted, resumable).
func runServe(ctx context.Context, o serveOptions) error {
	if err := web.CheckAddr(o.addr); err != nil {
		return err
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	p, err := o.paths()
	if err != nil {
		return err
	}
	accounts, jobs, err := o.services(ctx, ar)
	if err != nil {
		return err
	}
	defer jobs.Wait()
	s, err := web.New(web.Options{Archive: ar, Media: archiveMedia{ar: ar, dir: p.Media}, Accounts: accounts, Jobs: jobs})
	if err != nil {
		return err
	}
	// Index what backups added since the last search, and ready the
	// accounts' listing orders, now, not on the first page load.
	if _, err := ar.IndexSearch(ctx); err != nil {
		return err
	}
	if err := ar.KeepOrders(ctx); err != nil {
		return err
	}
	ln, err := web.Listen(ctx, o.addr)
	if err != nil && o.anyPort {
		ln, err = web.Listen(ctx, "127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(o.errOut, "Serving the archive at %s (Ctrl-C to stop)\n", url)
	if o.open {
		o.openPage(url)
	}
	return web.Serve(ctx, ln, s)
}

// openPage opens url in the person's browser, or says to.
func (o serveOptions) openPage(url string) {
	if open := o.browser(); open == nil {
		fmt.Fprintln(o.errOut, "No browser to open here: open the address above yourself.")
	} else if err := open(url); err != nil {
		fmt.Fprintf(o.errOut, "Could not open a browser (%v): open the address above yourself.\n", err)
	}
}

// archiveMedia gives the page the local copies that backup --media
// downloaded: files are content-addressed in the media directory as
// MEDIA/ab/abcdef... (the SHA-256 in hex, its first two digits a
// subdirectory). Only finished downloads whose file is still there are
// listed.
type archiveMedia struct {
	ar  *sqlite.Archive
	dir string
}

func (m archiveMedia) LocalFiles(ctx context.Context, statusURI string) ([]web.LocalFile, error) {
	ms, err := m.ar.MediaFor(ctx, statusURI)
	if err != nil {
		return nil, err
	}
	var out []web.LocalFile
	for _, lm := range ms {
		path := backup.BlobPath(m.dir, lm.SHA256) // "" unless the sum is hex
		if lm.State != fedimarks.MediaDone || path == "" {
			continue
		}
		// A file deleted from disk since: the page links the original.
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, web.LocalFile{
			RemoteURL:   lm.URL,
			Path:        path,
			ContentType: lm.ContentType,
		})
	}
	return out, nil
}
