package transfer

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// WriteSummary says to a person what a run did: a line of counts per
// outcome, then advice for the rows that need it and the files written.
// A dry run's report (with an Estimate) has none: the run said it.
func WriteSummary(w io.Writer, rep *Report) {
	dest := rep.Job.Destination
	count := func(n int) string { return fedimarks.Count(int64(n)) }
	parts := []string{count(rep.Counts[fedimarks.Imported]) + " imported"}
	if n := rep.Counts[fedimarks.Imported]; rep.ImportedNow != n && rep.ImportedNow > 0 {
		parts[0] += " (" + count(rep.ImportedNow) + " by this run)"
	}
	for _, o := range fedimarks.Outcomes {
		if n := rep.Counts[o]; n > 0 && o != fedimarks.Imported {
			parts = append(parts, count(n)+" "+string(o))
		}
	}
	if n := rep.Counts[fedimarks.Pending]; n > 0 {
		parts = append(parts, count(n)+" still to do")
	}
	prefix := ""
	if rep.Stopped {
		prefix = "stopped: "
	}
	fmt.Fprintf(w, "%s%s: %s: %s (job %d)\n", prefix, dest, fedimarks.Plural(len(rep.Items), "row"), strings.Join(parts, ", "), rep.Job.ID)
	if n := rep.Counts[fedimarks.NotVisible]; n > 0 {
		fmt.Fprintf(w, "not_visible rows are followers-only or direct posts: %s\n", followAdvice("their authors", string(dest)))
	}
	unknown := 0
	for _, it := range rep.Items {
		if isUnknownVisibility(it) {
			unknown++
		}
	}
	if unknown > 0 {
		fmt.Fprintf(w, "not_found rows may be deleted, unknown, or followers-only/direct posts (the input does not say which): %s\n", followAdvice("their authors", string(dest)))
	}
	if n := rep.Counts[fedimarks.Unreachable]; n > 0 && !rep.Stopped {
		fmt.Fprintf(w, "unreachable rows are retried when you run the same command again (%s)\n", unreachableServers(rep.Items))
	}
	if rep.LateWritten > 0 {
		fmt.Fprintf(w, "%s %s bookmarked after rows that follow %s in the source: %s newest bookmarks on %s, out of the source's order (docs/import.md, Order, says how to restore it)\n",
			fedimarks.Plural(rep.LateWritten, "row"), wasWere(rep.LateWritten), itThem(rep.LateWritten), theyAre(rep.LateWritten), dest)
	}
	if rep.ReportPath != "" {
		fmt.Fprintf(w, "report: %s\n", rep.ReportPath)
	}
	if rep.FailuresPath != "" {
		fmt.Fprintf(w, "failures (Mastodon format): %s\n", rep.FailuresPath)
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

func theyAre(n int) string {
	if n == 1 {
		return "it is among the"
	}
	return "they are among the"
}
