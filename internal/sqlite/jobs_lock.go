package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Import locks: one import at a time per destination, across processes.
// The lock is a row in import_locks taken in a write transaction (BEGIN
// IMMEDIATE serializes processes on the file), so it works wherever the
// archive does. A holder that dies leaves its row behind: the row is stale,
// and taken over, when its process is gone (same host) or when its
// heartbeat is old.
const (
	// lockHeartbeat is how often a holder proves it is alive.
	lockHeartbeat = 30 * time.Second
	// lockStaleRemote is how old the heartbeat of a holder on another host
	// (whose process cannot be checked) may be before the lock is stale.
	lockStaleRemote = 2 * time.Minute
	// lockStaleLocal is how old the heartbeat of a holder on this host
	// whose PID is alive may be before the lock is stale anyway: the PID
	// then belongs to another program.
	lockStaleLocal = 10 * time.Minute
)

// LockHolder is the process holding an import lock.
type LockHolder struct {
	PID  int
	Host string
	// StartedAt is when it took the lock, HeartbeatAt its last sign of
	// life.
	StartedAt, HeartbeatAt time.Time
}

// ImportLock is a held import lock. Release it when done; until then a
// goroutine refreshes its heartbeat.
type ImportLock struct {
	a     *Archive
	scope string
	mu    sync.Mutex // guards token
	// token is the holder's random id, followed by jobMark and the id of
	// the import job it works on once it knows it (WorkOn).
	token  string
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	Holder LockHolder
}

// LockImports takes the import lock named scope (the destination account)
// for this process, taking over a stale one. When a live process holds it,
// it returns an EUnavailable *fedimarks.Error naming that process's PID,
// caused by a *fedimarks.Busy.
// The heartbeat stops when ctx ends or the lock is released.
func (a *Archive) LockImports(ctx context.Context, scope string) (*ImportLock, error) {
	return a.lock(ctx, scope, "importing into "+scope)
}

// LockBackup takes the lock on backing up account h, so that two backups
// of one account (cron and an export, say) do not walk at once; like
// LockImports, it returns an EUnavailable error naming the live holder.
func (a *Archive) LockBackup(ctx context.Context, h fedimarks.Handle) (*ImportLock, error) {
	return a.lock(ctx, "backup "+string(h), "backing up "+string(h))
}

// lock takes the lock named scope; doing says what its holder does, for
// the message to a second process.
func (a *Archive) lock(ctx context.Context, scope, doing string) (*ImportLock, error) {
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Host: host}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("lock imports: %w", err)
	}
	token := hex.EncodeToString(b[:])
	var held *LockHolder
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var (
			h             LockHolder
			started, beat sql.NullString
			otherToken    string
		)
		err := tx.QueryRowContext(ctx, `SELECT token, pid, host, started_at, heartbeat_at FROM import_locks WHERE scope = ?`, scope).
			Scan(&otherToken, &h.PID, &h.Host, &started, &beat)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			h.StartedAt, _ = parseTime(started)
			h.HeartbeatAt, _ = parseTime(beat)
			if !lockStale(h, me, a.now()) {
				held = &h
				return nil
			}
		}
		now := a.now().UTC()
		me.StartedAt, me.HeartbeatAt = now, now
		_, err = tx.ExecContext(ctx, `INSERT INTO import_locks (scope, token, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (scope) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
				started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
			scope, token, me.PID, me.Host, fmtTime(now), fmtTime(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", scope, err)
	}
	if held != nil {
		where := ""
		if held.Host != me.Host {
			where = " on " + held.Host
		}
		return nil, &fedimarks.Error{Code: fedimarks.EUnavailable,
			Message: fmt.Sprintf("another fedimarks (PID %d%s) has been %s since %s", held.PID, where, doing,
				held.StartedAt.Local().Format("2006-01-02 15:04:05")),
			Err: &fedimarks.Busy{PID: held.PID, Host: held.Host}}
	}
	l := &ImportLock{a: a, scope: scope, token: token, stop: make(chan struct{}), done: make(chan struct{}), Holder: me}
	go l.beat(ctx)
	return l, nil
}

// lockStale reports whether holder h may be taken over by me at now.
func lockStale(h, me LockHolder, now time.Time) bool {
	age := now.Sub(h.HeartbeatAt)
	if h.Host == me.Host {
		return !processAlive(h.PID) || age > lockStaleLocal
	}
	return age > lockStaleRemote
}

// beat refreshes the heartbeat until the lock is released or ctx ends.
func (l *ImportLock) beat(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(lockHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			// A failed refresh is retried at the next tick; the lock only
			// goes stale after several missed beats.
			l.mu.Lock()
			_, _ = l.a.w.ExecContext(ctx, `UPDATE import_locks SET heartbeat_at = ? WHERE scope = ? AND token = ?`,
				fmtTime(l.a.now()), l.scope, l.token)
			l.mu.Unlock()
		}
	}
}

// Release gives the lock up (if it is still this holder's). It is safe to
// call more than once; it works even when ctx is already cancelled.
func (l *ImportLock) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.mu.Lock()
		defer l.mu.Unlock()
		_, err = l.a.w.ExecContext(context.WithoutCancel(ctx), `DELETE FROM import_locks WHERE scope = ? AND token = ?`, l.scope, l.token)
		if err != nil {
			err = fmt.Errorf("unlock imports into %s: %w", l.scope, err)
		}
	})
	return err
}

// jobMark separates a lock's random token from the import job its holder
// works on.
const jobMark = "/job "

// WorkOn records in the held lock that its holder works on import job
// id, so that a reader tells which job runs (RunningImportJobs), not only
// that some process imports into the destination. A lock no longer this
// holder's is left alone.
func (l *ImportLock) WorkOn(ctx context.Context, id int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	base, _, _ := strings.Cut(l.token, jobMark)
	token := base + jobMark + strconv.FormatInt(id, 10)
	if _, err := l.a.w.ExecContext(ctx, `UPDATE import_locks SET token = ? WHERE scope = ? AND token = ?`, token, l.scope, l.token); err != nil {
		return fmt.Errorf("lock %s: note job %d: %w", l.scope, id, err)
	}
	l.token = token
	return nil
}

// RunningImportJobs returns the import jobs a live process works on now:
// those named by an import lock (WorkOn) whose holder is not stale.
func (a *Archive) RunningImportJobs(ctx context.Context) (map[int64]bool, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT token, pid, host, heartbeat_at FROM import_locks WHERE token LIKE ?`, "%"+jobMark+"%")
	if err != nil {
		return nil, fmt.Errorf("read running import jobs: %w", err)
	}
	defer rows.Close()
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Host: host}
	out := map[int64]bool{}
	for rows.Next() {
		var (
			token string
			h     LockHolder
			beat  sql.NullString
		)
		if err := rows.Scan(&token, &h.PID, &h.Host, &beat); err != nil {
			return nil, fmt.Errorf("read running import jobs: %w", err)
		}
		h.HeartbeatAt, _ = parseTime(beat)
		_, job, _ := strings.Cut(token, jobMark)
		if id, err := strconv.ParseInt(job, 10, 64); err == nil && !lockStale(h, me, a.now()) {
			out[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read running import jobs: %w", err)
	}
	return out, nil
}
