package sqlite

import "testing"

// BenchmarkDecodeOrder measures reading a stored listing order of
// 100,000 bookmarks as a first backup leaves it (see listOrder.encode):
// what a process pays once per account and backup run.
func BenchmarkDecodeOrder(b *testing.B) {
	const n = 100_000
	o := newListOrder(n, 2*n)
	var status []int64
	for i := range n {
		s := int64(2*n - 2*i) // thread posts between the bookmarked ones
		o.add(benchEntry(s, i), 0)
		status = append(status, s)
	}
	o.status = status
	packed, _ := o.encode()
	b.ReportMetric(float64(len(packed))/n, "bytes/bookmark")
	b.ResetTimer()
	for b.Loop() {
		if _, err := decodeOrder(packed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFollowOrder measures moving a listing order of 100,000
// bookmarks on by what an incremental backup run changes: one new
// bookmark at the top and the 40 of the page it saw again, moved above
// the others.
func BenchmarkFollowOrder(b *testing.B) {
	const n = 100_000
	o := newListOrder(n, 2*n)
	for i := range n {
		o.add(benchEntry(int64(2*n-2*i), i), 0)
	}
	var drop []int
	now := []entry{{status: 2*n + 2, position: position(2, 0), id: n + 1}}
	for i := range 40 {
		drop = append(drop, i)
		now = append(now, entry{status: int64(2*n - 2*i), position: position(2, int64(i+1)), id: int64(i + 1)})
	}
	for b.Loop() {
		if m := o.merged(drop, now, 2, 2); m.len() != n+1 {
			b.Fatal("not moved")
		}
	}
}

// benchEntry is the bookmark i of a first backup, of post status: indexed,
// dated a minute before the one above it, one in 97 removed, one in 5
// with media.
func benchEntry(status int64, i int) entry {
	return entry{status: status, position: position(1, int64(i)), id: int64(i + 1), removed: i%97 == 0,
		indexed: true, media: i%5 == 0, dated: true, created: int64(1_700_000_000-60*i) * 1e9}
}

// TestCopyBits checks entrySet.copyBits against copying bit by bit, for
// every alignment of source and destination and runs of 0 to 200 bits.
func TestCopyBits(t *testing.T) {
	src := newEntrySet(400)
	for i := range 400 {
		if (i*7919)%13 < 6 {
			src.add(i)
		}
	}
	for from := range 70 {
		for at := range 70 {
			for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 200} {
				got := newEntrySet(400)
				got.copyBits(at, src, from, n)
				for i := range 400 {
					want := i >= at && i < at+n && src.has(from+i-at)
					if got.has(i) != want {
						t.Fatalf("copyBits(%d, src, %d, %d): entry %d is %v, want %v", at, from, n, i, got.has(i), want)
					}
				}
			}
		}
	}
}
