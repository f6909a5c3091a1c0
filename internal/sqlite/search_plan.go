package sqlite

import (
	"context"
	"database/sql"
	"errors"

	fedimarks "github.com/fedimarks/fedimarks"
)

// How a search combines its text with its tags (the costs measured at
// 100,000 bookmarks on the 2-core machine):
//
//   - A tag's posts are a list read from tag_posts' key (migration 0090:
//     about 0.2 µs a post, where looking each tagged URI up in statuses
//     cost 1.7 µs).
//   - Counting, and ranking, start from the text's matches in the index,
//     read once (about 0.05 µs a match since the index is merged), and
//     test each against the tags' lists: see searchSQL's +f.rowid.
//     Started from a tag, SQLite looked each tagged post up in the index
//     (about 12 µs each, and ranking then recounted the word's matches for
//     every one of them): `golang tag:later` counted its 501 matches in
//     17 ms (now 2.3), a rare word with a 2 % tag in 11 ms, and `golang
//     tag:keep` (100 tagged posts) ranked in 320 ms (now 6).
//   - A page by date of text walks the bookmarks as walkMode says, the
//     tags tested against their lists.
//   - A page by date of tags alone starts from the first tag's posts and
//     sorts them (matchTagged) only when the tag is small for the page:
//     each tagged post's bookmark read and sorted costs about 2.3 µs, a
//     step of the walk in date order about 0.2 µs. A page of a tag on 2 %
//     of the bookmarks read and sorted its 2,000 posts (4.7 ms) where the
//     walk steps over 1,050 bookmarks (0.6 ms); one on 0.1 % the other
//     way round (0.2 ms against 3.2).

// tagSortCost is how many steps of a walk in date order reading a tagged
// post's bookmark and sorting it costs, less what putting the post in
// the tag's list costs: (2.3 − 0.2) / 0.2, about 10.
const tagSortCost = 10

// dateMode picks how a page by date of q that must yield want bookmarks
// (0: all) meets the index and the tags (see matchMode); walk is false
// when the page is not found from a cursor or near the top (a deep page
// typed without anchors), which reads every match anyway.
func dateMode(ctx context.Context, tx *sql.Tx, q fedimarks.Query, want int, walk bool) (matchMode, error) {
	switch {
	case len(q.Terms()) > 0 && walk:
		return walkMode(ctx, tx, q, want)
	case len(q.Terms()) > 0:
		return matchJoin, nil
	default:
		return tagWalkMode(ctx, tx, q, want)
	}
}

// tagWalkMode picks, for a listing by date of q without text that must
// yield want bookmarks (0: all), between starting from the posts of its
// first tag (matchTagged) and walking the bookmarks in date order
// against the tags' lists (matchJoin). Sorting the tag's n posts costs
// about n×tagSortCost steps of the walk, the walk about want×total/n
// steps: sorting wins when n×n×tagSortCost < want×total (at 100,000
// bookmarks and a page of 21, a tag on fewer than ~460 posts), or for
// every match when n×tagSortCost < total.
func tagWalkMode(ctx context.Context, tx *sql.Tx, q fedimarks.Query, want int) (matchMode, error) {
	if len(q.Excluded()) > 0 || len(q.Tags) == 0 {
		return matchJoin, nil
	}
	n, total, err := tagSize(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	small := n*tagSortCost < total
	if want > 0 {
		small = n*n*tagSortCost < want*total
	}
	if n < tagSetMax && small {
		return matchTagged, nil
	}
	return matchJoin, nil
}

// tagSize returns how many posts q's first tag is on, counted no further
// than tagSetMax, and how many bookmarks q.Account has, removed ones
// included: both read from indexes at the cost of a lookup (the count of
// bookmarks is kept by triggers).
func tagSize(ctx context.Context, tx *sql.Tx, q fedimarks.Query) (n, total int, err error) {
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM tag_posts WHERE account = ? AND tag = ? LIMIT ?)`,
		string(q.Account), q.Tags[0], tagSetMax).Scan(&n)
	if err != nil {
		return 0, 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT active + removed FROM bookmark_counts WHERE account = ?`, string(q.Account)).Scan(&total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, err
	}
	return n, total, nil
}
