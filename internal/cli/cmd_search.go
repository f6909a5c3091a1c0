package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// searchOptions are search's: its flags, the archive and the chooser,
// and the terminal side (results on out, notes on errOut; whether either
// is a terminal; bold matches unless plain output was asked for).
type searchOptions struct {
	account        string
	query          string
	json           bool
	limit          int
	includeRemoved bool

	archive        archiveFunc
	choose         chooseFunc
	out, errOut    io.Writer
	outTTY, errTTY bool
	bold           bool
}

func searchCommand() command {
	return command{
		name:    "search",
		summary: "search the archived bookmarks",
		usage: `Usage: fedimarks search QUERY... [--account ACCOUNT] [--json] [--limit N] [--include-removed]

Searches the archived bookmarks of ACCOUNT (default: the default account,
see 'fedimarks accounts', else the only one) without contacting any
server. QUERY is words, all of which must appear in a post's text, content
warning, author name or handle, mentioned accounts (user@host), hashtags
or link targets (an emoji is a word; #tag and tag find the same posts;
"a phrase" in quotes; word* matches a prefix; -word or -"a phrase" leaves
out the posts that have it: after --, or inside one quoted QUERY, as in
fedimarks search -- quokka -zoo), and filters:

  from:user@host   posts by one author (from:user: that name on any server)
  has:media        posts with attachments
  before:DATE      posts written before DATE (YYYY-MM-DD, UTC)
  after:DATE       posts written after DATE
  lang:CODE        posts in one language (lang:en also matches en-GB)
  tag:NAME         bookmarks with a local tag (-tag:NAME: without it)
  has:note         bookmarks with a local note (note text is searched too)

Results are ranked best first (newest bookmark first when QUERY has only
filters). When more than 500 bookmarks match, they are listed newest first
instead, and stderr says so: ranking every match of a common word costs
more than the search (add words or filters to rank them). On a terminal each result is a few readable lines, at most 20
unless --limit says otherwise; otherwise one tab-separated line each (time,
author as user@host, url, snippet), every result unless --limit is given.
--json prints one object a line, every result unless --limit is given, with
account, uri, url, created_at, author (acct as user@host), snippet, rank (0 when listed newest first),
removed, tags, note and status (the post as the server returned it).
Posts of the threads kept by backup --context that match come after the
bookmarks, marked: context_of (the bookmarked post whose thread holds it)
in --json, "[context] " before the snippet in tab-separated lines. The url
is the post's http(s) address, "" if it has none. --limit 0 prints every result;
whenever results are left out, stderr says how many.

  fedimarks search quokka
  fedimarks search '"static site" from:alice@example.social after:2024-01-01'
  fedimarks search has:media lang:de --json | jq -r .url

` + localExitCodes + "\n",
		run: runSearchCommand,
	}
}

func runSearchCommand(ctx context.Context, a *app, args []string) error {
	o := searchOptions{limit: -1}
	fs := newFlags(a.cmd)
	fs.StringVar(&o.account, "account", "", "search the bookmarks of `ACCOUNT` (user@host)")
	fs.BoolVar(&o.json, "json", false, "one JSON object a line")
	fs.IntVar(&o.limit, "limit", -1, "print at most `N` results (0: all; default 20 on a terminal, else all)")
	fs.BoolVar(&o.includeRemoved, "include-removed", false, "also search bookmarks that were removed on the server")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("search needs a QUERY (words and filters such as from:user@host, has:media)")
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "limit" })
	if o.limit < 0 {
		if given {
			return usageError("--limit must be 0 (all) or more")
		}
		// Not given: a person at a terminal sees a page, scripts
		// and --json get everything.
		o.limit = 0
		if !o.json && a.stdoutTTY() {
			o.limit = 20
		}
	}
	o.query = strings.Join(pos, " ")
	o.archive, o.choose = a.openArchive, a.chooseAccount
	o.out, o.errOut, o.outTTY, o.errTTY, o.bold = a.stdout, a.stderr, a.stdoutTTY(), a.stderrTTY(), !a.plain()
	return runSearch(ctx, o)
}

// runSearch prints the bookmarks (then the thread posts) that o's query
// matches, each as soon as it is read, and says on stderr when some were
// left out.
func runSearch(ctx context.Context, o searchOptions) error {
	ar, q, err := o.prepare(ctx)
	if err != nil {
		return err
	}
	write := o.hitWriter(q.Account)
	shown := 0
	err = ar.EachHit(ctx, q, func(hit fedimarks.Hit) error {
		shown++
		return write(hit)
	})
	if err != nil {
		return err
	}
	// Thread posts kept by backup --context that match come after the
	// bookmarks, marked as context (not counted as bookmarks below).
	ctxHits, err := ar.SearchContext(ctx, q)
	if err != nil {
		return err
	}
	for _, hit := range ctxHits {
		if err := write(hit); err != nil {
			return err
		}
	}
	return o.sayLeftOut(ctx, ar, q, shown)
}

// prepare reads the query, chooses the account and opens the archive.
// Ranking reads every match: past fedimarks.RankLimit the matches are
// listed newest first, which reads only what is printed, and the person
// is told.
func (o searchOptions) prepare(ctx context.Context) (*sqlite.Archive, fedimarks.Query, error) {
	q, err := fedimarks.ParseQuery(o.query)
	if err != nil {
		return nil, q, err
	}
	if noWord := len(q.Terms()) == 0 && len(q.Excluded()) == 0; noWord && (strings.TrimSpace(q.Text) != "" ||
		q.String() == "" && strings.TrimSpace(o.query) != "") {
		// It would match nothing (or, an empty phrase, everything),
		// and say nothing when piped.
		return nil, q, fedimarks.Errorf(fedimarks.EInvalid,
			"search: %s holds no word to search for (the index keeps letters, digits and emoji, not punctuation)", strconv.Quote(o.query))
	}
	acc, err := o.choose(ctx, accountQuery{name: o.account, flag: "--account", need: archived})
	if err != nil {
		return nil, q, err
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return nil, q, err
	}
	q.Account, q.Limit, q.IncludeRemoved = acc.Handle, o.limit, o.includeRemoved
	if len(q.Terms()) > 0 {
		n, err := ar.SearchCountAtMost(ctx, q, fedimarks.RankLimit+1)
		if err != nil {
			return nil, q, err
		}
		if n > fedimarks.RankLimit {
			q.ByDate = true
			how := "More than " + strconv.Itoa(fedimarks.RankLimit)
			if total, known, err := ar.SearchTotal(ctx, q); err != nil {
				return nil, q, err
			} else if known {
				how = fedimarks.Count(int64(total))
			}
			fmt.Fprintf(o.errOut, "%s bookmarks match: listed newest first, not by relevance (add words or filters to rank them).\n", how)
		}
	}
	return ar, q, nil
}

// hitWriter writes one result of h's search on out: a JSON line, a few
// lines for a person at a terminal, else a tab-separated line. Each hit
// is written as it is read: 26,000 hits of a common word cost the memory
// of a few, and the first lines come at once.
func (o searchOptions) hitWriter(h fedimarks.Handle) func(fedimarks.Hit) error {
	var write func(fedimarks.Hit) error
	switch {
	case o.json:
		enc := ui.NewJSONLines(o.out)
		write = func(hit fedimarks.Hit) error { return enc.Encode(searchJSON(hit, h)) }
	case o.outTTY:
		first := true
		write = func(hit fedimarks.Hit) error {
			if !first {
				fmt.Fprintln(o.out)
			}
			first = false
			writeHitText(o.out, hit, h, o.bold)
			return nil
		}
	default:
		write = func(hit fedimarks.Hit) error { return writeHitTSV(o.out, hit, h) }
	}
	return func(hit fedimarks.Hit) error {
		if err := write(hit); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
		return nil
	}
}

// sayLeftOut says, whenever results were left out, how many (on stderr,
// so that piped data stay clean): a silent cut reads as "that is all".
func (o searchOptions) sayLeftOut(ctx context.Context, ar *sqlite.Archive, q fedimarks.Query, shown int) error {
	tty := o.outTTY || o.errTTY
	if !tty && (q.Limit == 0 || shown < q.Limit) {
		return nil
	}
	total, err := ar.SearchCount(ctx, q)
	if err != nil {
		return err
	}
	switch {
	case total == 0 && tty:
		fmt.Fprintf(o.errOut, "No bookmark of %s matches.\n", q.Account)
	case shown < total:
		fmt.Fprintf(o.errOut, "%d of %d matching bookmarks shown (--limit 0 shows all).\n", shown, total)
	}
	return nil
}

// searchResult is one --json line.
type searchResult struct {
	Account   string          `json:"account"`
	URI       string          `json:"uri"`
	URL       string          `json:"url"`
	CreatedAt *time.Time      `json:"created_at"`
	Author    searchAuthor    `json:"author"`
	Snippet   string          `json:"snippet"`
	Rank      float64         `json:"rank"`
	Removed   bool            `json:"removed"`
	Tags      []string        `json:"tags"`
	Note      string          `json:"note"`
	ContextOf string          `json:"context_of,omitempty"`
	Status    json.RawMessage `json:"status"`
}

type searchAuthor struct {
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

func searchJSON(hit fedimarks.Hit, h fedimarks.Handle) searchResult {
	st := hit.Bookmark.Status
	o := st.Original()
	r := searchResult{
		Account: hit.Bookmark.Account,
		URI:     st.URI,
		URL:     st.WebLink(),
		Author:  searchAuthor{Acct: o.AuthorHandle(h.Host()), DisplayName: o.Account.DisplayName, URL: fedimarks.WebURL(o.Account.URL)},
		Snippet: hit.PlainSnippet(),
		Rank:    hit.Rank,
		Removed: hit.Bookmark.RemovedAt != nil,
		Tags:    append([]string{}, hit.Bookmark.Tags...),
		Note:    hit.Bookmark.Note,
		Status:  st.Raw,
		// A thread post: which bookmark's thread holds it.
		ContextOf: hit.ContextOf,
	}
	if !o.CreatedAt.IsZero() {
		t := o.CreatedAt.UTC()
		r.CreatedAt = &t
	}
	return r
}

// writeHitTSV writes time, author, url and snippet separated by tabs; any
// tab, line break or control character in them becomes a space.
func writeHitTSV(w io.Writer, hit fedimarks.Hit, h fedimarks.Handle) error {
	st := hit.Bookmark.Status
	o := st.Original()
	when := ""
	if !o.CreatedAt.IsZero() {
		when = o.CreatedAt.UTC().Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", when, cleanText(o.AuthorHandle(h.Host())), cleanText(st.WebLink()),
		contextMark(hit)+cleanText(hit.PlainSnippet()))
	return err
}

// writeHitText writes a result for a person at a terminal: time and
// author, the snippet (with matches in bold if bold), and the link.
func writeHitText(w io.Writer, hit fedimarks.Hit, h fedimarks.Handle, bold bool) {
	st := hit.Bookmark.Status
	o := st.Original()
	when := ""
	if !o.CreatedAt.IsZero() {
		when = o.CreatedAt.Local().Format(fedimarks.TimeLayout) + "  "
	}
	name := cleanText(o.Account.DisplayName)
	if name != "" {
		name += " "
	}
	removed := ""
	if hit.Bookmark.RemovedAt != nil {
		removed = "  (removed on the server)"
	}
	if hit.ContextOf != "" {
		removed = "  (in the thread of " + cleanText(hit.ContextOf) + ")"
	}
	fmt.Fprintf(w, "%s%s@%s%s\n", when, name, cleanText(o.AuthorHandle(h.Host())), removed)
	var b strings.Builder
	for _, f := range fedimarks.Fragments(hit.Snippet) {
		if f.Match && bold {
			b.WriteString("\x1b[1m" + cleanKeepEdges(f.Text) + "\x1b[0m")
		} else {
			b.WriteString(cleanKeepEdges(f.Text))
		}
	}
	fmt.Fprintf(w, "  %s\n  %s\n", strings.TrimSpace(b.String()), cleanText(st.WebLink()))
}

// cleanKeepEdges is cleanText for a piece of a longer text: a space at
// either end stays (one), so "is " + "smiling" + " at" keeps its words apart.
func cleanKeepEdges(s string) string {
	c := cleanText(s)
	if c == "" {
		if s != "" {
			return " "
		}
		return ""
	}
	if r := s[0]; r == ' ' || r < 0x20 {
		c = " " + c
	}
	if r := s[len(s)-1]; r == ' ' || r < 0x20 {
		c += " "
	}
	return c
}
