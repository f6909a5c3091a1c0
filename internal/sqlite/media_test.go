package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// mediaStatus builds a status by author with attachments named by files
// (each gets /orig/NAME and /small/NAME), and the author's avatar.
func mediaStatus(t testing.TB, id, author string, files ...string) fedimarks.Status {
	t.Helper()
	var atts []string
	for k, f := range files {
		atts = append(atts, fmt.Sprintf(`{"id":"%d","type":"image","url":"https://cdn.example/orig/%s",`+
			`"preview_url":"https://cdn.example/small/%s","remote_url":null,"description":"picture %d"}`, k, f, f, k))
	}
	raw := fmt.Sprintf(`{"id":%q,"uri":"https://remote.example/users/%s/statuses/%s","url":null,`+
		`"created_at":"2025-01-01T00:00:00.000Z","content":"<p>post</p>","visibility":"public",`+
		`"account":{"id":"1","acct":"%s@remote.example","avatar":"https://cdn.example/avatars/%s.png",`+
		`"avatar_static":"https://cdn.example/avatars/%s.png"},"media_attachments":[%s]}`,
		id, author, id, author, author, author, strings.Join(atts, ","))
	s, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func saveBookmarks(t testing.TB, a *Archive, h fedimarks.Handle, at time.Time, ss ...fedimarks.Status) {
	t.Helper()
	ctx := context.Background()
	run, err := a.StartRun(ctx, h, false, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, ss, "", at); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FinishRun(ctx, run, at); err != nil {
		t.Fatal(err)
	}
}

func TestQueueMediaOncePerURL(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	// Two posts by alice share cat.png; bob's post has none.
	saveBookmarks(t, a, alice, t0,
		mediaStatus(t, "1", "alice", "cat.png", "dog.png"),
		mediaStatus(t, "2", "alice", "cat.png"),
		mediaStatus(t, "3", "bob"))
	n, err := a.QueueMedia(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	// orig+small of cat and dog, avatars of alice and bob.
	if n != 6 {
		t.Errorf("QueueMedia added %d files, want 6", n)
	}
	if n, err := a.QueueMedia(ctx, alice); err != nil || n != 0 {
		t.Errorf("second QueueMedia = %d, %v; want 0, nil", n, err)
	}
	other := fedimarks.Handle("zed@elsewhere.example")
	if n, err := a.QueueMedia(ctx, other); err != nil || n != 0 {
		t.Errorf("QueueMedia of an account without bookmarks = %d, %v", n, err)
	}
	urls, err := a.PendingMedia(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://cdn.example/orig/cat.png", "https://cdn.example/small/cat.png",
		"https://cdn.example/orig/dog.png", "https://cdn.example/small/dog.png",
		"https://cdn.example/avatars/alice.png", "https://cdn.example/avatars/bob.png",
	}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Errorf("pending = %q\nwant %q", urls, want)
	}
	if urls, _ := a.PendingMedia(ctx, 2); len(urls) != 2 || urls[0] != want[0] {
		t.Errorf("PendingMedia(2) = %q", urls)
	}

	ms, err := a.MediaFor(ctx, "https://remote.example/users/alice/statuses/1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s/%d/%s/%s/%s", m.Kind, m.Index, m.Type, m.State, strings.TrimPrefix(m.URL, "https://cdn.example/")))
	}
	wantRefs := "original/0/image/pending/orig/cat.png preview/0/image/pending/small/cat.png " +
		"original/1/image/pending/orig/dog.png preview/1/image/pending/small/dog.png avatar/0//pending/avatars/alice.png"
	if strings.Join(got, " ") != wantRefs {
		t.Errorf("MediaFor = %q\nwant %q", strings.Join(got, " "), wantRefs)
	}
	if ms[2].Description != "picture 1" {
		t.Errorf("description = %q", ms[2].Description)
	}
	if ms, err := a.MediaFor(ctx, "https://nowhere.example/1"); err != nil || len(ms) != 0 {
		t.Errorf("MediaFor of an unknown status = %v, %v", ms, err)
	}
}

func TestMediaStates(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	saveBookmarks(t, a, alice, t0, mediaStatus(t, "1", "alice", "a.png", "b.png", "c.png"))
	if _, err := a.QueueMedia(ctx, alice); err != nil {
		t.Fatal(err)
	}
	sum := strings.Repeat("ab", 32)
	if err := a.SetMediaDone(ctx, "https://cdn.example/orig/a.png", sum, 1234, "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/orig/b.png", "missing", "404 Not Found"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/orig/c.png", "too_large", "over 10 bytes"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/small/a.png", "failed", "connection reset"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/small/b.png", "invalid", "not an http(s) URL"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/small/b.png", "done", ""); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SetMediaFailed with state done = %v, want EInvalid", err)
	}
	if err := a.SetMediaDone(ctx, "https://cdn.example/small/b.png", "abc", 1, ""); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SetMediaDone with a bad sum = %v, want EInvalid", err)
	}
	if err := a.SetMediaDone(ctx, "https://never.example/x", sum, 1, ""); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("SetMediaDone of an unknown URL = %v, want ENotFound", err)
	}

	// Failed ones are offered again, missing, too large and invalid ones not.
	urls, err := a.PendingMedia(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://cdn.example/small/a.png https://cdn.example/small/c.png https://cdn.example/avatars/alice.png"
	if strings.Join(urls, " ") != want {
		t.Errorf("pending = %q\nwant %q", strings.Join(urls, " "), want)
	}

	ms, err := a.MediaFor(ctx, "https://remote.example/users/alice/statuses/1")
	if err != nil {
		t.Fatal(err)
	}
	byURL := map[string]LocalMedia{}
	for _, m := range ms {
		byURL[m.URL] = m
	}
	d := byURL["https://cdn.example/orig/a.png"]
	if d.State != "done" || d.SHA256 != sum || d.Size != 1234 || d.ContentType != "image/png" || d.Attempts != 1 || d.FetchedAt.IsZero() {
		t.Errorf("done file = %+v", d)
	}
	if m := byURL["https://cdn.example/orig/b.png"]; m.State != "missing" || m.Error != "404 Not Found" {
		t.Errorf("missing file = %+v", m)
	}
	if m := byURL["https://cdn.example/orig/c.png"]; m.State != "too_large" || m.SHA256 != "" {
		t.Errorf("too large file = %+v", m)
	}
	// A failed file that then succeeds forgets its error.
	if err := a.SetMediaDone(ctx, "https://cdn.example/small/a.png", sum, 1234, "image/png"); err != nil {
		t.Fatal(err)
	}
	av, err := a.AvatarFor(ctx, "https://cdn.example/small/a.png")
	if err != nil {
		t.Fatal(err)
	}
	if av == nil || av.State != "done" || av.Error != "" || av.Attempts != 2 {
		t.Errorf("retried file = %+v", av)
	}
	if av, err := a.AvatarFor(ctx, "https://cdn.example/avatars/alice.png"); err != nil || av == nil || av.State != "pending" || av.Kind != KindAvatar {
		t.Errorf("AvatarFor = %+v, %v", av, err)
	}
	if av, err := a.AvatarFor(ctx, "https://cdn.example/avatars/nobody.png"); err != nil || av != nil {
		t.Errorf("AvatarFor of an unknown URL = %+v, %v; want nil, nil", av, err)
	}
	c, err := a.MediaCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c != (MediaCounts{Pending: 2, Done: 2, Missing: 1, TooLarge: 1, Invalid: 1, Bytes: 2468}) {
		t.Errorf("counts = %+v", c)
	}
}

// A post that changes (an attachment added on edit) is read again; a post
// bookmarked as a boost shows the boosted post's files.
func TestQueueMediaRereadsChangedAndBoosts(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	saveBookmarks(t, a, alice, t0, mediaStatus(t, "1", "alice", "a.png"))
	if n, err := a.QueueMedia(ctx, alice); err != nil || n != 3 {
		t.Fatalf("QueueMedia = %d, %v; want 3", n, err)
	}
	edited := mediaStatus(t, "1", "alice", "a.png", "new.png")
	run, err := a.StartRun(ctx, alice, true, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, []fedimarks.Status{edited}, "", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := a.QueueMedia(ctx, alice); err != nil || n != 2 {
		t.Errorf("QueueMedia after an edit = %d, %v; want 2", n, err)
	}
	ms, err := a.MediaFor(ctx, edited.URI)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 {
		t.Errorf("edited post has %d files, want 5: %+v", len(ms), ms)
	}

	inner := mediaStatus(t, "9", "carol", "boosted.png")
	raw := fmt.Sprintf(`{"id":"10","uri":"https://remote.example/users/dave/statuses/10/activity","url":null,`+
		`"account":{"id":"2","acct":"dave@remote.example","avatar":"https://cdn.example/avatars/dave.png"},`+
		`"media_attachments":[],"reblog":%s}`, inner.Raw)
	boost, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	bob := fedimarks.Handle("bob@home.example")
	saveBookmarks(t, a, bob, t0, boost)
	if n, err := a.QueueMedia(ctx, bob); err != nil || n != 3 {
		t.Errorf("QueueMedia of a boost = %d, %v; want 3 (orig, small, carol's avatar)", n, err)
	}
	ms, err = a.MediaFor(ctx, boost.URI)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, m := range ms {
		urls = append(urls, m.URL)
	}
	if want := "https://cdn.example/orig/boosted.png https://cdn.example/small/boosted.png https://cdn.example/avatars/carol.png"; strings.Join(urls, " ") != want {
		t.Errorf("boost's files = %q\nwant %q", strings.Join(urls, " "), want)
	}
}

// TestMigrationMediaInvalid: migration 0009 keeps every media row and
// ref, and turns the files an older fedimarks left failed for not being
// http(s) into invalid ones.
func TestMigrationMediaInvalid(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	saveBookmarks(t, a, alice, t0, mediaStatus(t, "1", "alice", "a.png", "b.png"))
	if _, err := a.QueueMedia(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/orig/a.png", "failed", "not an http(s) URL"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetMediaFailed(ctx, "https://cdn.example/orig/b.png", "failed", "connection reset"); err != nil {
		t.Fatal(err)
	}
	before, err := a.MediaFor(ctx, "https://remote.example/users/alice/statuses/1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.w.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version >= 9`); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.apply(ctx, ms); err != nil {
		t.Fatal(err)
	}
	after, err := a.MediaFor(ctx, "https://remote.example/users/alice/statuses/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || len(after) == 0 {
		t.Fatalf("%d files after the migration, %d before", len(after), len(before))
	}
	for i, m := range after {
		want := before[i]
		if m.URL == "https://cdn.example/orig/a.png" {
			want.State = "invalid"
		}
		if m != want {
			t.Errorf("after the migration %+v\nwant %+v", m, want)
		}
	}
	var fk int
	if err := a.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		t.Errorf("foreign key check: %d problems, %v", fk, err)
	}
}
