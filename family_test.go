package fedimarks

import "testing"

func TestFamilyOf(t *testing.T) {
	for software, want := range map[string]Family{
		"misskey 2024.11.0": FamilyMisskey, "Sharkey 2024.11.2": FamilyMisskey, "firefish": FamilyMisskey,
		"iceshrimp 2023.12": FamilyMisskey, "cherrypick 4.11": FamilyMisskey,
		"mastodon 4.3.0": FamilyMastodon, "gotosocial 0.17": FamilyMastodon, "akkoma": FamilyMastodon, "": FamilyMastodon,
		"misskeyish 1.0": FamilyMastodon,
	} {
		if got := FamilyOf(software); got != want {
			t.Errorf("FamilyOf(%q) = %s, want %s", software, got, want)
		}
	}
	// The API the account signed in with decides, not the name: a
	// Sharkey account saved through its Mastodon API keeps speaking it.
	if (Account{Software: "sharkey 2024.11.2"}).Family() != FamilyMastodon || (Account{API: FamilyMisskey}).Family() != FamilyMisskey {
		t.Error("Account.Family")
	}
}
