package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
)

// ErrTooLarge is what a Downloader's error wraps when a file is over the
// size limit.
var ErrTooLarge = errors.New("file too large")

// Downloader fetches one remote file and streams it to w. It must stop
// after maxBytes bytes (maxBytes > 0) with an error wrapping ErrTooLarge,
// answer a *fedimarks.RemoteError for a server's error answer or silence
// (KindNotFound and KindGone mean the file is gone), and honour ctx. It returns the file's
// Content-Type, if known, and the bytes written.
type Downloader interface {
	Download(ctx context.Context, rawURL string, w io.Writer, maxBytes int64) (contentType string, n int64, err error)
}

// MediaStore is the part of the archive media downloads use: it knows the
// files of the archived posts by URL and records how each download ended.
type MediaStore interface {
	// QueueMedia records the files of account h's bookmarked posts not
	// yet known and returns how many it added.
	QueueMedia(ctx context.Context, h fedimarks.Handle) (int, error)
	// PendingMedia lists the URLs to download (all when limit <= 0):
	// pending ones and those that failed before.
	PendingMedia(ctx context.Context, limit int) ([]string, error)
	SetMediaDone(ctx context.Context, url, sha256 string, size int64, contentType string) error
	// SetMediaFailed records a failure state (fedimarks.MediaMissing,
	// fedimarks.MediaTooLarge, fedimarks.MediaInvalid or fedimarks.MediaFailed).
	SetMediaFailed(ctx context.Context, url string, state fedimarks.MediaState, errText string) error
}

// DefaultMaxMediaBytes is the size limit of one file when
// MediaOptions.MaxBytes is 0: 100 MiB.
const DefaultMaxMediaBytes = 100 << 20

// MediaOptions tune DownloadMedia.
type MediaOptions struct {
	// Dir is the media directory (created 0700 if missing). Required.
	Dir string
	// MaxBytes is the size limit of one file (0: DefaultMaxMediaBytes).
	MaxBytes int64
	// Workers is how many files download at once (0: 4).
	Workers int
	// Progress, when set, is told of every byte received, and told to
	// take back (a negative Add) the bytes of a download thrown away, so
	// that it ends at the bytes kept. It must be safe for concurrent use.
	Progress Progress
	// Now is the clock (default time.Now), for cleaning up stale parts.
	Now func() time.Time
}

// MediaResult sums up DownloadMedia.
type MediaResult struct {
	// Queued files were recorded for the first time by this run.
	Queued int
	// Downloaded files were fetched by this run, Bytes in all; Shared of
	// them had content already stored under another URL (kept once).
	Downloaded, Shared int
	Bytes              int64
	// Missing, TooLarge, Invalid and Failed files ended so in this run.
	Missing, TooLarge, Invalid, Failed int
}

// staleParts is the age after which a leftover partial download (from a
// process that was killed) is removed.
const staleParts = time.Hour

// partPrefix starts the names of partial downloads in the media directory.
const partPrefix = ".part-"

// BlobPath returns where the file whose content has the sha256 sum (64
// lower-case hex digits) is kept under dir: dir/ab/abcdef..., or "" if sum
// is not such a sum. No part of the path ever comes from a server.
func BlobPath(dir, sum string) string {
	if len(sum) != 64 {
		return ""
	}
	for _, r := range sum {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return ""
		}
	}
	return filepath.Join(dir, sum[:2], sum)
}

// DownloadMedia records the files (attachments, previews, avatars) of the
// posts account h has bookmarked and downloads every file not yet done,
// from any account, into opts.Dir, named by content (BlobPath): a file is
// written to a temporary name in the directory and renamed when complete,
// so a crash never leaves a partial file under a real name, and content
// already stored is not written again. Files are 0600 in 0700 directories.
//
// Only http and https URLs are fetched; others end invalid. A file that
// is gone ends missing and one over the size limit too_large; none of
// these is tried again. Any other failure ends failed and is retried by the next
// run; one bad file never stops the others. Once a host did not answer
// (after the downloader's retries), its other files end failed without a
// request, so a dead server costs one file's retries. A cancelled ctx
// stops the run with ctx's error, files in flight stay pending; an archive
// error stops it too.
func DownloadMedia(ctx context.Context, h fedimarks.Handle, dl Downloader, store MediaStore, opts MediaOptions) (MediaResult, error) {
	var res MediaResult
	if opts.Dir == "" {
		return res, errors.New("download media: no media directory")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxMediaBytes
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return res, fmt.Errorf("download media: %w", err)
	}
	removeStaleParts(opts.Dir, opts.Now().Add(-staleParts))
	n, err := store.QueueMedia(ctx, h)
	if err != nil {
		return res, err
	}
	res.Queued = n
	urls, err := store.PendingMedia(ctx, 0)
	if err != nil {
		return res, err
	}
	m := &mediaRun{dl: dl, store: store, opts: opts, down: map[string]bool{}}
	err = m.run(ctx, urls)
	m.res.Queued = res.Queued
	return m.res, err
}

// mediaRun is one DownloadMedia's state.
type mediaRun struct {
	dl    Downloader
	store MediaStore
	opts  MediaOptions

	mu  sync.Mutex
	res MediaResult
	// down holds the hosts that did not answer (after the downloader's
	// retries) in this run: their other files are not tried until the
	// next run, so a dead server costs one file's retries, not all.
	down map[string]bool

	// storing serializes store1: two workers that downloaded the same
	// content at once would both find no file and both say "not shared".
	storing sync.Mutex
}

// run downloads urls with opts.Workers workers; the first fatal error
// stops them all.
func (m *mediaRun) run(ctx context.Context, urls []string) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		fatalErr error
	)
	jobs := make(chan string)
	for range min(m.opts.Workers, max(len(urls), 1)) {
		wg.Go(func() {
			for u := range jobs {
				if err := m.one(wctx, u); err != nil {
					errOnce.Do(func() { fatalErr = err })
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, u := range urls {
		select {
		case jobs <- u:
		case <-wctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fatalErr
}

// one downloads the file at rawURL and records how it ended. It returns
// an error only when the whole run must stop.
func (m *mediaRun) one(ctx context.Context, rawURL string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return m.fail(ctx, rawURL, fedimarks.MediaInvalid, "not an http(s) URL")
	}
	host := strings.ToLower(u.Host)
	m.mu.Lock()
	skip := m.down[host]
	m.mu.Unlock()
	if skip {
		return m.fail(ctx, rawURL, fedimarks.MediaFailed, "not tried: "+host+" did not answer earlier in this run")
	}
	f, err := os.CreateTemp(m.opts.Dir, partPrefix+"*")
	if err != nil {
		return fmt.Errorf("download media: %w", err)
	}
	got, err := m.fetch(ctx, rawURL, f)
	if err != nil {
		os.Remove(f.Name())
		got.prog.takeBack() // progress counts only bytes kept
		return m.notFetched(ctx, rawURL, host, err)
	}
	shared, err := m.store1(f.Name(), got.sum, got.n)
	if err != nil {
		os.Remove(f.Name())
		got.prog.takeBack()
		return m.fail(ctx, rawURL, fedimarks.MediaFailed, err.Error())
	}
	if err := m.store.SetMediaDone(ctx, rawURL, got.sum, got.n, got.ctype); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	m.mu.Lock()
	m.res.Downloaded++
	m.res.Bytes += got.n
	if shared {
		m.res.Shared++
	}
	m.mu.Unlock()
	return nil
}

// fetched is a download written to its temporary file: its SHA-256 (in
// hex), size and content type, and the progress it added.
type fetched struct {
	sum   string
	n     int64
	ctype string
	prog  *progressWriter
}

// fetch downloads rawURL into f, synced and closed.
func (m *mediaRun) fetch(ctx context.Context, rawURL string, f *os.File) (fetched, error) {
	sum := sha256.New()
	head := &headWriter{}
	got := fetched{prog: &progressWriter{p: m.opts.Progress}}
	w := io.MultiWriter(f, sum, head, got.prog)
	ctype, n, err := m.dl.Download(ctx, rawURL, w, m.opts.MaxBytes)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return got, err
	}
	got.sum, got.n, got.ctype = hex.EncodeToString(sum.Sum(nil)), n, cleanContentType(ctype, head.b)
	return got, nil
}

// notFetched records why rawURL's download failed (missing, too large or
// failed; its host down when it did not answer), or returns ctx's error
// when the run was interrupted: the file then stays pending.
func (m *mediaRun) notFetched(ctx context.Context, rawURL, host string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch k := fedimarks.ErrorKind(err); {
	case k == fedimarks.KindNotFound || k == fedimarks.KindGone:
		return m.fail(ctx, rawURL, fedimarks.MediaMissing, err.Error())
	case errors.Is(err, ErrTooLarge):
		return m.fail(ctx, rawURL, fedimarks.MediaTooLarge, err.Error())
	}
	if unreachable(err) {
		m.mu.Lock()
		m.down[host] = true
		m.mu.Unlock()
	}
	return m.fail(ctx, rawURL, fedimarks.MediaFailed, err.Error())
}

// store1 moves the complete download tmp to its content's name, or
// removes it when that content is already stored (shared is then true).
func (m *mediaRun) store1(tmp, sum string, size int64) (shared bool, err error) {
	m.storing.Lock()
	defer m.storing.Unlock()
	final := BlobPath(m.opts.Dir, sum)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return false, fmt.Errorf("store media: %w", err)
	}
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		return true, os.Remove(tmp)
	}
	if err := os.Rename(tmp, final); err != nil {
		return false, fmt.Errorf("store media: %w", err)
	}
	return false, nil
}

// fail records that rawURL ended in state.
func (m *mediaRun) fail(ctx context.Context, rawURL string, state fedimarks.MediaState, msg string) error {
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	if err := m.store.SetMediaFailed(ctx, rawURL, state, msg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	m.mu.Lock()
	switch state {
	case fedimarks.MediaMissing:
		m.res.Missing++
	case fedimarks.MediaTooLarge:
		m.res.TooLarge++
	case fedimarks.MediaInvalid:
		m.res.Invalid++
	default:
		m.res.Failed++
	}
	m.mu.Unlock()
	return nil
}

// unreachable reports whether err says the server did not answer: no
// answer at all, an overloaded or failing gateway, or a request budget
// that stayed spent, after the downloader's retries. A local error (a
// full disk) says nothing about the server.
func unreachable(err error) bool {
	return fedimarks.IsUnreachable(err) || fedimarks.ErrorKind(err) == fedimarks.KindRateLimited
}

// cleanContentType keeps the server's Content-Type if it is a plausible
// media type, else sniffs one from the file's first bytes.
func cleanContentType(ct string, head []byte) string {
	ct = strings.TrimSpace(ct)
	if ct == "" || len(ct) > 200 || !strings.Contains(ct, "/") || strings.ContainsAny(ct, "\r\n") {
		return http.DetectContentType(head)
	}
	return ct
}

// headWriter keeps the first 512 bytes written, for sniffing.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if room := 512 - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// progressWriter tells p of the bytes written as they arrive, and can
// take them back when the download is thrown away. One download's.
type progressWriter struct {
	p Progress
	n int64
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	if pw.p != nil {
		pw.p.Add(int64(len(b)))
		pw.n += int64(len(b))
	}
	return len(b), nil
}

// takeBack subtracts from the progress what this download added.
func (pw *progressWriter) takeBack() {
	if pw.p != nil && pw.n > 0 {
		pw.p.Add(-pw.n)
		pw.n = 0
	}
}

// removeStaleParts removes partial downloads in dir last written before
// cutoff: leftovers of a process that was killed. Recent ones may belong
// to another fedimarks running now, so they stay.
func removeStaleParts(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), partPrefix) || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
