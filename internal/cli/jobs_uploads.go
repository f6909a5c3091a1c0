package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// Uploads: a file uploaded on the page for a move is staged in
// DATA/uploads (Stage) and named by the page jobs that read it (their
// spec's File): the dry run, then the move, and a Resume of either. It is
// kept while a job needs it:
//
//   - a job reading it runs;
//   - the newest job naming it was cut short (interrupted: Resume reads
//     it again), or is a dry run that ended well less than
//     uploadKeepForRun ago ("Move them now" reads it).
//
// Otherwise it is deleted: when a job ends, and when serve starts (also
// files no job names, left by a crash between the upload and its job).
// Once a move has journaled its rows, nothing needs the file any more:
// Retry runs the import job again from its journal (rerunJournal), and
// Verify reads the journaled rows (verifyInput). Only files of
// DATA/uploads are ever deleted: a file given on the command line is
// never one.

// uploadKeepForRun is how long a dry run's upload waits for its move.
const uploadKeepForRun = 7 * 24 * time.Hour

// uploadGrace is how recent a file of DATA/uploads that no job names may
// be and still be kept: one being uploaded, or uploaded a moment before
// its job is recorded.
const uploadGrace = 10 * time.Minute

// uploadsDir is DATA/uploads.
func (s *jobService) uploadsDir() (string, error) {
	p, err := s.a.paths()
	if err != nil {
		return "", err
	}
	return filepath.Join(p.Data, "uploads"), nil
}

// sweepUploads deletes the uploads no job needs any more (see above).
// Failures are said on serve's standard error; nothing else depends on
// them.
func (s *jobService) sweepUploads(ctx context.Context) {
	if err := s.deleteUnneededUploads(ctx); err != nil {
		fmt.Fprintf(s.a.stderr, "uploads: %s\n", cleanText(err.Error()))
	}
}

func (s *jobService) deleteUnneededUploads(ctx context.Context) error {
	dir, err := s.uploadsDir()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	needed, named, err := s.neededUploads(ctx)
	if err != nil {
		return err
	}
	now := s.a.now()
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, "upload-") && !strings.HasPrefix(name, "verify-") {
			continue
		}
		path := filepath.Join(dir, name)
		if needed[path] {
			continue
		}
		if !named[path] {
			// No job names it: keep it while it may be one being uploaded.
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) < uploadGrace {
				continue
			}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// neededUploads reads every page job: the uploads some job needs, and
// those some job names.
func (s *jobService) neededUploads(ctx context.Context) (needed, named map[string]bool, err error) {
	pjs, err := s.ar.PageJobs(ctx, 1<<31-1) // newest first
	if err != nil {
		return nil, nil, err
	}
	needed, named = map[string]bool{}, map[string]bool{}
	now := s.a.now()
	for _, pj := range pjs {
		var spec web.JobSpec
		if json.Unmarshal(pj.Spec, &spec) != nil || spec.File == "" {
			continue
		}
		path := filepath.Clean(spec.File)
		newest := !named[path]
		named[path] = true
		switch {
		case pj.State == sqlite.PageJobRunning:
			needed[path] = true
		case !newest: // a later job took over (a Resume, the move after its dry run)
		case pj.State == sqlite.PageJobInterrupted:
			needed[path] = true
		case spec.DryRun && pj.State == sqlite.PageJobDone && now.Sub(pj.FinishedAt) < uploadKeepForRun:
			needed[path] = true
		}
	}
	return needed, named, nil
}

// uploadGone says the file a job read is no longer there.
func (s *jobService) uploadGone(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// verifyInput makes files[0], the upload a verification of spec reads,
// the rows its move journaled when the upload is gone: they are written to
// a file of DATA/uploads in Mastodon's bookmarks format (a post's URI a
// line, newest first; invalid rows have none and are left out). It
// returns what removes that file once the verification is done.
func (s *jobService) verifyInput(ctx context.Context, spec web.JobSpec, files []string) (done func()) {
	done = func() {}
	if spec.Job == 0 || !s.uploadGone(spec.File) {
		return done
	}
	dir, err := s.uploadsDir()
	if err != nil {
		return done
	}
	f, err := os.CreateTemp(dir, "verify-*.csv")
	if err != nil {
		return done
	}
	var links []string
	err = s.ar.EachJobItem(ctx, spec.Job, func(it fedimarks.JobItem) error {
		if it.Outcome != fedimarks.Invalid {
			links = append(links, it.PostLink())
		}
		return nil
	})
	w := bufio.NewWriter(f)
	for i := len(links) - 1; i >= 0 && err == nil; i-- {
		_, err = w.WriteString(links[i] + "\n")
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return done
	}
	files[0] = f.Name()
	return func() { os.Remove(f.Name()) }
}
