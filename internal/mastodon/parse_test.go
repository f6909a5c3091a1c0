package mastodon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

func TestNormalizeServer(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		in, want string
		errPart  string // non-empty: an EInvalid error containing this
	}{
		{in: "mastodon.social", want: "https://mastodon.social"},
		{in: "  Mastodon.Social  ", want: "https://mastodon.social"},
		{in: "https://mastodon.social/", want: "https://mastodon.social"},
		{in: "https://mastodon.social", want: "https://mastodon.social"},
		{in: "HTTPS://Example.COM:8443/", want: "https://example.com:8443"},
		{in: "https://example.com:443", want: "https://example.com"},
		{in: "example.com:3000", want: "https://example.com:3000"},
		{in: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000"},
		{in: "http://127.0.0.1:3000/", want: "http://127.0.0.1:3000"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "http://localhost:3000", want: "http://localhost:3000"},
		{in: "https://[2001:db8::1]", want: "https://[2001:db8::1]"},
		{in: "http://mastodon.social", errPart: "plain http is only for loopback"},
		{in: "http://192.0.2.1:3000", errPart: "plain http is only for loopback"},
		{in: "http://10.0.0.1", errPart: "use https://10.0.0.1"},
		{in: "", errPart: "no server"},
		{in: "ftp://example.com", errPart: "scheme"},
		{in: "https://example.com/@alice", errPart: "path"},
		{in: "example.com/api", errPart: "path"},
		{in: "https://example.com/?x=1", errPart: "query"},
		{in: "https://example.com#frag", errPart: "fragment"},
		{in: "https://user:pw@example.com", errPart: "user name"},
		{in: "alice@example.com", errPart: "account"},
		{in: "https://", errPart: "host"},
		{in: "https://exa mple.com", errPart: "not a valid"},
		{in: "https://-bad-.com", errPart: "invalid host"},
		{in: "https://example.com:99999", errPart: "port"},
		{in: "https://example.com:", errPart: "port"},
		{in: "mailto:a@example.com", errPart: "account"},
		{in: "wss://example.com", errPart: "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeServer(ctx, tt.in)
			if tt.errPart != "" {
				if err == nil {
					t.Fatalf("NormalizeServer(%q) = %q, want error", tt.in, got)
				}
				var fe *fedimarks.Error
				if !errors.As(err, &fe) || fe.Code != fedimarks.EInvalid {
					t.Fatalf("error %v is not an EInvalid *fedimarks.Error", err)
				}
				if !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("error %q does not mention %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeServer(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeServer(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLink(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   map[string]string
	}{
		{
			name:   "mastodon next and prev",
			values: []string{`<https://m.example/api/v1/bookmarks?limit=40&max_id=7>; rel="next", <https://m.example/api/v1/bookmarks?limit=40&min_id=9>; rel="prev"`},
			want: map[string]string{
				"next": "https://m.example/api/v1/bookmarks?limit=40&max_id=7",
				"prev": "https://m.example/api/v1/bookmarks?limit=40&min_id=9",
			},
		},
		{
			name:   "unquoted rel, odd spacing, upper case",
			values: []string{`  <https://a/x?max_id=1> ;REL=Next ,<https://a/y>;rel=prev`},
			want:   map[string]string{"next": "https://a/x?max_id=1", "prev": "https://a/y"},
		},
		{
			name:   "several rels in one link",
			values: []string{`<https://a/last>; rel="next last"`},
			want:   map[string]string{"next": "https://a/last", "last": "https://a/last"},
		},
		{
			name:   "commas and semicolons inside the URL and params",
			values: []string{`<https://a/p?cursor=a,b;c>; title="x, y; z"; rel="next", <https://a/q>; rel="prev"`},
			want:   map[string]string{"next": "https://a/p?cursor=a,b;c", "prev": "https://a/q"},
		},
		{
			name:   "several header values, first of a rel wins",
			values: []string{`<https://a/1>; rel="next"`, `<https://a/2>; rel="next", <https://a/3>; rel="prev"`},
			want:   map[string]string{"next": "https://a/1", "prev": "https://a/3"},
		},
		{
			name:   "pixelfed cursor",
			values: []string{`<https://pix.example/api/v1/bookmarks?cursor=eyJpZCI6MTIzfQ%3D%3D&limit=40>; rel="next"`},
			want:   map[string]string{"next": "https://pix.example/api/v1/bookmarks?cursor=eyJpZCI6MTIzfQ%3D%3D&limit=40"},
		},
		{
			name:   "no rel",
			values: []string{`<https://a/1>; title="x"`},
			want:   map[string]string{},
		},
		{
			name:   "garbage",
			values: []string{`nonsense, <unterminated`},
			want:   map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLink(tt.values)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseLink = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectSoftware(t *testing.T) {
	tests := []struct {
		version, source string
		software        string
		nums            [3]int
	}{
		{"4.3.0", "https://github.com/mastodon/mastodon", "mastodon", [3]int{4, 3, 0}},
		{"4.2.10+glitch", "", "mastodon", [3]int{4, 2, 10}},
		{"4.4.0-beta.1", "", "mastodon", [3]int{4, 4, 0}},
		{"0.17.3 git-abc1234", "", "gotosocial", [3]int{}},
		{"0.19.0", "https://codeberg.org/superseriousbusiness/gotosocial", "gotosocial", [3]int{}},
		{"3.5.3 (compatible; Pixelfed 0.12.4)", "", "pixelfed", [3]int{3, 5, 3}},
		{"2.7.2 (compatible; Akkoma 3.10.4)", "", "akkoma", [3]int{2, 7, 2}},
		{"2.7.2 (compatible; Pleroma 2.6.0)", "", "pleroma", [3]int{2, 7, 2}},
		{"4.0.0 (not true; really snac/2.52)", "", "snac", [3]int{}},
		{"2.8.0 (compatible; snac 2.60)", "", "snac", [3]int{}},
		{"3.0.0 (compatible; Sharkey 2024.3.3)", "", "sharkey", [3]int{3, 0, 0}},
		{"2.8.0 (compatible; Whatever 1.0)", "", "unknown", [3]int{2, 8, 0}},
		{"", "", "unknown", [3]int{}},
		{"banana", "", "unknown", [3]int{}},
	}
	for _, tt := range tests {
		sw, nums := detectSoftware(tt.version, tt.source)
		if sw != tt.software || nums != tt.nums {
			t.Errorf("detectSoftware(%q, %q) = %q %v, want %q %v", tt.version, tt.source, sw, nums, tt.software, tt.nums)
		}
	}
}

func TestAPIErrorText(t *testing.T) {
	e := &APIError{Method: "GET", Path: "/api/v1/bookmarks", StatusCode: 401, Message: "The access token is invalid"}
	if got, want := e.Error(), "GET /api/v1/bookmarks: 401 The access token is invalid"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &APIError{Method: "POST", Path: "/oauth/token", StatusCode: 400, Message: "invalid_grant", Description: "The provided authorization grant is invalid"}
	if got, want := e.Error(), "POST /oauth/token: 400 invalid_grant: The provided authorization grant is invalid"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.StatusCode != 400 || e.Unreachable() {
		t.Errorf("HTTPStatus/Unreachable of a 400 = %d %v", e.StatusCode, e.Unreachable())
	}
	for _, code := range []int{502, 503, 504} {
		if !(&APIError{StatusCode: code}).Unreachable() {
			t.Errorf("%d is not Unreachable", code)
		}
	}
	if (&APIError{StatusCode: 500}).Unreachable() {
		t.Error("500 is Unreachable")
	}
	if !IsStatus(errors.Join(errors.New("x"), e), 400) || IsStatus(e, 404) || IsStatus(nil, 400) {
		t.Error("IsStatus does not look through the chain correctly")
	}
}

func TestClientHidesToken(t *testing.T) {
	opts := Options{Server: "https://example.com", Token: testToken}
	c := New(opts)
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q"} {
		for _, v := range []any{c, opts, &opts,
			fedimarks.App{ClientID: "example.com", ClientSecret: testToken}, Token{AccessToken: testToken, Scope: "example.com"}} {
			if s := fmt.Sprintf(f, v); strings.Contains(s, testToken) || !strings.Contains(s, "example.com") {
				t.Fatalf("formatting %T with %s shows the token or hides the server: %s", v, f, s)
			}
		}
	}
}
