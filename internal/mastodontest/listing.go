package mastodontest

// hidden reports whether the bookmark b of viewer is left out of viewer's
// bookmark listings (InstanceOptions.HideEvery, HideUnfollowed). Hidden
// bookmarks are still bookmarks: bookmarking again is a no-op (snac: 422),
// and GET /api/v1/statuses/:id and search show "bookmarked": true.
func (i *Instance) hidden(viewer *Account, b *bookmark) bool {
	if i.opts.HideEvery > 0 && b.seq%int64(i.opts.HideEvery) == 0 {
		return true
	}
	return i.opts.HideUnfollowed && !inTimeline(viewer, b.p)
}

// inTimeline reports whether p reaches viewer's timeline, which is what
// snac's bookmark listing shows (measured on snac 2.94: a bookmark of a post
// whose author the account does not follow is left out, and appears, at its
// place below the top, once the author is followed). A post of an author
// the account does not follow never reaches it here; snac also leaves out
// posts that have not reached the timeline yet, which this models the same
// way.
func inTimeline(viewer *Account, p *post) bool {
	return viewer == p.author || viewer.follows[p.author]
}

// reportsRateLimit reports whether the instance's API answers carry
// X-RateLimit-Limit, -Remaining and -Reset: snac sends none (a budget set
// with SetRateLimit still answers 429 when spent, without them).
func (i *Instance) reportsRateLimit() bool {
	return i.opts.Quirk != Snac
}
