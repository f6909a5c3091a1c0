package transfer

import (
	"net/url"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// followAdvice is the one advice for rows that a follow may bring in (a
// followers-only post, or a row from a file that may be one): whom to
// follow, from which account, and the rerun. Row details and summaries
// give it in these words, for migrate and import alike.
func followAdvice(who, from string) string {
	return "follow " + who + " from " + from + ", then rerun with --retry-failed"
}

// destinationAccount names the account to follow from in a row's detail
// (the summary names it by its handle).
const destinationAccount = "the destination account"

// authorOf names a row's author as well as the row allows, the same way
// whatever the input: user@host from the profile URL (/@NAME, /users/NAME
// or /NAME) or else from the post's address (/users/NAME/..., /@NAME/...,
// snac's /NAME/p/..., Pixelfed's /p/NAME/...); else the profile URL as
// given; else "its author". So migrate (whose rows carry the profile URL)
// and an import of a file (whose rows do not) name the author alike.
func authorOf(it fedimarks.JobItem) string {
	if h := handleFrom(it.AuthorURL, true); h != "" {
		return h
	}
	for _, a := range []string{it.URI, it.URL} {
		if h := handleFrom(a, false); h != "" {
			return h
		}
	}
	if it.AuthorURL != "" {
		return it.AuthorURL
	}
	return "its author"
}

// handleFrom reads NAME@host from an address: a profile URL when profile
// is set, else a post's address.
func handleFrom(addr string, profile bool) string {
	host := fedimarks.HostOf(addr)
	if host == "" {
		return ""
	}
	u, err := url.Parse(addr)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	name := ""
	switch {
	case len(parts) >= 2 && parts[0] == "users":
		name = parts[1]
	case strings.HasPrefix(parts[0], "@"):
		name = parts[0][1:]
	case profile && len(parts) == 1 && u.RawQuery == "":
		name = parts[0]
	case !profile && len(parts) >= 3 && parts[1] == "p":
		name = parts[0] // snac: /NAME/p/TIME.N
	case !profile && len(parts) >= 3 && parts[0] == "p":
		name = parts[1] // Pixelfed: /p/NAME/ID
	}
	if name == "" || strings.ContainsAny(name, "@?#") {
		return ""
	}
	return name + "@" + host
}
