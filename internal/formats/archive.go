package formats

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

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
// fedimarks.EInvalid for files of no known shape, and name path.
func ReadFile(path string) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, openError(path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return Result{}, &fedimarks.Error{Code: fedimarks.EInvalid, Message: path + " is a directory, not a file"}
	}
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	if archiveKind(head[:n]) == kindZip {
		st, err := f.Stat()
		if err != nil {
			return Result{}, fmt.Errorf("read %s: %w", path, err)
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return Result{}, unknownShape(path, "a broken zip archive: "+err.Error())
		}
		return readZip(path, zr)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Result{}, fmt.Errorf("read %s: %w", path, err)
	}
	return Read(path, f)
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

// CheckFile checks, without reading it, that path names a file that
// ReadFile can open: it returns an error of code fedimarks.EInvalid, one
// line naming path, when the file is missing, is a directory, or may not
// be read. Commands call it on every input before any other work.
func CheckFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return openError(path, err)
	}
	if st.IsDir() {
		return &fedimarks.Error{Code: fedimarks.EInvalid, Message: path + " is a directory, not a file"}
	}
	return nil
}

// readZipStream reads a zip archive from a stream: zip keeps its directory
// at the end, so the archive is read into memory, up to maxArchiveEntry.
func readZipStream(name string, r io.Reader) (Result, error) {
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
		return Result{}, unknownShape(name, "a broken zip archive: "+err.Error())
	}
	return readZip(name, zr)
}

// isBookmarksJSON reports whether an archive member is a bookmarks.json
// (at any depth; macOS resource forks excluded).
func isBookmarksJSON(name string) bool {
	name = strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "./")
	return strings.EqualFold(path.Base(name), "bookmarks.json") &&
		!strings.HasPrefix(name, "__MACOSX/") && !strings.HasPrefix(path.Base(name), "._")
}

// readZip reads the shallowest bookmarks.json of a zip archive.
func readZip(name string, zr *zip.Reader) (Result, error) {
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
	return readMember(name, best.Name, rc)
}

// readGzip reads a gzip stream: a tar.gz account archive, or any other
// file compressed with gzip.
func readGzip(name string, r io.Reader) (Result, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Result{}, unknownShape(name, "broken gzip data: "+err.Error())
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return Result{}, unknownShape(name, "broken gzip data: "+err.Error())
	}
	if archiveKind(head) == kindTar {
		return readTar(name, br)
	}
	inner := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
	return read(inner, &capReader{r: br, left: maxArchiveEntry, name: name}, 1)
}

// readTar streams a tar archive to its first bookmarks.json.
func readTar(name string, r io.Reader) (Result, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return Result{}, noBookmarksJSON(name)
		}
		if err != nil {
			return Result{}, unknownShape(name, "a broken tar archive: "+err.Error())
		}
		if h.Typeflag != tar.TypeReg { // the reader reports old-style TypeRegA as TypeReg
			continue
		}
		if isBookmarksJSON(h.Name) {
			return readMember(name, h.Name, tr)
		}
	}
}

// readMember reads bookmarks.json from an archive, bounded.
func readMember(archive, member string, r io.Reader) (Result, error) {
	name := archive + "!/" + strings.TrimPrefix(member, "/")
	return read(name, &capReader{r: r, left: maxArchiveEntry, name: name}, 1)
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
