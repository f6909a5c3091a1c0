package web_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// cachedBenchArchive returns a copy of the benchmark archive of n
// bookmarks kept in the folder FEDIMARKS_BENCH_CACHE names, building it
// there first when it is missing (the 100,000 one takes a minute or two
// to build, its copy a second). Without FEDIMARKS_BENCH_CACHE it builds
// the archive each time. The copy is the benchmark's own: it may change it.
// The kept archive's name carries the newest migration's file name, so
// that one built by an older schema is not measured again after a
// change of what a backup stores.
func cachedBenchArchive(b *testing.B, n int, build func(path string) *sqlite.Archive) *sqlite.Archive {
	path := filepath.Join(b.TempDir(), "archive.db")
	dir := os.Getenv("FEDIMARKS_BENCH_CACHE")
	if dir == "" {
		return build(path)
	}
	migrations, err := filepath.Glob(filepath.Join("..", "sqlite", "migrations", "*.sql"))
	if err != nil || len(migrations) == 0 {
		b.Fatalf("find the migrations: %v", err)
	}
	schema := strings.TrimSuffix(filepath.Base(migrations[len(migrations)-1]), ".sql")
	kept := filepath.Join(dir, "web-archive-"+strconv.Itoa(n)+"-"+schema+".db")
	if _, err := os.Stat(kept); err != nil {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		a := build(kept + ".building")
		if err := a.Close(); err != nil { // checkpoints the WAL into the file
			b.Fatal(err)
		}
		if err := os.Rename(kept+".building", kept); err != nil {
			b.Fatal(err)
		}
	}
	copyFile(b, kept, path)
	a, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
