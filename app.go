package fedimarks

import (
	"fmt"
	"time"
)

// App is the OAuth application fedimarks registered on one server.
// Mastodon limits registrations per address, so one is kept per server and
// reused. ClientSecret is a secret: App's Format redacts it, and it is
// kept out of output.
type App struct {
	// Server is the server's base URL; a trailing slash is ignored. The
	// server's answer to a registration does not carry it: the sign-in
	// sets it before the app is kept.
	Server       string
	ClientID     string
	ClientSecret string
	// RedirectURI is the redirect URI (or several, separated by "\n") the
	// app was registered with.
	RedirectURI string
	// Scopes is space-separated, as registered.
	Scopes string
	// CreatedAt is when the app was kept (set when kept, if zero).
	CreatedAt time.Time
}

// Format prints the app with ClientSecret redacted, for every verb.
func (a App) Format(f fmt.State, verb rune) {
	secret := ""
	if a.ClientSecret != "" {
		secret = "[redacted]"
	}
	fmt.Fprintf(f, "fedimarks.App{Server:%s ClientID:%s ClientSecret:%s RedirectURI:%q Scopes:%q}",
		a.Server, a.ClientID, secret, a.RedirectURI, a.Scopes)
}
