package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// MiAuthPermissions are the permissions fedimarks asks a Misskey-family
// server for: its favorites, read and written, and who the account is.
var MiAuthPermissions = []string{"read:favorites", "write:favorites", "read:account"}

// MiAuth signs a person in to a Misskey-family server with MiAuth, the
// flow of Misskey's own API: fedimarks makes up a session id, the person
// approves it on the server's page SERVER/miauth/SESSION (which names the
// app and the permissions), and fedimarks collects the token with POST
// /api/miauth/SESSION/check. Nothing is registered beforehand.
//
// With a browser, the page sends it back to a receiver on 127.0.0.1 when
// approved, as the Mastodon flow's does; without one (or with PasteCode)
// the person opens the address, approves, and presses Enter.
type MiAuth struct {
	// Server is the base URL.
	Server string
	// Client makes a client for Server that sends token ("" for the
	// check).
	Client func(token string) *misskey.Client
	// Software is what the server runs ("misskey 2024.11.0"), kept with
	// the account.
	Software string
	// PasteCode has the person confirm in the terminal even when a
	// browser could be opened here.
	PasteCode bool
	// Wait is how long the person has to approve; 0 is DefaultWait.
	Wait time.Duration
	// OnSecret, if set, is told the token before it could reach a message.
	OnSecret func(string)
}

// Confirmer is a Prompter that can wait for the person to say they are
// done (press Enter) rather than for a code. MiAuth asks a Prompter that
// is not one for a code, and ignores what it reads.
type Confirmer interface {
	// Confirm shows prompt and returns once the person answers; it gives
	// up as ReadCode does.
	Confirm(ctx context.Context, prompt string) error
}

func confirm(ctx context.Context, p Prompter, prompt string) error {
	if c, ok := p.(Confirmer); ok {
		return c.Confirm(ctx, prompt)
	}
	_, err := p.ReadCode(ctx, prompt)
	return err
}

// maxEnterTries is how many times the person may press Enter before the
// server says fedimarks is approved.
const maxEnterTries = 3

// SignIn runs the flow, asking the person through p. Errors for a person
// are *fedimarks.Error values wrapping one of the Err kinds of this
// package; an error in learning whose the token is is an *IdentifyError.
func (m *MiAuth) SignIn(ctx context.Context, p Prompter) (Result, error) {
	session, err := newSession()
	if err != nil {
		return Result{}, err
	}
	host := fedimarks.HostOf(m.Server)
	c := m.Client("")
	wait := m.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	browse := !m.PasteCode && p.CanOpenBrowser()
	approved := false
	if browse {
		approved, err = m.viaBrowser(ctx, p, session, host, wait)
		if err != nil {
			return Result{}, err
		}
	} else {
		p.Say("No browser can be opened here: open the address yourself.")
	}
	if !approved {
		u := m.pageURL(session, "")
		p.Say(fmt.Sprintf("Open this address in a browser, approve fedimarks on %s, then press Enter here:", host))
		p.Say("  " + u)
	}
	for try := 1; ; try++ {
		if !approved {
			if err := confirm(ctx, p, "Press Enter once approved: "); err != nil {
				return Result{}, err
			}
		}
		ok, tok, _, err := c.MiAuthCheck(ctx, session)
		if err != nil {
			return Result{}, fmt.Errorf("collect the token from %s: %w", host, err)
		}
		if ok {
			if m.OnSecret != nil {
				m.OnSecret(tok)
			}
			acc, err := IdentifyMisskey(ctx, m.Client(tok), m.Server, MiAuthPermissions, m.Software)
			if err != nil {
				return Result{}, &IdentifyError{Err: err}
			}
			return Result{Token: tok, Account: acc}, nil
		}
		if approved || try >= maxEnterTries {
			return Result{}, failure(fedimarks.EAuth, ErrDenied, nil,
				fmt.Sprintf("%s does not say fedimarks was approved (denied, or not approved yet): nothing saved", host))
		}
		p.Say(fmt.Sprintf("%s does not say fedimarks is approved yet: approve it on the page, then press Enter again.", host))
	}
}

// viaBrowser opens the MiAuth page with a loopback callback and waits for
// the browser to come back. approved false (and no error) means the
// person is to confirm in the terminal instead.
func (m *MiAuth) viaBrowser(ctx context.Context, p Prompter, session, host string, wait time.Duration) (bool, error) {
	port, err := freeLoopbackPort()
	if err == nil {
		var lb *loopbackReceiver
		lb, err = listenLoopbackWith(port, session, (*loopbackReceiver).miauthCallback)
		if err == nil {
			defer lb.close(ctx)
			u := m.pageURL(session, lb.redirectURI)
			p.Say(fmt.Sprintf("Opening your browser to approve fedimarks on %s. If it does not open, visit:", host))
			p.Say("  " + u)
			if err := p.OpenBrowser(u); err != nil {
				p.Say(fmt.Sprintf("Could not open a browser (%v): open the address yourself.", err))
				return false, nil
			}
			p.Say(fmt.Sprintf("Waiting up to %s for your approval (Ctrl-C to cancel)...", ui.Duration(wait)))
			if _, err := lb.wait(ctx, wait); err != nil {
				return false, err
			}
			return true, nil
		}
	}
	p.Say(fmt.Sprintf("Cannot receive the answer on 127.0.0.1 (%v): open the address yourself.", err))
	return false, nil
}

// pageURL is the MiAuth page of session, with callback when not "".
func (m *MiAuth) pageURL(session, callback string) string {
	q := url.Values{"name": {"fedimarks"}, "permission": {strings.Join(MiAuthPermissions, ",")}}
	if callback != "" {
		q.Set("callback", callback)
	}
	return strings.TrimRight(m.Server, "/") + "/miauth/" + url.PathEscape(session) + "?" + q.Encode()
}

// miauthCallback takes the browser's answer: the page sends it to the
// callback with ?session=SESSION once the person approved.
func (r *loopbackReceiver) miauthCallback(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if subtle.ConstantTimeCompare([]byte(req.URL.Query().Get("session")), []byte(r.state)) != 1 {
		r.deliver(callbackResult{err: failure(fedimarks.EAuth, ErrWrongState, nil,
			"the browser's answer named another session: refused, nothing saved")})
		page(w, http.StatusBadRequest, "Sign-in refused", "This answer does not belong to the sign-in fedimarks started. Nothing was saved.")
		return
	}
	r.deliver(callbackResult{code: r.state})
	page(w, http.StatusOK, "fedimarks is approved", "You can close this tab and return to the terminal.")
}

// newSession makes a MiAuth session id: a random UUID, as Misskey's own
// clients use.
func newSession() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// IdentifyMisskey asks a Misskey-family server whose token c sends (POST
// /api/i) and returns the account (not saved), with the permissions the
// token holds (when known) and software.
func IdentifyMisskey(ctx context.Context, c *misskey.Client, server string, perms []string, software string) (fedimarks.Account, error) {
	me, err := c.I(ctx)
	if err != nil {
		return fedimarks.Account{}, err
	}
	h, err := fedimarks.ParseHandle(me.Username + "@" + fedimarks.HostOf(server))
	if err != nil {
		return fedimarks.Account{}, errors.New("the server returned an unusable account name")
	}
	return fedimarks.Account{Handle: h, ID: me.ID, Server: server, Scopes: perms, Software: software, API: fedimarks.FamilyMisskey}, nil
}
