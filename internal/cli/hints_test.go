package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

func remoteErr(k fedimarks.Kind) error {
	return &fedimarks.RemoteError{Kind: k, Message: "words", Err: fmt.Errorf("GET /api/v1/bookmarks: answer of kind %q", k)}
}

// TestHintTableCoversEveryKind: every kind an adapter returns gets, when it
// ends a command through apiError (backup, export, verify, login, the
// account checks of import), the next step the table writes, or is
// listed with the reason it has none. A new kind fails here until it is
// decided.
func TestHintTableCoversEveryKind(t *testing.T) {
	const login = "fedimarks login m.example"
	hinted := map[fedimarks.Kind]map[string]string{ // kind -> command -> hint
		fedimarks.KindAuth:    {"backup": "log in again: " + login, "import": "log in again: " + login},
		fedimarks.KindNotUser: {"backup": "log in again: " + login, "import": "log in again: " + login},
		fedimarks.KindScope:   {"backup": "log in again to grant it: " + login, "import": "log in again to grant it: " + login},
		// A refusal of a request about the whole account is a scope too.
		fedimarks.KindForbidden: {"backup": "log in again to grant it: " + login, "import": "log in again to grant it: " + login},
		fedimarks.KindUnreachable: {"backup": "try again later; 'fedimarks export --offline' exports what is already archived",
			"export": "try again later; 'fedimarks export --offline' exports what is already archived",
			"import": "try again later: the same command goes on where it stopped"},
		fedimarks.KindRemoteFetch: {"backup": "try again later; 'fedimarks export --offline' exports what is already archived",
			"verify": "try again later: the same command goes on where it stopped"},
	}
	noHint := map[fedimarks.Kind]string{
		fedimarks.KindNotFound:    "a row's outcome: the import engine decides it, the report says it",
		fedimarks.KindGone:        "a row's outcome: the import engine decides it, the report says it",
		fedimarks.KindConflict:    "a row's outcome (snac's already bookmarked), or the login flow's refused scopes, which it retries",
		fedimarks.KindInvalid:     "the server refused the request itself: its words are the message, no command helps",
		fedimarks.KindServerError: "the server's own failure: its words are the message; export falls back to the archive",
		fedimarks.KindRateLimited: "the client waited already; the import stops resumably, the login flow says when to retry",
		fedimarks.KindAppUnknown:  "the login flow registers the app again by itself",
		fedimarks.KindRedirected:  "its message names both servers; backup and export point to the offline export (below)",
	}
	for _, k := range fedimarks.Kinds {
		byCmd, ok := hinted[k]
		if !ok {
			if _, ok := noHint[k]; !ok {
				t.Errorf("kind %q: neither a hint nor a reason for none", k)
			}
			for _, cmd := range []string{"backup", "import"} {
				// As report would print it.
				a := &app{cmd: command{name: cmd}}
				err := withHint(a.apiError("alice@m.example", "https://m.example", remoteErr(k), "read:bookmarks"), situation{cmd: cmd})
				var fe *fedimarks.Error
				if errors.As(err, &fe) && fe.Hint != "" {
					t.Errorf("kind %q in %s: hint %q, want none (%s)", k, cmd, fe.Hint, noHint[k])
				}
			}
			continue
		}
		for cmd, want := range byCmd {
			a := &app{cmd: command{name: cmd}}
			err := a.apiError("alice@m.example", "https://m.example", remoteErr(k), "read:bookmarks")
			var fe *fedimarks.Error
			if !errors.As(err, &fe) || fe.Hint != want {
				t.Errorf("kind %q in %s: %v, want the hint %q", k, cmd, err, want)
			}
		}
	}
	// A redirect that ends a backup (or the one before an export or a
	// migration) points to what the archive already holds.
	for _, cmd := range []string{"backup", "export", "migrate"} {
		if got := nextStep(&fedimarks.Error{Err: remoteErr(fedimarks.KindRedirected)}, situation{cmd: cmd}); got != offlineExport {
			t.Errorf("redirected in %s: %q", cmd, got)
		}
	}
}

// TestHintTableCoversEveryEngineFact: each fact the engines and the
// archive return when they stop a command has its next step, word for
// word as before the table.
func TestHintTableCoversEveryEngineFact(t *testing.T) {
	const resume = "fedimarks import a.csv --to bob@m.example"
	job := situation{cmd: "import", login: "m.example", resume: resume}
	failed := func(outcomes ...fedimarks.Outcome) *transfer.Report {
		rep := &transfer.Report{ReportPath: "r/import-1-report.csv", FailuresPath: "r/import-1-failures.csv"}
		for _, o := range outcomes {
			rep.Items = append(rep.Items, fedimarks.JobItem{Outcome: o})
		}
		return rep
	}
	busy := &fedimarks.Error{Code: fedimarks.EUnavailable, Message: "another fedimarks (PID 42) has been importing", Err: &fedimarks.Busy{PID: 42, Host: "h"}}
	for _, tc := range []struct {
		name string
		err  error
		s    situation
		want string
	}{
		{"import: the lock is held", busy, job, "wait for it to finish, then run: " + resume},
		{"backup: the lock is held", busy, situation{cmd: "backup"}, "wait for it to finish, then run the same command again"},
		{"backup: stopped at a refused link",
			&fedimarks.Error{Message: "fetch bookmarks: ...", Err: fmt.Errorf("%w: %w", backup.ErrLinkRefused, remoteErr(fedimarks.KindRedirected))},
			situation{cmd: "backup"}, "the bookmarks read so far are archived; the next backup goes on from there once the server links to itself"},
		{"import: token refused", &fedimarks.Error{Code: fedimarks.EAuth, Err: remoteErr(fedimarks.KindAuth)}, job,
			"log in again: fedimarks login m.example; then resume with: " + resume},
		{"import: scope missing", &fedimarks.Error{Code: fedimarks.EScope, Err: remoteErr(fedimarks.KindScope)}, job,
			"log in again: fedimarks login m.example; then resume with: " + resume},
		{"import: interrupted", &fedimarks.Error{Code: fedimarks.EInterrupted}, job, "resume with: " + resume},
		{"import: rate limited", &fedimarks.Error{Code: fedimarks.EUnavailable, Err: remoteErr(fedimarks.KindRateLimited)}, job, "resume with: " + resume},
		{"import: destination down", &fedimarks.Error{Code: fedimarks.EUnavailable}, job, "resume with: " + resume},
		{"import --dry-run: destination down", &fedimarks.Error{Code: fedimarks.EUnavailable},
			situation{cmd: "import", login: job.login, resume: resume, dryRun: true}, "run it again when the server answers: " + resume},
		{"import --dry-run: token refused", &fedimarks.Error{Code: fedimarks.EAuth, Err: remoteErr(fedimarks.KindAuth)},
			situation{cmd: "import", login: job.login, resume: resume, dryRun: true}, "log in again: fedimarks login m.example; then run it again: " + resume},
		{"import: some rows a plain rerun retries", &fedimarks.Error{Code: fedimarks.EPartial},
			situation{cmd: "import", resume: resume, report: failed(fedimarks.Unreachable, fedimarks.Invalid)},
			"the failures are in r/import-1-failures.csv; retry them with: " + resume},
		{"import: rows only --retry-failed retries", &fedimarks.Error{Code: fedimarks.EPartial},
			situation{cmd: "import", resume: resume, report: failed(fedimarks.Unreachable, fedimarks.NotVisible)},
			"the failures are in r/import-1-failures.csv; retry them with: " + resume + " --retry-failed"},
		{"import: only invalid rows, no failures file", &fedimarks.Error{Code: fedimarks.EPartial},
			situation{cmd: "import", resume: resume, report: &transfer.Report{ReportPath: "r/import-1-report.csv"}}, "see r/import-1-report.csv"},
		{"import: no report written", &fedimarks.Error{Code: fedimarks.EPartial}, situation{cmd: "import", resume: resume, report: &transfer.Report{}}, ""},
		{"import: a confirmation refused", &fedimarks.Error{Code: fedimarks.EInvalid, Message: "no answer: import not started"}, job, ""},
		{"verify: interrupted", &fedimarks.Error{Code: fedimarks.EInterrupted}, situation{cmd: "verify"}, "rerun the same command to resume"},
		{"verify: posts it could not check", &fedimarks.Error{Code: fedimarks.EPartial}, situation{cmd: "verify", unchecked: true},
			"the list includes those: run verify again later, or import the list (posts already bookmarked end 'already')"},
		{"verify: posts missing, all checked", &fedimarks.Error{Code: fedimarks.EPartial}, situation{cmd: "verify"}, ""},
		{"no token saved", &fedimarks.Error{Code: fedimarks.EAuth, Err: errors.New("not found")}, situation{cmd: "backup", login: "http://127.0.0.1:8080"},
			"log in again: fedimarks login http://127.0.0.1:8080"},
		{"a local failure", errors.New("disk full"), situation{cmd: "backup"}, ""},
	} {
		if got := nextStep(tc.err, tc.s); got != tc.want {
			t.Errorf("%s: hint %q, want %q", tc.name, got, tc.want)
		}
	}
	// Every code the import engine stops a job with has a next step.
	for _, code := range []string{fedimarks.EAuth, fedimarks.EScope, fedimarks.EInterrupted, fedimarks.EUnavailable, fedimarks.EPartial} {
		s := job
		s.report = failed(fedimarks.Failed)
		if nextStep(&fedimarks.Error{Code: code}, s) == "" {
			t.Errorf("the import engine's %s has no next step", code)
		}
	}
}
