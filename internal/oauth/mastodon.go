package oauth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
)

// DefaultWait is how long a sign-in waits for the person to approve in the
// browser (or to paste the code) when Mastodon.Wait is zero.
const DefaultWait = 5 * time.Minute

// Mastodon signs a person in with OAuth 2 to a server that speaks
// Mastodon's API. It registers fedimarks on the server once (or reuses
// the kept app, after checking that the server still knows it), has the
// person approve it in the browser, trades the code for a token and asks
// the server whose token it is.
type Mastodon struct {
	// Server is the base URL, as mastodon.NormalizeServer returns it.
	Server string
	// Client makes a client for Server that sends token ("" for the
	// sign-in's own calls).
	Client func(token string) *mastodon.Client
	// Apps keeps the app registered on each server.
	Apps AppStore
	// PasteCode has the person paste the code the page shows even when a
	// browser could be opened here (an SSH session, --no-browser).
	PasteCode bool
	// Wait is how long the person has to approve; 0 is DefaultWait.
	Wait time.Duration
	// Page, when set, takes the browser's answer on the caller's local
	// page (fedimarks serve) instead of a loopback receiver of the flow's;
	// nothing is pasted then. See PageReceiver.
	Page *PageReceiver
	// OnSecret, if set, is told each secret the sign-in handles (the
	// app's client secret, the code, the token) before it could reach a
	// message, so that the caller can blank it out of its output.
	OnSecret func(string)
}

// signIn is one run of the Mastodon flow.
type signIn struct {
	*Mastodon
	p    Prompter
	c    *mastodon.Client
	host string
	meta *mastodon.AuthMetadata
	// fresh says the app in use was registered by this run.
	fresh bool
	// forgotten are kept apps the server no longer knows.
	forgotten []fedimarks.App
}

// SignIn runs the flow, asking the person through p. Errors for a person
// are *fedimarks.Error values wrapping one of the Err kinds of this
// package; an error in learning whose the token is is an *IdentifyError.
func (m *Mastodon) SignIn(ctx context.Context, p Prompter) (Result, error) {
	s := &signIn{Mastodon: m, p: p, c: m.Client(""), host: fedimarks.HostOf(m.Server)}
	if err := s.readMetadata(ctx); err != nil {
		return Result{}, err
	}
	tok, app, err := s.approve(ctx)
	if err != nil {
		return Result{}, err
	}
	s.secret(tok.AccessToken)
	acc, err := Identify(ctx, m.Client(tok.AccessToken), m.Server, grantedScopes(tok, app))
	if err != nil {
		return Result{}, &IdentifyError{Err: err}
	}
	return Result{Token: tok.AccessToken, Account: acc, Forgotten: s.forgotten}, nil
}

// readMetadata reads the server's OAuth metadata. A server that answers
// the well-known path strangely is treated as one that publishes nothing:
// no PKCE, scopes found by trying.
func (s *signIn) readMetadata(ctx context.Context) error {
	meta, err := s.c.AuthMetadata(ctx)
	if err != nil {
		if fedimarks.IsUnreachable(err) || ctx.Err() != nil {
			return fmt.Errorf("reach %s: %w", s.Server, err)
		}
		s.say("Note: %s gave no usable OAuth metadata (%v); continuing without it.", s.host, err)
		meta = nil
	}
	s.meta = meta
	return nil
}

// approve has the person approve fedimarks' app and returns the token and
// the app. A server that forgets the kept app after the check (its admin
// deleted it, or its database was reset) refuses the code: the app is
// registered once more and the person asked again.
func (s *signIn) approve(ctx context.Context) (mastodon.Token, fedimarks.App, error) {
	for attempt := 0; ; attempt++ {
		app, err := s.app(ctx)
		if err != nil {
			return mastodon.Token{}, app, err
		}
		tok, err := s.authorize(ctx, app)
		why, forgot := mastodon.InvalidClient(err)
		if err == nil || attempt > 0 || s.fresh || !forgot {
			return tok, app, err
		}
		s.say("%s no longer knows fedimarks' app (%s): registering it again; approve once more.", s.host, why)
		if err := s.forget(ctx, app); err != nil {
			return mastodon.Token{}, app, err
		}
	}
}

// grantedScopes are the scopes the token was granted: the server's words,
// kept clean for a terminal; the app's when the server names none.
func grantedScopes(tok mastodon.Token, app fedimarks.App) []string {
	scopes := strings.Fields(fedimarks.CleanText(tok.Scope))
	if len(scopes) == 0 {
		scopes = strings.Fields(fedimarks.CleanText(app.Scopes))
	}
	return scopes
}

// Identify asks the server whose token c sends and returns the account
// (not saved): its handle on the server's host, its id, scopes (the
// token's, when known) and the server's software. It serves every way of
// getting a token, a pasted one included.
func Identify(ctx context.Context, c *mastodon.Client, server string, scopes []string) (fedimarks.Account, error) {
	me, err := c.VerifyCredentials(ctx)
	if err != nil {
		return fedimarks.Account{}, err
	}
	h, err := fedimarks.ParseHandle(me.Username + "@" + fedimarks.HostOf(server))
	if err != nil {
		return fedimarks.Account{}, fmt.Errorf("server returned an unusable account name %q", me.Username)
	}
	acc := fedimarks.Account{Handle: h, ID: me.ID, Server: server, Scopes: scopes}
	if inst, err := c.Instance(ctx); err == nil {
		acc.Software = fedimarks.CleanText(inst.Software + " " + inst.Version)
	}
	return acc, nil
}

func (s *signIn) say(format string, args ...any) { s.p.Say(fmt.Sprintf(format, args...)) }

func (s *signIn) secret(v string) {
	if s.OnSecret != nil && v != "" {
		s.OnSecret(v)
	}
}

func (s *signIn) wait() time.Duration {
	if s.Wait > 0 {
		return s.Wait
	}
	return DefaultWait
}
