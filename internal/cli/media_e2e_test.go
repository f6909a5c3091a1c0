package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// mediaFiles lists the files under dir by relative path and checks each
// is named by the sha256 of its content, 0600 in a 0700 directory, with
// no partial download left.
func mediaFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hx := hex.EncodeToString(sum[:])
		if rel != filepath.Join(hx[:2], hx) {
			t.Errorf("%s is not named by its content (%s)", rel, hx)
		}
		out[rel] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackupMediaEndToEnd(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 0)
	carol := w.a.AddAccount("carol")
	dave := w.b.AddAccount("dave")
	for _, p := range []struct {
		by *mastodontest.Account
		m  mastodontest.MediaOptions
	}{
		{carol, mastodontest.MediaOptions{Size: 5000, Description: "a cat"}},
		{carol, mastodontest.MediaOptions{Missing: true}},
		{dave, mastodontest.MediaOptions{Type: "video", Size: 3_000_000}},
	} {
		w.alice.Bookmark(p.by.Post(mastodontest.PostOptions{Media: []mastodontest.MediaOptions{p.m}}))
	}
	w.login(t)

	mustRun(t, 2, w.home, "", "backup", "--media-max-size", "1MB")
	r := mustRun(t, 2, w.home, "", "backup", "--media", "--media-max-size", "lots")
	if !strings.Contains(r.stderr, "50MB") {
		t.Errorf("bad size message = %q", r.stderr)
	}

	r = mustRun(t, 0, w.home, "", "backup", "--media", "--media-max-size", "1MB")
	// Done: the image and its preview, the video's 750 kB preview, two
	// avatars; the missing image's two files; the 3 MB video too large.
	want := "media: 5 files (740.9 KiB) downloaded, 2 missing, 1 too large, 0 failed"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr = %q\nwant a line %q", r.stderr, want)
	}
	if !strings.Contains(r.stderr, "3 new") {
		t.Errorf("bookmark summary missing: %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	dir := filepath.Join(w.home, "media")
	files := mediaFiles(t, dir)
	// The two avatars are the same PNG: stored once.
	if len(files) != 4 {
		t.Errorf("media dir holds %d files, want 4: %v", len(files), files)
	}
	for name, n := range files {
		if n > 1_000_000 {
			t.Errorf("%s is %d bytes, over the limit", name, n)
		}
	}
	served := w.a.Requests("GET", "/system/") + w.b.Requests("GET", "/system/")

	// Again: nothing new, nothing fetched again, missing and too large
	// not retried.
	r = mustRun(t, 0, w.home, "", "backup", "--media", "--media-max-size", "1MB")
	if want := "media: 0 files (0 B) downloaded, 0 missing, 0 too large, 0 failed"; !strings.Contains(r.stderr, want) {
		t.Errorf("second run stderr = %q\nwant %q", r.stderr, want)
	}
	if got := w.a.Requests("GET", "/system/") + w.b.Requests("GET", "/system/"); got != served {
		t.Errorf("second run made %d file requests", got-served)
	}
	if got := mediaFiles(t, dir); len(got) != 4 {
		t.Errorf("media dir changed: %v", got)
	}

	// A plain backup does not touch media.
	r = mustRun(t, 0, w.home, "", "backup")
	if strings.Contains(r.stderr, "media:") {
		t.Errorf("plain backup mentions media: %q", r.stderr)
	}
}

// A server that is down while media downloads fails its files; the
// command says so and the next run fetches them.
func TestBackupMediaRetriesFailed(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 0)
	dave := w.b.AddAccount("dave")
	w.alice.Bookmark(dave.Post(mastodontest.PostOptions{Media: []mastodontest.MediaOptions{{}}}))
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	w.b.SetDown(true)
	r := runTool(t, nil, w.home, "", "backup", "--media")
	w.b.SetDown(false)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "0 files (0 B) downloaded, 0 missing, 0 too large, 3 failed") ||
		!strings.Contains(r.stderr, "fedimarks backup "+w.alice.Handle()+" --media") {
		t.Errorf("stderr = %q", r.stderr)
	}
	r = mustRun(t, 0, w.home, "", "backup", "--media")
	if !strings.Contains(r.stderr, "media: 3 files") || !strings.Contains(r.stderr, "0 failed") {
		t.Errorf("rerun stderr = %q", r.stderr)
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"50MB", 50_000_000}, {"50mb", 50_000_000}, {"100MiB", 100 << 20}, {"1.5GiB", 3 << 29},
		{"300k", 300 << 10}, {"2 GB", 2_000_000_000}, {"1048576", 1 << 20}, {"10B", 10}, {"64KiB", 64 << 10},
	} {
		got, err := parseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "MB", "-5MB", "0", "5TB", "lots", "nan", "inf", "1e30", "5 M B"} {
		if n, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, n)
		}
	}
}
