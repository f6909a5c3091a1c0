package mastodon

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The refusals of the OAuth endpoints are read here, once, so that a
// sign-in flow decides on what was refused and never reads a status or a
// server's message itself.

// InvalidClient reports whether err is the token endpoint refusing the
// app itself: 401, whatever the body (snac sends none), or 400
// invalid_client. The server no longer knows the app: register again. A
// refused code is InvalidGrant. why says how it refused, for a message:
// "its token endpoint answered 401 invalid_client".
func InvalidClient(err error) (why string, ok bool) {
	var api *APIError
	if !errors.As(err, &api) || api.Path != "/oauth/token" || !api.invalidClient() {
		return "", false
	}
	return fmt.Sprintf("its token endpoint answered %d %s", api.StatusCode, api.Message), true
}

func (e *APIError) invalidClient() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusBadRequest && e.Message == "invalid_client"
}

// InvalidGrant reports whether err is the server refusing an
// authorization code (invalid_grant: mistyped, expired, already used, or
// its PKCE verifier does not match). why is the server's words:
// "invalid_grant The provided authorization grant is invalid".
func InvalidGrant(err error) (why string, ok bool) {
	var api *APIError
	if !errors.As(err, &api) || api.Message != "invalid_grant" {
		return "", false
	}
	return strings.TrimSpace(api.Message + " " + api.Description), true
}

// ScopesRefused reports whether an app registration failed because of
// its scopes: Mastodon answers 422 "Validation failed: Scopes are
// invalid", others 400.
func ScopesRefused(err error) bool {
	s := registrationStatus(err)
	return s == http.StatusUnprocessableEntity || s == http.StatusBadRequest
}

// TooManyRegistrations reports whether an app registration was refused
// for now: 429, which Mastodon answers to a sixth registration from one
// address within 10 minutes.
func TooManyRegistrations(err error) bool {
	return registrationStatus(err) == http.StatusTooManyRequests
}

// registrationStatus is the status of err when it is an answer to an app
// registration, else 0.
func registrationStatus(err error) int {
	var api *APIError
	if !errors.As(err, &api) || api.Path != "/api/v1/apps" {
		return 0
	}
	return api.StatusCode
}
