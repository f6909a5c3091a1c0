package backup_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// clientDownloader is the real client with its size error translated, as
// the command line wires it.
type clientDownloader struct{ c *mastodon.Client }

func (d clientDownloader) Download(ctx context.Context, u string, w io.Writer, max int64) (string, int64, error) {
	ct, n, err := d.c.Download(ctx, u, w, max)
	if errors.Is(err, mastodon.ErrTooLarge) {
		err = fmt.Errorf("%w: %w", backup.ErrTooLarge, err)
	}
	return ct, n, err
}

type pageSource struct{ c *mastodon.Client }

func (s pageSource) Page(ctx context.Context, url string) (backup.Page, error) {
	p, err := s.c.BookmarksPage(ctx, url)
	return backup.Page{Statuses: p.Statuses, Next: p.Next}, err
}

// byteCounter is a Progress that sums what it is told.
type byteCounter struct{ n atomic.Int64 }

func (b *byteCounter) Add(n int64)                     { b.n.Add(n) }
func (b *byteCounter) Note(format string, args ...any) {}

// mediaWorld: alice on instance a bookmarks posts of carol (on a) and
// dave (on b); the archive is a real SQLite file.
type mediaWorld struct {
	a, b        *mastodontest.Instance
	alice       *mastodontest.Account
	carol, dave *mastodontest.Account
	ar          *sqlite.Archive
	client      *mastodon.Client
	dir         string
	h           fedimarks.Handle
	progress    *byteCounter
}

func newMediaWorld(t *testing.T) *mediaWorld {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	w := &mediaWorld{a: net.NewInstance(mastodontest.InstanceOptions{}), b: net.NewInstance(mastodontest.InstanceOptions{})}
	w.alice = w.a.AddAccount("alice")
	w.carol = w.a.AddAccount("carol")
	w.dave = w.b.AddAccount("dave")
	w.h = fedimarks.Handle(w.alice.Handle())
	tmp := t.TempDir()
	ar, err := sqlite.Open(context.Background(), filepath.Join(tmp, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ar.Close() })
	w.ar = ar
	w.dir = filepath.Join(tmp, "media")
	w.client = mastodon.New(mastodon.Options{Server: w.a.URL(), Token: w.alice.Token(), Options: remote.Options{MaxRetries: -1}})
	w.progress = &byteCounter{}
	return w
}

func (w *mediaWorld) post(t *testing.T, by *mastodontest.Account, media ...mastodontest.MediaOptions) *mastodontest.Status {
	t.Helper()
	s := by.Post(mastodontest.PostOptions{Media: media})
	w.alice.Bookmark(s)
	return s
}

func (w *mediaWorld) backup(t *testing.T) {
	t.Helper()
	if _, err := backup.Run(context.Background(), w.h, pageSource{w.client}, w.ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
}

func (w *mediaWorld) media(ctx context.Context, maxBytes int64, dl backup.Downloader) (backup.MediaResult, error) {
	if dl == nil {
		dl = clientDownloader{w.client}
	}
	return backup.DownloadMedia(ctx, w.h, dl, w.ar, backup.MediaOptions{Dir: w.dir, MaxBytes: maxBytes, Progress: w.progress})
}

// files lists the regular files under dir (relative path -> size) and
// fails on a leftover partial download or a file or directory open to
// others.
func files(t *testing.T, dir string) map[string]int64 {
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
			t.Errorf("%s has mode %v, want no access for others", p, fi.Mode().Perm())
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(d.Name(), ".part-") {
			t.Errorf("partial download left behind: %s", rel)
		}
		out[rel] = fi.Size()
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// state returns the recorded state of the file at u.
func (w *mediaWorld) state(t *testing.T, u string) sqlite.LocalMedia {
	t.Helper()
	m, err := w.ar.AvatarFor(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatalf("%s was never queued", u)
	}
	return *m
}

func TestMediaDownloadedOnceAndStoredByContent(t *testing.T) {
	w := newMediaWorld(t)
	// carol's two posts share her avatar; the two 5000-byte PNGs of s1
	// and s2 have the same content under different URLs.
	s1 := w.post(t, w.carol, mastodontest.MediaOptions{Size: 5000, Description: "a cat"})
	s2 := w.post(t, w.carol, mastodontest.MediaOptions{Size: 5000})
	s3 := w.post(t, w.dave, mastodontest.MediaOptions{Type: "video", Size: 3000})
	w.backup(t)

	res, err := w.media(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 3 originals, 3 previews, 2 avatars.
	if res.Queued != 8 || res.Downloaded != 8 || res.Missing+res.TooLarge+res.Failed != 0 {
		t.Errorf("result = %+v, want 8 queued and downloaded", res)
	}
	if got := w.a.Requests("GET", "/system/accounts/avatars/"); got != 1 {
		t.Errorf("carol's avatar fetched %d times, want 1", got)
	}
	if got := w.a.Requests("GET", "/system/"); got != 5 {
		t.Errorf("instance a served %d files, want 5", got)
	}
	if got := w.b.Requests("GET", "/system/"); got != 3 {
		t.Errorf("instance b served %d files, want 3", got)
	}
	// Same content under two URLs is kept once: the fake's PNGs depend
	// only on their size, so the two 5000-byte originals, the two
	// 1250-byte previews and the two 1234-byte avatars are three pairs.
	if res.Shared != 3 {
		t.Errorf("shared = %d, want 3", res.Shared)
	}
	if fs := files(t, w.dir); len(fs) != 5 {
		t.Errorf("media dir holds %d files, want 5: %v", len(fs), fs)
	}
	if w.progress.n.Load() != res.Bytes || res.Bytes != 5000*2+1250*2+3000+750+1234*2 {
		t.Errorf("progress heard %d bytes, result %d bytes", w.progress.n.Load(), res.Bytes)
	}

	// Each file is where its sum says, with the content served.
	ms, err := w.ar.MediaFor(context.Background(), s1.URI())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("s1 has %d files, want 3: %+v", len(ms), ms)
	}
	orig := ms[0]
	if orig.Kind != sqlite.KindOriginal || orig.URL != s1.MediaURLs()[0] || orig.State != "done" || orig.ContentType != "image/png" || orig.Size != 5000 || orig.Description != "a cat" {
		t.Errorf("s1's original = %+v", orig)
	}
	b, err := os.ReadFile(backup.BlobPath(w.dir, orig.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != orig.SHA256 || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("stored file does not match its sum or is not the PNG served")
	}
	ms2, _ := w.ar.MediaFor(context.Background(), s2.URI())
	if len(ms2) != 3 || ms2[0].SHA256 != orig.SHA256 || ms2[0].URL == orig.URL {
		t.Errorf("s2's original should share s1's content under its own URL: %+v", ms2)
	}
	ms3, _ := w.ar.MediaFor(context.Background(), s3.URI())
	if len(ms3) != 3 || ms3[0].ContentType != "video/mp4" || ms3[1].ContentType != "image/png" || ms3[1].Kind != sqlite.KindPreview {
		t.Errorf("s3's files = %+v", ms3)
	}

	// A second backup and download fetches nothing again.
	w.backup(t)
	res, err = w.media(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res != (backup.MediaResult{}) {
		t.Errorf("second run = %+v, want nothing to do", res)
	}
	if got := w.a.Requests("GET", "/system/") + w.b.Requests("GET", "/system/"); got != 8 {
		t.Errorf("%d file requests after the second run, want still 8", got)
	}
	if got := files(t, w.dir); len(got) != 5 {
		t.Errorf("media dir changed: %v", got)
	}
}

func TestMediaMissingAndTooLarge(t *testing.T) {
	w := newMediaWorld(t)
	gone := w.post(t, w.carol, mastodontest.MediaOptions{Missing: true})
	huge := w.post(t, w.dave, mastodontest.MediaOptions{Type: "video", Size: 400_000})
	w.backup(t)

	const limit = 100_000
	res, err := w.media(context.Background(), limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	// gone: original and preview missing; huge: the 400 KB original too
	// large, its 100 KB preview (exactly the limit) done; two avatars done.
	if res.Missing != 2 || res.TooLarge != 1 || res.Downloaded != 3 || res.Failed != 0 {
		t.Errorf("result = %+v, want 2 missing, 1 too large, 3 downloaded", res)
	}
	// Progress counts only the bytes kept, not those of the file cut
	// at the limit and thrown away.
	if got := w.progress.n.Load(); got != res.Bytes {
		t.Errorf("progress heard %d bytes, but %d were kept", got, res.Bytes)
	}
	if m := w.state(t, gone.MediaURLs()[0]); m.State != "missing" || !strings.Contains(m.Error, "404") {
		t.Errorf("missing attachment = %+v", m)
	}
	if m := w.state(t, huge.MediaURLs()[0]); m.State != "too_large" || m.SHA256 != "" {
		t.Errorf("huge attachment = %+v", m)
	}
	for name, n := range files(t, w.dir) {
		if n > limit {
			t.Errorf("%s is %d bytes, over the limit", name, n)
		}
	}
	// The preview and one avatar (both avatars are the same PNG).
	if got := len(files(t, w.dir)); got != 2 {
		t.Errorf("media dir holds %d files, want 2", got)
	}

	// Neither is tried again.
	before := w.a.Requests("", "/system/") + w.b.Requests("", "/system/")
	res, err = w.media(context.Background(), limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := w.a.Requests("", "/system/") + w.b.Requests("", "/system/")
	if res != (backup.MediaResult{}) || after != before {
		t.Errorf("rerun = %+v with %d new requests, want nothing", res, after-before)
	}
	c, err := w.ar.MediaCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Done != 3 || c.Missing != 2 || c.TooLarge != 1 || c.Pending+c.Failed != 0 {
		t.Errorf("counts = %+v", c)
	}
}

// A status whose JSON names files that are not http(s) gets them refused
// without a request.
func TestMediaRefusesNonHTTPURLs(t *testing.T) {
	w := newMediaWorld(t)
	raw := `{"id":"1","uri":"https://evil.example/users/x/statuses/1","account":{"id":"1","acct":"x@evil.example",` +
		`"avatar":"file:///etc/passwd"},"media_attachments":[{"id":"1","type":"image","url":"javascript:alert(1)",` +
		`"preview_url":"../../../../etc/shadow"},{"id":"2","type":"image","url":"ftp://evil.example/a.png","preview_url":"http:///nohost"}]}`
	st, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := w.ar.StartRun(ctx, w.h, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ar.SavePage(ctx, run, []fedimarks.Status{st}, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	called := 0
	dl := downloadFunc(func(ctx context.Context, u string, wr io.Writer, max int64) (string, int64, error) {
		called++
		return "", 0, errors.New("should not be called")
	})
	res, err := w.media(ctx, 0, dl)
	if err != nil {
		t.Fatal(err)
	}
	if res.Invalid != 5 || res.Failed != 0 || res.Downloaded != 0 || called != 0 {
		t.Errorf("result = %+v, downloader called %d times; want 5 invalid, no call", res, called)
	}
	ms, err := w.ar.MediaFor(ctx, st.URI)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.State != "invalid" || m.Error != "not an http(s) URL" {
			t.Errorf("%s: %s %q", m.URL, m.State, m.Error)
		}
	}
	// They are never tried again: the next run has nothing to do.
	res, err = w.media(ctx, 0, dl)
	if err != nil {
		t.Fatal(err)
	}
	if res != (backup.MediaResult{}) {
		t.Errorf("second run = %+v, want nothing done", res)
	}
	if got := files(t, w.dir); len(got) != 0 {
		t.Errorf("media dir holds %v", got)
	}
}

type downloadFunc func(ctx context.Context, u string, w io.Writer, max int64) (string, int64, error)

func (f downloadFunc) Download(ctx context.Context, u string, w io.Writer, max int64) (string, int64, error) {
	return f(ctx, u, w, max)
}

func TestMediaInterruptedLeavesNoPartialFileAndResumes(t *testing.T) {
	w := newMediaWorld(t)
	big := w.post(t, w.carol, mastodontest.MediaOptions{Type: "video", Size: 2 << 20})
	w.backup(t)
	bigURL := big.MediaURLs()[0]

	// Cancel in the middle of the big file: after its first bytes are
	// written to disk.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wrote atomic.Int64
	real := clientDownloader{w.client}
	dl := downloadFunc(func(ctx context.Context, u string, wr io.Writer, max int64) (string, int64, error) {
		if u != bigURL {
			return real.Download(ctx, u, wr, max)
		}
		return real.Download(ctx, u, writerFunc(func(p []byte) (int, error) {
			if wrote.Add(int64(len(p))) > 64<<10 {
				cancel()
				return 0, context.Canceled
			}
			return wr.Write(p)
		}), max)
	})
	_, err := w.media(ctx, 0, dl)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run = %v, want context.Canceled", err)
	}
	if wrote.Load() <= 64<<10 {
		t.Fatalf("the big file was not interrupted mid-way (%d bytes)", wrote.Load())
	}
	if m := w.state(t, bigURL); m.State != "pending" {
		t.Errorf("interrupted file is %s, want pending", m.State)
	}
	// Files finished before the interruption (the preview may be one) are
	// whole, named by their content; nothing else may be left.
	for name := range files(t, w.dir) {
		b, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%x", sha256.Sum256(b)) != filepath.Base(name) {
			t.Errorf("%s (%d bytes) left from the interrupted download", name, len(b))
		}
	}

	res, err := w.media(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Downloaded == 0 || res.Failed != 0 {
		t.Errorf("rerun = %+v", res)
	}
	m := w.state(t, bigURL)
	if m.State != "done" || m.Size != 2<<20 {
		t.Fatalf("big file after rerun = %+v", m)
	}
	fi, err := os.Stat(backup.BlobPath(w.dir, m.SHA256))
	if err != nil || fi.Size() != 2<<20 {
		t.Errorf("big file on disk: %v, %v", fi, err)
	}
	c, _ := w.ar.MediaCounts(context.Background())
	if c.Done != 3 || c.Pending != 0 {
		t.Errorf("counts after rerun = %+v", c)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A server that is down fails its files; the next run retries them.
func TestMediaFailedRetriedNextRun(t *testing.T) {
	w := newMediaWorld(t)
	w.post(t, w.carol, mastodontest.MediaOptions{})
	s := w.post(t, w.dave, mastodontest.MediaOptions{})
	w.backup(t)
	w.b.SetDown(true)
	res, err := w.media(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// dave's original, preview and avatar are on b.
	if res.Failed != 3 || res.Downloaded != 3 {
		t.Errorf("result with b down = %+v, want 3 failed, 3 downloaded", res)
	}
	if m := w.state(t, s.MediaURLs()[0]); m.State != "failed" || m.Error == "" || m.Attempts != 1 {
		t.Errorf("file of the server that is down = %+v", m)
	}
	w.b.SetDown(false)
	res, err = w.media(context.Background(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Downloaded != 3 {
		t.Errorf("rerun = %+v, want the 3 failed ones downloaded", res)
	}
	if got := w.a.Requests("GET", "/system/"); got != 3 {
		t.Errorf("instance a served %d files, want 3 (none again)", got)
	}
	if m := w.state(t, s.MediaURLs()[0]); m.State != "done" || m.Error != "" || m.Attempts != 2 {
		t.Errorf("retried file = %+v", m)
	}
}

// Once a host did not answer, its other files are not tried in this run;
// other hosts' files are.
func TestMediaDeadHostTriedOnce(t *testing.T) {
	w := newMediaWorld(t)
	w.post(t, w.carol, mastodontest.MediaOptions{})
	for range 3 {
		w.post(t, w.dave, mastodontest.MediaOptions{})
	}
	w.backup(t)
	w.b.SetDown(true)
	tries := map[string]int{}
	real := clientDownloader{w.client}
	dl := downloadFunc(func(ctx context.Context, u string, wr io.Writer, max int64) (string, int64, error) {
		tries[fedimarks.HostOf(u)]++ // one worker: no race
		return real.Download(ctx, u, wr, max)
	})
	res, err := backup.DownloadMedia(context.Background(), w.h, dl, w.ar, backup.MediaOptions{Dir: w.dir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// b: 3 originals, 3 previews, dave's avatar; a: 1, 1, carol's avatar.
	if res.Failed != 7 || res.Downloaded != 3 {
		t.Errorf("result = %+v, want 7 failed, 3 downloaded", res)
	}
	if tries[w.b.Host()] != 1 || tries[w.a.Host()] != 3 {
		t.Errorf("tries per host = %v, want 1 on the dead host and 3 on the live one", tries)
	}
	w.b.SetDown(false)
	res, err = w.media(context.Background(), 0, nil)
	if err != nil || res.Downloaded != 7 || res.Failed != 0 {
		t.Errorf("rerun = %+v, %v; want the 7 downloaded", res, err)
	}
}

// An archive that fails stops the run with its error.
func TestMediaStoreErrorStops(t *testing.T) {
	w := newMediaWorld(t)
	w.post(t, w.carol, mastodontest.MediaOptions{})
	w.backup(t)
	st := failingStore{MediaStore: w.ar}
	_, err := backup.DownloadMedia(context.Background(), w.h, clientDownloader{w.client}, st, backup.MediaOptions{Dir: w.dir})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v, want the store's error", err)
	}
}

type failingStore struct{ backup.MediaStore }

func (failingStore) SetMediaDone(context.Context, string, string, int64, string) error {
	return errors.New("disk on fire")
}

func TestBlobPath(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	if got, want := backup.BlobPath("/m", sum), filepath.Join("/m", "0f", sum); got != want {
		t.Errorf("BlobPath = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "../" + sum[3:], strings.ToUpper(sum), sum + "0", strings.Repeat("g", 64)} {
		if got := backup.BlobPath("/m", bad); got != "" {
			t.Errorf("BlobPath(%q) = %q, want \"\"", bad, got)
		}
	}
}

// Partial downloads left by a killed process are removed once old; a
// recent one may be another process's download in progress and stays.
func TestMediaRemovesStaleParts(t *testing.T) {
	w := newMediaWorld(t)
	if err := os.MkdirAll(w.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	old, fresh := filepath.Join(w.dir, ".part-old"), filepath.Join(w.dir, ".part-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(old, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fresh, now.Add(-time.Minute), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := backup.DownloadMedia(context.Background(), w.h, clientDownloader{w.client}, w.ar,
		backup.MediaOptions{Dir: w.dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale part still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent part removed: %v", err)
	}
}

// TestMediaProgressCountsKeptBytes: bytes of a download that is thrown
// away (cut at the size limit with no Content-Length to refuse it early,
// or broken off) are taken back from the progress.
func TestMediaProgressCountsKeptBytes(t *testing.T) {
	w := newMediaWorld(t)
	huge := w.post(t, w.carol, mastodontest.MediaOptions{Type: "video", Size: 3000})
	broken := w.post(t, w.dave, mastodontest.MediaOptions{Size: 500})
	w.backup(t)
	real := clientDownloader{w.client}
	hugeURL, brokenURL := huge.MediaURLs()[0], broken.MediaURLs()[0]
	dl := downloadFunc(func(ctx context.Context, u string, wr io.Writer, max int64) (string, int64, error) {
		switch u {
		case hugeURL: // streamed without a length: cut at the limit
			n, _ := wr.Write(make([]byte, max))
			return "", int64(n), fmt.Errorf("over %d bytes: %w", max, backup.ErrTooLarge)
		case brokenURL: // the connection breaks half-way
			n, _ := wr.Write(make([]byte, 100))
			return "", int64(n), statusErr(500) // not "unreachable": the host stays in use
		}
		return real.Download(ctx, u, wr, max)
	})
	res, err := w.media(context.Background(), 1000, dl)
	if err != nil {
		t.Fatal(err)
	}
	if res.TooLarge == 0 || res.Failed != 1 || res.Downloaded == 0 {
		t.Fatalf("result = %+v, want some too large, 1 failed, some downloaded", res)
	}
	if got := w.progress.n.Load(); got != res.Bytes {
		t.Errorf("progress heard %d bytes, but %d were kept", got, res.Bytes)
	}
}

// statusErr is an HTTP error answer as the client returns it.
type statusErr = httpStatusErr
