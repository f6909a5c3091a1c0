package transfer

import (
	"encoding/json"

	"github.com/fedimarks/fedimarks"
)

// resolvedPost is what a run keeps of a status the destination resolved,
// for the rows that meet the same post again (see resolvedCache): its id
// and URI, and whether it was bookmarked, all that finishResolved reads.
// The text, the author, the media and the raw JSON are dropped: kept for
// every row they were most of an import's memory (about 10 KB a row at
// 20,000 rows).
type resolvedPost struct {
	id, uri    string
	bookmarked bool
}

// keepResolved keeps what matters of st, which the search for query
// found. The URI is most often the query itself, which the row holds:
// that copy is shared.
func keepResolved(st fedimarks.Status, query string) *resolvedPost {
	uri := st.URI
	if uri == query {
		uri = query
	}
	return &resolvedPost{id: st.ID, uri: uri, bookmarked: alreadyBookmarked(st)}
}

// status is the kept post as a status, its raw JSON holding only the
// flag alreadyBookmarked reads.
func (p *resolvedPost) status() *fedimarks.Status {
	st := &fedimarks.Status{ID: p.id, URI: p.uri}
	if p.bookmarked {
		st.Raw = json.RawMessage(`{"bookmarked":true}`)
	}
	return st
}
