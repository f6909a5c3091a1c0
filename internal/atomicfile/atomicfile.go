// Package atomicfile writes a file whole or not at all: through a
// temporary file in the same folder, renamed over the target once
// complete, so that a reader never sees half a file and a failure leaves
// the old file (if any) in place. Every file it writes is readable only
// by its owner (0600): exports and import reports list private bookmarks.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes path with what fill writes to it, atomically and with mode
// 0600. Errors name path and give the cause without the temporary file's
// name, which means nothing to a person: "cannot write PATH: CAUSE" when
// the folder takes no new file, "write PATH: CAUSE" otherwise (fill's
// error included).
//
// A target that exists and is not a regular file or a folder (/dev/null,
// /dev/stdout, a FIFO) is written to as it is: renaming a regular file
// over it would replace the device.
func Write(path string, fill func(io.Writer) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return writeThrough(path, fill)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, Cause(err))
	}
	defer os.Remove(tmp.Name())
	err = fill(tmp)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, Cause(err))
	}
	return nil
}

// writeThrough writes to a special file in place.
func writeThrough(path string, fill func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, Cause(err))
	}
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, Cause(err))
	}
	return nil
}

// Cause drops the path of a file system error, keeping its cause: the
// caller names the file in words of its own.
func Cause(err error) error {
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
