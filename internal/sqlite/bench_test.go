package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// BenchmarkSavePage saves pages of 40 new statuses (as a first backup
// does) and reports the time per page and per status.
func BenchmarkSavePage(b *testing.B) {
	ctx := context.Background()
	a := openTest(b)
	run, err := a.StartRun(ctx, alice, true, t0)
	if err != nil {
		b.Fatal(err)
	}
	const perPage = 40
	pages := make([][]fedimarks.Status, b.N)
	for p := range pages {
		for i := range perPage {
			pages[p] = append(pages[p], status(b, "remote.example", fmt.Sprint(p*perPage+i)))
		}
	}
	b.ResetTimer()
	start := time.Now()
	for p := range b.N {
		if err := a.SavePage(ctx, run, pages[p], "next", t0); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*perPage), "ns/status")
	b.ReportMetric(float64(b.N*perPage)/elapsed.Seconds(), "statuses/s")
}

// BenchmarkSavePageSeen saves pages of 40 statuses already archived and
// unchanged (as every later full backup does).
func BenchmarkSavePageSeen(b *testing.B) {
	ctx := context.Background()
	a := openTest(b)
	const perPage, distinct = 40, 50
	pages := make([][]fedimarks.Status, distinct)
	run, _ := a.StartRun(ctx, alice, true, t0)
	for p := range pages {
		for i := range perPage {
			pages[p] = append(pages[p], status(b, "remote.example", fmt.Sprint(p*perPage+i)))
		}
		if err := a.SavePage(ctx, run, pages[p], "next", t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for p := range b.N {
		if p%distinct == 0 {
			run, _ = a.StartRun(ctx, alice, true, t0)
		}
		if err := a.SavePage(ctx, run, pages[p%distinct], "next", t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*perPage), "ns/status")
}

// BenchmarkCreateJob creates import jobs of 10,000 items and reports the
// time per job and per item.
func BenchmarkCreateJob(b *testing.B) {
	ctx := context.Background()
	a := openTest(b)
	const n = 10000
	items := make([]fedimarks.JobItem, n)
	for i := range items {
		items[i] = fedimarks.JobItem{Seq: i, URI: fmt.Sprintf("https://remote.example/users/u%d/statuses/%d", i%300, i),
			Source: fmt.Sprintf("bookmarks.csv:%d", n-i), CreatedAt: t0}
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: fmt.Sprint(i), Destination: alice}, items); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n), "ns/item")
	b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "items/s")
}

// BenchmarkBookmarks reads 2,000 archived bookmarks, newest first.
func BenchmarkBookmarks(b *testing.B) {
	ctx := context.Background()
	a := openTest(b)
	run, _ := a.StartRun(ctx, alice, true, t0)
	for p := range 50 {
		var ss []fedimarks.Status
		for i := range 40 {
			ss = append(ss, status(b, "remote.example", fmt.Sprint(p*40+i)))
		}
		if err := a.SavePage(ctx, run, ss, "", t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := a.EachBookmark(ctx, alice, ListOptions{}, func(fedimarks.Bookmark) error { n++; return nil }); err != nil || n != 2000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/bookmark")
}
