package oauth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
)

// What fedimarks registers on a server.
const (
	appName    = "fedimarks"
	appWebsite = "https://github.com/fedimarks/fedimarks"
	// granularScopes are what fedimarks uses: read bookmarks (backup,
	// export), write them and resolve posts (import). The scope that lets
	// it read the account's name is added: profile or read:accounts.
	granularScopes = "read:bookmarks write:bookmarks read:search"
	coarseScopes   = "read write"
)

// app returns fedimarks' app on the server: the kept one while the server
// still knows it, else a new registration, kept for the next sign-in.
func (s *signIn) app(ctx context.Context) (fedimarks.App, error) {
	kept, err := s.keptApp(ctx)
	if err != nil {
		return fedimarks.App{}, err
	}
	if kept != nil {
		return *kept, nil
	}
	return s.register(ctx)
}

// keptApp returns the app kept for the server, nil when none is kept or
// the server no longer knows it (then it is forgotten here too). A server
// that forgot it would show the person an error page that never comes
// back here: it is asked first.
func (s *signIn) keptApp(ctx context.Context) (*fedimarks.App, error) {
	kept, err := s.Apps.App(ctx, s.Server)
	if err != nil || kept == nil {
		return nil, err
	}
	s.secret(kept.ClientSecret)
	state, why, err := s.c.CheckApp(ctx, *kept, probeRedirect(kept.RedirectURI))
	if err != nil || state != mastodon.AppForgotten {
		return kept, err
	}
	s.say("%s no longer knows fedimarks' app (%s): registering it again.", s.host, why)
	return nil, s.forget(ctx, *kept)
}

// forget drops the kept app the server no longer knows, remembering its
// credentials for revoking the tokens it issued.
func (s *signIn) forget(ctx context.Context, app fedimarks.App) error {
	s.forgotten = append(s.forgotten, app)
	return s.Apps.DeleteApp(ctx, s.Server)
}

// register registers fedimarks on the server and keeps the app. The
// loopback port is chosen once (a sign-in from the page: the page's port)
// and registered with the app: servers that compare redirect URIs exactly
// (GoToSocial) accept later sign-ins on the same port. The out-of-band URI rides along, so that one registration
// serves both ways of receiving the code.
func (s *signIn) register(ctx context.Context) (fedimarks.App, error) {
	s.fresh = true
	port, err := freeLoopbackPort()
	if s.Page != nil {
		// The page's own port: its callback is the loopback redirect.
		port, err = s.Page.Port, nil
	}
	if err != nil {
		return fedimarks.App{}, err
	}
	app, err := s.registerWithScopes(ctx, loopbackRedirect(port)+"\n"+oobRedirect)
	if err != nil {
		if mastodon.TooManyRegistrations(err) {
			return fedimarks.App{}, failure(fedimarks.EUnavailable, ErrTooManyApps, err,
				fmt.Sprintf("%s refused to register fedimarks: too many app registrations from this address", s.host))
		}
		return fedimarks.App{}, fmt.Errorf("register app on %s: %w", s.host, err)
	}
	s.secret(app.ClientSecret)
	app.Server = s.Server
	return app, s.Apps.SaveApp(ctx, app)
}

// registerWithScopes registers with the fine-grained scopes when the
// server offers them (or says nothing), else, or when it refuses them,
// with "read write", saying so.
func (s *signIn) registerWithScopes(ctx context.Context, redirects string) (fedimarks.App, error) {
	scopes, granular := chooseScopes(s.meta)
	if !granular {
		s.say("%s does not offer fine-grained scopes: asking for %q, which allows reading and writing everything in the account.", s.host, coarseScopes)
	}
	app, err := s.c.RegisterApp(ctx, appName, redirects, scopes, appWebsite)
	if err != nil && granular && mastodon.ScopesRefused(err) {
		s.say("%s refused fine-grained scopes (%v): asking for %q instead, which allows reading and writing everything in the account.", s.host, err, coarseScopes)
		scopes = coarseScopes
		app, err = s.c.RegisterApp(ctx, appName, redirects, scopes, appWebsite)
	}
	if err == nil && strings.TrimSpace(app.Scopes) == "" {
		app.Scopes = scopes
	}
	return app, err
}

// chooseScopes returns the scopes to register, and whether they are the
// fine-grained ones. Servers with metadata say what they support; servers
// without are tried with fine-grained scopes first.
func chooseScopes(meta *mastodon.AuthMetadata) (string, bool) {
	if meta == nil || len(meta.ScopesSupported) == 0 {
		return granularScopes + " read:accounts", true
	}
	for _, s := range strings.Fields(granularScopes) {
		if !slices.Contains(meta.ScopesSupported, s) {
			return coarseScopes, false
		}
	}
	if slices.Contains(meta.ScopesSupported, "profile") {
		return granularScopes + " profile", true
	}
	return granularScopes + " read:accounts", true
}

// probeRedirect is the redirect URI to check a kept app with: the
// out-of-band one when registered (a server shows the code page for it),
// else the first.
func probeRedirect(redirectURIs string) string {
	uris := strings.Fields(redirectURIs)
	if slices.Contains(uris, oobRedirect) || len(uris) == 0 {
		return oobRedirect
	}
	return uris[0]
}
