package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestBrowserSavesTags submits a post's tag form in a real chromium: the
// page's Referrer-Policy (no-referrer) makes the browser send "Origin:
// null" with its own forms, which must still be taken as the page's own
// (Sec-Fetch-Site: same-origin), or no form of the page works.
func TestBrowserSavesTags(t *testing.T) {
	browsertest.Skip(t)
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	bctx := browsertest.New(t, 1100, 1400, 60*time.Second)
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click(chromedp.CSS(`details.edit summary`)),
		chromedp.SetValue(chromedp.CSS(`details.edit input[name=tags]`), "browsertag"),
		chromedp.Click(chromedp.CSS(`details.edit button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.local-tags`)),
	)
	if err != nil {
		body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("save a tag: %v\n%.300s", err, body)
	}
	if tags, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`p.local-tags`))); !strings.Contains(tags, "browsertag") {
		t.Errorf("tags shown: %q", tags)
	}
}
