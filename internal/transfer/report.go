package transfer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// WriteReport writes the report CSV: a header `uri,outcome,detail` and one
// line per row in write order. An invalid row's detail starts with the
// file and line it came from.
func WriteReport(w io.Writer, items []fedimarks.JobItem) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"uri", "outcome", "detail"}); err != nil {
		return err
	}
	for _, it := range items {
		detail := it.Detail
		if it.Outcome == fedimarks.Invalid && it.Source != "" {
			detail = it.Source + ": " + detail
		}
		link := it.Address()
		if it.Outcome == fedimarks.Invalid {
			// Raw text from the input: never a formula in a spreadsheet.
			link, detail = defuse(link), defuse(detail)
		}
		if err := cw.Write([]string{link, string(it.Outcome), detail}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuse keeps a spreadsheet from reading s as a formula: a leading =, +,
// -, @ (or a tab or carriage return before one) gets a ' in front.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// failing reports whether a row belongs in the failures file: rows that
// name a post but did not make it (invalid rows name no post).
func failing(o fedimarks.Outcome) bool {
	switch o {
	case fedimarks.NotFound, fedimarks.NotVisible, fedimarks.Unreachable, fedimarks.Failed:
		return true
	}
	return false
}

// WriteFailures writes the rows that did not make it (not_found,
// not_visible, unreachable, failed) in Mastodon's bookmarks format: no
// header, one URI a line, newest bookmark first, like Mastodon's export and
// its bookmarks_failures.csv. A row read as a web address is written as
// the URI of the post the destination found for it, when it found one
// (fedimarks.JobItem.PostLink), else as read. It is ready for Mastodon's importer, and
// `fedimarks import` of it writes the rows in their original order.
func WriteFailures(w io.Writer, items []fedimarks.JobItem) error {
	bw := bufio.NewWriter(w)
	for i := len(items) - 1; i >= 0; i-- {
		if failing(items[i].Outcome) {
			if _, err := bw.WriteString(items[i].PostLink() + "\n"); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// writeReportFiles writes DIR/import-JOB-report.csv and, when some rows
// failed, DIR/import-JOB-failures.csv, and records their paths in rep.
func writeReportFiles(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	reportPath := filepath.Join(dir, fmt.Sprintf("import-%d-report.csv", rep.Job.ID))
	if err := writeFile(reportPath, func(w io.Writer) error { return WriteReport(w, rep.Items) }); err != nil {
		return err
	}
	rep.ReportPath = reportPath
	failuresPath := filepath.Join(dir, fmt.Sprintf("import-%d-failures.csv", rep.Job.ID))
	hasFailures := false
	for _, it := range rep.Items {
		hasFailures = hasFailures || failing(it.Outcome)
	}
	if !hasFailures {
		// A stale failures file from an earlier run would mislead.
		if err := os.Remove(failuresPath); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", failuresPath, err)
		}
		return nil
	}
	if err := writeFile(failuresPath, func(w io.Writer) error { return WriteFailures(w, rep.Items) }); err != nil {
		return err
	}
	rep.FailuresPath = failuresPath
	return nil
}

// writeFile writes path through a temporary file and a rename, so a
// reader never sees half a report. The file is readable only by its owner
// (0600): a report lists private bookmarks. internal/cli writes exports
// the same way.
func writeFile(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fedimarks-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	return nil
}

// bare drops the path of a file system error (the temporary file's name
// means nothing to the user), keeping its cause.
func bare(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// printSummary prints what happened, in a line of counts per outcome,
// then advice for the rows that need it and the files written.
func (r *run) printSummary(rep *Report, stopped bool) {
	parts := []string{fmt.Sprintf("%d imported", rep.Counts[fedimarks.Imported])}
	if n := rep.Counts[fedimarks.Imported]; r.tally.imported != n && r.tally.imported > 0 {
		parts[0] += fmt.Sprintf(" (%d by this run)", r.tally.imported)
	}
	for _, o := range fedimarks.Outcomes {
		if n := rep.Counts[o]; n > 0 && o != fedimarks.Imported {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if n := rep.Counts[fedimarks.Pending]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d still to do", n))
	}
	prefix := ""
	if stopped {
		prefix = "stopped: "
	}
	fmt.Fprintf(r.log, "%s%s: %s: %s (job %d)\n", prefix, r.req.Destination, plural(len(rep.Items), "row"), strings.Join(parts, ", "), rep.Job.ID)
	if n := rep.Counts[fedimarks.NotVisible]; n > 0 {
		fmt.Fprintf(r.log, "not_visible rows are followers-only or direct posts: %s\n", followAdvice("their authors", string(r.req.Destination)))
	}
	unknown := 0
	for _, it := range rep.Items {
		if isUnknownVisibility(it) {
			unknown++
		}
	}
	if unknown > 0 {
		fmt.Fprintf(r.log, "not_found rows may be deleted, unknown, or followers-only/direct posts (the input does not say which): %s\n", followAdvice("their authors", string(r.req.Destination)))
	}
	if n := rep.Counts[fedimarks.Unreachable]; n > 0 && !stopped {
		fmt.Fprintf(r.log, "unreachable rows are retried when you run the same command again (%s)\n", unreachableServers(rep.Items))
	}
	if r.tally.late > 0 {
		fmt.Fprintf(r.log, "%s %s bookmarked after rows that follow %s in the source: %s newest bookmarks on %s, out of the source's order (docs/import.md, Order, says how to restore it)\n",
			plural(r.tally.late, "row"), wasWere(r.tally.late), itThem(r.tally.late), theyAre(r.tally.late), r.req.Destination)
	}
	if rep.ReportPath != "" {
		fmt.Fprintf(r.log, "report: %s\n", rep.ReportPath)
	}
	if rep.FailuresPath != "" {
		fmt.Fprintf(r.log, "failures (Mastodon format): %s\n", rep.FailuresPath)
	}
}

// unreachableServers names the servers of the unreachable rows, with how
// many rows each, most first: "c.example 8, d.example 1" (at most five,
// then "and N more").
func unreachableServers(items []fedimarks.JobItem) string {
	count := map[string]int{}
	for _, it := range items {
		if it.Outcome == fedimarks.Unreachable {
			count[postDomain(it)]++
		}
	}
	hosts := make([]string, 0, len(count))
	for h := range count {
		hosts = append(hosts, h)
	}
	sort.Slice(hosts, func(i, j int) bool {
		if count[hosts[i]] != count[hosts[j]] {
			return count[hosts[i]] > count[hosts[j]]
		}
		return hosts[i] < hosts[j]
	})
	var parts []string
	for i, h := range hosts {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(hosts)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", h, count[h]))
	}
	return "rows by server: " + strings.Join(parts, ", ")
}

// plural is "1 row", "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func theyAre(n int) string {
	if n == 1 {
		return "it is among the"
	}
	return "they are among the"
}
