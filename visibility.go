package fedimarks

import "strings"

// The visibilities of a post, as Mastodon names them. A followers-only
// post is "private"; a direct one is seen only by the accounts it
// mentions.
const (
	VisibilityPublic   = "public"
	VisibilityUnlisted = "unlisted"
	VisibilityPrivate  = "private"
	VisibilityDirect   = "direct"
)

// visibilityOrder lists the visibilities from the widest audience to the
// narrowest.
var visibilityOrder = []string{VisibilityPublic, VisibilityUnlisted, VisibilityPrivate, VisibilityDirect}

// Audience returns the visibility of the post a bookmark of s points at
// (the boosted post, for a boost): public, unlisted, private or direct.
// Any other value a server sends (Akkoma's "local" and "list", ...) and a
// missing one count as private, so that whatever is decided for sharing
// errs on the side of the narrower audience.
func (s Status) Audience() string {
	v := strings.ToLower(strings.TrimSpace(s.Original().Visibility))
	switch v {
	case VisibilityPublic, VisibilityUnlisted, VisibilityDirect:
		return v
	}
	return VisibilityPrivate
}

// Private reports whether the post a bookmark of s points at is for a
// chosen audience only: followers-only or direct (Audience).
func (s Status) Private() bool {
	a := s.Audience()
	return a == VisibilityPrivate || a == VisibilityDirect
}

// Visibilities is a set of visibilities to keep, as `--visibility
// public,unlisted` gives it. The zero value keeps every post.
type Visibilities struct {
	keep map[string]bool // nil: all
}

// ParseVisibilities parses a comma-separated list of public, unlisted,
// private and direct (case-insensitive), or "all". Anything else, an
// empty list included, is an EInvalid error naming the accepted values.
func ParseVisibilities(s string) (Visibilities, error) {
	if strings.EqualFold(strings.TrimSpace(s), "all") {
		return Visibilities{}, nil
	}
	keep := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		v := strings.ToLower(strings.TrimSpace(f))
		switch v {
		case VisibilityPublic, VisibilityUnlisted, VisibilityPrivate, VisibilityDirect:
			keep[v] = true
		case "":
			return Visibilities{}, Errorf(EInvalid, "--visibility %q has an empty item: give some of public, unlisted, private, direct (or all), separated by commas", s)
		default:
			return Visibilities{}, Errorf(EInvalid, "--visibility: %q is not a visibility: give some of public, unlisted, private, direct (or all)", f)
		}
	}
	if len(keep) == len(visibilityOrder) {
		return Visibilities{}, nil
	}
	return Visibilities{keep: keep}, nil
}

// Has reports whether v keeps the post a bookmark of s points at.
func (v Visibilities) Has(s Status) bool {
	return v.keep == nil || v.keep[s.Audience()]
}

// All reports whether v keeps every post.
func (v Visibilities) All() bool { return v.keep == nil }

// String returns v as ParseVisibilities reads it: "all", or the kept
// visibilities from the widest audience to the narrowest.
func (v Visibilities) String() string {
	if v.keep == nil {
		return "all"
	}
	var out []string
	for _, x := range visibilityOrder {
		if v.keep[x] {
			out = append(out, x)
		}
	}
	return strings.Join(out, ",")
}
