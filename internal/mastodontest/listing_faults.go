package mastodontest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// listingFaults are the ways an Instance's bookmark listing can go wrong
// that are not the application's doing: a proxy in front of it. Guarded by
// n.mu.
type listingFaults struct {
	linkBase   string // replaces the instance's own address in Link headers
	redirectTo string // GET /api/v1/bookmarks answers 302 to this base
}

// SetLinkHost makes the Link headers of the bookmark listing name base
// (e.g. "http://localhost:3000") where they would name the instance's own
// address, as a server behind a misconfigured proxy does: its next page is
// then on another host. "" restores the right links.
func (i *Instance) SetLinkHost(base string) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.faults.linkBase = strings.TrimRight(base, "/")
}

// RedirectBookmarks makes GET /api/v1/bookmarks answer 302 Found to the
// same path and query on base, another server (a proxy's maintenance page,
// a moved server), before any check of the token. "" stops it.
func (i *Instance) RedirectBookmarks(base string) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.faults.redirectTo = strings.TrimRight(base, "/")
}

// SetHideEvery changes InstanceOptions.HideEvery while the instance runs.
// Setting 0 shows every bookmark hidden so far where it was made: below
// newer ones, not on top of the listing, as snac lists a bookmark once its
// author is followed.
func (i *Instance) SetHideEvery(k int) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.opts.HideEvery = k
}

// listingRedirect is the 302 of RedirectBookmarks, if set.
func (i *Instance) listingRedirect(r *http.Request) (reply, bool) {
	to := i.faults.redirectTo
	if to == "" {
		return reply{}, false
	}
	rp := reply{status: http.StatusFound}
	rp.set("Location", to+r.URL.RequestURI())
	return rp, true
}

// listingLink is the Link header of a bookmark listing as SetLinkHost
// distorts it.
func (i *Instance) listingLink(links []string) string {
	v := strings.Join(links, ", ")
	if base := i.faults.linkBase; base != "" {
		v = strings.ReplaceAll(v, "<"+i.URL()+"/", "<"+base+"/")
	}
	return v
}

// ForeignHost is a plain HTTP server outside the network, on 127.0.0.1: it
// answers every request 200 with an empty JSON list, whatever was asked,
// like a host that a misconfigured server redirects or links to. It counts
// the requests and those that carried an Authorization header (which no
// client should send there). It is closed by the test's Cleanup.
type ForeignHost struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests int
	withAuth int
}

// NewForeignHost starts a ForeignHost.
func (n *Network) NewForeignHost() *ForeignHost {
	n.t.Helper()
	f := &ForeignHost{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		if r.Header.Get("Authorization") != "" {
			f.withAuth++
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, "[]")
	}))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.Start()
	n.t.Cleanup(f.srv.Close)
	return f
}

// URL returns the host's base URL, "http://127.0.0.1:PORT".
func (f *ForeignHost) URL() string { return f.srv.URL }

// Requests counts the requests the host answered.
func (f *ForeignHost) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Authorized counts the requests that carried an Authorization header.
func (f *ForeignHost) Authorized() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.withAuth
}
