package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// visibilityHelp is export's word on sharing a file.
const visibilityHelp = `Sharing: by default (--visibility all) an export holds every bookmarked
post, followers-only and direct posts included (the netscape format marks
them PRIVATE="1"). Before you share a file, leave them out with
--visibility public,unlisted (a list of public, unlisted, private, direct).
A post whose server names another visibility, or none, counts as private.`

// leftOut filters the bookmarks an export writes by visibility and counts
// those it leaves out, by visibility.
type leftOut struct {
	vis fedimarks.Visibilities
	n   map[string]int
}

// filter returns encode for the bookmarks vis keeps, counting the others.
func (l *leftOut) filter(encode func(fedimarks.Bookmark) error) func(fedimarks.Bookmark) error {
	return func(b fedimarks.Bookmark) error {
		if l.vis.Has(b.Status) {
			return encode(b)
		}
		if l.n == nil {
			l.n = map[string]int{}
		}
		l.n[b.Status.Audience()]++
		return nil
	}
}

// report says on w how many bookmarks were left out, if any:
// "left out 3 bookmarks (2 followers-only, 1 direct) by --visibility public,unlisted".
func (l *leftOut) report(w io.Writer) {
	total := 0
	var parts []string
	for _, v := range []struct{ key, name string }{
		{fedimarks.VisibilityPublic, "public"},
		{fedimarks.VisibilityUnlisted, "unlisted"},
		{fedimarks.VisibilityPrivate, "followers-only"},
		{fedimarks.VisibilityDirect, "direct"},
	} {
		if n := l.n[v.key]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, v.name))
		}
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(w, "left out %s (%s) by --visibility %s\n", fedimarks.Plural(int64(total), "bookmark"),
		strings.Join(parts, ", "), l.vis)
}
