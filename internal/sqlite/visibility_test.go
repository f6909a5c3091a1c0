package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestVisibilities looks posts up by URI and by URL at once, more of them
// than one query takes: a boost answers with the boosted post's
// visibility, unknown addresses are absent.
func TestVisibilities(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	private, err := fedimarks.ParseStatus([]byte(`{"id":"7","uri":"https://r.example/users/a/statuses/7","url":"https://r.example/@a/7",` +
		`"visibility":"private","account":{"id":"1","acct":"a@r.example"}}`))
	if err != nil {
		t.Fatal(err)
	}
	boost, err := fedimarks.ParseStatus([]byte(`{"id":"8","uri":"https://r.example/users/b/statuses/8/activity","visibility":"public",` +
		`"account":{"id":"2","acct":"b@r.example"},"reblog":{"id":"9","uri":"https://r.example/users/a/statuses/9",` +
		`"visibility":"direct","account":{"id":"1","acct":"a@r.example"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	run, err := a.StartRun(ctx, alice, true, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, []fedimarks.Status{private, boost, status(t, "r.example", "10")}, "", now); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for i := 0; i < visibilityChunk+10; i++ {
		addrs = append(addrs, "https://nowhere.example/"+string(rune('a'+i%26)))
	}
	addrs = append(addrs, private.URL, boost.URI, "https://r.example/users/alice/statuses/10")
	got, err := a.Visibilities(ctx, addrs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{private.URL: "private", boost.URI: "direct", "https://r.example/users/alice/statuses/10": "public"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
