package transfer

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/atomicfile"
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

// WriteFiles writes DIR/import-JOB-report.csv and, when some rows failed,
// DIR/import-JOB-failures.csv (removing a stale one when none did), each
// atomically and readable only by its owner (a report lists private
// bookmarks), and records their paths in rep. Call it for a run that went
// to the end (not rep.Stopped), before WriteSummary, which names them.
func WriteFiles(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	reportPath := filepath.Join(dir, fmt.Sprintf("import-%d-report.csv", rep.Job.ID))
	if err := atomicfile.Write(reportPath, func(w io.Writer) error { return WriteReport(w, rep.Items) }); err != nil {
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
	if err := atomicfile.Write(failuresPath, func(w io.Writer) error { return WriteFailures(w, rep.Items) }); err != nil {
		return err
	}
	rep.FailuresPath = failuresPath
	return nil
}
