package transfer

import "github.com/fedimarks/fedimarks"

// AuthorName names the author of a row with the post uri, web address
// url and author's profile authorURL (each may be ""), as the row details
// and summaries do: user@host when the addresses tell it, else "".
func AuthorName(uri, url, authorURL string) string {
	if a := authorOf(fedimarks.JobItem{URI: uri, URL: url, AuthorURL: authorURL}); a != "its author" && a != authorURL {
		return a
	}
	return ""
}
