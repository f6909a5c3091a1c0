package transfer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fedimarks/fedimarks"
)

// writeTally is what the writer did so far.
type writeTally struct {
	// written maps the destination ids of rows that succeeded to the row
	// (its Source, else its address), to spot a post met again under
	// another address.
	written map[string]string
	// lastImported is the Seq of the last row of the source's order that
	// an earlier run imported (-1: none); late counts the rows before it
	// that this run imports: they land out of the source's order, as the
	// newest bookmarks on the destination.
	lastImported, late int
	// imported counts the rows this run imported.
	imported int
}

// via is how the destination id of a bookmark request came about, which
// says what a 404 to it means.
type via int

const (
	viaID     via = iota // the id in the post's address, or from an earlier attempt
	viaSearch            // a search found the post just now
	viaRetry             // a second request, after a 404: a 404 again is final
)

// finishResolved ends a row from its resolve answer, bookmarking it when
// found.
func (r *run) finishResolved(ctx context.Context, it *fedimarks.JobItem, res resolved, how via) error {
	switch {
	case res.skipped != "":
		return r.set(ctx, it, fedimarks.Unreachable, res.skipped, "")
	case res.err != nil:
		v, fatal := classify(res.err, false, r.req.Destination, false)
		switch v {
		case vFatal:
			return fatal
		case vNotFound:
			o, d := notFoundOutcome(*it)
			return r.set(ctx, it, o, d, "")
		case vNotVisible:
			return r.set(ctx, it, fedimarks.NotVisible, "the destination may not show this post to the account (403): "+errDetail(res.err), "")
		case vUnreachable:
			return r.set(ctx, it, fedimarks.Unreachable, postDomain(*it)+" did not answer "+r.destHost+"'s fetch; a rerun retries it: "+errDetail(res.err), "")
		case vDestDown:
			return r.set(ctx, it, fedimarks.Unreachable, "the destination "+r.destHost+" did not answer the search; a rerun retries it: "+errDetail(res.err), "")
		default:
			return r.set(ctx, it, fedimarks.Failed, errDetail(res.err), "")
		}
	case !found(res.st):
		o, d := r.emptyOutcome(*it, res.origin)
		return r.set(ctx, it, o, d, "")
	}
	if err := r.notePost(ctx, it, res.st.URI); err != nil {
		return err
	}
	if first, ok := r.tally.written[res.st.ID]; ok {
		return r.set(ctx, it, fedimarks.Duplicate, "same post as "+first+" (under another address)", res.st.ID)
	}
	if alreadyBookmarked(*res.st) {
		if it.DestID == "" {
			it.DestID = res.st.ID
		}
		return r.finishFound(ctx, it, "already bookmarked on the destination")
	}
	return r.bookmark(ctx, it, res.st.ID, how)
}

// notePost records the URI of the post the row resolved to, when the row
// did not carry it (a row read as a web address), so that the failures
// file can name the post as Mastodon's importer wants it.
func (r *run) notePost(ctx context.Context, it *fedimarks.JobItem, uri string) error {
	if uri == "" || uri == it.URI || uri == it.PostURI || fedimarks.HostOf(uri) == "" {
		return nil
	}
	if err := r.im.Journal.SetJobItemPostURI(context.WithoutCancel(ctx), it.ID, uri); err != nil {
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	it.PostURI = uri
	return nil
}

// direct bookmarks a row whose destination id is known, falling back to a
// search when the id is refused with 404.
func (r *run) direct(ctx context.Context, it *fedimarks.JobItem) error {
	id := it.DestID
	if id == "" {
		id = localID(*it, r.destHost)
	}
	if first, ok := r.tally.written[id]; ok {
		return r.set(ctx, it, fedimarks.Duplicate, "same post as "+first+" (under another address)", id)
	}
	return r.bookmark(ctx, it, id, viaID)
}

// bookmark writes one bookmark durably: in flight committed before the
// request, the outcome committed right after the answer.
func (r *run) bookmark(ctx context.Context, it *fedimarks.JobItem, id string, how via) error {
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	if err := r.im.Journal.MarkInFlight(ctx, it.ID, id); err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	wasInFlight := it.InFlight
	it.InFlight, it.DestID, it.Attempts = true, id, it.Attempts+1
	_, err := r.im.Writer.Bookmark(ctx, id)
	r.noteAnswer(&r.fails.write, err, true)
	if err == nil {
		return r.set(ctx, it, fedimarks.Imported, "", id)
	}
	v, fatal := classify(err, true, r.req.Destination, conflictIsAlready(r.req.Software, r.req.API))
	switch v {
	case vFatal:
		return fatal // the row stays in flight and is redone by a rerun
	case vAlready:
		o := fedimarks.Already
		if wasInFlight {
			o = fedimarks.Imported
		}
		return r.set(ctx, it, o, "the server answered "+answerStatus(err, "422")+", its answer for an already-bookmarked post: "+errDetail(err), id)
	case vNotFound:
		if how != viaRetry {
			return r.recheck(ctx, it)
		}
		o, d := notFoundOutcome(*it)
		return r.set(ctx, it, o, d, id)
	case vNotVisible:
		return r.set(ctx, it, fedimarks.NotVisible, "the destination refused the bookmark (403): "+errDetail(err), id)
	case vUnreachable, vDestDown:
		return r.set(ctx, it, fedimarks.Unreachable, "the destination "+r.destHost+" did not answer the bookmark request; a rerun retries it: "+errDetail(err), id)
	default:
		return r.set(ctx, it, fedimarks.Failed, errDetail(err), id)
	}
}

// recheck follows a 404 to a bookmark request (its row in flight) with a
// search, alone: an id taken from the post's address may not be the
// server's, and snac has answered 404 to a bookmark request made while
// one of its searches ran, though it stored the bookmark. A post found
// bookmarked ends imported; one found otherwise is bookmarked once more;
// nothing found is read like any empty search.
func (r *run) recheck(ctx context.Context, it *fedimarks.JobItem) error {
	domain := postDomain(*it)
	if ok, why := r.br.allow(domain); !ok {
		return r.set(ctx, it, fedimarks.Unreachable, why, "")
	}
	res := r.lookUp(ctx, *it, domain, true)
	if res.err == nil && found(res.st) && alreadyBookmarked(*res.st) {
		return r.set(ctx, it, fedimarks.Imported, "the destination answered 404 to the bookmark request, but stored it", res.st.ID)
	}
	return r.finishResolved(ctx, it, res, viaRetry)
}

// finishFound ends a row whose post is already bookmarked on the
// destination: already, or imported when an interrupted run of ours had
// the request out.
func (r *run) finishFound(ctx context.Context, it *fedimarks.JobItem, detail string) error {
	if it.InFlight {
		return r.set(ctx, it, fedimarks.Imported, "written by an interrupted run", it.DestID)
	}
	return r.set(ctx, it, fedimarks.Already, detail, it.DestID)
}

// set commits a row's outcome.
func (r *run) set(ctx context.Context, it *fedimarks.JobItem, o fedimarks.Outcome, detail, destID string) error {
	late := o == fedimarks.Imported && it.Seq < r.tally.lastImported
	if late {
		if detail != "" {
			detail += "; "
		}
		detail += lateDetail
	}
	// Commit even when ctx was cancelled while the request was out: the
	// answer arrived and must not be lost.
	if err := r.im.Journal.SetOutcome(context.WithoutCancel(ctx), it.ID, o, detail, destID); err != nil {
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	it.Outcome, it.Detail, it.DestID, it.InFlight = o, detail, destID, false
	if o == fedimarks.Imported {
		r.tally.imported++
		if late {
			r.tally.late++
		}
	}
	r.noteWritten(*it)
	if p := r.im.Progress; p != nil {
		p.Add(1)
	}
	return nil
}

func (r *run) noteWritten(it fedimarks.JobItem) {
	if it.DestID == "" || (it.Outcome != fedimarks.Imported && it.Outcome != fedimarks.Already) {
		return
	}
	if r.tally.written == nil {
		r.tally.written = map[string]string{}
	}
	if _, ok := r.tally.written[it.DestID]; !ok {
		name := it.Source
		if name == "" {
			name = it.Address()
		}
		r.tally.written[it.DestID] = name
	}
}

// lateDetail ends the detail of a row imported by a later run than rows
// that follow it in the source.
const lateDetail = "written after rows that follow it in the source: it is among the newest bookmarks (see docs/import.md, Order)"

// alreadyBookmarked reads the "bookmarked" flag of a status as the
// destination returned it.
func alreadyBookmarked(s fedimarks.Status) bool {
	var w struct {
		Bookmarked bool `json:"bookmarked"`
	}
	return len(s.Raw) > 0 && json.Unmarshal(s.Raw, &w) == nil && w.Bookmarked
}
