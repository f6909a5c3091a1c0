package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// A post bookmarked by alice on two servers is stored once, as the last
// server to return it gave it. dana is local to the new server, which
// gives her acct as a bare "dana": her handle is completed with the host
// of the server that returned the stored copy, never with the host of the
// account the archive is read for.
func TestAuthorHandleTakesTheHostOfTheStoredCopy(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	old, dest := net.NewInstance(mastodontest.InstanceOptions{}), net.NewInstance(mastodontest.InstanceOptions{})
	aliceOld, aliceNew, dana := old.AddAccount("alice"), dest.AddAccount("alice"), dest.AddAccount("dana")
	post := dana.Post(mastodontest.PostOptions{Text: "<p>How we run our small server</p>"})
	aliceOld.Bookmark(post)
	aliceNew.Bookmark(post)
	home := newHome(t)
	for _, acc := range []*mastodontest.Account{aliceOld, aliceNew} {
		mustRun(t, 0, home, acc.Token()+"\n", "login", acc.Instance().URL(), "--token-stdin")
	}
	mustRun(t, 0, home, "", "backup", aliceOld.Handle())
	mustRun(t, 0, home, "", "backup", aliceNew.Handle(), "--full")

	want, wrong := dana.Handle(), "dana@"+old.Host()
	check := func(what, out string) {
		t.Helper()
		if !strings.Contains(out, want) || strings.Contains(out, wrong) {
			t.Errorf("%s shows the author as other than %s:\n%s", what, want, out)
		}
	}
	for _, acc := range []*mastodontest.Account{aliceOld, aliceNew} {
		h := acc.Handle()
		check("search of "+h, mustRun(t, 0, home, "", "search", "server", "--account", h).stdout)
		check("search from:"+want+" of "+h, mustRun(t, 0, home, "", "search", "from:"+want, "--account", h).stdout)
		check("terminal search of "+h, runTTY(t, home, "", "search", "server", "--account", h).stdout)
		var res searchResult
		if err := json.Unmarshal([]byte(mustRun(t, 0, home, "", "search", "server", "--account", h, "--json").stdout), &res); err != nil {
			t.Fatal(err)
		}
		check("search --json of "+h, res.Author.Acct)
		for _, f := range []string{"markdown", "html"} {
			check(f+" export of "+h, mustRun(t, 0, home, "", "export", h, "--offline", "--format", f).stdout)
		}
		// The json export carries the post exactly as a server returned
		// it, acct "dana" included: it says which server that was.
		var rows []struct {
			Server string `json:"server"`
			Status struct {
				Account struct {
					Acct string `json:"acct"`
				} `json:"account"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, 0, home, "", "export", h, "--offline", "--format", "json").stdout), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Server != dest.Host() || rows[0].Status.Account.Acct != "dana" {
			t.Errorf("json export of %s: %+v, want the copy of %s with its server", h, rows, dest.Host())
		}
	}
}
