package fedimarks

import (
	"errors"
	"fmt"
	"testing"
)

func remote(k Kind) *RemoteError {
	return &RemoteError{Kind: k, Err: fmt.Errorf("GET /x: answer of kind %q", k)}
}

func TestIsUnreachableAndErrorKind(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		down bool
		kind Kind
	}{
		{"nil", nil, false, ""},
		{"plain", errors.New("disk full"), false, ""},
		{"404", remote(KindNotFound), false, KindNotFound},
		{"503 down, wrapped twice", fmt.Errorf("a: %w", &Error{Code: EUnavailable, Err: remote(KindUnreachable)}), true, KindUnreachable},
		{"no answer", fmt.Errorf("fetch: %w", remote(KindUnreachable)), true, KindUnreachable},
		{"the post's server did not answer the one asked", remote(KindRemoteFetch), true, KindRemoteFetch},
		{"the server failed on its own", remote(KindServerError), false, KindServerError},
		{"an answer of no kind", remote(""), false, ""},
	} {
		if got := IsUnreachable(c.err); got != c.down {
			t.Errorf("%s: IsUnreachable = %v, want %v", c.name, got, c.down)
		}
		if got := ErrorKind(c.err); got != c.kind {
			t.Errorf("%s: ErrorKind = %q, want %q", c.name, got, c.kind)
		}
	}
}

func TestRemoteErrorReadsAsTheAdapters(t *testing.T) {
	inner := errors.New("GET /api/v1/bookmarks: 401 The access token is invalid")
	e := error(&RemoteError{Kind: KindAuth, Message: "The access token is invalid", Err: inner})
	if e.Error() != inner.Error() || !errors.Is(e, inner) {
		t.Errorf("RemoteError text %q, want the adapter's %q, unwrapping to it", e, inner)
	}
	seen := map[Kind]bool{}
	for _, k := range Kinds {
		if k == "" || seen[k] {
			t.Errorf("Kinds lists %q twice or empty", k)
		}
		seen[k] = true
	}
}
