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

	choose   chooseFunc
	source   sourceBackup // --from's, unless offline
	archive  archiveFunc
	holdRows func() (release func())
	reach                // --to's server; errOut
	dataOut  dataOutFunc // the missing posts without -o
	cmd      string      // the command's name, for hints
}

// verifyOptionsOf fills o's dependencies from a, once the flags are
// parsed (the page's jobs verify too).
func verifyOptionsOf(a *app, o verifyOptions) verifyOptions {
	o.choose, o.source, o.archive, o.holdRows = a.chooseAccount, sourceBackupOf(a), a.openArchive, a.holdRows
	o.reach, o.dataOut, o.cmd = reachOf(a), a.dataOut, a.cmd.name
	return o
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
	err = runVerify(ctx, verifyOptionsOf(a, o), sum)
	if !o.json {
		return err
	}
	return a.emitSummary(ctx, a.stdout, sum, err)
}

func runVerify(ctx context.Context, o verifyOptions, sum *verifySummary) error {
	defer o.holdRows()()
	acc, src, err := o.chooseAccounts(ctx)
	if err != nil {
		return err
	}
	req, err := o.sourceRows(ctx, src)
	if err != nil {
		return err
	}
	d, err := openDestination(ctx, o.reach, acc)
	if err != nil {
		return err
	}
	if req.Imported, err = o.imported(ctx, acc.Handle); err != nil {
		return err
	}
	sum.Account = acc.Handle
	v, err := runVerification(ctx, o.reach, d, req)
	if err != nil {
		return err
	}
	fillVerifySummary(sum, v)
	if err := o.writeMissing(v); err != nil {
		return err
	}
	if o.output != "" && o.output != "-" {
		sum.Files = []string{o.output}
	}
	printVerification(o.errOut, acc.Handle, v)
	fmt.Fprintf(o.errOut, "%s to %s\n", fedimarks.Plural(int(d.sent.Requests()), "request"), acc.Handle.Host())
	return missingError(o.cmd, o.apiError, acc, v)
}

// chooseVerifyAccounts checks everything that can be checked locally,
// before any file is parsed or any request made: the source account
// (--from), the input files, the output path, the destination (--to).
func (o verifyOptions) chooseAccounts(ctx context.Context) (acc, src fedimarks.Account, err error) {
	if o.from != "" {
		if src, err = chooseSource(ctx, o.choose, o.from, o.offline); err != nil {
			return acc, src, err
		}
	}
	if err := checkInputs(o.files); err != nil {
		return acc, src, err
	}
	if err := checkOutputPath(o.output); err != nil {
		return acc, src, err
	}
	acc, err = o.choose(ctx, accountQuery{name: o.to, flag: "--to"})
	return acc, src, err
}

// sourceRows is the request's source rows: the archived bookmarks of
// src (backed up first unless --offline), or the files' rows.
func (o verifyOptions) sourceRows(ctx context.Context, src fedimarks.Account) (transfer.VerifyRequest, error) {
	var req transfer.VerifyRequest
	if o.from == "" {
		var err error
		req.Rows, err = inputRows(ctx, o.errOut, o.files, o.read)
		return req, err
	}
	from, _, err := o.source.sourceAccount(ctx, src.Handle, o.offline)
	if err != nil {
		return req, err
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return req, err
	}
	req.Items, err = archivedItems(ctx, ar, from)
	return req, err
}

// imported is what import jobs into h recorded as there (see
// importedPosts).
func (o verifyOptions) imported(ctx context.Context, h fedimarks.Handle) ([]fedimarks.ListedBookmark, error) {
	ar, err := o.archive(ctx)
	if err != nil {
		return nil, err
	}
	return importedPosts(ctx, ar, h)
}

// runVerification compares req's rows with the bookmarks of the
// destination d, with a progress display of the post checks.
func runVerification(ctx context.Context, r reach, d *destination, req transfer.VerifyRequest) (*transfer.Verification, error) {
	acc := d.acc
	prog := &startedProgress{slot: d.slot, p: r.display(ui.ProgressOptions{Label: "check posts on " + string(acc.Handle),
		Unit: "posts", ETA: budgetETA(clientBudget{d.c, r.now}, func() float64 { return 1 })})}
	// The probe says "" when the server does not answer: only the job's
	// rows can then ask for post checks.
	req.Lister, req.Posts, req.Server, req.Progress, req.Probe = d.lister, d.posts, acc.Server, prog, d.probe
	req.Destination, req.API = acc.Handle, acc.Family()
	v, err := transfer.Verify(ctx, req)
	prog.Finish()
	if err != nil {
		scopes, _ := verifyScopes(acc)
		return nil, r.apiError(acc.Handle, acc.Server, err, scopes)
	}
	return v, nil
}

// verifyScopes are the scopes a verify of acc needs, and the one its
// post checks need.
func verifyScopes(acc fedimarks.Account) (all string, check string) {
	if isMisskeyAccount(acc) {
		return "read:favorites read:account", "read:account"
	}
	return "read:bookmarks read:search", "read:search"
}

func fillVerifySummary(sum *verifySummary, v *transfer.Verification) {
	sum.Rows, sum.DestinationBookmarks, sum.PostChecks = v.Rows, v.DestinationCount, v.Checked
	sum.Outcomes = map[string]int{"present": v.Present, "missing": len(v.Missing), "unknown": len(v.Unchecked),
		"duplicate": v.Duplicate, "invalid": v.Invalid}
}

// writeMissing writes the posts missing or unchecked to -o (none or "-":
// standard output), in Mastodon's bookmarks format, newest first.
func (o verifyOptions) writeMissing(v *transfer.Verification) error {
	return writeData(o.dataOut, o.errOut, o.output, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for r := range notFound(v) {
			fmt.Fprintln(bw, r.Address())
		}
		return bw.Flush()
	})
}

// missingError is verify's error when posts are missing or could not be
// checked (exit 3), nil when none.
func missingError(cmd string, apiError apiErrorFunc, acc fedimarks.Account, v *transfer.Verification) error {
	if len(v.Missing)+len(v.Unchecked) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s %s missing on %s", fedimarks.Plural(len(v.Missing), "post"), fedimarks.IsAre(len(v.Missing)), acc.Handle)
	e := &fedimarks.Error{Code: fedimarks.EPartial, Message: msg}
	if n := len(v.Unchecked); n > 0 {
		e.Message += fmt.Sprintf(", %s could not be checked", fedimarks.Plural(n, "post"))
		e.Hint = nextStep(e, situation{cmd: cmd, unchecked: true})
		var fe *fedimarks.Error
		_, checkScope := verifyScopes(acc)
		if v.Refused != nil && errors.As(apiError(acc.Handle, acc.Server, v.Refused, checkScope), &fe) && fe.Hint != "" {
			e.Hint = fe.Message + "; " + fe.Hint
		}
	}
	return e
}

// inputRows reads every file as readInputs does, keeping each file's rows
// as its reader kept them (see formats.ReadFileRows): it yields them in
// write order (see transfer.Merge) each time it is ranged over. A verify
// of 200,000 rows never holds them as items.
func inputRows(ctx context.Context, errOut io.Writer, files []string, opts formats.ReadOptions) (iter.Seq[fedimarks.ImportItem], error) {
	results, _, err := readInputFiles(ctx, errOut, files, opts.ReadFileRows)
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
