package web

import "testing"

// TestRankLimit: small archives rank up to 1,000 matches; large ones
// more, growing with the square root of their size.
func TestRankLimit(t *testing.T) {
	for _, c := range []struct{ total, want int }{
		{0, 1000}, {1_000, 1000}, {10_000, 1000}, {100_000, 3000}, {1_000_000, 10000},
	} {
		if got := rankLimit(20, c.total); got != c.want {
			t.Errorf("rankLimit(20, %d) = %d, want %d", c.total, got, c.want)
		}
	}
}
