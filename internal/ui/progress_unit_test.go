package ui

import (
	"bytes"
	"testing"
)

// TestUnitAgreesWithTheCount: the unit is a plural noun ("bookmarks"),
// said in the singular for a count of one (without a total) or a total
// of one, and kept as it is when it is no plural ("so far", "bytes").
func TestUnitAgreesWithTheCount(t *testing.T) {
	for _, c := range []struct {
		unit     string
		total, n int64
		want     string
	}{
		{"bookmarks", 0, 1, "backup alice@host: 1 bookmark in 0s\n"},
		{"bookmarks", 0, 0, "backup alice@host: 0 bookmarks in 0s\n"},
		{"bookmarks", 0, 2, "backup alice@host: 2 bookmarks in 0s\n"},
		{"rows", 1, 1, "backup alice@host: 1/1 row in 0s\n"},
		{"rows", 3, 1, "backup alice@host: 1/3 rows in 0s\n"},
		{"threads", 0, 1, "backup alice@host: 1 thread in 0s\n"},
		{"so far", 0, 1, "backup alice@host: 1 so far in 0s\n"},
		{"bytes", 0, 1, "backup alice@host: 1 B in 0s\n"},
	} {
		clock := newClock()
		var buf bytes.Buffer
		p := NewProgress(&buf, ProgressOptions{Label: "backup alice@host", Unit: c.unit, Total: c.total, Now: clock.Now})
		p.Add(c.n)
		p.Finish()
		if got := buf.String(); got != c.want {
			t.Errorf("%d of %d %s: got %q, want %q", c.n, c.total, c.unit, got, c.want)
		}
	}
}
