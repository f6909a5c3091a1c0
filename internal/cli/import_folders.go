package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// Bookmark folders on import and migrate. Rows carry their source's
// folder (a fedimarks json or jsonl export, the archive of a migrate's
// source), or --folder names one for every row. Into a server with
// folders (Pleroma), each folder is found by name there or made (with its
// emoji) the first time a row needs it, and each row that ends bookmarked
// is filed: a row written by this run is bookmarked with folder_id at once
// (no extra request) when the destination's search found it; a row
// already bookmarked there, or written by its id (a post of the
// destination's own server), costs one more request, a bookmark with
// folder_id, which on Pleroma moves it. Filings are recorded, so a rerun
// does not file a row again. Into a server without folders the folder
// stays what it is in the archive, a local tag (folder:NAME), and the
// summary says so.

// folderFiling files one import's rows in folders on the destination.
type folderFiling struct {
	r    reach // its clock and standard error
	ar   *sqlite.Archive
	c    *mastodon.Client
	dest fedimarks.Handle
	// only is --folder's folder; else byAddr has each foldered row's
	// folder by its URI and by its URL.
	only   *fedimarks.Folder
	byAddr map[string]fedimarks.Folder
	rows   int // rows with a folder

	// supported says the destination may have folders (its software);
	// loaded that its folder list was read (then supported is known).
	supported, loaded bool
	ids               map[string]string // folder name -> id on the destination
	created           []string
	noEmoji           []string // made without their emoji (the destination refused it)

	mu       sync.Mutex
	byDest   map[string]fedimarks.Folder // destination status id -> folder (from Resolve)
	filedNow map[string]string           // destination status id -> folder name filed by the first write
	filed    int
	failed   int
	requests int64
}

// planFolders returns the filing of items (nil when no row has a folder
// and --folder was not given), having asked the destination whether it
// has folders. --folder into a destination without them is an error, as
// is a destination that does not answer: nothing is written then. Rows'
// folders also become their folder: tags (kept for the destination).
func planFolders(ctx context.Context, r reach, ar *sqlite.Archive, c *mastodon.Client, acc fedimarks.Account, only string, items []fedimarks.ImportItem) (*folderFiling, error) {
	ff := &folderFiling{r: r, ar: ar, c: c, dest: acc.Handle, byAddr: map[string]fedimarks.Folder{}}
	if only != "" {
		ff.only = &fedimarks.Folder{Name: only}
	}
	for i := range items {
		it := &items[i]
		if it.Folder == nil || it.Invalid != "" {
			continue
		}
		ff.rows++
		if tag := fedimarks.FolderTag(it.Folder.Name); !slices.Contains(it.Tags, tag) {
			it.Tags = append(it.Tags, tag)
		}
		if ff.only == nil {
			for _, addr := range []string{it.URI, it.URL} {
				if addr != "" {
					ff.byAddr[addr] = *it.Folder
				}
			}
		}
	}
	if ff.only == nil && ff.rows == 0 {
		return nil, nil
	}
	ff.supported = hasFolders(acc)
	ff.byDest, ff.filedNow = map[string]fedimarks.Folder{}, map[string]string{}
	if !ff.supported || only == "" {
		// The folder list is read when a row needs it: a rerun of a
		// finished job does not contact the destination.
		return ff, ff.noFolders(only)
	}
	if err := ff.load(ctx); err != nil {
		return nil, r.apiError(acc.Handle, acc.Server, err, "read:bookmarks")
	}
	return ff, ff.noFolders(only)
}

// load reads the destination's folders, once. A server that answers 404
// has none: supported is then false.
func (ff *folderFiling) load(ctx context.Context) error {
	if ff.loaded || !ff.supported {
		return nil
	}
	before := ff.c.Requests()
	folders, err := ff.c.Folders(ctx)
	ff.requests += ff.c.Requests() - before
	if errors.Is(err, mastodon.ErrNoFolders) {
		ff.supported, ff.loaded = false, true
		return nil
	}
	if err != nil {
		return err
	}
	ff.ids, ff.loaded = map[string]string{}, true
	for _, f := range folders {
		ff.ids[f.Name] = f.ID
	}
	return nil
}

// noFolders is planFolders' answer for a destination without folders:
// an error for --folder, else nothing (the summary says it).
func (ff *folderFiling) noFolders(only string) error {
	if only == "" || ff.supported {
		return nil
	}
	return &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: fmt.Sprintf("--folder %s: %s has no bookmark folders (only Pleroma has them); nothing was imported", cleanText(only), ff.dest),
		Hint:    "run the same command without --folder, or tag the rows afterwards with: fedimarks tag --all-matching QUERY +NAME"}
}

// folderOf is the folder a row (by address) goes in, or nil.
func (ff *folderFiling) folderOf(addrs ...string) *fedimarks.Folder {
	if ff.only != nil {
		return ff.only
	}
	for _, a := range addrs {
		if f, ok := ff.byAddr[a]; ok {
			return &f
		}
	}
	return nil
}

// folderID is the id on the destination of the folder f, made there on
// first use. Called by one goroutine at a time (the engine's writer, then
// the filing after the run).
func (ff *folderFiling) folderID(ctx context.Context, f fedimarks.Folder) (string, error) {
	if err := ff.load(ctx); err != nil {
		return "", fmt.Errorf("read the bookmark folders of %s: %w", ff.dest, err)
	}
	if !ff.supported {
		return "", errNoFolders
	}
	if id, ok := ff.ids[f.Name]; ok {
		return id, nil
	}
	before := ff.c.Requests()
	defer func() { ff.requests += ff.c.Requests() - before }()
	made, err := ff.c.CreateFolder(ctx, f.Name, f.Emoji)
	if err != nil && f.Emoji != "" && fedimarks.ErrorKind(err) == fedimarks.KindInvalid {
		// Pleroma refuses an emoji it does not know (another server's
		// custom emoji): the folder is made without it.
		if made, err = ff.c.CreateFolder(ctx, f.Name, ""); err == nil {
			ff.noEmoji = append(ff.noEmoji, f.Name+" ("+f.Emoji+")")
		}
	}
	if err != nil && fedimarks.ErrorKind(err) == fedimarks.KindInvalid {
		// Taken meanwhile (made by hand, or by another run): look again.
		if fs, lerr := ff.c.Folders(ctx); lerr == nil {
			for _, g := range fs {
				if g.Name == f.Name {
					ff.ids[f.Name] = g.ID
					return g.ID, nil
				}
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("make bookmark folder %q on %s: %w", cleanText(f.Name), ff.dest, err)
	}
	ff.ids[f.Name] = made.ID
	ff.created = append(ff.created, f.Name)
	return made.ID, nil
}

// errNoFolders is folderID's error once the destination turned out to
// have no folders.
var errNoFolders = errors.New("the destination has no bookmark folders")

// writer wraps the engine's writer so that a row's first bookmark request
// files it in its folder when the search told its id on the destination.
func (ff *folderFiling) writer(w transfer.Writer) transfer.Writer {
	if ff == nil || !ff.supported {
		return w
	}
	return filingWriter{Writer: w, ff: ff}
}

type filingWriter struct {
	transfer.Writer
	ff *folderFiling
}

func (w filingWriter) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	st, err := w.Writer.Resolve(ctx, uri)
	if st != nil {
		if f := w.ff.folderOf(uri, st.URI, st.URL); f != nil {
			w.ff.mu.Lock()
			w.ff.byDest[st.ID] = *f
			w.ff.mu.Unlock()
		}
	}
	return st, err
}

func (w filingWriter) Bookmark(ctx context.Context, id string) (fedimarks.Status, error) {
	w.ff.mu.Lock()
	f, ok := w.ff.byDest[id]
	w.ff.mu.Unlock()
	if !ok {
		return w.Writer.Bookmark(ctx, id)
	}
	fid, err := w.ff.folderID(ctx, f)
	if err != nil {
		// Bookmarked without its folder; the filing after the run tries
		// the folder again and says what failed.
		return w.Writer.Bookmark(ctx, id)
	}
	st, err := w.ff.c.BookmarkIn(ctx, id, fid)
	if err == nil {
		w.ff.mu.Lock()
		w.ff.filedNow[id] = f.Name
		w.ff.mu.Unlock()
	}
	return st, err
}

// fileRest files the rows of a finished (or stopped) run that ended
// bookmarked and are not filed yet, and prints what was done.
func (ff *folderFiling) fileRest(ctx context.Context, rep *transfer.Report) error {
	if ff == nil {
		return nil
	}
	noFolders := func() error {
		if rep.ImportedNow > 0 { // not again on each rerun or sync check
			ff.sayNoFolders()
		}
		return nil
	}
	if !ff.supported {
		return noFolders()
	}
	done, err := ff.ar.Filings(ctx, ff.dest)
	if err != nil {
		return err
	}
	var stop error
	for _, it := range rep.Items {
		if it.DestID == "" || (it.Outcome != fedimarks.Imported && it.Outcome != fedimarks.Already) {
			continue
		}
		f := ff.folderOf(it.URI, it.URL, it.PostURI)
		addr := it.Address()
		if f == nil || done[addr] == f.Name {
			continue
		}
		if ff.filedNow[it.DestID] != f.Name {
			if err := ctx.Err(); err != nil {
				stop = err
				break
			}
			err := ff.fileIn(ctx, it.DestID, *f)
			if errors.Is(err, errNoFolders) {
				return noFolders()
			}
			if err != nil {
				ff.failed++
				if stop == nil {
					stop = err
				}
				if endsFiling(err) {
					break
				}
				continue
			}
		}
		if err := ff.ar.RecordFiling(ctx, ff.dest, addr, f.Name, ff.r.now()); err != nil {
			return err
		}
		ff.filed++
	}
	ff.say()
	if stop != nil {
		return fmt.Errorf("file bookmarks in folders on %s (run the same command again to file the rest): %w", ff.dest, stop)
	}
	return nil
}

// fileIn files the destination's bookmark destID in folder f, making the
// folder when it is not there yet.
func (ff *folderFiling) fileIn(ctx context.Context, destID string, f fedimarks.Folder) error {
	fid, err := ff.folderID(ctx, f)
	if err != nil {
		return err
	}
	before := ff.c.Requests()
	_, err = ff.c.BookmarkIn(ctx, destID, fid)
	ff.requests += ff.c.Requests() - before
	return err
}

// endsFiling reports whether err stops the filing of every bookmark left
// (the sign-in or its scope, an interruption), not of one.
func endsFiling(err error) bool {
	k := fedimarks.ErrorKind(err)
	return k == fedimarks.KindAuth || k == fedimarks.KindScope || errors.Is(err, context.Canceled)
}

// say prints what the filing did, in a line or two.
func (ff *folderFiling) say() {
	if ff.filed+ff.failed == 0 && len(ff.created) == 0 {
		return
	}
	line := fmt.Sprintf("%s: filed %s in bookmark folders", ff.dest, fedimarks.Plural(int64(ff.filed), "bookmark"))
	if len(ff.created) > 0 {
		line += "; made " + quotedNames(ff.created)
	}
	if ff.failed > 0 {
		line += fmt.Sprintf("; %s not filed", fedimarks.Count(int64(ff.failed)))
	}
	fmt.Fprintf(ff.r.errOut, "%s (%s)\n", line, fedimarks.Plural(ff.requests, "request"))
	if len(ff.noEmoji) > 0 {
		fmt.Fprintf(ff.r.errOut, "%s refused these folders' emoji (not one of its own): made without: %s\n",
			ff.dest, cleanText(strings.Join(ff.noEmoji, ", ")))
	}
}

// sayNoFolders is the summary's line for a destination without folders.
func (ff *folderFiling) sayNoFolders() {
	names := map[string]bool{}
	for _, f := range ff.byAddr {
		names[f.Name] = true
	}
	fmt.Fprintf(ff.r.errOut, "%s has no bookmark folders: %s in %s kept as local tags (folder:NAME) only\n",
		ff.dest, fedimarks.Plural(int64(ff.rows), "bookmark"), fedimarks.Plural(int64(len(names)), "folder"))
}

// dryRun says what a dry run would do with folders.
func (ff *folderFiling) dryRun(ctx context.Context) error {
	if ff == nil {
		return nil
	}
	if err := ff.load(ctx); err != nil {
		return fmt.Errorf("read the bookmark folders of %s: %w", ff.dest, err)
	}
	if !ff.supported {
		ff.sayNoFolders()
		return nil
	}
	var missing []string
	seen := map[string]bool{}
	add := func(f fedimarks.Folder) {
		if _, ok := ff.ids[f.Name]; !ok && !seen[f.Name] {
			seen[f.Name] = true
			missing = append(missing, f.Name)
		}
	}
	if ff.only != nil {
		add(*ff.only)
	}
	for _, f := range ff.byAddr {
		add(f)
	}
	slices.Sort(missing)
	rows := ff.rows
	what := "its folder"
	if ff.only != nil {
		what = "folder " + quotedNames([]string{ff.only.Name})
	}
	line := fmt.Sprintf("%s: each bookmarked row would be filed in %s", ff.dest, what)
	if ff.only == nil {
		line = fmt.Sprintf("%s: %s would be filed in their folders", ff.dest, fedimarks.Plural(int64(rows), "row"))
	}
	if len(missing) > 0 {
		line += "; would make " + quotedNames(missing)
	}
	fmt.Fprintln(ff.r.errOut, line)
	return nil
}

func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + cleanText(n) + `"`
	}
	return strings.Join(q, ", ")
}

// foldersHelp is what the help of import and of migrate says of bookmark
// folders.
const foldersHelp = `Bookmark folders (Pleroma): a row's folder (from a fedimarks json or jsonl
export, or the archive of migrate's source) is made on a destination with
folders, by name (an existing folder of that name is used), and the row
filed there: no extra request when the row is written, one per row already
bookmarked there. Into a server without folders the folder stays a local
tag, folder:NAME.`

// folderFlag checks --folder's NAME.
func folderFlag(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name != "" && (len([]rune(name)) > 200 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f })) {
		return "", usageError("--folder: %q is not a folder name (at most 200 characters, no control characters)", cleanText(name))
	}
	return name, nil
}

// folderArg is " --folder NAME" for a resume hint, "" without --folder.
func folderArg(name string) string {
	if name == "" {
		return ""
	}
	return " --folder " + shellWord(name)
}
