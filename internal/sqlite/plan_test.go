package sqlite

import (
	"context"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// planOf returns SQLite's query plan for q, one line per step.
func planOf(t *testing.T, a *Archive, q string, args ...any) []string {
	t.Helper()
	rows, err := a.w.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// checkLookups fails unless every step of q's plan looks rows up by a key:
// no step scans a table or an index, none walks all of an account's
// bookmarks, none sorts.
func checkLookups(t *testing.T, a *Archive, name, q string, args ...any) {
	t.Helper()
	for _, step := range planOf(t, a, q, args...) {
		if strings.HasPrefix(step, "SCAN") || strings.Contains(step, "TEMP B-TREE") ||
			strings.Contains(step, "bookmarks_account_position") {
			t.Errorf("%s: plan step %q walks rows instead of looking them up\n%s", name, step, q)
		}
	}
}

// TestPageStatementPlans: every statement a backup runs per page is a
// lookup by key, so that a page costs the same at 100,000 bookmarks as at
// 1,000. (The plans are those of an archive without statistics, as every
// archive is: fedimarks never runs ANALYZE.)
func TestPageStatementPlans(t *testing.T) {
	a := openTest(t)
	uris := make([]any, 40)
	for i := range uris {
		uris[i] = "https://remote.example/statuses/" + string(rune('a'+i%26))
	}
	checkLookups(t, a, "Known", knownQuery+repeatString(",?", len(uris)-1)+`)`, append([]any{"alice@home.example", 0}, uris...)...)
	for name, q := range map[string]string{
		"findStatus":     findStatusSQL,
		"insertStatus":   insertStatusSQL,
		"updateStatus":   updateStatusSQL,
		"findBookmark":   findBookmarkSQL,
		"insertBookmark": insertBookmarkSQL,
		"updateBookmark": updateBookmarkSQL,
		"seenAgain":      seenAgainSQL,
		"insertEvent":    insertEventSQL,
		"runningRun":     runningRunSQL,
		"saveRun":        saveRunSQL,
	} {
		args := make([]any, strings.Count(q, "?"))
		checkLookups(t, a, name, q, args...)
	}
}

// TestListingPlans: a page of a listing in date order continued from a
// cursor (or a page anchor) starts at the cursor in the timeline's index
// and reads nothing else of the bookmarks (a deep page costs what the
// first does), and one of a word tests bookmarks against the index, or
// against the list of its matches, in that order, without sorting.
func TestListingPlans(t *testing.T) {
	a := openTest(t)
	for name, c := range map[string]struct {
		q    fedimarks.Query
		mode matchMode
	}{
		"timeline":       {fedimarks.Query{Account: alice}, matchJoin},
		"by date, probe": {fedimarks.Query{Account: alice, Text: "golang", ByDate: true}, matchProbe},
		"by date, list":  {fedimarks.Query{Account: alice, Text: "golang", ByDate: true}, matchList},
	} {
		from, where, args, _ := searchSQL(c.q, c.mode, false)
		query := `SELECT b.id FROM ` + from + ` WHERE ` + where + ` AND (b.position, b.id) < (?, ?) ORDER BY b.position DESC, b.id DESC LIMIT 21`
		plan := strings.Join(planOf(t, a, query, append(args, 1, 1)...), "\n")
		want := "INDEX bookmarks_timeline (account=? AND removed_at=? AND position<?)"
		if name == "timeline" {
			want = "COVERING " + want // it reads no bookmark's row
		}
		if !strings.Contains(plan, want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan\n%s\ndoes not start at the cursor in %s", name, plan, want)
		}
	}
}
