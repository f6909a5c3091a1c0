package web_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// A post bookmarked by alice on two servers is stored once, as the last
// server to return it gave it: new.example, where its author is local
// (acct "dana"). alice@home.example's page shows dana@new.example, the
// host of the server that returned the copy, not dana@home.example.
func TestPageAuthorTakesTheHostOfTheStoredCopy(t *testing.T) {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	p := postSpec{i: 1, content: "<p>How we run our small server</p>", name: "Dana", acct: "dana", profile: "https://new.example/@dana"}
	for _, h := range []fedimarks.Handle{alice, "alice@new.example"} {
		run, err := a.StartRun(ctx, h, true, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SavePage(ctx, run, []fedimarks.Status{p.status(t)}, "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, run, t0); err != nil {
			t.Fatal(err)
		}
	}
	base := start(t, &fixture{archive: a, media: web.MediaFunc(func(context.Context, string) ([]web.LocalFile, error) { return nil, nil })})
	for _, path := range []string{"/?account=alice%40home.example", "/?account=alice%40home.example&q=server"} {
		r := get(t, base, path, "")
		if r.code != 200 || !strings.Contains(r.body, `title="@dana@new.example"`) || strings.Contains(r.body, "dana@home.example") {
			t.Errorf("%s: %d, the author is not dana@new.example:\n%s", path, r.code, r.body)
		}
	}
}
