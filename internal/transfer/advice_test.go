package transfer

import (
	"testing"

	"github.com/fedimarks/fedimarks"
)

// TestAuthorOfNamesAlike: the author is named user@host whether the row
// carries the profile URL (migrate) or only the post's address (a file),
// on each server family's address shapes.
func TestAuthorOfNamesAlike(t *testing.T) {
	for _, c := range []struct {
		it   fedimarks.JobItem
		want string
	}{
		{fedimarks.JobItem{URI: "https://m.example/users/frank/statuses/1", AuthorURL: "https://m.example/@frank"}, "frank@m.example"},
		{fedimarks.JobItem{URI: "https://m.example/users/frank/statuses/1"}, "frank@m.example"},
		{fedimarks.JobItem{URL: "https://m.example/@frank/1"}, "frank@m.example"},
		{fedimarks.JobItem{URI: "https://m.example/ap/users/1234/statuses/1", AuthorURL: "https://m.example/@frank"}, "frank@m.example"},
		{fedimarks.JobItem{URI: "https://s.example/carol/p/1796538736.189105", AuthorURL: "https://s.example/carol"}, "carol@s.example"},
		{fedimarks.JobItem{URI: "https://s.example/carol/p/1796538736.189105"}, "carol@s.example"},
		{fedimarks.JobItem{URI: "https://px.example/p/dan/7"}, "dan@px.example"},
		{fedimarks.JobItem{URI: "https://g.example/users/erin/statuses/01H"}, "erin@g.example"},
		{fedimarks.JobItem{URI: "https://x.example/objects/9", AuthorURL: "https://x.example/profile?id=3"}, "https://x.example/profile?id=3"},
		{fedimarks.JobItem{URI: "https://x.example/objects/9"}, "its author"},
	} {
		if got := authorOf(c.it); got != c.want {
			t.Errorf("authorOf(%+v) = %q, want %q", c.it, got, c.want)
		}
	}
}
