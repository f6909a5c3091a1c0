package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestBrowser loads the page in a real headless chromium: the timeline
// shows, a search finds a known post, paging works, the XSS payloads
// stored in a post (content, content warning, author name and profile
// link, attachment descriptions and addresses) do not run, the page makes
// no request to any other host, and a screenshot is saved (kept with
// -artifacts). In CI (CI set) it runs even with -short, and a missing
// browser is a failure.
func TestBrowser(t *testing.T) {
	browsertest.Skip(t)
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, Media: f.media, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s) // 127.0.0.1
	defer srv.Close()
	bctx := browsertest.New(t, 1100, 1400, 90*time.Second)

	// Every request the page makes must go to this server: the page
	// works offline and leaks nothing (no remote image, no tracker).
	var (
		mu        sync.Mutex
		requested []string
	)
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listen to the network: %v", err)
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if len(requested) == 0 {
			t.Error("heard no request at all: the network listener does not work")
		}
		for _, u := range requested {
			if !strings.HasPrefix(u, srv.URL+"/") && u != srv.URL {
				t.Errorf("the page requested %s, off this server", u)
			}
		}
	}()

	// noXSS checks that nothing of the payloads ran or became an element.
	noXSS := func(when string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			xssType, err := chromedp.Evaluate[string](`typeof window.xss`)(ctx, tg)
			if err != nil {
				return err
			}
			scripts, err := chromedp.Evaluate[int](`document.querySelectorAll('script').length`)(ctx, tg)
			if err != nil {
				return err
			}
			injected, err := chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"], svg, [onerror], [onload], ' +
				'a[href^="javascript"], [src^="javascript"], [src^="data"], a[href^="data"], [src^="http"]:not([src^="'+location.origin+'"]), [x]').length`)(ctx, tg)
			if err != nil {
				return err
			}
			if xssType != "undefined" || scripts != 0 || injected != 0 {
				t.Errorf("%s: typeof window.xss = %q, %d script elements, %d injected elements", when, xssType, scripts, injected)
			}
			return nil
		})
	}
	text := func(sel string) (string, error) { return chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel))) }

	// Page 1: the timeline, the XSS post on it; open its content warning.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`article.post`)),
		noXSS("page 1"),
		chromedp.Click(chromedp.CSS(`details.cw summary`)),
		chromedp.WaitVisible(chromedp.CSS(`details.cw[open] .content`)),
		noXSS("content warning opened"),
	)
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	if summary, err := text(`#summary`); err != nil || !strings.Contains(summary, "45 bookmarks") {
		t.Errorf("summary %q (%v) does not count 45 bookmarks", summary, err)
	}
	browsertest.Screenshot(t, bctx, "page1.png")

	// Search from the box for a known post.
	err = chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS(`#q`), "quokka"),
		chromedp.Click(chromedp.CSS(`form.search button`)),
		chromedp.WaitVisible(chromedp.CSS(`mark`)),
		noXSS("search"),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	summary, _ := text(`#summary`)
	matched, _ := text(`mark`)
	article, _ := text(`article.post`)
	if !strings.Contains(summary, "1 bookmark matches") || !strings.EqualFold(matched, "quokka") ||
		!strings.Contains(article, "The quokka is a small marsupial") {
		t.Errorf("search: summary %q, highlighted %q, post %q", summary, matched, article)
	}

	// A match under a content warning stays hidden until it is opened.
	var shown, opened bool
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/?q=platypus"),
		chromedp.WaitVisible(chromedp.CSS(`details.cw summary`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			shown, err = chromedp.Evaluate[bool](`document.querySelector('article.post').innerText.includes('platypus lays')`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS(`details.cw summary`)),
		chromedp.WaitVisible(chromedp.CSS(`details.cw[open] .content`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			opened, err = chromedp.Evaluate[bool](`document.querySelector('article.post').innerText.includes('platypus lays')`)(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("content warning search: %v", err)
	}
	if shown || !opened {
		t.Errorf("content-warned text visible before opening: %v, after: %v", shown, opened)
	}

	// Page to page 2 of the timeline with the pager.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#older`)),
		chromedp.Click(chromedp.CSS(`#older`)),
		chromedp.WaitVisible(chromedp.CSS(`#newer`)),
		noXSS("page 2"),
	)
	if err != nil {
		t.Fatalf("page 2: %v", err)
	}
	page2, _ := text(`main`)
	if !strings.Contains(page2, "page 2 of 5") || !strings.Contains(page2, "Ordinary post number 34 ") ||
		strings.Contains(page2, "Dangerous") {
		t.Errorf("page 2 does not show the second ten posts:\n%s", page2)
	}
}
