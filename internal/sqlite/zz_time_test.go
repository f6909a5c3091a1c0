package sqlite

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestZZTime(t *testing.T) {
	path := os.Getenv("ZZDB")
	if path == "" {
		t.Skip()
	}
	ctx := context.Background()
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, q := range strings.Split(os.Getenv("ZZQ"), ";;") {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		for _, step := range planOf(t, a, q) {
			t.Log("  ", step)
		}
		var best time.Duration
		for i := 0; i < 5; i++ {
			start := time.Now()
			rows, err := a.w.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if d := time.Since(start); i == 0 || d < best {
				best = d
			}
			_ = n
		}
		t.Logf("%v  %s", best, q)
	}
}
