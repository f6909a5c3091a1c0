package transfer

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// listedStatuses is a Lister that lists the given statuses, 40 a page.
type listedStatuses []fedimarks.Status

func (l listedStatuses) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	for p := l; len(p) > 0; {
		n := min(len(p), 40)
		if err := fn(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// TestVerifyKeepsLittlePerMissingRow: what a verification keeps of a row
// missing on the destination is its addresses, its name and the check
// that decided (under 120 bytes a row beyond the address texts, which the
// input holds), not a copy of the whole input row; and Verify drops its
// hold on the input rows once it has planned them, so a caller that
// drops them too keeps only the missing rows (verify of 200,000 rows:
// under 120 MB in all).
func TestVerifyKeepsLittlePerMissingRow(t *testing.T) {
	const rows, listed = 40_000, 4_000
	items := make([]fedimarks.ImportItem, rows)
	var statuses listedStatuses
	for i := range items {
		uri := fmt.Sprintf("https://a.example/users/a/statuses/%d", 100000+i)
		items[i] = fedimarks.ImportItem{URI: uri, Source: fmt.Sprintf("test.csv:%d", rows-i), Order: i}
		if i >= rows-listed {
			statuses = append(statuses, fedimarks.Status{ID: fmt.Sprint(i), URI: uri})
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v, err := Verify(context.Background(), VerifyRequest{Items: items, Lister: statuses})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Missing) != rows-listed || v.Present != listed || v.Missing[0].URI != items[0].URI || v.Missing[0].Source != "test.csv:40000" {
		t.Fatalf("missing %d, present %d", len(v.Missing), v.Present)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if perRow := kept / int64(len(v.Missing)); perRow > 120 {
		t.Errorf("the verification keeps %d bytes a missing row (%d in all), want <= 120", perRow, kept)
	}
	runtime.KeepAlive(items)
	runtime.KeepAlive(v)
}
