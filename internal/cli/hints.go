package cli

import (
	"errors"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// situation is what a command knows when an error ends it: the facts,
// beside the error's own, that the next command is written from.
type situation struct {
	// cmd is the command's name ("backup", "import", ...).
	cmd string
	// login is what to pass to 'fedimarks login' for the account's server
	// (loginArg); "" when no account is known.
	login string
	// resume is the command line that resumes the job (import, migrate);
	// "" when the command is no job.
	resume string
	// dryRun says the job is a dry run: it has nothing to resume, so the
	// hint runs it again.
	dryRun bool
	// report is the job's report, when it finished.
	report *transfer.Report
	// unchecked says that verify could not check some posts.
	unchecked bool
	// nothingArchived says the account has nothing in the archive yet: an
	// offline export would have nothing to export.
	nothingArchived bool
	// source is --from's account when its backup, before migrate or
	// verify reads its archived bookmarks, found its server down and the
	// archive holds some: --offline uses them as they are.
	source fedimarks.Handle
}

// nextStep is the hint table: the one place that writes what to do after
// err, from the facts the engines and adapters return (the error's code
// and kind, a *fedimarks.Busy lock, a backup stopped at a refused link)
// and those of the situation s. It returns "" when there is no next
// command to give.
func nextStep(err error, s situation) string {
	var busy *fedimarks.Busy
	code, kind := fedimarks.ErrorCode(err), fedimarks.ErrorKind(err)
	switch {
	case errors.As(err, &busy) && s.resume != "":
		return "wait for it to finish, then run: " + s.resume
	case errors.As(err, &busy):
		return "wait for it to finish, then run the same command again"
	case errors.Is(err, backup.ErrLinkRefused):
		return "the bookmarks read so far are archived; the next backup goes on from there once the server links to itself"
	case s.resume != "":
		return jobStep(code, s)
	case code == fedimarks.EInterrupted:
		return "rerun the same command to resume"
	case code == fedimarks.EPartial && s.unchecked:
		return "the list includes those: run verify again later, or import the list (posts already bookmarked end 'already')"
	case code == fedimarks.EAuth && s.login != "":
		return "log in again: fedimarks login " + s.login
	case code == fedimarks.EScope && s.login != "":
		return "log in again to grant it: fedimarks login " + s.login
	case fedimarks.IsUnreachable(err) && s.source != "":
		return "try again later, or add --offline to use what is archived of " + string(s.source) + " as it is"
	case fedimarks.IsUnreachable(err) && (s.cmd == "backup" || s.cmd == "export") && s.nothingArchived:
		return "try again later: nothing of this account is archived yet"
	case fedimarks.IsUnreachable(err) && (s.cmd == "backup" || s.cmd == "export"):
		return "try again later; " + offlineExport
	case fedimarks.IsUnreachable(err):
		return "try again later: the same command goes on where it stopped"
	case kind == fedimarks.KindRedirected:
		return offlineExport
	}
	return ""
}

// addAccountStep is the next step after an account query that names none
// of the accounts there are: adding the one meant. archive: the command
// reads the archive, which holds an account's bookmarks once it is backed
// up; first: no account is there yet.
func addAccountStep(archive, first bool) string {
	step := "to add one, log in to its server: fedimarks login INSTANCE"
	if first {
		step = "log in first with: fedimarks login INSTANCE"
	}
	if archive {
		step += ", then run: fedimarks backup"
	}
	return step
}

// addAnotherStep is addAccountStep after a "did you mean": the account
// meant may be another one.
func addAnotherStep(archive bool) string {
	step := "To add another, log in to its server: fedimarks login INSTANCE"
	if archive {
		step += ", then run: fedimarks backup"
	}
	return step
}

// offlineExport is the way out when the server cannot be read.
const offlineExport = "'fedimarks export --offline' exports what is already archived"

// jobStep is the next step of an import or migrate job that the engine
// ended with an error of code: a rerun resumes it; rows that a plain
// rerun leaves need --retry-failed.
func jobStep(code string, s situation) string {
	switch code {
	case fedimarks.EAuth, fedimarks.EScope:
		if s.dryRun {
			return "log in again: fedimarks login " + s.login + "; then run it again: " + s.resume
		}
		return "log in again: fedimarks login " + s.login + "; then resume with: " + s.resume
	case fedimarks.EUnavailable, fedimarks.EInterrupted:
		if s.dryRun { // a dry run has nothing to resume
			if code == fedimarks.EUnavailable {
				return "run it again when the server answers: " + s.resume
			}
			return "run it again: " + s.resume
		}
		return "resume with: " + s.resume
	case fedimarks.EPartial:
		switch rep := s.report; {
		case rep != nil && rep.FailuresPath != "":
			retry := s.resume
			if rep.RetryFailedHelps() {
				retry += " --retry-failed"
			}
			return "the failures are in " + rep.FailuresPath + "; retry them with: " + retry
		case rep != nil && rep.ReportPath != "":
			return "see " + rep.ReportPath
		}
	}
	return ""
}

// withHint gives err, when it is a *fedimarks.Error without a hint, the
// next step the table writes for it in s, and returns it.
func withHint(err error, s situation) error {
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Hint == "" {
		fe.Hint = nextStep(err, s)
	}
	return err
}
