package mastodontest

import (
	"net/url"
	"slices"
	"sort"
)

// listed returns acct's bookmarks newest first: all those whose post
// exists, and those of them the listing shows (see InstanceOptions.HideEvery).
func (i *Instance) listed(acct *Account) (all, shown []*bookmark) {
	for _, b := range slices.Backward(acct.bookmarks) {
		if b.p.deleted {
			continue
		}
		all = append(all, b)
		if !i.hidden(acct, b) {
			shown = append(shown, b)
		}
	}
	return all, shown
}

// belowOnly reports whether q pages Mastodon-style from the top or by
// max_id alone, which newestBelow answers without walking every bookmark:
// a fake with 100,000 bookmarks must not cost more per page than one with
// 1,000, or benchmarks of a backup would time the fake.
func belowOnly(q url.Values) bool {
	return q.Get("since_id") == "" && q.Get("min_id") == ""
}

// newestBelow is byIDCursors over the shown bookmarks for a query with at
// most max_id: the limit newest shown bookmarks with a seq below maxID (0:
// no bound). acct.bookmarks is in seq order, so it starts with a binary
// search.
func (i *Instance) newestBelow(acct *Account, maxID int64, limit int) []*bookmark {
	end := len(acct.bookmarks)
	if maxID > 0 {
		end = sort.Search(len(acct.bookmarks), func(k int) bool { return acct.bookmarks[k].seq >= maxID })
	}
	var page []*bookmark
	for k := end - 1; k >= 0 && len(page) < limit; k-- {
		if b := acct.bookmarks[k]; !b.p.deleted && !i.hidden(acct, b) {
			page = append(page, b)
		}
	}
	return page
}
