package fedimarks

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Folder is a bookmark folder, as Pleroma (2.7+) keeps them: a name,
// unique among one account's folders, and an optional emoji (a Unicode
// emoji, or the shortcode of one of the server's custom emoji). ID is the
// folder's id on the server it was read from ("" when it came from a
// file): ids do not travel between servers, names do.
type Folder struct {
	ID, Name, Emoji string
}

// FolderChanges is what a reading of an account's folders changed in the
// archive: Filed bookmarks are newly in a folder or moved to another;
// Renamed ones are in a folder whose name changed (their folder tag with
// it); Unfiled ones left their folder.
type FolderChanges struct {
	Filed, Renamed, Unfiled int
}

// Changed reports whether anything changed.
func (c FolderChanges) Changed() bool { return c.Filed+c.Renamed+c.Unfiled > 0 }

// FolderTagPrefix starts the local tag that mirrors a bookmark's folder.
const FolderTagPrefix = "folder:"

// FolderTag is the local tag that mirrors the folder named name: "folder:"
// and the name in lower case, with each run of characters a tag cannot
// hold (spaces, commas, emoji) made one "-": "Recipes & Food" is
// "folder:recipes-food". A name with nothing a tag can hold gets a short
// hash of the name instead, so two such folders get two tags.
func FolderTag(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune("_.", r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := b.String()
	if slug == "" {
		h := fnv.New32a()
		h.Write([]byte(name))
		slug = fmt.Sprintf("%08x", h.Sum32())
	}
	max := MaxTagLen - utf8.RuneCountInString(FolderTagPrefix)
	if r := []rune(slug); len(r) > max {
		slug = string(r[:max])
	}
	return FolderTagPrefix + slug
}
