// Package sqlite is the archive: one SQLite file holding the accounts signed
// in, the OAuth apps registered per server, every bookmarked status (raw JSON
// kept byte for byte), each account's bookmarks in server order with their
// history, backup runs, and durable import jobs.
//
// The file is opened with the pure-Go driver modernc.org/sqlite in WAL mode
// with foreign keys on. An Archive keeps two connection pools: a single
// writer connection, so that writers in this process queue in Go (waits
// honour the context) instead of spinning on SQLite's busy handler, and a
// pool of read-only connections that read concurrently with the writer.
// Another process writing the same file waits up to busyTimeout.
//
// Every exported method owns its transaction; unexported helpers take a
// *sql.Tx. Times are stored as RFC 3339 UTC text with nine fraction digits,
// so that text order is time order.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"

	driver "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 10 * time.Second

// cacheKiB is each connection's page cache (SQLite's default is 2 MiB).
// The indexes of 100,000 bookmarks (by URI, by account and status, the
// timeline's, the full-text index's terms) fill tens of MiB: with the
// default, a search's lookups into them read the file again and again
// (a 1,000-match search took 10 ms instead of 2).
const cacheKiB = 32 << 10

// timeLayout is RFC 3339 with a fixed nine-digit fraction: parseable by
// time.RFC3339Nano and sortable as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Archive is an open archive file. It is safe for concurrent use by
// multiple goroutines. Close it when done.
type Archive struct {
	path string
	w    *sql.DB // one connection: all writes
	r    *sql.DB // read-only connections
	// anchors are the kept page anchors of listings by date (see
	// pageAnchors).
	anchors pageAnchors
	// counts are the kept counts of searches (see keptCounts).
	counts keptCounts
	// orders are the accounts' listing orders (see listOrder); noOrders
	// turns them off, so that the tests can compare the searches that
	// use them with the SQL alone.
	orders   listOrders
	matches  keptMatches
	noOrders bool
	// closing is cancelled by Close, stopping the background work it
	// runs in (see KeepOrders).
	closing context.Context
	stop    context.CancelFunc
	// indexed says a backup page wrote search index entries since the
	// index was last merged (see mergeSearchIndex).
	indexed atomic.Bool
	// Now is the archive's clock, for the times it stamps rows with
	// (created, updated, heartbeats) and judges locks by. Open sets it to
	// time.Now; a caller with a clock of its own (a test's fake one) sets
	// it right after Open, before any other use. Each exported method
	// reads it once, at the start of its transaction, so that every row
	// one transaction writes carries the same time. Methods whose caller
	// passes a time (a backup's run) stamp with that time instead.
	Now func() time.Time
}

// now reads the archive's clock (see Now).
func (a *Archive) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// Open opens the archive at path, creating the file (mode 0600) and its
// parent directory (mode 0700) if missing, and brings its schema up to date.
// An archive written by a newer fedimarks (unknown migrations) is refused
// with an EInvalid error.
func Open(ctx context.Context, path string) (*Archive, error) {
	return open(ctx, path, cacheKiB)
}

// jobCacheKiB is each connection's page cache in an archive opened with
// OpenForJob: SQLite's default.
const jobCacheKiB = 2 << 10

// OpenForJob opens the archive as Open does, with SQLite's default page
// cache (jobCacheKiB) for each connection instead of cacheKiB: for a
// command that goes once through a job's rows (an import) rather than
// searching a big archive, whose cache would fill with the pages it wrote
// for no gain (an import of 20,000 rows: 9 MB more memory, no faster).
func OpenForJob(ctx context.Context, path string) (*Archive, error) {
	return open(ctx, path, jobCacheKiB)
}

func open(ctx context.Context, path string, cacheKiB int) (*Archive, error) {
	if path == "" {
		return nil, fedimarks.Errorf(fedimarks.EInvalid, "open archive: no path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	// Create the file ourselves so that it gets 0600; SQLite creates its
	// -wal and -shm files with the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}

	// A file: URI with the path escaped, so that '?', '#' and '%' in a
	// path are not taken for URI syntax.
	name := (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs)}).String()
	common := "_pragma=busy_timeout(" + strconv.Itoa(int(busyTimeout/time.Millisecond)) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(" + strconv.Itoa(-cacheKiB) + ")"
	// The writer keeps its statement journals in memory: a statement
	// whose triggers write (each bookmark saved logs itself for the
	// listings, migration 0095) journals the pages it changes, and in a
	// file that is a write call per page per statement (a sixth of a
	// first backup's time).
	w, err := sql.Open("sqlite", name+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	a := &Archive{path: path, w: w, Now: time.Now}
	if err := pingBusy(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open archive %s: %w", path, err)
	}
	if err := a.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// Readers open after the writer has put the file in WAL mode.
	r, err := sql.Open("sqlite", name+"?"+common+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open archive: %w", err)
	}
	r.SetMaxIdleConns(4)
	a.r = r
	a.closing, a.stop = context.WithCancel(context.Background())
	return a, nil
}

// pingBusy opens the writer's connection. Switching a new file to WAL
// needs a moment alone with it, and SQLite answers SQLITE_BUSY at once
// (busy_timeout does not cover it) when another process opens the same new
// file at that moment: try again until busyTimeout has passed.
func pingBusy(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// isBusy reports whether err is the driver's SQLITE_BUSY (any of its
// extended codes).
func isBusy(err error) bool {
	var se *driver.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Close closes the archive. Operations in progress may fail.
func (a *Archive) Close() error {
	// Stopped under the orders' lock: a build starts (wg.Add) only
	// under it, before the stop or not at all.
	a.orders.mu.Lock()
	a.stop()
	a.orders.mu.Unlock()
	a.orders.wg.Wait()
	errR := a.r.Close()
	errW := a.w.Close()
	if err := errors.Join(errW, errR); err != nil {
		return fmt.Errorf("close archive: %w", err)
	}
	return nil
}

// Path returns the path the archive was opened with.
func (a *Archive) Path() string { return a.path }

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the migrations not yet recorded in schema_migrations,
// each in its own transaction. Two processes opening the same new file
// serialize on BEGIN IMMEDIATE and the second sees the first's records.
func (a *Archive) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate archive: %w", err)
	}
	return a.apply(ctx, ms)
}

// apply runs the migrations of ms (in version order) not yet recorded.
func (a *Archive) apply(ctx context.Context, ms []migration) error {
	if _, err := a.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate archive: %w", err)
	}
	var newest int
	if err := a.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("migrate archive: %w", err)
	}
	if len(ms) > 0 && newest > ms[len(ms)-1].version {
		return fedimarks.Errorf(fedimarks.EInvalid,
			"archive %s has schema version %d, newer than this fedimarks knows (%d): upgrade fedimarks",
			a.path, newest, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		err := a.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, fmtTime(a.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate archive: %s: %w", m.name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if
// fn returns nil.
func (a *Archive) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := a.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// fmtTime formats t for storage.
func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime formats t for storage, NULL for the zero time.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: fmtTime(t), Valid: true}
}

// parseTime reads a stored time; NULL or "" is the zero time.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return t.UTC(), nil
}

// limitOffset turns "0 = all" options into SQLite's LIMIT and OFFSET.
func limitOffset(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = -1
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// boolInt stores a bool as 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
