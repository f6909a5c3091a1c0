package transfer

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Check names what decided whether a row is bookmarked on the destination.
type Check string

// The checks. A listing may leave bookmarks out (snac's leaves out those of
// authors the account does not follow; servers hide those of muted or
// blocked authors); a post check asks the destination about the one post.
const (
	ByListing   Check = "listing"
	ByPostCheck Check = "post check"
)

// PostLookup is the destination as Verify looks single posts up on it:
// Resolve as in Writer, and Status, the post with the destination's own
// id (GET /api/v1/statuses/:id). The status either returns has
// "bookmarked": whether the account has the post bookmarked.
type PostLookup interface {
	Resolve(ctx context.Context, uri string) (*fedimarks.Status, error)
	Status(ctx context.Context, id string) (fedimarks.Status, error)
}

// VerifyRequest is what Verify compares: source rows against the
// destination's bookmarks.
type VerifyRequest struct {
	// Items are the source rows in write order (see Merge).
	Items []fedimarks.ImportItem
	// Rows, when set, stands for Items, for a caller that keeps its rows
	// in another form: it yields them in write order each time Verify
	// ranges over it (twice).
	Rows iter.Seq[fedimarks.ImportItem]
	// Lister reads the destination's bookmarks (required).
	Lister Lister
	// Posts, when set, looks up, one at a time, the posts the listing did
	// not show, when the listing looks incomplete: the destination's
	// software is known to leave bookmarks out of it, or posts that
	// fedimarks imported there are not in it (see checkAbsent). Nil: the
	// listing decides.
	Posts PostLookup
	// Server is the destination's base URL: its own posts are looked up
	// by the id their address carries.
	Server string
	// Probe, when set, is called once, only when some rows are not in the
	// listing: it returns the destination's server software as
	// internal/mastodon names it ("snac", ...).
	Probe func(ctx context.Context) string
	// Imported are the posts that earlier imports into the destination
	// recorded as imported or already there, by their addresses (the
	// destination's id, when known, is not needed).
	Imported []fedimarks.ListedBookmark
	// Progress, when set, counts the posts looked up.
	Progress Progress
	// Destination names the account whose bookmarks Lister reads, and
	// API the API it is spoken to with, for messages: Misskey's keeps
	// favorites.
	Destination fedimarks.Handle
	API         fedimarks.Family
}

// Verification is the result of Verify.
type Verification struct {
	// Rows is the number of source rows, Present those bookmarked on the
	// destination, Duplicate repeats within the source, Invalid rows that
	// name no post.
	Rows, Present, Duplicate, Invalid int
	// PresentChecked is how many of Present the listing did not show and a
	// post check found bookmarked.
	PresentChecked int
	// Missing are the source rows not bookmarked on the destination, in
	// the source's write order (oldest first), each with the check that
	// decided it.
	Missing []MissingRow
	// Unchecked are rows the listing did not show whose post check got no
	// usable answer: they may be bookmarked or not. Write order. The
	// Order of the rows of Missing and Unchecked numbers them together,
	// in write order.
	Unchecked []MissingRow
	// DestinationCount is how many bookmarks the destination listed.
	DestinationCount int
	// Software is the destination's software, when it was asked.
	Software string
	// CheckReason says why the posts the listing did not show were looked
	// up one by one; "" when the listing decided every row.
	CheckReason string
	// Refused is the error of a post check whose refusal stopped the
	// others (a scope the token lacks, a rate budget spent); nil if none.
	Refused error
	// Checked is how many posts were looked up, and CheckRequests the
	// requests that took (the client's retries not counted).
	Checked, CheckRequests int
}

// MissingRow is a row Verify did not find bookmarked on the destination:
// what it keeps of the source row (a verify of 200,000 rows holds up to
// as many) and what decided.
type MissingRow struct {
	// URI, URL and Source are the source row's (see fedimarks.ImportItem),
	// the addresses trimmed.
	URI, URL, Source string
	// Order numbers the rows of Missing and Unchecked together, in write
	// order (0 the oldest).
	Order int
	// Check is what decided (ByPostCheck for an unchecked row: the check
	// that failed).
	Check Check
	// Why is what the check saw, for people: "not in the listing",
	// "HOST finds no such post", "HOST has the post, not bookmarked", or
	// why an unchecked row could not be checked.
	Why string
}

// Address is the row's post address: its URI, else its URL.
func (r MissingRow) Address() string {
	if r.URI != "" {
		return r.URI
	}
	return r.URL
}

// checkFailLimit is how many post checks in a row may go without a usable
// answer before the rest are left unchecked: a destination that stopped
// answering costs no more than that.
const checkFailLimit = destFailLimit

// hidingListings are the server families (as internal/mastodon names them)
// whose bookmark listing is known to leave bookmarks out, and how.
var hidingListings = map[string]string{
	"snac": "snac leaves bookmarks of authors the account does not follow out of its listing",
}

// Verify reads the destination's bookmarks once and lists the source rows
// (in write order, see Merge) missing there, matching by URI or URL. When
// the listing looks incomplete (see checkAbsent) the rows it does not
// show are looked up one at a time, one request each (two when the
// server's search does not say whether a post is bookmarked), and a row is
// missing only if its post check says so; a row whose check gets no usable
// answer is Unchecked, never missing, and after checkFailLimit such answers
// in a row the rest are left unchecked. A rejected token, or an interrupt,
// stops Verify with that error.
//
// Verify holds req.Items only while it plans them: what it keeps of a row
// absent from the listing is a MissingRow, decided and compacted in place
// into Missing, so a caller that drops its rows too holds them once.
func Verify(ctx context.Context, req VerifyRequest) (*Verification, error) {
	have := keySet{}
	rows := req.Rows
	if rows == nil {
		rows = slices.Values(req.Items)
	}
	v := &Verification{}
	err := req.Lister.EachBookmark(ctx, func(page []fedimarks.Status) error {
		for _, s := range page {
			have.addStatus(s)
		}
		v.DestinationCount += len(page)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the %s of %s: %w", req.API.Marks(), cmp.Or(string(req.Destination), "destination"), err)
	}
	absent := v.absentRows(rows, have)
	req.Items, req.Rows = nil, nil // absent holds all that is left to decide
	imported, importedPosts := importedKeys(req.Imported)
	state := make([]rowState, len(absent))
	if len(absent) > 0 && req.Posts != nil {
		if req.Probe != nil {
			v.Software = req.Probe(ctx)
		}
		if err := v.checkAbsent(ctx, req, absent, state, imported, importedPosts); err != nil {
			return nil, err
		}
	}
	v.sortOut(absent, state)
	return v, nil
}

// notListed is why the listing decided a row missing.
const notListed = "not in the listing"

// absentRows plans items (one at a time: no planned copy of every row),
// counts the invalid and duplicate rows and those the listing shows, and
// returns the others, in write order, as the listing decides them. The
// rows are gathered once the planning's set of posts is let go: the
// input, that set and the rows are never all held at once.
func (v *Verification) absentRows(rows iter.Seq[fedimarks.ImportItem], have keySet) []MissingRow {
	var which []int32 // the rows absent, by index: 4 bytes a row while planning
	seen := postHashes{}
	i := -1
	for in := range rows {
		i++
		v.Rows++
		switch it := planItem(in, seen); it.Outcome {
		case fedimarks.Invalid:
			v.Invalid++
		case fedimarks.Duplicate:
			v.Duplicate++
		default:
			if _, ok := have.find(it.URI, it.URL); ok {
				v.Present++
			} else {
				which = append(which, int32(i))
			}
		}
	}
	seen = nil
	absent := make([]MissingRow, 0, len(which))
	i = -1
	for in := range rows {
		if i++; len(absent) == len(which) {
			break
		}
		if int32(i) == which[len(absent)] {
			absent = append(absent, MissingRow{URI: strings.TrimSpace(in.URI), URL: strings.TrimSpace(in.URL), Source: in.Source,
				Check: ByListing, Why: notListed}) // the addresses as planItem trims them
		}
	}
	return absent
}

// rowState is what Verify decided for one row absent from the listing.
type rowState uint8

const (
	listingDecides rowState = iota // not looked up: missing, by the listing
	checkedMissing                 // looked up: not bookmarked
	checkedPresent                 // looked up: bookmarked
	checkFailed                    // looked up without a usable answer: unchecked
)

// sortOut moves the rows of absent that a post check did not find present
// into v.Missing (compacted in place) and v.Unchecked, numbering them
// together in write order.
func (v *Verification) sortOut(absent []MissingRow, state []rowState) {
	order, n := 0, 0
	for i, r := range absent {
		switch state[i] {
		case checkedPresent:
			v.Present++
			continue
		case checkFailed:
			r.Order = order
			v.Unchecked = append(v.Unchecked, r)
		default:
			r.Order = order
			absent[n] = r
			n++
		}
		order++
	}
	clear(absent[n:]) // the rows moved or found present let go of their texts
	if n < cap(absent)/2 {
		absent = slices.Clone(absent[:n]) // most were present: the rest in a slice their size
	}
	if n > 0 {
		v.Missing = absent[:n]
	}
}

// checkAbsent decides the rows absent from the listing, into state. The
// listing looks incomplete when the destination's software is known to
// leave bookmarks out of it (every absent row is looked up), when it shows
// fewer bookmarks than fedimarks' imports wrote there (every absent row
// too), or when posts that fedimarks imported are not in it: those are
// looked up first, and the other absent rows only if one of them is still
// bookmarked (the listing hides bookmarks); else the listing, shown right,
// decides the rest.
func (v *Verification) checkAbsent(ctx context.Context, req VerifyRequest, absent []MissingRow, state []rowState, imported keySet, importedPosts int) error {
	var first []int
	for i, r := range absent {
		if len(imported) == 0 {
			break // nothing to parse 200,000 addresses for
		}
		if _, ok := imported.find(r.URI, r.URL); ok {
			first = append(first, i)
		}
	}
	all := func(yield func(int) bool) {
		for i := range absent {
			if !yield(i) {
				return
			}
		}
	}
	st := checkState{whys: map[string]string{}}
	switch why, hides := hidingListings[v.Software]; {
	case hides:
		v.CheckReason = why
		return v.lookUp(ctx, req, absent, len(absent), all, state, &st)
	case len(first) > 0:
		v.CheckReason = fmt.Sprintf("%s that fedimarks imported %s not in its listing", fedimarks.Plural(len(first), "post"), fedimarks.IsAre(len(first)))
		if err := v.lookUp(ctx, req, absent, len(first), slices.Values(first), state, &st); err != nil {
			return err
		}
		if len(first) == len(absent) {
			return nil
		}
		if v.PresentChecked == 0 {
			v.CheckReason += fmt.Sprintf(", and none is bookmarked there now: the listing is right, and decided the other %d", len(absent)-len(first))
			return nil
		}
		v.CheckReason += fmt.Sprintf(", and %d %s bookmarked there: the listing hides bookmarks, so the others not in it were looked up too", v.PresentChecked, fedimarks.IsAre(v.PresentChecked))
		rest := func(yield func(int) bool) {
			for i := range absent {
				if state[i] == listingDecides && !yield(i) {
					return
				}
			}
		}
		return v.lookUp(ctx, req, absent, len(absent)-len(first), rest, state, &st)
	case v.DestinationCount < importedPosts:
		v.CheckReason = fmt.Sprintf("its listing shows %d bookmarks, fewer than the %d posts fedimarks imported there", v.DestinationCount, importedPosts)
		return v.lookUp(ctx, req, absent, len(absent), all, state, &st)
	}
	return nil
}

// importedKeys is the set of the posts earlier imports recorded, and how
// many posts they are: each job records its own rows, so one post comes
// once per job that held it (by its URI in one, its URL in another).
func importedKeys(recorded []fedimarks.ListedBookmark) (keySet, int) {
	keys, ids, posts := keySet{}, map[string]bool{}, 0
	for _, b := range recorded {
		_, known := keys.find(b.Addrs...)
		if b.ID != "" {
			known = known || ids[b.ID]
			ids[b.ID] = true
		}
		if !known {
			posts++
		}
		keys.add(b.ID, b.Addrs...)
	}
	return keys, posts
}

// checkState is what the post checks of one Verify have seen so far.
type checkState struct {
	fails int    // checks in a row without a usable answer
	stop  string // set: why the remaining rows are not looked up
	// whys holds one copy of each reason given: 200,000 rows checked
	// on one server share a few texts.
	whys map[string]string
}

func (st *checkState) why(s string) string {
	if w, ok := st.whys[s]; ok {
		return w
	}
	st.whys[s] = s
	return s
}

// lookUp checks the n rows absent[i] for i in which, one at a time, and
// records in state and in the rows what it decided. After checkFailLimit
// checks in a row without a usable answer, or one that says the rest would
// fail alike (a missing scope, a spent rate budget), the rest are not
// looked up.
func (v *Verification) lookUp(ctx context.Context, req VerifyRequest, absent []MissingRow, n int, which iter.Seq[int], state []rowState, st *checkState) error {
	host := fedimarks.HostOf(req.Server)
	if p := req.Progress; p != nil {
		p.SetTotal(int64(v.Checked + n))
	}
	decide := func(i int, s rowState, why string) {
		state[i] = s
		absent[i].Check, absent[i].Why = ByPostCheck, st.why(why)
	}
	for i := range which {
		if st.stop != "" {
			decide(i, checkFailed, "not checked: "+st.stop)
			continue
		}
		v.Checked++
		bookmarked, why, err := v.checkPost(ctx, req.Posts, absent[i], host)
		if p := req.Progress; p != nil {
			p.Add(1)
		}
		switch {
		case err != nil:
			if isCanceled(err) || ctx.Err() != nil {
				return interrupted(err)
			}
			if fedimarks.ErrorKind(err) == fedimarks.KindAuth {
				return fmt.Errorf("check posts: %w", err)
			}
			st.fails++
			if st.fails >= checkFailLimit {
				st.stop = fmt.Sprintf("%s failed %d post checks in a row", host, checkFailLimit)
			}
			if verdict, _ := classify(err, false, "", false); verdict == vFatal {
				st.stop = "an earlier check was refused, and the others would be too"
				v.Refused = err
			}
			decide(i, checkFailed, "no usable answer: "+errDetail(err))
		case bookmarked:
			st.fails = 0
			v.PresentChecked++
			decide(i, checkedPresent, "")
		default:
			st.fails = 0
			decide(i, checkedMissing, why)
		}
	}
	return nil
}

// checkPost asks the destination whether the row's post is bookmarked
// there, with one search: a post bookmarked there is known there, so the
// search answers at once, and its status carries "bookmarked" for the
// account. GET /api/v1/statuses/:id says the same but needs read:statuses,
// which fedimarks does not ask for at login (Mastodon answers 403): it is
// asked only when the search's status lacks the flag. why says what was
// seen when the post is not bookmarked. An error is an answer that tells
// nothing about the post.
func (v *Verification) checkPost(ctx context.Context, posts PostLookup, it MissingRow, host string) (bookmarked bool, why string, err error) {
	q := it.URI
	if fedimarks.HostOf(q) == "" {
		q = it.URL
	}
	v.CheckRequests++
	st, err := posts.Resolve(ctx, q)
	switch k := fedimarks.ErrorKind(err); {
	case k == fedimarks.KindNotFound || k == fedimarks.KindGone:
		return false, host + " finds no such post", nil
	case err != nil:
		return false, "", err
	case st == nil || st.ID == "":
		return false, host + " finds no such post", nil
	}
	if !hasBookmarkedFlag(*st) {
		v.CheckRequests++
		got, err := posts.Status(ctx, st.ID)
		if err != nil {
			return false, "", err
		}
		if !hasBookmarkedFlag(got) {
			return false, "", fmt.Errorf("%s shows the post without saying whether it is bookmarked", host)
		}
		st = &got
	}
	if alreadyBookmarked(*st) {
		return true, "", nil
	}
	return false, host + " has the post, not bookmarked", nil
}

// hasBookmarkedFlag reports whether the status as the destination returned
// it says whether the account bookmarked it.
func hasBookmarkedFlag(s fedimarks.Status) bool {
	var w struct {
		Bookmarked *bool `json:"bookmarked"`
	}
	return len(s.Raw) > 0 && json.Unmarshal(s.Raw, &w) == nil && w.Bookmarked != nil
}
