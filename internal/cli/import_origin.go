package cli

import (
	"context"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// objectOrigin adapts mastodon's ObjectFetcher to the engine's Origin: it
// asks a post's own server about the post, unsigned and without a token.
type objectOrigin struct{ f *mastodon.ObjectFetcher }

func (o objectOrigin) FetchObject(ctx context.Context, uri string) (string, error) {
	obj, err := o.f.FetchObject(ctx, uri)
	return obj.Type, err
}

// origin is the engine's way to ask posts' own servers, and the pause
// before a post its server serves is searched again (twice the client's
// first retry delay: 2 s, shorter in tests).
func (a *app) origin() (transfer.Origin, time.Duration) {
	f := &mastodon.ObjectFetcher{HTTPClient: a.io.HTTPClient, UserAgent: "fedimarks/" + version}
	return objectOrigin{f}, 2 * a.io.Backoff
}
