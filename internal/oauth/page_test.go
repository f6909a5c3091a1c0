package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// pageSignIn runs the flow with a PageReceiver on port, as the page does:
// it takes the authorization address from the prompter, follows the
// server's redirect (and, past a forwarding receiver, its 303) like the
// browser, checks that it lands on the page's own callback, and delivers
// the answer there (after change, when set). It returns the address the
// browser landed on.
func pageSignIn(t *testing.T, e *flowEnv, port int, change func(url.Values)) (Result, string, error) {
	t.Helper()
	e.flow.Page = &PageReceiver{Port: port}
	p := NewPageRedirect()
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := e.flow.SignIn(context.Background(), p)
		done <- out{res, err}
	}()
	var u string
	select {
	case u = <-p.Open:
	case o := <-done:
		t.Fatalf("the flow ended before sending the page anywhere: %v", o.err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := "http://127.0.0.1:" + strconv.Itoa(port) + callbackPath
	for hops := 0; !strings.HasPrefix(u, page+"?"); hops++ {
		if hops == 3 {
			t.Fatalf("the browser did not come back to the page %s: at %s", page, u)
		}
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u = resp.Header.Get("Location")
	}
	landed, _ := url.Parse(u)
	q := landed.Query()
	if change != nil {
		change(q)
	}
	if e.flow.Page.Deliver(url.Values{"state": {"forged"}, "code": {"x"}}) {
		t.Error("an answer with a forged state was taken")
	}
	if !e.flow.Page.Deliver(q) && change == nil {
		t.Error("the answer was not taken")
	}
	select {
	case o := <-done:
		return o.res, u, o.err
	case <-time.After(30 * time.Second):
		t.Fatal("the flow did not end")
	}
	return Result{}, "", nil
}

// A sign-in from the page: the app is registered with the page's port,
// so the server sends the browser straight back to the page; a second
// sign-in reuses the app. An app kept from a terminal login names another
// port: a receiver there sends the browser on to the page, so that the
// redirect URI stays exactly the registered one.
func TestSignInFromPage(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	res, u, err := pageSignIn(t, e, port, nil)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if !e.inst.TokenValid(res.Token) || string(res.Account.Handle) != e.alice.Handle() {
		t.Errorf("result %+v", res.Account)
	}
	if app := e.kept(t); !strings.Contains(app.RedirectURI, loopbackRedirect(port)) {
		t.Errorf("kept app redirects %q, want the page's %s", app.RedirectURI, loopbackRedirect(port))
	}
	if q, _ := url.Parse(u); q.Query().Get("code") == "" {
		t.Errorf("landed on %s, without a code", u)
	}

	// The kept app names this port; the page now listens on another.
	other, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	regs := e.inst.AppRegistrations()
	res, _, err = pageSignIn(t, e, other, nil)
	if err != nil {
		t.Fatalf("SignIn through the forward: %v", err)
	}
	if !e.inst.TokenValid(res.Token) || e.inst.AppRegistrations() != regs {
		t.Errorf("token valid %v, registrations %d -> %d: want the kept app reused", e.inst.TokenValid(res.Token), regs, e.inst.AppRegistrations())
	}

	// Refused: the server's refusal comes back as it does to the terminal.
	_, _, err = pageSignIn(t, e, port, func(q url.Values) {
		q.Del("code")
		q.Set("error", "access_denied")
	})
	if !errors.Is(err, ErrDenied) {
		t.Errorf("denied: err = %v, want ErrDenied", err)
	}
}
