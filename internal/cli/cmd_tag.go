package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// Local tags and notes: `fedimarks tag`, `fedimarks note`, `fedimarks tags`.
// They live in the archive only (keyed by account and post URI, so a full
// backup or a removal keeps them) and are never sent to a server.

const postHelp = `POST is the post's address (its URI or web URL) or a search (as
fedimarks search reads it) that matches exactly one of ACCOUNT's archived
bookmarks; when a search matches several, they are listed and nothing
changes (exit 2).`

func tagCommand() command {
	return command{
		name:    "tag",
		summary: "add or remove local tags of bookmarks",
		usage: `Usage: fedimarks tag POST +TAG... -TAG... [--account ACCOUNT]
       fedimarks tag --all-matching QUERY +TAG... -TAG... [--account ACCOUNT]

Adds (+TAG) and removes (-TAG) tags of an archived bookmark. Tags are
local: kept in the archive, never sent to a server; a later backup, even
--full, and a removal on the server keep them. A tag is one word of
letters, digits and - _ . : / (a leading # is dropped), compared without
case. ` + postHelp + `
--all-matching QUERY changes every bookmark the search matches.
Search them back with tag:NAME or -tag:NAME; fedimarks tags lists them.

  fedimarks tag https://example.social/@alice/1234 +recipes +later
  fedimarks tag '"plum cake" from:alice@example.social' -later
  fedimarks tag --all-matching 'from:chef@cooking.example' +recipes

` + localExitCodes + "\n",
		run: runTagCommand,
	}
}

func noteCommand() command {
	return command{
		name:    "note",
		summary: "write or clear the local note of a bookmark",
		usage: `Usage: fedimarks note POST TEXT [--account ACCOUNT]
       fedimarks note POST --clear [--account ACCOUNT]

Sets the note of an archived bookmark: local, like tags (never sent to a
server), searched with the post's text and found by has:note. An empty
TEXT or --clear removes it.
` + postHelp + `

  fedimarks note https://example.social/@alice/1234 "try with less sugar"

` + localExitCodes + "\n",
		run: runNoteCommand,
	}
}

func tagsCommand() command {
	return command{
		name:    "tags",
		summary: "list the local tags with how many bookmarks carry each",
		usage: `Usage: fedimarks tags [--account ACCOUNT]

Lists ACCOUNT's local tags, most used first: the count, a tab, the tag.
The count includes posts an import tagged that no backup has archived yet.

` + localExitCodes + "\n",
		run: runTagsCommand,
	}
}

// tagFlagNames are the options tag takes: any other argument with one
// leading minus is a tag to remove.
var tagFlagNames = map[string]bool{"account": true, "all-matching": true, "q": true, "quiet": true, "h": true, "help": true}

// labelAccount is whose labels tag, note and tags read or change: the
// account --account names (any part of its handle; "" for the default),
// as the chooser decides, among the archived ones.
type labelAccount struct {
	name    string // --account
	archive archiveFunc
	choose  chooseFunc
}

// labelAccountOf is the labelAccount of a's command for --account name.
func labelAccountOf(a *app, name string) labelAccount {
	return labelAccount{name: name, archive: a.openArchive, choose: a.chooseAccount}
}

// open chooses the account and opens the archive.
func (l labelAccount) open(ctx context.Context) (*sqlite.Archive, fedimarks.Handle, error) {
	acc, err := l.choose(ctx, accountQuery{name: l.name, flag: "--account", need: archived})
	if err != nil {
		return nil, "", err
	}
	ar, err := l.archive(ctx)
	return ar, acc.Handle, err
}

// tagOptions are tag's: which bookmarks (post, or all matching a
// search), the tags to add and remove, and where it says what it did.
type tagOptions struct {
	labelAccount
	post        string // POST: an address or a search matching one bookmark
	allMatching string // --all-matching QUERY
	add, remove []string
	errOut      io.Writer
}

func runTagCommand(ctx context.Context, a *app, args []string) error {
	o := tagOptions{}
	add, remove, rest, err := splitTagArgs(args)
	if err != nil {
		return err
	}
	var account string
	fs := newFlags(a.cmd)
	fs.StringVar(&account, "account", "", "tag the bookmarks of `ACCOUNT` (user@host)")
	fs.StringVar(&o.allMatching, "all-matching", "", "tag every bookmark that `QUERY` matches")
	pos, err := a.parseFlags(fs, rest)
	if err != nil {
		return err
	}
	if len(add)+len(remove) == 0 {
		return usageError("tag needs +TAG to add or -TAG to remove, e.g. fedimarks tag POST +recipes")
	}
	for _, t := range add {
		if slices.Contains(remove, t) {
			return usageError("tag %s is both added and removed", t)
		}
	}
	o.labelAccount, o.add, o.remove, o.post, o.errOut = labelAccountOf(a, account), add, remove, strings.Join(pos, " "), a.stderr
	return runTag(ctx, o)
}

// splitTagArgs takes tag's +TAG and -TAG arguments out of args: rest is
// the options and the POST.
func splitTagArgs(args []string) (add, remove, rest []string, err error) {
	for i, arg := range args {
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case strings.HasPrefix(arg, "+") && len(arg) > 1:
			t, err := fedimarks.ParseTag(arg[1:])
			if err != nil {
				return nil, nil, nil, err
			}
			add = append(add, t)
		case strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "--") && len(arg) > 1 && !tagFlagNames[name]:
			t, err := fedimarks.ParseTag(arg[1:])
			if err != nil {
				return nil, nil, nil, err
			}
			remove = append(remove, t)
		default:
			rest = append(rest, arg)
		}
	}
	return add, remove, rest, nil
}

// runTag changes the tags of the bookmarks o names and says how many.
func runTag(ctx context.Context, o tagOptions) error {
	ar, h, err := o.open(ctx)
	if err != nil {
		return err
	}
	uris, err := o.bookmarks(ctx, ar, h)
	if err != nil {
		return err
	}
	for _, u := range uris {
		if err := ar.EditTags(ctx, h, u, o.add, o.remove); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.errOut, "%s: %s tagged (%s).\n", h, fedimarks.Plural(len(uris), "bookmark"), tagChange(o.add, o.remove))
	return nil
}

// bookmarks are the URIs of the bookmarks of h that tag changes.
func (o tagOptions) bookmarks(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle) ([]string, error) {
	switch {
	case o.allMatching != "" && o.post != "":
		return nil, usageError("give either POST or --all-matching QUERY, not both")
	case o.allMatching != "":
		return matchingURIs(ctx, ar, h, o.allMatching, 0)
	case o.post == "":
		return nil, usageError("tag needs a POST (its address, or a search matching one bookmark) or --all-matching QUERY")
	}
	u, err := onePost(ctx, o.errOut, ar, h, o.post)
	if err != nil {
		return nil, err
	}
	return []string{u}, nil
}

// tagChange is "+a +b -c".
func tagChange(add, remove []string) string {
	var parts []string
	for _, t := range add {
		parts = append(parts, "+"+t)
	}
	for _, t := range remove {
		parts = append(parts, "-"+t)
	}
	return strings.Join(parts, " ")
}

// noteOptions are note's: the bookmark, its new note ("" removes it),
// and where it says what it did.
type noteOptions struct {
	labelAccount
	post, text string
	errOut     io.Writer
}

func runNoteCommand(ctx context.Context, a *app, args []string) error {
	var (
		account string
		clear   bool
	)
	fs := newFlags(a.cmd)
	fs.StringVar(&account, "account", "", "note a bookmark of `ACCOUNT` (user@host)")
	fs.BoolVar(&clear, "clear", false, "remove the note")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	var text string
	switch {
	case len(pos) == 1 && clear:
	case len(pos) == 2 && !clear:
		text = pos[1]
	default:
		return usageError(`note needs POST and TEXT ("quoted"), or POST --clear`)
	}
	if text, err = fedimarks.CleanNote(text); err != nil {
		return err
	}
	return runNote(ctx, noteOptions{labelAccount: labelAccountOf(a, account), post: pos[0], text: text, errOut: a.stderr})
}

// runNote sets (or removes) the note of the bookmark o names.
func runNote(ctx context.Context, o noteOptions) error {
	ar, h, err := o.open(ctx)
	if err != nil {
		return err
	}
	u, err := onePost(ctx, o.errOut, ar, h, o.post)
	if err != nil {
		return err
	}
	if err := ar.SetNote(ctx, h, u, o.text); err != nil {
		return err
	}
	if o.text == "" {
		fmt.Fprintf(o.errOut, "%s: note removed from %s.\n", h, fedimarks.CleanText(u))
	} else {
		fmt.Fprintf(o.errOut, "%s: note saved on %s.\n", h, fedimarks.CleanText(u))
	}
	return nil
}

// tagsOptions are tags': whose tags, listed on out.
type tagsOptions struct {
	labelAccount
	out, errOut io.Writer
}

func runTagsCommand(ctx context.Context, a *app, args []string) error {
	var account string
	fs := newFlags(a.cmd)
	fs.StringVar(&account, "account", "", "list the tags of `ACCOUNT` (user@host)")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("tags takes no arguments, got %q", pos[0])
	}
	return runTags(ctx, tagsOptions{labelAccount: labelAccountOf(a, account), out: a.stdout, errOut: a.stderr})
}

// runTags lists the account's tags, most used first.
func runTags(ctx context.Context, o tagsOptions) error {
	ar, h, err := o.open(ctx)
	if err != nil {
		return err
	}
	counts, err := ar.TagCounts(ctx, h)
	if err != nil {
		return err
	}
	for _, c := range counts {
		fmt.Fprintf(o.out, "%d\t%s\n", c.Count, c.Tag)
	}
	if len(counts) == 0 {
		fmt.Fprintf(o.errOut, "%s has no tags yet (fedimarks tag POST +NAME adds one).\n", h)
	}
	return nil
}

// maxListed bounds the matches an ambiguous POST lists.
const maxListed = 10

// onePost finds the one bookmark of h that ref names: by address first,
// else as a search. None or several is an EInvalid error (exit 2), the
// matches listed on stderr.
func onePost(ctx context.Context, errOut io.Writer, ar *sqlite.Archive, h fedimarks.Handle, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if strings.Contains(ref, "://") && !strings.ContainsAny(ref, " \t") {
		uris, err := ar.BookmarkURIs(ctx, h, ref)
		if err != nil {
			return "", err
		}
		if len(uris) == 1 {
			return uris[0], nil
		}
		if len(uris) == 0 {
			return "", &fedimarks.Error{Code: fedimarks.EInvalid,
				Message: fmt.Sprintf("%s is not among the archived bookmarks of %s", fedimarks.CleanText(ref), h),
				Hint:    "run fedimarks backup first, or give a search: fedimarks search WORDS finds it"}
		}
	}
	uris, err := matchingURIs(ctx, ar, h, ref, maxListed+1)
	if err != nil {
		return "", err
	}
	switch len(uris) {
	case 1:
		return uris[0], nil
	case 0:
		return "", &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("no archived bookmark of %s matches %q", h, fedimarks.CleanText(ref)),
			Hint:    "check with fedimarks search"}
	}
	fmt.Fprintf(errOut, "%q matches more than one bookmark of %s:\n", fedimarks.CleanText(ref), h)
	for i, u := range uris {
		if i == maxListed {
			fmt.Fprintln(errOut, "  …")
			break
		}
		fmt.Fprintf(errOut, "  %s\n", fedimarks.CleanText(u))
	}
	return "", &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: "the post is ambiguous: nothing changed",
		Hint:    "give one of the addresses above, a narrower search, or --all-matching (tag)"}
}

// matchingURIs returns the URIs of h's bookmarks (removed ones included)
// that the search query matches, at most limit (0: all).
func matchingURIs(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle, query string, limit int) ([]string, error) {
	q, err := fedimarks.ParseQuery(query)
	if err != nil {
		return nil, err
	}
	q.Account, q.Limit, q.IncludeRemoved = h, limit, true
	hits, err := ar.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	uris := make([]string, len(hits))
	for i, hit := range hits {
		uris[i] = hit.Bookmark.Status.URI
	}
	return uris, nil
}
