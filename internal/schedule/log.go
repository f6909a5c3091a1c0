package schedule

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The log of scheduled runs rotates at LogMaxSize and keeps LogKeep old
// files: at most 4 MiB on disk.
const (
	LogMaxSize = 1 << 20
	LogKeep    = 3
)

// Log is an append-only log file that rotates: when a line starts and the
// file holds maxSize bytes or more, the file becomes path.1, path.1
// becomes path.2, and so on; the one beyond keep is deleted. Every line
// starts with the time it was written. A Log is safe for concurrent use;
// two processes appending at once interleave whole writes (O_APPEND), and
// one that rotates while the other writes leaves the other writing to the
// file just renamed, which is only ever too large, never lost.
type Log struct {
	mu      sync.Mutex
	path    string
	max     int64
	keep    int
	now     func() time.Time
	f       *os.File
	size    int64
	midLine bool
}

// OpenLog opens (creating it, mode 0600, and its directory, 0700) the log
// at path. now stamps the lines (nil: time.Now).
func OpenLog(path string, maxSize int64, keep int, now func() time.Time) (*Log, error) {
	if now == nil {
		now = time.Now
	}
	l := &Log{path: path, max: maxSize, keep: keep, now: now}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path returns the log's path.
func (l *Log) Path() string { return l.path }

// Write appends p, putting the time in front of each line it starts.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, fs.ErrClosed
	}
	n := 0
	for len(p) > 0 {
		line := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			line = p[:i+1]
		}
		var buf []byte
		if !l.midLine {
			if l.size >= l.max {
				if err := l.rotate(); err != nil {
					return n, err
				}
			}
			buf = append(buf, l.now().Format("2006-01-02T15:04:05Z07:00 ")...)
		}
		buf = append(buf, line...)
		w, err := l.f.Write(buf)
		l.size += int64(w)
		if err != nil {
			return n, fmt.Errorf("write log: %w", err)
		}
		n += len(line)
		l.midLine = line[len(line)-1] != '\n'
		p = p[len(line):]
	}
	return n, nil
}

// rotate shifts the old files up by one and starts an empty log.
func (l *Log) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	l.f = nil
	if err := os.Remove(fmt.Sprintf("%s.%d", l.path, l.keep)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	for i := l.keep - 1; i >= 1; i-- {
		err := os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	if l.keep > 0 {
		if err := os.Rename(l.path, l.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	} else if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	return l.open()
}

// Close closes the file; a line left unfinished is ended.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var err error
	if l.midLine {
		_, err = l.f.Write([]byte("\n"))
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}
