package formats_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
)

// An author's acct without a host is local to the server that returned
// the copy (Status.Server), for the bookmarked post and its thread alike:
// alice@home.example's export shows dana@new.example, the host of the
// account it is exported for only when the copy's server is not known.
func TestAuthorHandleTakesTheServerOfTheCopy(t *testing.T) {
	status := func(uri, acct, server string) fedimarks.Status {
		s, err := fedimarks.ParseStatus([]byte(`{"id":"1","uri":"` + uri + `","content":"<p>hi</p>","account":{"acct":"` + acct + `","display_name":"D"}}`))
		if err != nil {
			t.Fatal(err)
		}
		s.Server = server
		return s
	}
	b := fedimarks.Bookmark{Account: "alice@home.example", Status: status("https://new.example/1", "dana", "new.example"),
		Thread: &fedimarks.Thread{Before: []fedimarks.Status{status("https://new.example/0", "erin", "new.example")},
			After: []fedimarks.Status{status("https://new.example/2", "finn", "")}}}
	for _, name := range []string{"markdown", "html"} {
		f, _ := formats.Lookup(name)
		var out bytes.Buffer
		enc := f.New(&out, formats.Meta{Account: b.Account})
		if err := enc.Encode(b); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"dana@new.example", "erin@new.example", "finn@home.example"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %s:\n%s", name, want, out.String())
			}
		}
		if strings.Contains(out.String(), "dana@home.example") || strings.Contains(out.String(), "erin@home.example") {
			t.Errorf("%s completes an acct with the viewing account's host:\n%s", name, out.String())
		}
	}
}
