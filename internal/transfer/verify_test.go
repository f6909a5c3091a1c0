package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// lookup is a PostLookup whose answers a test sets, counting requests.
type lookup struct {
	resolve  func(uri string) (*fedimarks.Status, error)
	status   func(id string) (fedimarks.Status, error)
	resolves int
	statuses int
}

func (l *lookup) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	l.resolves++
	return l.resolve(uri)
}

func (l *lookup) Status(ctx context.Context, id string) (fedimarks.Status, error) {
	l.statuses++
	return l.status(id)
}

func statusJSON(t *testing.T, fields map[string]any) *fedimarks.Status {
	t.Helper()
	raw, _ := json.Marshal(fields)
	s, err := fedimarks.ParseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestVerifyPostChecksThatFail: a post check without a usable answer
// leaves its row unchecked, never missing; after checkFailLimit of them in
// a row the rest are not checked at all (no request); a rejected token
// stops Verify.
func TestVerifyPostChecksThatFail(t *testing.T) {
	d := newFakeDest(destHost)
	var uris []string
	for k := 0; k < 7; k++ {
		uris = append(uris, fmt.Sprintf("https://a.example/users/a/statuses/%d", k))
	}
	l := &lookup{resolve: func(uri string) (*fedimarks.Status, error) {
		switch {
		case strings.HasSuffix(uri, "/0"):
			return statusJSON(t, map[string]any{"id": "10", "uri": uri, "bookmarked": true}), nil
		case strings.HasSuffix(uri, "/1"):
			return statusJSON(t, map[string]any{"id": "11", "uri": uri, "bookmarked": false}), nil
		case strings.HasSuffix(uri, "/2"):
			return nil, &apiErr{502, "Bad Gateway"}
		}
		return nil, netErr{}
	}}
	req := VerifyRequest{Items: itemsOf(uris...), Lister: d, Posts: l, Server: "https://" + destHost,
		Probe: func(context.Context) string { return "snac" }}
	v, err := Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if v.Present != 1 || v.PresentChecked != 1 || len(v.Missing) != 1 || len(v.Unchecked) != 5 {
		t.Fatalf("present %d (%d checked), missing %d, unchecked %d", v.Present, v.PresentChecked, len(v.Missing), len(v.Unchecked))
	}
	if l.resolves != 5 || v.CheckRequests != 5 {
		t.Errorf("%d searches (%d counted), want 5: two answers, three failures, then none", l.resolves, v.CheckRequests)
	}
	if w := v.Unchecked[0].Why; !strings.Contains(w, "502") {
		t.Errorf("first unchecked row: %q", w)
	}
	if w := v.Unchecked[4].Why; !strings.Contains(w, "not checked") || v.Unchecked[4].URI != uris[6] {
		t.Errorf("last unchecked row: %+v", v.Unchecked[4])
	}
	if v.Missing[0].Check != ByPostCheck || v.Missing[0].URI != uris[1] {
		t.Errorf("missing %+v", v.Missing[0])
	}
	// Missing and unchecked rows are numbered together, in write order.
	if v.Missing[0].Order != 0 || v.Unchecked[0].Order != 1 || v.Unchecked[4].Order != 5 {
		t.Errorf("orders: missing %d, unchecked %d..%d", v.Missing[0].Order, v.Unchecked[0].Order, v.Unchecked[4].Order)
	}

	// A server whose search does not say whether a post is bookmarked:
	// the post itself is asked.
	l = &lookup{
		resolve: func(uri string) (*fedimarks.Status, error) {
			return statusJSON(t, map[string]any{"id": "12", "uri": uri}), nil
		},
		status: func(id string) (fedimarks.Status, error) {
			return *statusJSON(t, map[string]any{"id": id, "uri": uris[0], "bookmarked": true}), nil
		},
	}
	req.Posts, req.Items = l, itemsOf(uris[0])
	if v, err := Verify(context.Background(), req); err != nil || v.PresentChecked != 1 || l.statuses != 1 || v.CheckRequests != 2 {
		t.Errorf("no flag in the search: %+v %v, %d status looks", v, err, l.statuses)
	}

	l = &lookup{resolve: func(string) (*fedimarks.Status, error) { return nil, &apiErr{401, "The access token is invalid"} }}
	req.Posts = l
	if _, err := Verify(context.Background(), req); fedimarks.ErrorKind(err) != fedimarks.KindAuth {
		t.Errorf("a rejected token: %v", err)
	}
}
