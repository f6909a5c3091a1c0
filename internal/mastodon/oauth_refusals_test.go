package mastodon_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodon"
)

func TestOAuthRefusals(t *testing.T) {
	token := func(status int, msg, desc string) error {
		return fmt.Errorf("get token: %w", &mastodon.APIError{Method: "POST", Path: "/oauth/token", StatusCode: status, Message: msg, Description: desc})
	}
	apps := func(status int, msg string) error {
		return &mastodon.APIError{Method: "POST", Path: "/api/v1/apps", StatusCode: status, Message: msg}
	}
	for _, tc := range []struct {
		name                  string
		err                   error
		client, grant         string // why, "" when not that refusal
		scopes, registrations bool
	}{
		{"snac's empty 401", token(401, "Unauthorized", ""), "its token endpoint answered 401 Unauthorized", "", false, false},
		{"doorkeeper invalid_client", token(400, "invalid_client", "unknown client"), "its token endpoint answered 400 invalid_client", "", false, false},
		{"invalid_grant", token(400, "invalid_grant", "The provided authorization grant is invalid"), "", "invalid_grant The provided authorization grant is invalid", false, false},
		{"invalid_grant without words", token(400, "invalid_grant", ""), "", "invalid_grant", false, false},
		{"401 elsewhere is not the app", &mastodon.APIError{Path: "/api/v1/accounts/verify_credentials", StatusCode: 401, Message: "invalid_client"}, "", "", false, false},
		{"other 400 from the token endpoint", token(400, "invalid_request", ""), "", "", false, false},
		{"scopes 422", apps(422, "Validation failed: Scopes are invalid"), "", "", true, false},
		{"scopes 400", apps(400, "invalid scope"), "", "", true, false},
		{"429", apps(429, "Too many requests"), "", "", false, true},
		{"not an answer", errors.New("connection refused"), "", "", false, false},
		{"nil", nil, "", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := mastodon.InvalidClient(tc.err); why != tc.client || ok != (tc.client != "") {
				t.Errorf("InvalidClient = %q, %v; want %q", why, ok, tc.client)
			}
			if why, ok := mastodon.InvalidGrant(tc.err); why != tc.grant || ok != (tc.grant != "") {
				t.Errorf("InvalidGrant = %q, %v; want %q", why, ok, tc.grant)
			}
			if got := mastodon.ScopesRefused(tc.err); got != tc.scopes {
				t.Errorf("ScopesRefused = %v, want %v", got, tc.scopes)
			}
			if got := mastodon.TooManyRegistrations(tc.err); got != tc.registrations {
				t.Errorf("TooManyRegistrations = %v, want %v", got, tc.registrations)
			}
		})
	}
}
