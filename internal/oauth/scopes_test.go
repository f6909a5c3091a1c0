package oauth

import (
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodon"
)

func TestChooseScopes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		meta     *mastodon.AuthMetadata
		want     string
		granular bool
	}{
		{"no metadata", nil, "read:bookmarks write:bookmarks read:search read:accounts", true},
		{"mastodon 4.3", &mastodon.AuthMetadata{ScopesSupported: []string{"read", "write", "profile", "read:bookmarks", "write:bookmarks", "read:search", "read:accounts"}},
			"read:bookmarks write:bookmarks read:search profile", true},
		{"granular without profile", &mastodon.AuthMetadata{ScopesSupported: []string{"read", "write", "read:bookmarks", "write:bookmarks", "read:search", "read:accounts"}},
			"read:bookmarks write:bookmarks read:search read:accounts", true},
		{"coarse only", &mastodon.AuthMetadata{ScopesSupported: []string{"read", "write", "follow", "push"}}, "read write", false},
		{"metadata without scopes", &mastodon.AuthMetadata{}, "read:bookmarks write:bookmarks read:search read:accounts", true},
	} {
		got, granular := chooseScopes(tc.meta)
		if got != tc.want || granular != tc.granular {
			t.Errorf("%s: chooseScopes = %q, %v; want %q, %v", tc.name, got, granular, tc.want, tc.granular)
		}
	}
}
