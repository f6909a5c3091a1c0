package cli

import (
	"context"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// isMisskeyAccount reports whether the account is on a Misskey-family
// server: an import into it, or a verify of it, goes through
// internal/misskey (favorites, ap/show).
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

// misskeyProbe is the Probe of an import into a Misskey account: the
// software is known from sign-in ("sharkey 2024.11.2" gives "sharkey"),
// so nothing is asked.
func misskeyProbe(acc fedimarks.Account) func(context.Context) string {
	return func(context.Context) string {
		name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(acc.Software)), " ")
		if name == "" {
			name = string(fedimarks.FamilyMisskey)
		}
		return name
	}
}

// fromServerUsage is the help of --from-server, for import and verify.
const fromServerUsage = "the Misskey `SERVER` a favorites export came from"

// fromServerArg is --from-server as read gives it, for the commands a
// message gives ("" without one): the rows it reads differ without it.
func fromServerArg(read formats.ReadOptions) string {
	if read.MisskeyServer == "" {
		return ""
	}
	return " --from-server " + shellWord(read.MisskeyServer)
}

// readOptions checks --from-server (the Misskey server a favorites export
// came from: its own notes are listed there without an address) and
// returns what the readers need of it.
func readOptions(ctx context.Context, fromServer string) (formats.ReadOptions, error) {
	if fromServer == "" {
		return formats.ReadOptions{}, nil
	}
	server, err := mastodon.NormalizeServer(ctx, fromServer)
	if err != nil {
		return formats.ReadOptions{}, usageError("--from-server: %v", err)
	}
	return formats.ReadOptions{MisskeyServer: server}, nil
}
