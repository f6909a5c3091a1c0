package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	fedimarks "github.com/fedimarks/fedimarks"
)

const jobColumns = `id, job_key, destination, inputs, dry_run, created_at, updated_at`

func scanJob(sc rowScanner) (*fedimarks.ImportJob, error) {
	var (
		j                fedimarks.ImportJob
		dest, inputs     string
		dryRun           int
		created, updated sql.NullString
	)
	if err := sc.Scan(&j.ID, &j.Key, &dest, &inputs, &dryRun, &created, &updated); err != nil {
		return nil, err
	}
	j.Destination = fedimarks.Handle(dest)
	j.DryRun = dryRun != 0
	if err := json.Unmarshal([]byte(inputs), &j.Inputs); err != nil {
		return nil, fmt.Errorf("job %d inputs: %w", j.ID, err)
	}
	var err error
	if j.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if j.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &j, nil
}

// FindJob returns the newest job with key, or nil and no error if none.
func (a *Archive) FindJob(ctx context.Context, key string) (*fedimarks.ImportJob, error) {
	j, err := scanJob(a.r.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE job_key = ? ORDER BY id DESC LIMIT 1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find import job: %w", err)
	}
	return j, nil
}

// Job returns job id, or an ENotFound *fedimarks.Error naming it.
func (a *Archive) Job(ctx context.Context, id int64) (*fedimarks.ImportJob, error) {
	j, err := scanJob(a.r.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fedimarks.Errorf(fedimarks.ENotFound, "no import job %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read import job %d: %w", id, err)
	}
	return j, nil
}

// Jobs returns every import job, newest first.
func (a *Archive) Jobs(ctx context.Context) ([]fedimarks.ImportJob, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM import_jobs ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	defer rows.Close()
	var js []fedimarks.ImportJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list import jobs: %w", err)
		}
		js = append(js, *j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	return js, nil
}

// sortedItems returns items stably sorted by Seq: items themselves when
// they are (as a planned job's are), else a sorted copy. A copy of 20,000
// rows would be 4 MB more at an import's peak.
func sortedItems(items []fedimarks.JobItem) []fedimarks.JobItem {
	if slices.IsSortedFunc(items, func(a, b fedimarks.JobItem) int { return cmp.Compare(a.Seq, b.Seq) }) {
		return items
	}
	s := append([]fedimarks.JobItem(nil), items...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Seq < s[j].Seq })
	return s
}

func validOutcome(o fedimarks.Outcome) bool {
	if o == fedimarks.Pending {
		return true
	}
	for _, f := range fedimarks.Outcomes {
		if o == f {
			return true
		}
	}
	return false
}

// itemInserter inserts items into one job with a prepared statement.
type itemInserter struct {
	stmt *sql.Stmt
	job  int64
	now  string
}

func newItemInserter(ctx context.Context, tx *sql.Tx, jobID int64, now string) (*itemInserter, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO import_items
		(job_id, seq, uri, url, author_url, source, visibility, created_at, outcome, detail, dest_id, attempts, in_flight, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	return &itemInserter{stmt: stmt, job: jobID, now: now}, nil
}

func (ins *itemInserter) insert(ctx context.Context, it fedimarks.JobItem, seq int) error {
	o := it.Outcome
	if o == "" {
		o = fedimarks.Pending
	}
	if !validOutcome(o) {
		return fedimarks.Errorf(fedimarks.EInvalid, "item %s: unknown outcome %q", it.URI, o)
	}
	_, err := ins.stmt.ExecContext(ctx, ins.job, seq, it.URI, it.URL, it.AuthorURL, it.Source, it.Visibility,
		nullTime(it.CreatedAt), string(o), it.Detail, it.DestID, it.Attempts, boolInt(it.InFlight), ins.now)
	if err != nil {
		return fmt.Errorf("item %s: %w", it.URI, err)
	}
	return nil
}

// CreateJob stores job and its items in one transaction and returns the
// stored job (ID and times set). Items are stored stably sorted by Seq and
// renumbered 0, 1, 2, ... in that order; an empty Outcome is Pending. When
// a job with job.Key is stored already (another run created it first), it
// stores nothing and returns an error wrapping fedimarks.ErrJobExists.
func (a *Archive) CreateJob(ctx context.Context, job fedimarks.ImportJob, items []fedimarks.JobItem) (*fedimarks.ImportJob, error) {
	if job.Destination == "" {
		return nil, fedimarks.Errorf(fedimarks.EInvalid, "create import job: no destination")
	}
	now := a.now().UTC()
	if job.CreatedAt.IsZero() {
		job.CreatedAt = now
	}
	job.UpdatedAt = job.CreatedAt
	if job.Inputs == nil {
		job.Inputs = []string{}
	}
	inputs, err := json.Marshal(job.Inputs)
	if err != nil {
		return nil, fmt.Errorf("create import job: %w", err)
	}
	var existing *fedimarks.ImportJob
	err = a.inTx(ctx, func(tx *sql.Tx) error {
		// The key is unique in the schema: of two runs creating one job
		// at once, the second stores nothing and learns which job won.
		err := tx.QueryRowContext(ctx, `INSERT INTO import_jobs (job_key, destination, inputs, dry_run, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_key) DO NOTHING RETURNING id`,
			job.Key, string(job.Destination), string(inputs), boolInt(job.DryRun), fmtTime(job.CreatedAt), fmtTime(job.UpdatedAt)).Scan(&job.ID)
		if errors.Is(err, sql.ErrNoRows) {
			existing, err = scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM import_jobs WHERE job_key = ?`, job.Key))
			return err
		}
		if err != nil {
			return err
		}
		ins, err := newItemInserter(ctx, tx, job.ID, fmtTime(now))
		if err != nil {
			return err
		}
		defer ins.stmt.Close()
		for i, it := range sortedItems(items) {
			if err := ins.insert(ctx, it, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create import job: %w", err)
	}
	if existing != nil {
		return nil, fmt.Errorf("create import job: job %d: %w", existing.ID, fedimarks.ErrJobExists)
	}
	job.CreatedAt, job.UpdatedAt = job.CreatedAt.UTC(), job.UpdatedAt.UTC()
	return &job, nil
}

// AddJobItems appends to job jobID those items whose URI the job does not
// hold yet (nor an earlier item of the same call), in Seq order, numbered
// after the job's last item. It returns how many were added.
func (a *Archive) AddJobItems(ctx context.Context, jobID int64, items []fedimarks.JobItem) (added int, err error) {
	now := fmtTime(a.now())
	err = a.inTx(ctx, func(tx *sql.Tx) error {
		var next sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT max(seq) FROM import_items WHERE job_id = j.id) FROM import_jobs j WHERE j.id = ?`,
			jobID).Scan(&next); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fedimarks.Errorf(fedimarks.ENotFound, "no import job %d", jobID)
			}
			return err
		}
		seq := 0
		if next.Valid {
			seq = int(next.Int64) + 1
		}
		has, err := tx.PrepareContext(ctx, `SELECT count(*) FROM import_items WHERE job_id = ? AND uri = ?`)
		if err != nil {
			return err
		}
		defer has.Close()
		ins, err := newItemInserter(ctx, tx, jobID, now)
		if err != nil {
			return err
		}
		defer ins.stmt.Close()
		for _, it := range sortedItems(items) {
			var n int
			if err := has.QueryRowContext(ctx, jobID, it.URI).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if err := ins.insert(ctx, it, seq); err != nil {
				return err
			}
			seq++
			added++
		}
		if added > 0 {
			_, err = tx.ExecContext(ctx, `UPDATE import_jobs SET updated_at = ? WHERE id = ?`, now, jobID)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add to import job %d: %w", jobID, err)
	}
	return added, nil
}

const itemColumns = `i.id, i.seq, i.uri, i.url, i.author_url, i.source, i.visibility, i.created_at, i.outcome, i.detail,
	i.dest_id, i.attempts, i.in_flight, i.updated_at, coalesce(p.post_uri, '')`

// JobItems returns job jobID's items in Seq order: those with one of
// outcomes, or all if none is given. All of a job's items are read into a
// slice of the right size: a 20,000-row job is read at its end for the
// report, where growing the slice would make the run's peak memory.
func (a *Archive) JobItems(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) ([]fedimarks.JobItem, error) {
	var items []fedimarks.JobItem
	if len(outcomes) == 0 {
		var n int
		if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM import_items WHERE job_id = ?`, jobID).Scan(&n); err != nil {
			return nil, fmt.Errorf("read import job %d: %w", jobID, err)
		}
		items = make([]fedimarks.JobItem, 0, n)
	}
	err := a.EachJobItem(ctx, jobID, func(it fedimarks.JobItem) error {
		items = append(items, it)
		return nil
	}, outcomes...)
	return items, err
}

// EachJobItem is JobItems one item at a time, for a caller that keeps the
// items in a shape of its own: fn is called with each item in Seq order,
// and an error from it ends the reading with that error.
func (a *Archive) EachJobItem(ctx context.Context, jobID int64, fn func(fedimarks.JobItem) error, outcomes ...fedimarks.Outcome) error {
	q := `SELECT ` + itemColumns + ` FROM import_items i LEFT JOIN import_item_posts p ON p.item_id = i.id WHERE i.job_id = ?`
	args := []any{jobID}
	if len(outcomes) > 0 {
		q += ` AND i.outcome IN (?` + repeatString(",?", len(outcomes)-1) + `)`
		for _, o := range outcomes {
			args = append(args, string(o))
		}
	}
	q += ` ORDER BY i.seq`
	rows, err := a.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read import job %d: %w", jobID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			it               fedimarks.JobItem
			outcome          string
			inFlight         int
			created, updated sql.NullString
		)
		if err := rows.Scan(&it.ID, &it.Seq, &it.URI, &it.URL, &it.AuthorURL, &it.Source, &it.Visibility,
			&created, &outcome, &it.Detail, &it.DestID, &it.Attempts, &inFlight, &updated, &it.PostURI); err != nil {
			return fmt.Errorf("read import job %d: %w", jobID, err)
		}
		it.Outcome = fedimarks.Outcome(outcome)
		it.InFlight = inFlight != 0
		if it.CreatedAt, err = parseTime(created); err != nil {
			return fmt.Errorf("read import job %d: %w", jobID, err)
		}
		if it.UpdatedAt, err = parseTime(updated); err != nil {
			return fmt.Errorf("read import job %d: %w", jobID, err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read import job %d: %w", jobID, err)
	}
	return nil
}

// MarkInFlight records, before the remote bookmark call, that item itemID
// is about to be bookmarked as destID on the destination: in_flight set,
// attempts counted. It returns ENotFound for an unknown item.
func (a *Archive) MarkInFlight(ctx context.Context, itemID int64, destID string) error {
	res, err := a.w.ExecContext(ctx, `UPDATE import_items SET in_flight = 1, dest_id = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
		destID, fmtTime(a.now()), itemID)
	if err != nil {
		return fmt.Errorf("mark import item %d: %w", itemID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fedimarks.Errorf(fedimarks.ENotFound, "no import item %d", itemID)
	}
	return nil
}

// SetOutcome records item itemID's outcome (final, or Pending to retry
// later) with detail, and clears in_flight. An empty destID keeps the one
// stored. It returns ENotFound for an unknown item and EInvalid for an
// unknown outcome.
func (a *Archive) SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error {
	if !validOutcome(o) {
		return fedimarks.Errorf(fedimarks.EInvalid, "set outcome of import item %d: unknown outcome %q", itemID, o)
	}
	now := fmtTime(a.now())
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var jobID int64
		err := tx.QueryRowContext(ctx, `UPDATE import_items SET outcome = ?, detail = ?,
				dest_id = CASE WHEN ? = '' THEN dest_id ELSE ? END, in_flight = 0, updated_at = ?
			WHERE id = ? RETURNING job_id`, string(o), detail, destID, destID, now, itemID).Scan(&jobID)
		if errors.Is(err, sql.ErrNoRows) {
			return fedimarks.Errorf(fedimarks.ENotFound, "no import item %d", itemID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE import_jobs SET updated_at = ? WHERE id = ?`, now, jobID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set outcome of import item %d: %w", itemID, err)
	}
	return nil
}

// ResetOutcomes puts job jobID's items with one of outcomes (every item not
// pending, if none is given) back to Pending, clearing their detail and
// in_flight but keeping attempts and destination ids, and returns how many
// it reset.
func (a *Archive) ResetOutcomes(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) (int, error) {
	now := fmtTime(a.now())
	q := `UPDATE import_items SET outcome = 'pending', detail = '', in_flight = 0, updated_at = ? WHERE job_id = ?`
	args := []any{now, jobID}
	if len(outcomes) > 0 {
		var ph []string
		for _, o := range outcomes {
			if o == fedimarks.Pending {
				continue
			}
			ph = append(ph, "?")
			args = append(args, string(o))
		}
		if len(ph) == 0 {
			return 0, nil
		}
		q += ` AND outcome IN (` + strings.Join(ph, ",") + `)`
	} else {
		q += ` AND outcome <> 'pending'`
	}
	var n int64
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if n > 0 {
			_, err = tx.ExecContext(ctx, `UPDATE import_jobs SET updated_at = ? WHERE id = ?`, now, jobID)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reset import job %d: %w", jobID, err)
	}
	return int(n), nil
}

// JobCounts returns how many of job jobID's items have each outcome
// (Pending included); outcomes with no items are absent.
func (a *Archive) JobCounts(ctx context.Context, jobID int64) (map[fedimarks.Outcome]int, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT outcome, count(*) FROM import_items WHERE job_id = ? GROUP BY outcome`, jobID)
	if err != nil {
		return nil, fmt.Errorf("count import job %d: %w", jobID, err)
	}
	defer rows.Close()
	counts := make(map[fedimarks.Outcome]int)
	for rows.Next() {
		var (
			o string
			n int
		)
		if err := rows.Scan(&o, &n); err != nil {
			return nil, fmt.Errorf("count import job %d: %w", jobID, err)
		}
		counts[fedimarks.Outcome(o)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count import job %d: %w", jobID, err)
	}
	return counts, nil
}
