package fedimarks

import "strings"

// Family is the API a server speaks, which decides the adapter that talks
// to it: Mastodon's client API (Mastodon, GoToSocial, Pixelfed, snac,
// Akkoma, Pleroma, ...) or Misskey's own (Misskey and its forks: Sharkey,
// Firefish, Iceshrimp, CherryPick, ...), whose bookmarks are favorites.
type Family string

// The families. The zero value is unknown, read as Mastodon's, the API
// most servers speak.
const (
	FamilyMastodon Family = "mastodon"
	FamilyMisskey  Family = "misskey"
)

// misskeyForks are the names nodeinfo gives Misskey and its forks.
var misskeyForks = []string{
	"misskey", "sharkey", "firefish", "calckey", "iceshrimp", "cherrypick", "foundkey", "meisskey",
	"catodon", "magnetar", "incestoma",
}

// FamilyOf returns the family of a server software, named as nodeinfo
// names it ("misskey") or as Account.Software holds it ("sharkey
// 2024.11.2"); FamilyMastodon for any other.
func FamilyOf(software string) Family {
	name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(software)), " ")
	for _, f := range misskeyForks {
		if name == f {
			return FamilyMisskey
		}
	}
	return FamilyMastodon
}

// Marks is what servers of the family call the posts an account keeps:
// "favorites" on Misskey's API, else "bookmarks". Messages about reading
// them say it, as the server's own pages do.
func (f Family) Marks() string {
	if f == FamilyMisskey {
		return "favorites"
	}
	return "bookmarks"
}

// Family returns the API fedimarks speaks to the account's server: the
// one it signed in with (Account.API), Mastodon's for accounts saved
// before fedimarks knew another.
func (a Account) Family() Family {
	if a.API == FamilyMisskey {
		return FamilyMisskey
	}
	return FamilyMastodon
}
