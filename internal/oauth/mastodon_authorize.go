package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// oobRedirect is the out-of-band redirect URI: the server shows the code
// for the person to paste instead of sending the browser back.
const oobRedirect = "urn:ietf:wg:oauth:2.0:oob"

// errPasteInstead says the browser could not be opened after all: the
// person pastes the code instead.
var errPasteInstead = errors.New("paste the code instead")

// proof is what ties an answer to this sign-in: the state the browser
// must bring back and, when the server supports PKCE, the verifier whose
// challenge goes to the authorization page.
type proof struct {
	state, verifier, challenge string
}

// newProof makes a fresh state and, when pkce, a verifier (RFC 7636).
func newProof(pkce bool) (proof, error) {
	var p proof
	var err error
	if p.state, err = randomToken(24); err != nil || !pkce {
		return p, err
	}
	if p.verifier, err = randomToken(32); err != nil {
		return p, err
	}
	sum := sha256.Sum256([]byte(p.verifier))
	p.challenge = base64.RawURLEncoding.EncodeToString(sum[:])
	return p, nil
}

// authorize has the person approve app and returns the token.
func (s *signIn) authorize(ctx context.Context, app fedimarks.App) (mastodon.Token, error) {
	pr, err := newProof(s.meta.SupportsPKCE())
	if err != nil {
		return mastodon.Token{}, err
	}
	code, redirect, err := s.receiveCode(ctx, app, pr)
	if err != nil {
		return mastodon.Token{}, err
	}
	return s.exchange(ctx, app, code, redirect, pr.verifier)
}

// receiveCode gets the authorization code, and the redirect URI it was
// issued for: through the browser's redirect to the loopback receiver
// when a browser can be opened here, else pasted by the person.
func (s *signIn) receiveCode(ctx context.Context, app fedimarks.App, pr proof) (code, redirect string, err error) {
	if s.Page != nil {
		// The page sends the browser there and takes the answer itself:
		// nothing to paste into.
		rc, err := s.Page.receiver(app, pr.state)
		if err != nil {
			return "", "", err
		}
		defer rc.close(ctx)
		code, err = s.viaBrowser(ctx, app, rc, pr)
		return code, rc.uri(), err
	}
	browse := !s.PasteCode && s.p.CanOpenBrowser()
	if lb := s.loopback(app, pr.state, browse); lb != nil {
		defer lb.close(ctx)
		code, err = s.viaBrowser(ctx, app, lb, pr)
		if !errors.Is(err, errPasteInstead) {
			return code, lb.redirectURI, err
		}
		browse = false
	}
	code, err = s.viaPaste(ctx, app, pr, browse)
	return code, oobRedirect, err
}

// loopback starts the receiver on the loopback port registered with app,
// or returns nil, saying why, when the code is to be pasted instead.
func (s *signIn) loopback(app fedimarks.App, state string, browse bool) *loopbackReceiver {
	port, registered := registeredLoopbackPort(app.RedirectURI)
	switch {
	case s.PasteCode:
		return nil
	case !browse:
		s.say("No browser can be opened here: using a code to paste instead.")
		return nil
	case !registered:
		s.say("fedimarks' app on this server has no loopback redirect: using a code to paste instead.")
		return nil
	}
	lb, err := listenLoopback(port, state)
	if err != nil {
		s.say("Cannot receive the answer on 127.0.0.1:%d (%v): using a code to paste instead.", port, err)
		return nil
	}
	return lb
}

// viaBrowser opens the authorization page and waits for the browser to
// bring the code to lb.
func (s *signIn) viaBrowser(ctx context.Context, app fedimarks.App, lb receiver, pr proof) (string, error) {
	u := s.c.AuthorizeURL(app, lb.uri(), app.Scopes, pr.state, pr.challenge)
	if s.Page != nil {
		// The page sends its own tab there: nothing to say or paste.
		if err := s.p.OpenBrowser(u); err != nil {
			return "", err
		}
		return lb.wait(ctx, s.wait())
	}
	s.say("Opening your browser to approve fedimarks on %s. If it does not open, visit:", s.host)
	s.say("  %s", u)
	if err := s.p.OpenBrowser(u); err != nil {
		s.say("Could not open a browser (%v): using a code to paste instead.", err)
		lb.close(ctx)
		return "", errPasteInstead
	}
	s.say("Waiting up to %s for your approval (Ctrl-C to cancel)...", ui.Duration(s.wait()))
	return lb.wait(ctx, s.wait())
}

// viaPaste shows the out-of-band authorization page (opening it too when
// browse) and reads the code the person pastes from it.
func (s *signIn) viaPaste(ctx context.Context, app fedimarks.App, pr proof, browse bool) (string, error) {
	u := s.c.AuthorizeURL(app, oobRedirect, app.Scopes, "", pr.challenge)
	s.say("Open this address in a browser, approve fedimarks, then paste the code it shows:")
	s.say("  %s", u)
	if browse {
		_ = s.p.OpenBrowser(u) // the address is shown: a failure here changes nothing
	}
	return s.p.ReadCode(ctx, "Code: ")
}

// exchange trades the code for a token. A refusal of the app itself comes
// back as it is, for approve to register again.
func (s *signIn) exchange(ctx context.Context, app fedimarks.App, code, redirect, verifier string) (mastodon.Token, error) {
	s.secret(code)
	tok, err := s.c.ExchangeCode(ctx, app, code, redirect, verifier)
	if err == nil {
		return tok, nil
	}
	if why, ok := mastodon.InvalidGrant(err); ok {
		return tok, failure(fedimarks.EAuth, ErrCodeRefused, err,
			fmt.Sprintf("%s refused the authorization code (%s)", s.host, why))
	}
	if _, ok := mastodon.InvalidClient(err); ok {
		return tok, err
	}
	return tok, fmt.Errorf("get token from %s: %w", s.host, err)
}

// randomToken returns n random bytes in unpadded base64url: an n of 32
// gives a 43-character PKCE verifier (RFC 7636).
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
