package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A next link that cannot be followed leaves the page good and says why
// there is no Next; a walk that meets it is incomplete, an error.
func TestNextLinkRefusedKeepsThePage(t *testing.T) {
	for _, next := range []string{"http://localhost:3000/api/v1/bookmarks?max_id=1", "http://[::1"} {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next))
			fmt.Fprint(w, `[{"id":"1","uri":"https://r.example/s/1"}]`)
		})
		c, _ := newTestClient(t, srv)
		p, err := c.BookmarksPage(context.Background(), "")
		if err != nil || len(p.Statuses) != 1 || p.Next != "" || p.NextRefused == nil ||
			!strings.Contains(p.NextRefused.Error(), "next page is refused") {
			t.Fatalf("next %s: page %+v, err %v", next, p, err)
		}
		pages := 0
		err = c.WalkBookmarks(context.Background(), func(Page) error { pages++; return nil })
		if err == nil || pages != 1 {
			t.Errorf("walk past a refused next link: %d pages, err %v; want the page, then the error", pages, err)
		}
	}
}
