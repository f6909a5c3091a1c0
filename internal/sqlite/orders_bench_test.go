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
		o.add(s, position(1, int64(i)), int64(i+1), i%97 == 0)
		status = append(status, s)
	}
	o.status = status
	packed := o.encode()
	b.ReportMetric(float64(len(packed))/n, "bytes/bookmark")
	b.ResetTimer()
	for b.Loop() {
		if _, err := decodeOrder(packed); err != nil {
			b.Fatal(err)
		}
	}
}
