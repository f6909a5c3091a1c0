package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type verifyOptions struct {
	files   []string
	from    string
	to      string
	offline bool
	output  string
	json    bool
	read    formats.ReadOptions // --from-server
}

// verifySummary is verify's --json summary.
type verifySummary struct {
	summary
	Account fedimarks.Handle `json:"account"`
	// Rows is how many source rows were compared; DestinationBookmarks
	// how many bookmarks the destination's listing showed.
	Rows                 int `json:"rows"`
	DestinationBookmarks int `json:"destination_bookmarks"`
	// Outcomes counts the rows: present, missing, unknown (a post check
	// got no answer), duplicate, invalid.
	Outcomes map[string]int `json:"outcomes"`
	// PostChecks is how many posts were looked up one by one.
	PostChecks int `json:"post_checks"`
}

func verifyCommand() command {
	return command{
		name:    "verify",
		summary: "list the bookmarks missing on an account",
		usage: `Usage: fedimarks verify (FILE... | --from ACCOUNT) [--to ACCOUNT] [-o FILE] [--offline]
                        [--from-server SERVER]

Reads the bookmarks of --to (a saved account; default: the default one) and
lists the posts of FILE... (any format 'fedimarks import' reads) or of the
archived bookmarks of --from that are not bookmarked there, matching by URI
or URL. The missing posts go to standard output (or -o FILE) in Mastodon's
bookmarks format, newest first, ready for 'fedimarks import' or for the
server's own importer; counts go to standard error. --from is backed up
first unless --offline. --from-server names the Misskey server a favorites
export came from (its own notes are listed there without an address).

A listing may leave bookmarks out (snac's leaves out those of authors the
account does not follow). When it looks incomplete (snac, or posts that
fedimarks imported there are not in it), each post it does not show is
looked up on --to, one request each, and only those not bookmarked there
are missing; standard error says which check decided and what it cost.
A post whose check gets no answer is listed too, as unknown.

--json prints one object on standard output (then -o FILE is needed for
the list):
  {"command":"verify","account":"bob@example.social","rows":120,
   "destination_bookmarks":118,"outcomes":{"present":117,"missing":1,
   "unknown":0,"duplicate":1,"invalid":1},"post_checks":0,"requests":4,
   "files":["missing.csv"],"duration_seconds":1.2,"exit_code":3,
   "error":"1 post is missing on bob@example.social"}

Useful after uploading a file in Mastodon's own importer:

  fedimarks verify bookmarks.csv --to bob@example.social -o missing.csv
  fedimarks import missing.csv --to bob@example.social

Exit codes: 0 nothing missing; 1 error; 2 usage or unreadable input;
3 some posts are missing (listed); 4 authentication (log in again).
`,
		run: runVerifyCommand,
	}
}

func runVerifyCommand(ctx context.Context, a *app, args []string) error {
	var o verifyOptions
	fs := newFlags(a.cmd)
	fs.StringVar(&o.from, "from", "", "source `ACCOUNT` (its archived bookmarks)")
	fs.StringVar(&o.to, "to", "", "destination `ACCOUNT`")
	fs.BoolVar(&o.offline, "offline", false, "use the archive of --from as it is, without a backup first")
	fs.StringVar(&o.output, "o", "", "write the missing posts to `FILE`")
	fs.StringVar(&o.output, "output", "", "write the missing posts to `FILE`")
	fs.BoolVar(&o.json, "json", false, "print a summary object")
	fromServer := fs.String("from-server", "", fromServerUsage)
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if o.read, err = readOptions(ctx, *fromServer); err != nil {
		return err
	}
	o.files = pos
	if (len(o.files) == 0) == (o.from == "") {
		return usageError("verify needs either FILE... or --from ACCOUNT")
	}
	if o.json && (o.output == "" || o.output == "-") {
		return usageError("verify --json needs -o FILE: standard output carries the summary")
	}
	sum := &verifySummary{}
	err = runVerify(ctx, a, o, sum)
	if !o.json {
		return err
	}
	return a.emitSummary(ctx, a.stdout, sum, err)
}

func runVerify(ctx context.Context, a *app, o verifyOptions, sum *verifySummary) error {
	defer a.holdRows()()
	// Everything that can be checked locally is, before any file is
	// parsed or any request made.
	var src fedimarks.Account
	if o.from != "" {
		var err error
		if src, err = a.chooseSource(ctx, o.from, o.offline); err != nil {
			return err
		}
	}
	if err := checkInputs(o.files); err != nil {
		return err
	}
	if err := checkOutputPath(o.output); err != nil {
		return err
	}
	acc, err := a.chooseAccount(ctx, accountQuery{name: o.to, flag: "--to"})
	if err != nil {
		return err
	}
	var (
		items []fedimarks.ImportItem
		rows  iter.Seq[fedimarks.ImportItem]
	)
	if o.from != "" {
		from, _, err := a.sourceAccount(ctx, src.Handle, o.offline)
		if err != nil {
			return err
		}
		if items, err = archivedItems(ctx, a, from); err != nil {
			return err
		}
	} else if rows, err = inputRows(ctx, a, o.files, o.read); err != nil {
		return err
	}
	tok, err := a.token(ctx, acc.Handle)
	if err != nil {
		return err
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	imported, err := importedPosts(ctx, ar, acc.Handle)
	if err != nil {
		return err
	}
	sum.Account = acc.Handle
	slot := a.newSlot(acc.Server)
	c := a.newClient(acc.Server, tok, slot)
	budget := clientBudget{c, a.now}
	prog := &startedProgress{slot: slot, p: a.watch(ui.NewProgress(a.stderr, ui.ProgressOptions{Label: "check posts on " + string(acc.Handle),
		Unit: "posts", TTY: a.stderrTTY(), Now: a.io.Now, Quiet: a.quiet, ETA: budgetETA(budget, func() float64 { return 1 })}))}
	req := transfer.VerifyRequest{
		Items:    items,
		Rows:     rows,
		Lister:   readingLister{a: a, l: bookmarkLister{c}, h: acc.Handle, c: c, slot: slot},
		Posts:    c,
		Server:   acc.Server,
		Imported: imported,
		Progress: prog,
		Probe: func(ctx context.Context) string {
			inst, err := c.Instance(ctx)
			if err != nil {
				return "" // unknown: only the job's rows can then ask for post checks
			}
			return inst.Software
		},
	}
	var sent requestCounter = c
	scopes, checkScope := "read:bookmarks read:search", "read:search"
	if isMisskeyAccount(acc) {
		mk := a.newMisskeyClient(acc.Server, tok, slot)
		req.Lister = readingLister{a: a, l: misskey.NewFavorites(mk), h: acc.Handle, c: mk, slot: slot, favorites: true}
		req.Posts, req.Probe, sent = misskey.NewWriter(mk), misskeyProbe(acc), mk
		scopes, checkScope = "read:favorites read:account", "read:account"
	}
	v, err := transfer.Verify(ctx, req)
	prog.Finish()
	if err != nil {
		return a.apiError(acc.Handle, acc.Server, err, scopes)
	}
	sum.Rows, sum.DestinationBookmarks, sum.PostChecks = v.Rows, v.DestinationCount, v.Checked
	sum.Outcomes = map[string]int{"present": v.Present, "missing": len(v.Missing), "unknown": len(v.Unchecked),
		"duplicate": v.Duplicate, "invalid": v.Invalid}
	if err := writeOutput(a, o.output, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for r := range notFound(v) {
			fmt.Fprintln(bw, r.Address())
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	if o.output != "" && o.output != "-" {
		sum.Files = []string{o.output}
	}
	printVerification(a.stderr, acc.Handle, v)
	fmt.Fprintf(a.stderr, "%s to %s\n", fedimarks.Plural(int(sent.Requests()), "request"), acc.Handle.Host())
	if len(v.Missing)+len(v.Unchecked) > 0 {
		msg := fmt.Sprintf("%s %s missing on %s", fedimarks.Plural(len(v.Missing), "post"), fedimarks.IsAre(len(v.Missing)), acc.Handle)
		e := &fedimarks.Error{Code: fedimarks.EPartial, Message: msg}
		if n := len(v.Unchecked); n > 0 {
			e.Message += fmt.Sprintf(", %s could not be checked", fedimarks.Plural(n, "post"))
			e.Hint = nextStep(e, situation{cmd: a.cmd.name, unchecked: true})
			var fe *fedimarks.Error
			if v.Refused != nil && errors.As(a.apiError(acc.Handle, acc.Server, v.Refused, checkScope), &fe) && fe.Hint != "" {
				e.Hint = fe.Message + "; " + fe.Hint
			}
		}
		return e
	}
	return nil
}

// inputRows reads every file as readInputs does, keeping each file's rows
// as its reader kept them (see formats.ReadFileRows): it yields them in
// write order (see transfer.Merge) each time it is ranged over. A verify
// of 200,000 rows never holds them as items.
func inputRows(ctx context.Context, a *app, files []string, opts formats.ReadOptions) (iter.Seq[fedimarks.ImportItem], error) {
	results, _, err := readInputFiles(ctx, a, files, opts.ReadFileRows)
	if err != nil {
		return nil, err
	}
	return func(yield func(fedimarks.ImportItem) bool) {
		for _, res := range results {
			for it := range res.WriteOrder() {
				if !yield(it) {
					return
				}
			}
		}
	}, nil
}

// printVerification writes verify's counts, which check decided the rows,
// and each row a post check decided or could not, newest first as in the
// list of missing posts.
func printVerification(w io.Writer, h fedimarks.Handle, v *transfer.Verification) {
	unknown := ""
	if n := len(v.Unchecked); n > 0 {
		unknown = ", " + fedimarks.Count(int64(n)) + " unknown"
	}
	fmt.Fprintf(w, "%s: %s bookmarked; of %s source rows %s present, %s missing%s, %s duplicate, %s invalid\n",
		h, fedimarks.Count(int64(v.DestinationCount)), fedimarks.Count(int64(v.Rows)), fedimarks.Count(int64(v.Present)),
		fedimarks.Count(int64(len(v.Missing))), unknown, fedimarks.Count(int64(v.Duplicate)), fedimarks.Count(int64(v.Invalid)))
	listed, listedMissing := v.Present-v.PresentChecked, 0
	for _, r := range v.Missing {
		if r.Check == transfer.ByListing {
			listedMissing++
		}
	}
	fmt.Fprintf(w, "decided by the listing: %s present, %s missing", fedimarks.Count(int64(listed)), fedimarks.Count(int64(listedMissing)))
	if v.CheckReason == "" {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "; by a post check: %s present, %s missing%s\n",
		fedimarks.Count(int64(v.PresentChecked)), fedimarks.Count(int64(len(v.Missing)-listedMissing)), unknown)
	fmt.Fprintf(w, "post check: %s; %s looked up one at a time (%s)\n",
		cleanText(v.CheckReason), fedimarks.Plural(v.Checked, "post"), fedimarks.Plural(v.CheckRequests, "request"))
	unchecked := make(map[int]bool, len(v.Unchecked))
	for _, r := range v.Unchecked {
		unchecked[r.Order] = true
	}
	for r := range notFound(v) {
		if r.Check == transfer.ByListing {
			continue // counted above; the list of missing posts names them
		}
		label := "missing"
		if unchecked[r.Order] {
			label = "unknown"
		}
		fmt.Fprintf(w, "%s (%s: %s): %s\n", label, r.Check, cleanText(r.Why), cleanText(r.Address()))
	}
}

// notFound yields the rows of v that are missing or could not be checked,
// newest first, as verify lists them. It sorts v.Missing and v.Unchecked
// in place and merges them as it goes: a verify of 200,000 rows holds no
// second copy of them.
func notFound(v *transfer.Verification) iter.Seq[transfer.MissingRow] {
	newestFirst := func(a, b transfer.MissingRow) int { return b.Order - a.Order }
	slices.SortFunc(v.Missing, newestFirst)
	slices.SortFunc(v.Unchecked, newestFirst)
	return func(yield func(transfer.MissingRow) bool) {
		m, u := v.Missing, v.Unchecked
		for len(m) > 0 || len(u) > 0 {
			var r transfer.MissingRow
			if len(u) == 0 || (len(m) > 0 && m[0].Order > u[0].Order) {
				r, m = m[0], m[1:]
			} else {
				r, u = u[0], u[1:]
			}
			if !yield(r) {
				return
			}
		}
	}
}

// importedPosts lists the posts that import jobs into h (dry runs aside)
// recorded as imported or already there, by their addresses: verify checks
// them one by one when its listing leaves them out.
func importedPosts(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle) ([]fedimarks.ListedBookmark, error) {
	jobs, err := ar.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	var out []fedimarks.ListedBookmark
	for _, j := range jobs {
		if j.Destination != h || j.DryRun {
			continue
		}
		items, err := ar.JobItems(ctx, j.ID, fedimarks.Imported, fedimarks.Already)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			l := fedimarks.ListedBookmark{ID: it.DestID}
			for _, addr := range []string{it.URI, it.URL, it.PostURI} {
				if addr != "" {
					l.Addrs = append(l.Addrs, addr)
				}
			}
			out = append(out, l)
		}
	}
	return out, nil
}
