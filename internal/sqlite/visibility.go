package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
)

// visibilityChunk is how many addresses one query of Visibilities looks up.
const visibilityChunk = 5000

// Visibilities looks many posts up at once by address (a status's URI, or
// else its URL) and returns the visibility of each one found (of the
// boosted post, for a boost), by the address asked; addresses not in the
// archive are absent. It makes two queries per 5,000 addresses, where
// StatusByURI makes up to two per address.
func (a *Archive) Visibilities(ctx context.Context, addrs []string) (map[string]string, error) {
	out := make(map[string]string)
	// The visibility column is the status's own; a boost's raw JSON holds
	// the original's.
	const vis = `CASE WHEN instr(raw, '"reblog":{') > 0
		THEN coalesce(json_extract(raw, '$.reblog.visibility'), visibility) ELSE visibility END`
	for start := 0; start < len(addrs); start += visibilityChunk {
		chunk := addrs[start:min(start+visibilityChunk, len(addrs))]
		list, err := json.Marshal(chunk)
		if err != nil {
			return nil, fmt.Errorf("look statuses up: %w", err)
		}
		if err := a.collectVisibilities(ctx, out, `SELECT uri, `+vis+` FROM statuses
			WHERE uri IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
			return nil, err
		}
		var rest []string
		for _, s := range chunk {
			if _, ok := out[s]; !ok && s != "" {
				rest = append(rest, s)
			}
		}
		if len(rest) == 0 {
			continue
		}
		if list, err = json.Marshal(rest); err != nil {
			return nil, fmt.Errorf("look statuses up: %w", err)
		}
		// Several statuses may share a URL: the first stored wins, as in
		// StatusByURI.
		if err := a.collectVisibilities(ctx, out, `SELECT url, `+vis+` FROM statuses
			WHERE url <> '' AND url IN (SELECT value FROM json_each(?)) ORDER BY id DESC`, string(list)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collectVisibilities runs q (address, visibility rows) into out; a later
// row replaces an earlier one for the same address.
func (a *Archive) collectVisibilities(ctx context.Context, out map[string]string, q string, arg string) error {
	rows, err := a.r.QueryContext(ctx, q, arg)
	if err != nil {
		return fmt.Errorf("look statuses up: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var addr, v string
		if err := rows.Scan(&addr, &v); err != nil {
			return fmt.Errorf("look statuses up: %w", err)
		}
		out[addr] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look statuses up: %w", err)
	}
	return nil
}
