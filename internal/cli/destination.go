package cli

import (
	"context"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// softwareName is the first word of an account's Software ("misskey" of
// "misskey 2024.11.0"), lower-cased.
func softwareName(software string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(software), " ")
	return strings.ToLower(name)
}

// isMisskeyAccount reports whether the account is on a Misskey-family
// server.
func isMisskeyAccount(acc fedimarks.Account) bool { return acc.Family() == fedimarks.FamilyMisskey }

// requestCounter counts a client's requests, for the lines that say how
// many a step took.
type requestCounter interface{ Requests() int64 }

// misskeyTransferScopes are the permissions an import into a Misskey
// account needs (MiAuth's names).
const misskeyTransferScopes = "read:account read:favorites write:favorites"

// misskeyAPRate is ap/show's rate limit on Misskey (its endpoint meta): an
// import's estimate counts one such request a post of another server.
var misskeyAPRate = transfer.RateLimit{Requests: 30, Window: time.Hour}

// newMisskeyClient makes a Misskey-family client for server with token,
// its waits shown in shown (a progress display) as the Mastodon client's
// are.
func (a *app) newMisskeyClient(server, token string, shown waitShower) *misskey.Client {
	if shown == nil {
		shown = a.newSlot(server)
	}
	retries := 0
	if a.noRetries {
		retries = -1
	}
	return misskey.New(misskey.Options{
		Server: server, Token: token, HTTPClient: a.io.HTTPClient, UserAgent: "fedimarks/" + version,
		Now: a.io.Now, Backoff: a.io.Backoff, MaxRetries: retries, Sleep: a.sleeper(shown),
		OnWait: func(reason string, d time.Duration) {
			if d >= time.Second {
				why := "(" + reason + ")"
				if strings.HasPrefix(reason, "429 ") {
					why = "for the rate limit of " + strings.TrimPrefix(reason, "429 ") + " (429)"
				}
				shown.Wait(d, why)
				if a.onWait != nil {
					a.onWait(fedimarks.HostOf(server), d, why)
				}
			}
		},
	})
}

// misskeyProbe is the Probe of an import into a Misskey account: the
// family is known from sign-in, so nothing is asked.
func misskeyProbe(acc fedimarks.Account) func(context.Context) string {
	return func(context.Context) string { return softwareName(acc.Software) }
}
