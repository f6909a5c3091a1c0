package sqlite

import (
	"context"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// An account keeps the API it signed in with; one saved before the
// account_api table (no row) speaks Mastodon's, whatever its software.
func TestAccountKeepsItsAPI(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	mk := fedimarks.Account{Handle: "alice@mk.example", Server: "https://mk.example", Software: "misskey 2024.11.0", API: fedimarks.FamilyMisskey}
	old := fedimarks.Account{Handle: "bob@shark.example", Server: "https://shark.example", Software: "sharkey 2024.11.2"}
	for _, acc := range []fedimarks.Account{mk, old} {
		if err := a.SaveAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.w.ExecContext(ctx, `DELETE FROM account_api WHERE handle = ?`, string(old.Handle)); err != nil {
		t.Fatal(err)
	}
	got, err := a.Account(ctx, mk.Handle)
	if err != nil || got.API != fedimarks.FamilyMisskey || got.Family() != fedimarks.FamilyMisskey {
		t.Errorf("misskey account: %+v %v", got, err)
	}
	accs, err := a.Accounts(ctx)
	if err != nil || len(accs) != 2 || accs[1].Handle != old.Handle || accs[1].API != "" || accs[1].Family() != fedimarks.FamilyMastodon {
		t.Errorf("accounts: %+v %v", accs, err)
	}
	// Logging in again through Mastodon's API switches it.
	mk.API = ""
	if err := a.SaveAccount(ctx, mk); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Account(ctx, mk.Handle); got.Family() != fedimarks.FamilyMastodon {
		t.Errorf("after a Mastodon login: %+v", got)
	}
}
