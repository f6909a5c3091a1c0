package formats

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/fedimarks/fedimarks"
)

// maxArchiveEntry bounds what is read of bookmarks.json in an archive (and
// of a zip archive given as a stream): 256 MiB is about three million
// URIs, and a zip bomb stops there.
const maxArchiveEntry = 256 << 20

type archiveKindT int

const (
	kindNone archiveKindT = iota
	kindZip
	kindGzip
	kindTar
)

// archiveKind recognises an archive by its magic bytes.
func archiveKind(head []byte) archiveKindT {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return kindTar
	}
	return kindNone
}

// ReadFile reads the bookmarks in the file at path, recognising its format
// by content (see Read). A Mastodon account archive (.zip since Mastodon
// 4.2, .tar.gz before; recognised by magic bytes, not by name) is searched
// for bookmarks.json at any depth, which is read in memory up to
// maxArchiveEntry bytes; nothing is extracted to disk. Sources then read
// "archive.zip!/bookmarks.json:item 3". Errors are of code
// fedimarks.EInvalid for files of no known shape, and name path. Reading
// stops with ctx's error once ctx is done.
func ReadFile(ctx context.Context, path string) (Result, error) {
	f, err := openInput(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	res, err := readFile(ctx, path, f)
	return res.joined(), ctxError(ctx, path, err)
}

// ReadFileRows is ReadFile without Items: the rows stay as the reader
// kept them, under half an item's size each for most files, for a caller
// that goes through them (Len, WriteOrder) rather than holding them all
// as items (verify of 200,000 rows: 32 MB less).
func ReadFileRows(ctx context.Context, path string) (Result, error) {
	f, err := openInput(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	res, err := readFile(ctx, path, f)
	return res, ctxError(ctx, path, err)
}

func readFile(ctx context.Context, path string, f *os.File) (Result, error) {
	var head [4]byte
	n, _ := io.ReadFull(ctxReader{ctx, f}, head[:])
	if archiveKind(head[:n]) == kindZip {
		st, err := f.Stat()
		if err != nil {
			return Result{}, fmt.Errorf("read %s: %w", path, err)
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return Result{}, brokenArchive(path, "zip")
		}
		return readZip(ctx, path, zr)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Result{}, fmt.Errorf("read %s: %w", path, err)
	}
	return read(ctx, path, ctxReader{ctx, f}, 0)
}

// ctxReader stops reading once ctx is done: every reader reads its input
// through one, so that Ctrl-C stops a parse at its next read (the inputs
// are files, whose reads do not block).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxError is err, or the interruption when ctx is done: a reader stopped
// by ctx may have turned the read error into a message of its own.
func ctxError(ctx context.Context, name string, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("read %s: %w", name, ctx.Err())
	}
	return err
}

// openError is the one-line message for a file that cannot be opened:
// what is wrong, naming the file, without the operating system's chain.
func openError(path string, err error) error {
	msg := fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s: file not found", path)
	case errors.Is(err, fs.ErrPermission):
		msg = fmt.Sprintf("cannot read %s: permission denied", path)
	}
	return &fedimarks.Error{Code: fedimarks.EInvalid, Message: msg, Err: err}
}

// notAFile is the error for an input that is not a regular file, or nil.
// A named pipe would make the reading wait for a writer (opening it for
// reading waits already, where no interrupt is seen), a device such as
// /dev/zero may never end, and a socket cannot be read as a file.
func notAFile(path string, mode fs.FileMode) error {
	var what string
	switch {
	case mode.IsRegular():
		return nil
	case mode.IsDir():
		return &fedimarks.Error{Code: fedimarks.EInvalid, Message: path + " is a directory, not a file"}
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "a special file"
	}
	return &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: fmt.Sprintf("%s is %s, not a file: bookmarks are read from files only", path, what),
		Hint:    "save what it gives to a file and name that file"}
}

// openInput opens path for reading if it is a regular file (see notAFile),
// which it checks before opening it.
func openInput(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, openError(path, err)
	}
	if err := notAFile(path, st.Mode()); err != nil {
		return nil, err
	}
	// Should path become a named pipe between the check and the opening,
	// O_NONBLOCK keeps the opening from waiting for a writer; the check
	// after it refuses the pipe.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, openError(path, err)
	}
	if err := notAFile(path, st.Mode()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckFile checks that path names a file that ReadFile can open, without
// reading it: it returns an error of code fedimarks.EInvalid, one line
// naming path, when the file is missing, may not be read, or is not a
// regular file (a directory, a named pipe, a device, a socket). Commands
// call it on every input before any other work.
func CheckFile(path string) error {
	f, err := openInput(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// readZipStream reads a zip archive from a stream: zip keeps its directory
// at the end, so the archive is read into memory, up to maxArchiveEntry.
func readZipStream(ctx context.Context, name string, r io.Reader) (Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxArchiveEntry+1))
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxArchiveEntry {
		return Result{}, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s: a zip archive read from a stream must be under %d MiB", name, maxArchiveEntry>>20),
			Hint:    "give the archive's file name instead"}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Result{}, brokenArchive(name, "zip")
	}
	return readZip(ctx, name, zr)
}

// isBookmarksJSON reports whether an archive member is a bookmarks.json
// (at any depth; macOS resource forks excluded).
func isBookmarksJSON(name string) bool {
	name = strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "./")
	return strings.EqualFold(path.Base(name), "bookmarks.json") &&
		!strings.HasPrefix(name, "__MACOSX/") && !strings.HasPrefix(path.Base(name), "._")
}

// readZip reads the shallowest bookmarks.json of a zip archive.
func readZip(ctx context.Context, name string, zr *zip.Reader) (Result, error) {
	var best *zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !isBookmarksJSON(f.Name) {
			continue
		}
		if best == nil || strings.Count(f.Name, "/") < strings.Count(best.Name, "/") {
			best = f
		}
	}
	if best == nil {
		return Result{}, noBookmarksJSON(name)
	}
	rc, err := best.Open()
	if err != nil {
		return Result{}, unknownShape(name, fmt.Sprintf("cannot open %s in the zip archive: %v", best.Name, err))
	}
	defer rc.Close()
	return readMember(ctx, name, best.Name, ctxReader{ctx, rc})
}

// readGzip reads a gzip stream: a tar.gz account archive, or any other
// file compressed with gzip.
func readGzip(ctx context.Context, name string, r io.Reader) (Result, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Result{}, brokenArchive(name, "gzip")
	}
	defer zr.Close()
	br := bufio.NewReaderSize(ctxReader{ctx, gzipReader{zr}}, 64<<10) // checked after inflating: a MiB read may inflate to a GiB
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return Result{}, ctxError(ctx, name, brokenArchive(name, "gzip"))
	}
	if archiveKind(head) == kindTar {
		return readTar(ctx, name, br)
	}
	inner := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
	res, err := read(ctx, inner, &capReader{r: br, left: maxArchiveEntry, name: name}, 1)
	if _, broken := errors.AsType[gzipBroken](err); broken && ctx.Err() == nil {
		// Cut short or damaged further in: the file's fault, not its rows'.
		return Result{}, brokenArchive(name, "gzip")
	}
	return res, err
}

// gzipBroken is an error of inflating a gzip stream, which the readers
// keep in their errors' chains (read %s: %w).
type gzipBroken struct{ err error }

func (e gzipBroken) Error() string { return e.err.Error() }
func (e gzipBroken) Unwrap() error { return e.err }

// gzipReader marks the errors of inflating other than the stream's end.
type gzipReader struct{ r io.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = gzipBroken{err}
	}
	return n, err
}

// readTar streams a tar archive to its first bookmarks.json.
func readTar(ctx context.Context, name string, r io.Reader) (Result, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return Result{}, noBookmarksJSON(name)
		}
		if _, broken := errors.AsType[gzipBroken](err); broken {
			return Result{}, ctxError(ctx, name, brokenArchive(name, "gzip"))
		}
		if err != nil {
			return Result{}, unknownShape(name, "a broken tar archive: "+err.Error())
		}
		if h.Typeflag != tar.TypeReg { // the reader reports old-style TypeRegA as TypeReg
			continue
		}
		if isBookmarksJSON(h.Name) {
			return readMember(ctx, name, h.Name, tr)
		}
	}
}

// readMember reads bookmarks.json from an archive, bounded.
func readMember(ctx context.Context, archive, member string, r io.Reader) (Result, error) {
	name := archive + "!/" + strings.TrimPrefix(member, "/")
	return read(ctx, name, &capReader{r: r, left: maxArchiveEntry, name: name}, 1)
}

// brokenArchive says that name, whose first bytes are those of a kind
// ("zip", "gzip") archive, cannot be read as one: damaged or cut short.
func brokenArchive(name, kind string) error {
	return &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: fmt.Sprintf("%s is not a readable %s archive: it is damaged or cut short", name, kind),
		Hint:    "download or export it again"}
}

func noBookmarksJSON(name string) error {
	return &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: name + ": this archive holds no bookmarks.json",
		Hint:    "is it a Mastodon account archive? Mastodon's bookmarks.csv comes from Preferences > Import and export > Data export"}
}

// capReader fails once more than left bytes were read, instead of ending
// quietly as io.LimitReader does: a cut file must not pass for a whole one.
type capReader struct {
	r    io.Reader
	left int64
	name string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// one byte more tells a file of exactly the limit from a longer one
		var one [1]byte
		if _, err := io.ReadFull(c.r, one[:]); err != nil {
			return 0, err // io.EOF: the member was exactly the limit
		}
		return 0, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s is larger than %d MiB", c.name, maxArchiveEntry>>20)}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
