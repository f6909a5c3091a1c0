package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/atomicfile"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
	"github.com/fedimarks/fedimarks/internal/web"
)

// htmlHelp is export's word on the html format's pictures.
const htmlHelp = `The html format shows the images, videos and avatars that 'fedimarks backup
--media' kept. With -o DIR/ (a folder: an existing one, or a name ending in
/) it writes DIR/index.html and puts the files it shows in DIR/media
(read-only hard links to the archive's copies where possible, else
copies); a later export to the same folder removes the files it no longer
shows. With -o FILE.html, or on
standard output, the page holds them itself (data: URIs), up to 1 MiB a
file (a larger one shows by its preview where there is one) and 50 MiB in
all; the page says which it left out. Either way the page loads nothing
from the network.`

// The limits of a page that holds its files: a browser opens a 50 MiB
// page, and an image over 1 MiB is better seen from a folder.
const (
	embedFileMax  = 1 << 20
	embedTotalMax = 50 << 20
)

// htmlFolder reports whether -o names a folder for the html export: an
// existing directory, or a path ending in a separator.
func htmlFolder(output string) bool {
	if output == "" || output == "-" {
		return false
	}
	if strings.HasSuffix(output, "/") || strings.HasSuffix(output, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(output)
	return err == nil && fi.IsDir()
}

// checkFolder says, before any work, why the folder dir cannot be
// written: it is a file, or the folder it would be made in is missing.
func checkFolder(dir string) error {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fedimarks.Errorf(fedimarks.EInvalid, "cannot write into %s: it is a file", dir)
		}
		return nil
	}
	return checkOutput(dir) // its parent must exist
}

// htmlCopies gives the html export the local copies of the files backup
// --media kept (formats.Meta.LocalCopy): in folder mode it links or
// copies each file the page shows into dir; otherwise it embeds it as a
// data: URI, within the limits. A failure to place a file is kept in err
// and fails the export.
type htmlCopies struct {
	ctx   context.Context
	media archiveMedia
	dir   string // the media folder, "" to embed

	uri   string // the post whose files are in files
	files []web.LocalFile

	placed     map[string]formats.LocalCopy // by path: each file is read once
	used       map[string]bool              // names placed in dir
	embedded   int                          // files embedded
	embedBytes int64
	leftOut    int // files not embedded: over a limit
	err        error
}

func newHTMLCopies(ctx context.Context, ar *sqlite.Archive, mediaDir, folder string) *htmlCopies {
	c := &htmlCopies{ctx: ctx, media: archiveMedia{ar: ar, dir: mediaDir}, used: map[string]bool{}, placed: map[string]formats.LocalCopy{}}
	if folder != "" {
		c.dir = filepath.Join(folder, "media")
	}
	return c
}

// copy is formats.Meta.LocalCopy.
func (c *htmlCopies) copy(statusURI, remote string) formats.LocalCopy {
	if c.err != nil {
		return formats.LocalCopy{}
	}
	if statusURI != c.uri {
		c.uri, c.files = statusURI, nil
		files, err := c.media.LocalFiles(c.ctx, statusURI)
		if err != nil {
			c.err = err
			return formats.LocalCopy{}
		}
		c.files = files
	}
	for _, f := range c.files {
		if f.RemoteURL != remote {
			continue
		}
		if lc, ok := c.placed[f.Path]; ok {
			return lc
		}
		lc, err := c.place(f)
		if err != nil {
			c.err = err
		}
		c.placed[f.Path] = lc
		return lc
	}
	return formats.LocalCopy{}
}

// place puts one kept file where the page finds it.
func (c *htmlCopies) place(f web.LocalFile) (formats.LocalCopy, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return formats.LocalCopy{}, nil // gone since backup: the page links the original
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return formats.LocalCopy{}, nil
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return formats.LocalCopy{}, fmt.Errorf("read %s: %w", f.Path, err)
	}
	typ := checkedType(head[:n], f.ContentType)
	if typ == "" {
		return formats.LocalCopy{}, nil // not a picture, video or sound the page may show
	}
	if c.dir != "" {
		name := filepath.Base(f.Path) + "." + mediaExt(typ)
		if err := c.link(f.Path, name, fi.Size()); err != nil {
			return formats.LocalCopy{}, err
		}
		return formats.LocalCopy{Src: "media/" + name, Type: typ}, nil
	}
	switch size := fi.Size(); {
	case size > embedFileMax:
		c.leftOut++
		return formats.LocalCopy{Note: fmt.Sprintf("not embedded: %s, over the %s limit for a file", ui.Bytes(size), ui.Bytes(embedFileMax))}, nil
	case c.embedBytes+size > embedTotalMax:
		c.leftOut++
		return formats.LocalCopy{Note: fmt.Sprintf("not embedded: the page already holds %s of files", ui.Bytes(c.embedBytes))}, nil
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return formats.LocalCopy{}, fmt.Errorf("read %s: %w", f.Path, err)
	}
	c.embedded++
	c.embedBytes += int64(len(b))
	return formats.LocalCopy{Src: "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(b), Type: typ}, nil
}

// link makes dir/name the archive's file src: a hard link where the file
// system allows, else a copy (written under a temporary name, then
// renamed). The file is made read-only, since a hard link is the
// archive's own copy: an editor cannot change it in place. On Windows,
// where a read-only file cannot be removed, it is always a copy. A file
// already there of the same size is the same content (its name is its
// SHA-256).
func (c *htmlCopies) link(src, name string, size int64) error {
	if c.used[name] {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("make %s: %w", c.dir, atomicfile.Cause(err))
	}
	dst := filepath.Join(c.dir, name)
	if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		c.used[name] = true
		return nil
	}
	os.Remove(dst)
	if runtime.GOOS == "windows" {
		if err := copyFile(src, dst); err != nil {
			return fmt.Errorf("copy %s to %s: %w", src, dst, atomicfile.Cause(err))
		}
	} else {
		if err := os.Link(src, dst); err != nil {
			if err := copyFile(src, dst); err != nil {
				return fmt.Errorf("copy %s to %s: %w", src, dst, atomicfile.Cause(err))
			}
		}
		if err := os.Chmod(dst, 0o400); err != nil {
			return fmt.Errorf("make %s read-only: %w", dst, atomicfile.Cause(err))
		}
	}
	c.used[name] = true
	return nil
}

// copyFile copies src to dst atomically (mode 0600 until the caller
// makes it read-only). Its error is the cause alone: the caller names
// both files.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	err = atomicfile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
	if err != nil {
		return errors.Unwrap(err) // atomicfile's "write DST: CAUSE" less the name
	}
	return nil
}

// mediaFileName is how the folder names a file: its SHA-256, an extension.
var mediaFileName = regexp.MustCompile(`^[0-9a-f]{64}\.[a-z0-9]{1,5}$`)

// finish removes from the media folder the files of earlier exports this
// one does not show (a post now left out by --visibility takes its
// pictures with it), and says on w what the page holds.
func (c *htmlCopies) finish(w io.Writer) error {
	if c.dir != "" {
		ents, err := os.ReadDir(c.dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read %s: %w", c.dir, atomicfile.Cause(err))
		}
		for _, e := range ents {
			if !c.used[e.Name()] && mediaFileName.MatchString(e.Name()) {
				if err := os.Remove(filepath.Join(c.dir, e.Name())); err != nil {
					return fmt.Errorf("remove %s: %w", e.Name(), atomicfile.Cause(err))
				}
			}
		}
		if len(c.used) > 0 {
			fmt.Fprintf(w, "with %s in %s\n", fedimarks.Plural(int64(len(c.used)), "file"), c.dir)
		}
		return nil
	}
	if c.embedded > 0 || c.leftOut > 0 {
		fmt.Fprintf(w, "embedded %s (%s)", fedimarks.Plural(int64(c.embedded), "file"), ui.Bytes(c.embedBytes))
		if c.leftOut > 0 {
			fmt.Fprintf(w, "; %d left out (too large to embed): export to a folder with -o DIR/ to keep every file", c.leftOut)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// checkedType returns the media type of a kept file as its first bytes
// show it, when the page may show such a file: a raster image, a video
// or an audio file (never SVG, HTML or anything else). When the bytes say
// nothing (application/octet-stream), the type the server sent is taken
// if it is one of those; "" otherwise.
func checkedType(head []byte, stored string) string {
	ok := func(t string) bool {
		return t != "image/svg+xml" && (strings.HasPrefix(t, "image/") || strings.HasPrefix(t, "video/") || strings.HasPrefix(t, "audio/"))
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	if ok(sniffed) {
		return sniffed
	}
	if sniffed == "application/octet-stream" {
		if t, _, err := mime.ParseMediaType(stored); err == nil && ok(t) {
			return t
		}
	}
	return ""
}

// mediaExt is the file extension the folder gives a file of type t.
func mediaExt(t string) string {
	if ext, ok := map[string]string{
		"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
		"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov",
		"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/wav": "wav", "audio/wave": "wav", "audio/mp4": "m4a",
		"audio/webm": "weba", "audio/flac": "flac", "audio/aac": "aac",
	}[t]; ok {
		return ext
	}
	return "bin"
}
