package transfer

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedimarks/fedimarks"
)

// BigImport is the number of rows to write above which an import into
// Mastodon 3.3 or newer suggests the server's own importer first.
const BigImport = 1000

// pageSize is how many bookmarks one listing request returns (Mastodon's
// maximum, which the client asks for).
const pageSize = 40

// Estimate says what a run will do, before doing it.
type Estimate struct {
	// Rows is every row of the job.
	Rows int
	// Done is how many rows an earlier run finished (not retried now).
	Done int
	// Already is how many pending rows the destination has bookmarked
	// (known only once its bookmarks were read: dry runs).
	Already   int
	Duplicate int
	Invalid   int
	// Local rows are on the destination's own server: one request each.
	Local int
	// Remote rows need a search and a bookmark: two requests each.
	Remote int
	// Requests is the number of API requests still needed, the reading
	// of the destination's bookmarks included.
	Requests int
	// Duration is how long the destination's rate limit makes Requests
	// take: 0 when they fit in the budget it has left, or when it reports
	// no limit (see Budget).
	Duration time.Duration
	// RateLimit is the limit Duration assumes: the one the destination
	// reported (its window taken as Mastodon's 5 minutes, or longer when
	// the current one ends later), else Mastodon's.
	RateLimit RateLimit
	// Budget is what the destination last reported of its budget, and
	// Answered whether it had answered at all then (false: no request yet,
	// Duration assumes Mastodon's limit with nothing left).
	Budget   Budget
	Answered bool
	// Hides names how the destination's listing leaves bookmarks out
	// (snac's); "" when it is not known to. Already may then be short.
	Hides string
	// Paced names the one endpoint whose rate limit sets Duration when
	// the destination limits each endpoint on its own (Misskey:
	// "ap/show", one call a post of another server; RateLimit is its
	// limit), and PacedRequests counts its calls; "" for a server with one
	// budget for all requests.
	Paced         string
	PacedRequests int
}

// Budget is what a server said of its request budget in the
// X-RateLimit-* headers of its last answer.
type Budget struct {
	// Reported is false when the answer had no such headers: the server
	// reports no limit (snac).
	Reported bool
	// Limit is the requests a window allows, Remaining those left in the
	// current one, which ends ResetIn from now.
	Limit, Remaining int
	ResetIn          time.Duration
}

// BudgetReader reports the destination's request budget as its last
// answer stated it; answered is false before any answer. internal/cli
// adapts internal/mastodon's client to it.
type BudgetReader interface {
	Budget() (b Budget, answered bool)
}

// ToWrite is the number of rows that still need a request.
func (e Estimate) ToWrite() int { return e.Local + e.Remote }

func (r *run) estimate(todo []int) Estimate {
	e := Estimate{Rows: len(r.rows), RateLimit: r.req.RateLimit}
	pending := make([]bool, len(r.rows))
	for _, i := range todo {
		pending[i] = true
	}
	for i, it := range r.rows {
		switch {
		case it.Outcome == fedimarks.Duplicate:
			e.Duplicate++
		case it.Outcome == fedimarks.Invalid:
			e.Invalid++
		case !pending[i]:
			e.Done++
		case len(r.listing.set) > 0 && r.found(it):
			e.Already++
		case !r.needsResolve(it):
			e.Local++
		default:
			e.Remote++
		}
	}
	if e.ToWrite() > 0 || r.listing.set == nil {
		// A full page links a next one, so n bookmarks take n/40+1
		// requests; before the listing is read, count one.
		pages := r.listing.read/pageSize + 1
		if r.listing.skipped {
			pages = 0
		}
		e.Requests = pages + e.Local + 2*e.Remote
	}
	e.Hides = hidingListings[r.req.Software]
	if r.req.API == fedimarks.FamilyMisskey {
		// Misskey limits each endpoint on its own and says nothing of
		// it until a 429: ap/show (30 an hour) is the one that counts.
		e.Paced, e.PacedRequests = "ap/show", e.Remote
	}
	if r.im.Budget != nil {
		e.Budget, e.Answered = r.im.Budget.Budget()
	}
	e.timeNeeded()
	return e
}

// timeNeeded sets RateLimit and Duration from Requests and what the
// destination reported of its budget.
func (e *Estimate) timeNeeded() {
	b := e.Budget
	switch {
	case e.Paced != "":
		e.RateLimit = e.RateLimit.orDefault()
		e.Duration = e.RateLimit.duration(e.PacedRequests)
	case e.Answered && !b.Reported:
		e.Duration = 0
	case e.Answered && b.Limit > 0:
		e.RateLimit = RateLimit{Requests: b.Limit, Window: budgetWindow(b)}
		e.Duration, _ = TimeNeeded(e.Requests, b)
	default:
		e.RateLimit = e.RateLimit.orDefault()
		e.Duration = e.RateLimit.duration(e.Requests)
	}
}

// budgetWindow is the window a budget's limit is for: Mastodon's 5
// minutes, or longer when the current one ends later.
func budgetWindow(b Budget) time.Duration {
	return max(RateLimit{}.orDefault().Window, b.ResetIn)
}

// TimeNeeded is how long the rate limit a server reported (b) makes n
// more requests take: 0 when they fit in what is left of the current
// window, else until it ends plus a window for each further b.Limit. It
// is false when b gives no limit.
func TimeNeeded(n int, b Budget) (time.Duration, bool) {
	if !b.Reported || b.Limit <= 0 {
		return 0, false
	}
	rest := n - max(b.Remaining, 0)
	if rest <= 0 {
		return 0, true
	}
	windows := (rest + b.Limit - 1) / b.Limit
	return max(b.ResetIn, 0) + time.Duration(windows-1)*budgetWindow(b), true
}

// timeText says how long the rate limit makes the requests take, and on
// what it bases that.
func (e Estimate) timeText(host string) string {
	b := e.Budget
	switch {
	case e.Paced != "":
		return fmt.Sprintf(": about %s, for %d calls of %s at %d per %s (its limit on Misskey; one a post of another server)",
			humanDuration(e.Duration), e.PacedRequests, e.Paced, e.RateLimit.Requests, humanDuration(e.RateLimit.Window))
	case e.Answered && !b.Reported:
		return fmt.Sprintf("; %s sends no rate-limit headers (X-RateLimit-*): the estimate is the request count only", host)
	case e.Answered && b.Limit > 0 && e.Duration == 0:
		return fmt.Sprintf(", within the %d left in %s's rate-limit window: no wait for it", b.Remaining, host)
	case e.Answered && b.Limit > 0:
		return fmt.Sprintf(": %d left in %s's rate-limit window, which ends in %s, then %d a window: about %s",
			max(b.Remaining, 0), host, humanDuration(max(b.ResetIn, 0)), b.Limit, humanDuration(e.Duration))
	}
	rl := e.RateLimit.orDefault()
	why := "not known yet"
	if e.Answered {
		why = "not readable in its X-RateLimit-* headers"
	}
	return fmt.Sprintf(": about %s at %d requests per %s (Mastodon's limit; %s's own is %s)",
		humanDuration(e.Duration), rl.Requests, humanDuration(rl.Window), host, why)
}

func (r *run) found(it fedimarks.JobItem) bool {
	_, ok := r.listing.set.find(it.URI, it.URL)
	return ok
}

func (r *run) printEstimate(e Estimate) {
	fmt.Fprintf(r.log, "dry run: import into %s, nothing resolved or written\n", r.req.Destination)
	// Labels in a column, counts right-aligned in the next.
	tw := tabwriter.NewWriter(r.log, 0, 0, 2, ' ', 0)
	width := len(strconv.Itoa(e.Rows))
	row := func(label string, n int) { fmt.Fprintf(tw, "  %s\t%*d\n", label, width, n) }
	row("rows", e.Rows)
	if e.Done > 0 {
		row("done by earlier runs", e.Done)
	}
	row("already bookmarked", e.Already)
	row("duplicate", e.Duplicate)
	row("invalid", e.Invalid)
	row("on "+r.destHost+" (bookmarked by id)", e.Local)
	row("elsewhere (search + bookmark)", e.Remote)
	tw.Flush()
	if e.Hides != "" {
		fmt.Fprintf(r.log, "%s: rows counted to write may be bookmarked already (the import finds them, at one search each, and counts them already)\n", e.Hides)
	}
	fmt.Fprintf(r.log, "would take %d requests%s\n", e.Requests, e.timeText(r.destHost))
}

// IsBigImport reports whether an import of est into a server running
// software (as internal/mastodon names it) at Mastodon version v should
// first offer the server's own importer: more than BigImport rows to write
// into Mastodon 3.3 or newer (the first with bookmark imports).
func IsBigImport(est Estimate, software string, v [3]int) bool {
	if est.ToWrite() <= BigImport || software != "mastodon" {
		return false
	}
	return v[0] > 3 || (v[0] == 3 && v[1] >= 3)
}

// Mastodon's importer takes files of up to 20 MB and 20,000 rows
// (app/models/form/import.rb).
const (
	importerMaxRows  = 20000
	importerMaxBytes = 20 << 20
)

// NextSteps are the commands a big import's advice gives, spelled with
// the user's own file names and accounts so that they can be run as they
// are.
type NextSteps struct {
	// MakeFile makes the file to upload in Mastodon's format; "" when the
	// inputs are such files already.
	MakeFile string
	// Verify lists, once the server's importer is done, the posts still
	// missing on the destination (into missing.csv, say).
	Verify string
	// ImportMissing imports what Verify listed.
	ImportMissing string
}

// Advice is the message shown before a big import: how long the rate limit
// makes it take, and the faster path through the server's own importer,
// with its limits and the exact commands of next. server is the
// destination's base URL.
func Advice(est Estimate, server string, next NextSteps) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bookmarks to write, %d requests%s.\n", est.ToWrite(), est.Requests, est.timeText(fedimarks.HostOf(server)))
	fmt.Fprintf(&b, "Faster: upload a file in Mastodon's format in the server's own importer (Preferences > Import and export >\n")
	fmt.Fprintf(&b, "Import, type Bookmarks) at %s/settings/imports. It takes up to %d MB and %s rows a file:\n",
		strings.TrimSuffix(server, "/"), importerMaxBytes>>20, "20,000")
	fmt.Fprintf(&b, "split a larger file (%d rows a part, newest first as in the file).\n", importerMaxRows)
	if next.MakeFile != "" {
		fmt.Fprintf(&b, "Make the file with: %s\n", next.MakeFile)
	}
	if next.Verify != "" {
		fmt.Fprintf(&b, "Wait for the server to finish, then list what is missing with:\n  %s\n", next.Verify)
		if next.ImportMissing != "" {
			fmt.Fprintf(&b, "and import only that with:\n  %s\n", next.ImportMissing)
		}
	} else {
		fmt.Fprintf(&b, "Wait for the server to finish, then run `fedimarks verify` to list what is missing and import only that.\n")
	}
	return b.String()
}

// humanDuration prints d rounded for a person: "45s", "12m", "2h05m".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		m := int(d.Round(time.Second) / time.Minute)
		s := int(d.Round(time.Second)/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	default:
		h := int(d / time.Hour)
		m := int(d.Round(time.Minute)/time.Minute) % 60
		return fmt.Sprintf("%dh%02dm", h, m)
	}
}
