package transfer

import (
	"encoding/json"

	"github.com/fedimarks/fedimarks"
)

// resolvedPost is what a run keeps of a status the destination resolved,
// for the rows that meet the same post again (see noteResolved): its id,
// addresses and visibility, and whether it was bookmarked. The text, the
// author, the media and the raw JSON are dropped: kept for every row they
// were most of an import's memory (about 10 KB a row at 20,000 rows).
type resolvedPost struct {
	id, uri, url, visibility string
	bookmarked               bool
}

func keepResolved(st fedimarks.Status) *resolvedPost {
	return &resolvedPost{id: st.ID, uri: st.URI, url: st.URL, visibility: st.Visibility, bookmarked: alreadyBookmarked(st)}
}

// status is the kept post as a status, its raw JSON holding only the
// flag alreadyBookmarked reads.
func (p *resolvedPost) status() *fedimarks.Status {
	st := &fedimarks.Status{ID: p.id, URI: p.uri, URL: p.url, Visibility: p.visibility}
	if p.bookmarked {
		st.Raw = json.RawMessage(`{"bookmarked":true}`)
	}
	return st
}
