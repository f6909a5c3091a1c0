package transfer

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Origin asks a post's own server about the post, for the rows the
// destination's search did not find: a resolving search answers nothing
// alike for a deleted post and for one the destination could not fetch
// (its server down or slow, or a race between searches: GoToSocial,
// snac), and only the post's server can tell them apart. Implementations
// send no credentials, spend nothing of the destination's rate limit, and
// must be safe for concurrent use.
type Origin interface {
	// FetchObject GETs the ActivityPub object at uri from its server
	// (unsigned, Accept: application/activity+json, one attempt, a short
	// timeout) and returns its type ("Note", "Tombstone", ...). An error
	// answer, and no answer (refused, reset, timed out), is a
	// *fedimarks.RemoteError: its Kind says what the answer means, its
	// Status how it read.
	FetchObject(ctx context.Context, uri string) (objectType string, err error)
}

// originVerdict is what a post's own server's answer says of the post.
type originVerdict int

const (
	originUnasked  originVerdict = iota // not asked
	originGone                          // gone, a Tombstone, or not found: deleted (or, not found, not shown unsigned)
	originServes                        // the object: the post exists, publicly
	originRefused                       // refused: it answers no unsigned fetch, so it tells nothing
	originDown                          // no answer, its own failure, rate limited, timeout
	originUnclear                       // any other answer
	originCanceled                      // the run was interrupted meanwhile
)

// originAnswer is a post's server's answer, as the engine reads it.
type originAnswer struct {
	verdict originVerdict
	host    string
	kind    fedimarks.Kind
	// said is the answer in a few words, for the row's detail:
	// "answers 410 Gone", "did not answer (connection refused)".
	said string
	err  error // set when canceled
}

// readOrigin reads the answer of host's server to FetchObject.
func readOrigin(host, objectType string, err error) originAnswer {
	k := fedimarks.ErrorKind(err)
	a := originAnswer{host: host, kind: k}
	status := "" // the answer's status in words, "" for no answer
	if re := (*fedimarks.RemoteError)(nil); errors.As(err, &re) {
		status = re.Status
	}
	switch {
	case err == nil && objectType == "Tombstone":
		a.verdict, a.said = originGone, "serves a Tombstone"
	case err == nil:
		a.verdict, a.said = originServes, "serves it"
	case isCanceled(err):
		a.verdict, a.err = originCanceled, err
	case k == fedimarks.KindNotFound || k == fedimarks.KindGone:
		a.verdict, a.said = originGone, "answers "+status
	case k == fedimarks.KindAuth || k == fedimarks.KindScope || k == fedimarks.KindForbidden:
		a.verdict, a.said = originRefused, "refuses unsigned fetches ("+status+"), so it could not tell"
	case status != "" && (k == fedimarks.KindUnreachable || k == fedimarks.KindRemoteFetch ||
		k == fedimarks.KindServerError || k == fedimarks.KindRateLimited):
		a.verdict, a.said = originDown, "did not answer properly ("+status+")"
	case unreachable(err):
		a.verdict, a.said = originDown, "did not answer ("+cause(err)+")"
	default:
		a.verdict, a.said = originUnclear, "answered: "+cause(err)
	}
	return a
}

// cause is the innermost text of an error: what a connection failure was,
// without the method and path of the request around it.
func cause(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it closed the connection without a word" // as login says it
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}

// askOrigin asks the row's post's server about the post the destination
// did not find, and tells the breaker what came of it: no answer counts
// against the server like a failed fetch, any answer closes the breaker.
// Posts of the destination's own server, and runs without an Origin, are
// not asked.
func (r *run) askOrigin(ctx context.Context, it fedimarks.JobItem, domain, q string) originAnswer {
	if r.im.Origin == nil || domain == "" || domain == r.destHost {
		r.br.record(domain, outcomeNeutral)
		return originAnswer{}
	}
	typ, err := r.im.Origin.FetchObject(ctx, q)
	a := readOrigin(domain, typ, err)
	switch a.verdict {
	case originCanceled:
		r.br.record(domain, outcomeNeutral)
	case originDown:
		r.br.record(domain, outcomeFail)
	default:
		r.br.record(domain, outcomeOK)
	}
	return a
}

// emptyOutcome is the outcome of a row the destination's search did not
// find, from what the post's server answered (a, possibly not asked).
func (r *run) emptyOutcome(it fedimarks.JobItem, a originAnswer) (fedimarks.Outcome, string) {
	o, d := notFoundOutcome(it)
	server := "its server " + a.host + " "
	switch a.verdict {
	case originGone:
		if a.kind == fedimarks.KindGone || a.kind == "" || it.Visibility == "public" || it.Visibility == "unlisted" {
			return fedimarks.NotFound, server + a.said + ": deleted"
		}
		// A followers-only or direct post is 404 to an unsigned fetch too.
		return o, d + " (" + server + a.said + ")"
	case originServes:
		return fedimarks.Failed, server + "serves it, but " + r.destHost + " could not fetch it (searched twice); retry later with --retry-failed"
	case originDown:
		return fedimarks.Unreachable, server + a.said + ", and " + r.destHost + " found nothing; a rerun retries it"
	case originRefused:
		return o, d + " (" + server + a.said + "; searched twice)"
	case originUnclear:
		return o, d + " (" + server + a.said + ")"
	}
	return o, d
}

// isUnknownVisibility reports whether a not_found row's detail is the one
// for rows whose input did not say the post's visibility.
func isUnknownVisibility(it fedimarks.JobItem) bool {
	return it.Outcome == fedimarks.NotFound && strings.HasPrefix(it.Detail, unknownVisibilityDetail)
}
