package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB) *Archive {
	t.Helper()
	a, err := Open(context.Background(), filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// status builds a Status the way the backup engine gets one: parsed from
// the server's JSON.
func status(t testing.TB, host, id string) fedimarks.Status {
	t.Helper()
	raw := fmt.Sprintf(`{"id":%q,"uri":"https://%s/users/alice/statuses/%s","url":"https://%s/@alice/%s",`+
		`"created_at":"2025-01-01T00:00:00.000Z","content":"<p>post <b>%s</b></p>","spoiler_text":"",`+
		`"visibility":"public","language":"en","account":{"id":"1","acct":"alice@%s","url":"https://%s/@alice","display_name":"Alice"}}`,
		id, host, id, host, id, id, host, host)
	s, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func statuses(t testing.TB, ids ...string) []fedimarks.Status {
	var ss []fedimarks.Status
	for _, id := range ids {
		ss = append(ss, status(t, "remote.example", id))
	}
	return ss
}

// ids returns the local ids of bs in order.
func ids(bs []fedimarks.Bookmark) string {
	var s []string
	for _, b := range bs {
		s = append(s, b.Status.ID)
	}
	return strings.Join(s, " ")
}

const alice = fedimarks.Handle("alice@home.example")

func TestOpenTwiceAndFileMode(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "archive.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() != path {
		t.Errorf("Path() = %q, want %q", a.Path(), path)
	}
	if err := a.SaveAccount(ctx, fedimarks.Account{Handle: alice, Server: "https://home.example"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(name), fi.Mode().Perm())
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, want 0700", fi.Mode().Perm())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer a.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n, max int
	if err := a.r.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) || max != ms[len(ms)-1].version || len(ms) < 2 {
		t.Errorf("schema_migrations: %d rows, max %d; want %d, %d", n, max, len(ms), ms[len(ms)-1].version)
	}
	if _, err := a.Account(ctx, alice); err != nil {
		t.Errorf("account lost on reopen: %v", err)
	}
	var mode string
	if err := a.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := a.w.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (99999, '99999_future', '')`); err != nil {
		t.Fatal(err)
	}
	a.Close()
	_, err = Open(ctx, path)
	if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Fatalf("open newer archive: err = %v, want EInvalid", err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "we?ird #dir%20", "a.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("archive not at the path given: %v", err)
	}
}

func TestSavePageOrderAcrossRuns(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, err := a.StartRun(ctx, alice, false, t0)
	if err != nil {
		t.Fatal(err)
	}
	pages := [][]string{{"9", "8", "7"}, {"6", "5"}, {"4"}}
	for i, p := range pages {
		next := fmt.Sprintf("https://home.example/api/v1/bookmarks?max_id=%d", i)
		if i == len(pages)-1 {
			next = ""
		}
		if err := a.SavePage(ctx, run, statuses(t, p...), next, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if run.Index != 6 || run.Pages != 3 || run.New != 6 || run.Seen != 0 {
		t.Errorf("run after 3 pages = %+v", run)
	}
	if _, err := a.FinishRun(ctx, run, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Two new bookmarks, then the server lists one we know: an
	// incremental run saves that page.
	run2, err := a.StartRun(ctx, alice, false, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run2, statuses(t, "11", "10"), "", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if run2.New != 2 || run2.Index != 2 {
		t.Errorf("run2 = %+v", run2)
	}
	if _, err := a.FinishRun(ctx, run2, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	bs, err := a.Bookmarks(ctx, alice, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(bs), "11 10 9 8 7 6 5 4"; got != want {
		t.Errorf("order = %q, want %q", got, want)
	}
	bs, err = a.Bookmarks(ctx, alice, ListOptions{Limit: 3, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(bs), "9 8 7"; got != want {
		t.Errorf("page of order = %q, want %q", got, want)
	}
	if !bs[0].FirstSeen.Equal(t0) || !bs[0].LastSeen.Equal(t0) || bs[0].RemovedAt != nil {
		t.Errorf("times = %v %v %v", bs[0].FirstSeen, bs[0].LastSeen, bs[0].RemovedAt)
	}
}

func TestFullRunRemovesAndRestores(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	if err := a.SaveAccount(ctx, fedimarks.Account{Handle: alice}); err != nil {
		t.Fatal(err)
	}
	run1, _ := a.StartRun(ctx, alice, true, t0)
	if err := a.SavePage(ctx, run1, statuses(t, "4", "3", "2", "1"), "", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := a.FinishRun(ctx, run1, t0); err != nil || n != 0 {
		t.Fatalf("finish run1 = %d, %v", n, err)
	}

	// An incremental run that sees only "3" removes nothing.
	inc, _ := a.StartRun(ctx, alice, false, t0.Add(time.Hour))
	if err := a.SavePage(ctx, inc, statuses(t, "3"), "", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := a.FinishRun(ctx, inc, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("finish incremental = %d, %v; want 0 removed", n, err)
	}

	// A full run sees 5 (new), 3 and 1: 4 and 2 were unbookmarked.
	t2 := t0.Add(2 * time.Hour)
	run2, _ := a.StartRun(ctx, alice, true, t2)
	if err := a.SavePage(ctx, run2, statuses(t, "5", "3"), "next", t2); err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run2, statuses(t, "1"), "", t2.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if run2.New != 1 || run2.Seen != 2 {
		t.Errorf("run2 counters = %+v", run2)
	}
	removed, err := a.FinishRun(ctx, run2, t2.Add(time.Minute))
	if err != nil || removed != 2 {
		t.Fatalf("FinishRun = %d, %v; want 2 removed", removed, err)
	}
	c, err := a.Counts(ctx, alice)
	if err != nil || c != (Counts{Active: 3, Removed: 2}) {
		t.Errorf("Counts = %+v, %v", c, err)
	}
	bs, _ := a.Bookmarks(ctx, alice, ListOptions{})
	if got, want := ids(bs), "5 3 1"; got != want {
		t.Errorf("active = %q, want %q", got, want)
	}
	all, _ := a.Bookmarks(ctx, alice, ListOptions{IncludeRemoved: true})
	if got, want := ids(all), "5 3 1 4 2"; got != want {
		t.Errorf("with removed = %q, want %q", got, want)
	}
	if all[3].RemovedAt == nil || !all[3].RemovedAt.Equal(t2.Add(time.Minute)) {
		t.Errorf("RemovedAt of 4 = %v", all[3].RemovedAt)
	}
	acc, err := a.Account(ctx, alice)
	if err != nil || !acc.LastBackup.Equal(t2.Add(time.Minute)) {
		t.Errorf("LastBackup = %v, %v", acc.LastBackup, err)
	}
	known, err := a.Known(ctx, alice, []string{status(t, "remote.example", "4").URI, status(t, "remote.example", "5").URI})
	if err != nil {
		t.Fatal(err)
	}
	if known[status(t, "remote.example", "4").URI] || !known[status(t, "remote.example", "5").URI] {
		t.Errorf("Known after removal = %v", known)
	}

	// 4 comes back.
	t3 := t0.Add(3 * time.Hour)
	run3, _ := a.StartRun(ctx, alice, false, t3)
	if err := a.SavePage(ctx, run3, statuses(t, "4"), "", t3); err != nil {
		t.Fatal(err)
	}
	if run3.Restored != 1 || run3.New != 0 {
		t.Errorf("run3 = %+v", run3)
	}
	if _, err := a.FinishRun(ctx, run3, t3); err != nil {
		t.Fatal(err)
	}
	bs, _ = a.Bookmarks(ctx, alice, ListOptions{})
	if got, want := ids(bs), "4 5 3 1"; got != want {
		t.Errorf("after restore = %q, want %q", got, want)
	}
	if bs[0].RemovedAt != nil || !bs[0].FirstSeen.Equal(t0) {
		t.Errorf("restored bookmark: RemovedAt %v FirstSeen %v", bs[0].RemovedAt, bs[0].FirstSeen)
	}

	hist, err := a.History(ctx, alice, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, e.Event+":"+e.URI[strings.LastIndex(e.URI, "/")+1:])
	}
	// Newest first; equal times keep reverse insertion order.
	want := "restored:4 removed:2 removed:4 added:5 added:1 added:2 added:3 added:4"
	if strings.Join(got, " ") != want {
		t.Errorf("History = %q\nwant      %q", strings.Join(got, " "), want)
	}
	if h2, _ := a.History(ctx, alice, 2); len(h2) != 2 || h2[0].Event != "restored" || !h2[0].At.Equal(t3) {
		t.Errorf("History limit 2 = %+v", h2)
	}
}

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	if r, err := a.UnfinishedRun(ctx, alice); r != nil || err != nil {
		t.Fatalf("UnfinishedRun on empty = %v, %v", r, err)
	}
	run, _ := a.StartRun(ctx, alice, true, t0)
	if err := a.SavePage(ctx, run, statuses(t, "2", "1"), "https://home.example/next", t0); err != nil {
		t.Fatal(err)
	}
	// The process stops; a new one resumes.
	got, err := a.UnfinishedRun(ctx, alice)
	if err != nil || got == nil {
		t.Fatalf("UnfinishedRun = %v, %v", got, err)
	}
	if got.ID != run.ID || !got.Full || got.NextURL != "https://home.example/next" || got.Index != 2 ||
		got.Pages != 1 || got.New != 2 || !got.StartedAt.Equal(t0) || got.Account != alice {
		t.Errorf("resumed run = %+v, want %+v", got, run)
	}
	if err := a.SavePage(ctx, got, statuses(t, "0"), "", t0); err != nil {
		t.Fatal(err)
	}
	bs, _ := a.Bookmarks(ctx, alice, ListOptions{})
	if ids(bs) != "2 1 0" {
		t.Errorf("order after resume = %q", ids(bs))
	}
	if err := a.AbandonRun(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := a.AbandonRun(ctx, got); err != nil {
		t.Errorf("abandon twice: %v", err)
	}
	if r, _ := a.UnfinishedRun(ctx, alice); r != nil {
		t.Errorf("abandoned run still offered: %+v", r)
	}
	if err := a.SavePage(ctx, got, statuses(t, "9"), "", t0); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SavePage on abandoned run: %v, want EInvalid", err)
	}
	if _, err := a.FinishRun(ctx, got, t0); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("FinishRun on abandoned run: %v, want EInvalid", err)
	}
	if err := a.SavePage(ctx, &Run{ID: 999, Account: alice}, nil, "", t0); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("SavePage on unknown run: %v, want ENotFound", err)
	}
	bad := fedimarks.Status{ID: "1", URI: "https://x/1"} // no Raw
	run2, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, run2, []fedimarks.Status{bad}, "", t0); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SavePage without raw: %v, want EInvalid", err)
	}
}

func TestSavePageRepeatInRunKeepsFirstPosition(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, run, statuses(t, "3", "2"), "n", t0); err != nil {
		t.Fatal(err)
	}
	// GoToSocial-style overlap: "2" listed again on the next page.
	if err := a.SavePage(ctx, run, statuses(t, "2", "1"), "", t0); err != nil {
		t.Fatal(err)
	}
	if run.Index != 3 || run.New != 3 || run.Seen != 0 {
		t.Errorf("run = %+v, want index 3, new 3, seen 0", run)
	}
	bs, _ := a.Bookmarks(ctx, alice, ListOptions{})
	if ids(bs) != "3 2 1" {
		t.Errorf("order = %q, want 3 2 1", ids(bs))
	}
}

func TestKnown(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, _ := a.StartRun(ctx, alice, false, t0)
	var ss []fedimarks.Status
	for i := range 700 { // more than one query chunk
		ss = append(ss, status(t, "remote.example", fmt.Sprint(i)))
	}
	if err := a.SavePage(ctx, run, ss, "", t0); err != nil {
		t.Fatal(err)
	}
	uris := []string{"https://remote.example/users/alice/statuses/nope"}
	for i := 0; i < 1000; i += 3 {
		uris = append(uris, status(t, "remote.example", fmt.Sprint(i)).URI)
	}
	known, err := a.Known(ctx, alice, uris)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := 0; i < 700; i += 3 {
		want++
		if !known[status(t, "remote.example", fmt.Sprint(i)).URI] {
			t.Fatalf("status %d not known", i)
		}
	}
	if len(known) != want {
		t.Errorf("Known returned %d, want %d", len(known), want)
	}
	other, err := a.Known(ctx, "bob@home.example", uris)
	if err != nil || len(other) != 0 {
		t.Errorf("Known for another account = %v, %v", other, err)
	}
}

func TestRawJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	// Odd spacing, key order, escapes, a numeric id, unknown fields, a
	// reblog: stored and returned byte for byte.
	raw := "{ \"uri\" : \"https://r.example/o/1\",\n\t\"id\": 12345678901234567890, \"content\": \"<p>caf\\u00e9 &amp; \u263a \\\"q\\\"</p>\"," +
		" \"x_custom\": {\"nested\": [1, 2.50, null]}, \"created_at\": \"2024-02-29T23:59:59.123456Z\"," +
		" \"account\": {\"id\": 7, \"acct\": \"o@r.example\"}, \"reblog\": null, \"url\": null }"
	s, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	run, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, run, []fedimarks.Status{s}, "", t0); err != nil {
		t.Fatal(err)
	}
	bs, err := a.Bookmarks(ctx, alice, ListOptions{})
	if err != nil || len(bs) != 1 {
		t.Fatalf("Bookmarks = %v, %v", bs, err)
	}
	if string(bs[0].Status.Raw) != raw {
		t.Errorf("raw changed:\n got %s\nwant %s", bs[0].Status.Raw, raw)
	}
	if bs[0].Status.ID != "12345678901234567890" || !bs[0].Status.CreatedAt.Equal(s.CreatedAt) {
		t.Errorf("parsed = %+v", bs[0].Status)
	}
	got, err := a.StatusByURI(ctx, s.URI)
	if err != nil || got == nil || string(got.Raw) != raw {
		t.Fatalf("StatusByURI = %v, %v", got, err)
	}
	var text string
	if err := a.r.QueryRowContext(ctx, `SELECT plain_text FROM statuses WHERE uri = ?`, s.URI).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if text != "café & ☺ \"q\"" {
		t.Errorf("plain text = %q", text)
	}
}

func TestStatusByURI(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, _ := a.StartRun(ctx, alice, false, t0)
	s := status(t, "remote.example", "42")
	if err := a.SavePage(ctx, run, []fedimarks.Status{s}, "", t0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{s.URI, s.URL} {
		got, err := a.StatusByURI(ctx, q)
		if err != nil || got == nil || got.URI != s.URI || got.Visibility != "public" {
			t.Errorf("StatusByURI(%q) = %+v, %v", q, got, err)
		}
	}
	if got, err := a.StatusByURI(ctx, "https://remote.example/nope"); got != nil || err != nil {
		t.Errorf("StatusByURI(unknown) = %v, %v; want nil, nil", got, err)
	}
}

func TestSharedStatusBetweenAccounts(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	bob := fedimarks.Handle("bob@other.example")

	sa := status(t, "remote.example", "100")
	sb := status(t, "remote.example", "100")
	// The same post, as bob's server numbers it.
	sb.ID = "b-77"

	ra, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, ra, []fedimarks.Status{sa}, "", t0); err != nil {
		t.Fatal(err)
	}
	rb, _ := a.StartRun(ctx, bob, false, t0)
	if err := a.SavePage(ctx, rb, []fedimarks.Status{sb}, "", t0); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM statuses`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("statuses rows = %d, %v; want 1", n, err)
	}
	ba, _ := a.Bookmarks(ctx, alice, ListOptions{})
	bb, _ := a.Bookmarks(ctx, bob, ListOptions{})
	if len(ba) != 1 || len(bb) != 1 || ba[0].Status.URI != bb[0].Status.URI {
		t.Fatalf("alice %v bob %v", ba, bb)
	}
	if ba[0].Status.ID != "100" || bb[0].Status.ID != "b-77" {
		t.Errorf("local ids: alice %q bob %q", ba[0].Status.ID, bb[0].Status.ID)
	}
	if ba[0].Account != string(alice) || bb[0].Account != string(bob) {
		t.Errorf("accounts: %q %q", ba[0].Account, bb[0].Account)
	}
	hs, err := a.ArchivedAccounts(ctx)
	if err != nil || len(hs) != 2 || hs[0] != alice || hs[1] != bob {
		t.Errorf("ArchivedAccounts = %v, %v", hs, err)
	}
	// A full run of bob's that no longer sees the post removes bob's
	// bookmark only.
	rb2, _ := a.StartRun(ctx, bob, true, t0.Add(time.Hour))
	if n, err := a.FinishRun(ctx, rb2, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("FinishRun bob = %d, %v", n, err)
	}
	if c, _ := a.Counts(ctx, alice); c.Active != 1 {
		t.Errorf("alice counts after bob's removal = %+v", c)
	}
}

func TestAccountsAndApps(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	_, err := a.Account(ctx, alice)
	var fe *fedimarks.Error
	if !errors.As(err, &fe) || fe.Code != fedimarks.ENotFound || !strings.Contains(fe.Message, string(alice)) {
		t.Fatalf("Account(missing) = %v", err)
	}
	acc := fedimarks.Account{Handle: alice, ID: "1", Server: "https://home.example", Scopes: []string{"read:bookmarks", "write:bookmarks"},
		Software: "mastodon 4.3.0", TokenStore: "keyring", LastBackup: t0}
	if err := a.SaveAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	acc2 := acc
	acc2.LastBackup = time.Time{}
	acc2.Software = "mastodon 4.4.0"
	if err := a.SaveAccount(ctx, acc2); err != nil {
		t.Fatal(err)
	}
	got, err := a.Account(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if got.Software != "mastodon 4.4.0" || !got.LastBackup.Equal(t0) || strings.Join(got.Scopes, " ") != "read:bookmarks write:bookmarks" ||
		got.TokenStore != "keyring" || got.Server != acc.Server || got.ID != "1" {
		t.Errorf("Account = %+v", got)
	}
	if err := a.SaveAccount(ctx, fedimarks.Account{Handle: "aaron@home.example"}); err != nil {
		t.Fatal(err)
	}
	accs, err := a.Accounts(ctx)
	if err != nil || len(accs) != 2 || accs[0].Handle != "aaron@home.example" || accs[1].Handle != alice {
		t.Errorf("Accounts = %+v, %v", accs, err)
	}

	run, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, run, statuses(t, "1"), "", t0); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account(ctx, alice); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("after delete: %v", err)
	}
	if err := a.DeleteAccount(ctx, alice); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("delete twice: %v, want ENotFound", err)
	}
	if c, _ := a.Counts(ctx, alice); c.Active != 1 {
		t.Errorf("bookmarks lost with the sign-in: %+v", c)
	}
	// Finishing a run of an account no longer signed in is fine.
	if _, err := a.FinishRun(ctx, run, t0); err != nil {
		t.Errorf("FinishRun without account: %v", err)
	}

	if app, err := a.App(ctx, "https://home.example"); app != nil || err != nil {
		t.Fatalf("App(none) = %v, %v", app, err)
	}
	app := fedimarks.App{Server: "https://home.example/", ClientID: "cid", ClientSecret: "secret", RedirectURI: "urn:ietf:wg:oauth:2.0:oob",
		Scopes: "read write", CreatedAt: t0}
	if err := a.SaveApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	gotApp, err := a.App(ctx, "https://home.example")
	if err != nil || gotApp == nil {
		t.Fatalf("App = %v, %v", gotApp, err)
	}
	if gotApp.ClientID != "cid" || gotApp.ClientSecret != "secret" || gotApp.RedirectURI != app.RedirectURI ||
		gotApp.Scopes != "read write" || !gotApp.CreatedAt.Equal(t0) || gotApp.Server != "https://home.example" {
		t.Errorf("App = %+v", gotApp)
	}
	if err := a.DeleteApp(ctx, "https://home.example"); err != nil {
		t.Fatal(err)
	}
	if app, err := a.App(ctx, "https://home.example"); app != nil || err != nil {
		t.Errorf("App after delete = %v, %v", app, err)
	}
}

func TestJobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := a.FindJob(ctx, "k1"); j != nil || err != nil {
		t.Fatalf("FindJob(none) = %v, %v", j, err)
	}
	items := []fedimarks.JobItem{
		{Seq: 2, URI: "https://r/3", Source: "b.csv:1"},
		{Seq: 0, URI: "https://r/1", URL: "https://r/@a/1", AuthorURL: "https://r/@a", Visibility: "private", CreatedAt: t0, Source: "b.csv:3"},
		{Seq: 1, URI: "https://r/2", Source: "b.csv:2"},
		{Seq: 3, URI: "https://r/1", Source: "b.csv:0", Outcome: fedimarks.Duplicate, Detail: "same as b.csv:3"},
	}
	job, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "k1", Destination: alice, Inputs: []string{"b.csv"}}, items)
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == 0 || job.CreatedAt.IsZero() {
		t.Errorf("created job = %+v", job)
	}
	got, err := a.JobItems(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for i, it := range got {
		if it.Seq != i {
			t.Errorf("item %d has seq %d", i, it.Seq)
		}
		order = append(order, it.Source)
	}
	if strings.Join(order, " ") != "b.csv:3 b.csv:2 b.csv:1 b.csv:0" {
		t.Errorf("item order = %v", order)
	}
	if it := got[0]; it.URL != "https://r/@a/1" || it.AuthorURL != "https://r/@a" || it.Visibility != "private" ||
		!it.CreatedAt.Equal(t0) || it.Outcome != fedimarks.Pending || it.ID == 0 {
		t.Errorf("first item = %+v", it)
	}
	if got[3].Outcome != fedimarks.Duplicate || got[3].Detail != "same as b.csv:3" {
		t.Errorf("duplicate item = %+v", got[3])
	}

	// Work on two items, one interrupted mid-call.
	if err := a.MarkInFlight(ctx, got[0].ID, "900"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutcome(ctx, got[0].ID, fedimarks.Imported, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutcome(ctx, got[1].ID, fedimarks.Failed, "HTTP 500", ""); err != nil {
		t.Fatal(err)
	}
	if err := a.MarkInFlight(ctx, got[2].ID, "902"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutcome(ctx, got[2].ID, "bogus", "", ""); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SetOutcome(bogus) = %v", err)
	}
	if err := a.SetOutcome(ctx, 12345, fedimarks.Imported, "", ""); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("SetOutcome(unknown item) = %v", err)
	}
	if err := a.MarkInFlight(ctx, 12345, "x"); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("MarkInFlight(unknown item) = %v", err)
	}
	a.Close()

	// Resume in a new process.
	a, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	found, err := a.FindJob(ctx, "k1")
	if err != nil || found == nil || found.ID != job.ID || found.Destination != alice || strings.Join(found.Inputs, ",") != "b.csv" {
		t.Fatalf("FindJob = %+v, %v", found, err)
	}
	if found.UpdatedAt.Before(found.CreatedAt) {
		t.Errorf("UpdatedAt %v before CreatedAt %v", found.UpdatedAt, found.CreatedAt)
	}
	pending, err := a.JobItems(ctx, job.ID, fedimarks.Pending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	if p := pending[0]; !p.InFlight || p.DestID != "902" || p.Attempts != 1 || p.URI != "https://r/3" {
		t.Errorf("in-flight item = %+v", p)
	}
	done, _ := a.JobItems(ctx, job.ID, fedimarks.Imported)
	if len(done) != 1 || done[0].DestID != "900" || done[0].InFlight || done[0].Attempts != 1 {
		t.Errorf("imported item = %+v", done)
	}
	counts, err := a.JobCounts(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[fedimarks.Outcome]int{fedimarks.Imported: 1, fedimarks.Failed: 1, fedimarks.Pending: 1, fedimarks.Duplicate: 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("JobCounts = %v, want %v", counts, want)
	}

	// --retry-failed
	n, err := a.ResetOutcomes(ctx, job.ID, fedimarks.Failed, fedimarks.NotFound)
	if err != nil || n != 1 {
		t.Fatalf("ResetOutcomes = %d, %v", n, err)
	}
	retried, _ := a.JobItems(ctx, job.ID, fedimarks.Pending)
	if len(retried) != 2 || retried[0].URI != "https://r/2" || retried[0].Detail != "" {
		t.Errorf("pending after reset = %+v", retried)
	}

	// New bookmarks archived since: only unseen URIs are appended.
	added, err := a.AddJobItems(ctx, job.ID, []fedimarks.JobItem{
		{Seq: 1, URI: "https://r/5"}, {Seq: 0, URI: "https://r/2"}, {Seq: 0, URI: "https://r/4"}, {Seq: 2, URI: "https://r/4"},
	})
	if err != nil || added != 2 {
		t.Fatalf("AddJobItems = %d, %v; want 2", added, err)
	}
	all, _ := a.JobItems(ctx, job.ID)
	if len(all) != 6 || all[4].URI != "https://r/4" || all[4].Seq != 4 || all[5].URI != "https://r/5" || all[5].Seq != 5 {
		t.Errorf("after AddJobItems = %+v", all)
	}
	if _, err := a.AddJobItems(ctx, 999, nil); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("AddJobItems(unknown job) = %v", err)
	}

	// Reset everything for a full rerun.
	n, err = a.ResetOutcomes(ctx, job.ID)
	if err != nil || n != 2 { // imported and duplicate; the rest are pending
		t.Errorf("ResetOutcomes(all) = %d, %v; want 2", n, err)
	}

	job2, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "k2", Destination: "bob@other.example", DryRun: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := a.Jobs(ctx)
	if err != nil || len(js) != 2 || js[0].ID != job2.ID || !js[0].DryRun || js[1].ID != job.ID || js[0].Inputs == nil {
		t.Errorf("Jobs = %+v, %v", js, err)
	}
	if j, err := a.Job(ctx, job2.ID); err != nil || j.Key != "k2" {
		t.Errorf("Job = %+v, %v", j, err)
	}
	if _, err := a.Job(ctx, 999); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("Job(999) = %v", err)
	}
	if _, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "k3"}, nil); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("CreateJob without destination = %v", err)
	}
	if _, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "k3", Destination: alice}, []fedimarks.JobItem{{URI: "x", Outcome: "weird"}}); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("CreateJob with bad outcome = %v", err)
	}
	if j, _ := a.FindJob(ctx, "k3"); j != nil {
		t.Errorf("failed CreateJob left a job: %+v", j)
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := openTest(t)
	run, _ := a.StartRun(ctx, alice, false, t0)
	const pages, perPage = 30, 20

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for p := range pages {
			var ss []fedimarks.Status
			for i := range perPage {
				ss = append(ss, status(t, "remote.example", fmt.Sprint(p*perPage+i)))
			}
			if err := a.SavePage(ctx, run, ss, "", t0); err != nil {
				errs <- err
				return
			}
		}
	}()
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last, reads := 0, 0
			for {
				select {
				case <-done:
					if reads == 0 {
						errs <- fmt.Errorf("reader %d never read", r)
					}
					return
				default:
				}
				n := 0
				err := a.EachBookmark(ctx, alice, ListOptions{}, func(fedimarks.Bookmark) error { n++; return nil })
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				// Whole pages only (one transaction each), never fewer than before.
				if n%perPage != 0 || n < last {
					errs <- fmt.Errorf("reader %d saw %d bookmarks after %d", r, n, last)
					return
				}
				last = n
				reads++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c, _ := a.Counts(ctx, alice); c.Active != pages*perPage {
		t.Errorf("Counts = %+v, want %d", c, pages*perPage)
	}
}

func TestEachBookmarkWritesInsideAndStops(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, _ := a.StartRun(ctx, alice, false, t0)
	if err := a.SavePage(ctx, run, statuses(t, "3", "2", "1"), "", t0); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	var seen []string
	err := a.EachBookmark(ctx, alice, ListOptions{}, func(b fedimarks.Bookmark) error {
		seen = append(seen, b.Status.ID)
		// A write while the read is open must not deadlock.
		if err := a.SaveAccount(ctx, fedimarks.Account{Handle: alice}); err != nil {
			return err
		}
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("EachBookmark returned %v, want the callback's error", err)
	}
	if strings.Join(seen, " ") != "3 2" {
		t.Errorf("seen = %v", seen)
	}
}

func TestContextCancelled(t *testing.T) {
	a := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.StartRun(ctx, alice, false, t0); !errors.Is(err, context.Canceled) {
		t.Errorf("StartRun with cancelled ctx = %v", err)
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	bad := []migration{{version: 9990, name: "9990_half", sql: `CREATE TABLE half (x INTEGER); INSERT INTO nope VALUES (1);`}}
	if err := a.apply(ctx, bad); err == nil {
		t.Fatal("a failing migration reported no error")
	}
	var n int
	if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("failed migration left table half (%d, %v)", n, err)
	}
	if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = 9990`).Scan(&n); err != nil || n != 0 {
		t.Errorf("failed migration recorded (%d, %v)", n, err)
	}
	good := []migration{{version: 9991, name: "9991_ok", sql: `CREATE TABLE ok (x INTEGER);`}}
	if err := a.apply(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := a.apply(ctx, good); err != nil {
		t.Fatalf("applying a recorded migration again: %v", err)
	}
}

// TestTwoProcesses opens the same file twice, as a backup and a browser
// page in two processes would, and writes from both at once.
func TestTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	var as [2]*Archive
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := range as {
		wg.Add(1)
		go func() { // both open (and migrate) a new file at once
			defer wg.Done()
			a, err := Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			as[i] = a
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	defer as[0].Close()
	defer as[1].Close()
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fedimarks.Handle(fmt.Sprintf("user%d@home.example", i))
			run, err := a.StartRun(ctx, h, false, t0)
			if err != nil {
				errs <- err
				return
			}
			for p := range 20 {
				if err := a.SavePage(ctx, run, statuses(t, fmt.Sprint(p*2), fmt.Sprint(p*2+1)), "", t0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range as {
		c, err := as[1-i].Counts(ctx, fedimarks.Handle(fmt.Sprintf("user%d@home.example", i)))
		if err != nil || c.Active != 40 {
			t.Errorf("user%d seen from the other process: %+v, %v", i, c, err)
		}
	}
}
