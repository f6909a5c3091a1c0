package fedimarks

import (
	"strings"
	"testing"
)

func TestAudience(t *testing.T) {
	for vis, want := range map[string]string{
		"public":       VisibilityPublic,
		"unlisted":     VisibilityUnlisted,
		"private":      VisibilityPrivate,
		"direct":       VisibilityDirect,
		"PRIVATE":      VisibilityPrivate,
		"":             VisibilityPrivate, // unknown: the careful side
		"local":        VisibilityPrivate, // Akkoma's local-only
		"list":         VisibilityPrivate,
		"mutuals_only": VisibilityPrivate,
	} {
		if got := (Status{Visibility: vis}).Audience(); got != want {
			t.Errorf("Audience(%q) = %q, want %q", vis, got, want)
		}
	}
	// A bookmarked boost points at the boosted post: its visibility counts.
	boost := Status{Visibility: "public", Reblog: &Status{Visibility: "private"}}
	if got := boost.Audience(); got != VisibilityPrivate {
		t.Errorf("a boost of a followers-only post: %q", got)
	}
	if !(Status{Visibility: "direct"}).Private() || !(Status{Visibility: "private"}).Private() ||
		(Status{Visibility: "unlisted"}).Private() || (Status{Visibility: "public"}).Private() {
		t.Error("Private is true exactly for followers-only and direct posts")
	}
}

func TestParseVisibilities(t *testing.T) {
	v, err := ParseVisibilities(" public, Unlisted ,public")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Has(Status{Visibility: "public"}) || !v.Has(Status{Visibility: "unlisted"}) ||
		v.Has(Status{Visibility: "private"}) || v.Has(Status{Visibility: "direct"}) || v.Has(Status{}) {
		t.Errorf("public,unlisted = %v", v)
	}
	if v.String() != "public,unlisted" {
		t.Errorf("String() = %q", v.String())
	}
	all, err := ParseVisibilities("all")
	if err != nil || !all.Has(Status{Visibility: "direct"}) || !all.Has(Status{}) || all.String() != "all" {
		t.Errorf("all = %v, %v", all, err)
	}
	var zero Visibilities
	if !zero.Has(Status{Visibility: "direct"}) || zero.String() != "all" {
		t.Error("the zero Visibilities does not keep every post")
	}
	for _, bad := range []string{"", "public,,", "followers", "public,secret"} {
		_, err := ParseVisibilities(bad)
		if ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "public, unlisted, private, direct") {
			t.Errorf("ParseVisibilities(%q) = %v, want EInvalid naming the values", bad, err)
		}
	}
}
