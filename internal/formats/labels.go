package formats

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Local tags and notes (fedimarks.Bookmark.Tags and Note) in exports, and
// read back from fedimarks' own json, jsonl and netscape files so that they
// survive an export and import:
//
//   - json, jsonl: "tags" (array of strings) and "note" (string), each only
//     when the bookmark has them.
//   - netscape: TAGS lists the local tags, then the post's hashtags (what
//     other bookmark tools import as tags); FEDIMARKS_TAGS lists the local
//     tags alone and FEDIMARKS_NOTE holds the note: those two are read
//     back. TAGS is not: it mixes in hashtags, and so may another tool's
//     (an entry without FEDIMARKS_TAGS gets no local tags).
//   - markdown and html show them; they are not read back.

// appendLabelsJSON writes b's ,"tags":[...] and ,"note":"..." when it has
// them.
func appendLabelsJSON(buf *bytes.Buffer, b fedimarks.Bookmark) {
	if len(b.Tags) > 0 {
		tags, _ := json.Marshal(b.Tags)
		buf.WriteString(`,"tags":`)
		buf.Write(tags)
	}
	if b.Note != "" {
		note, _ := json.Marshal(b.Note)
		buf.WriteString(`,"note":`)
		buf.Write(note)
	}
	if f := b.Folder; f != nil && f.Name != "" {
		folder, _ := json.Marshal(wireFolder{Name: f.Name, Emoji: f.Emoji})
		buf.WriteString(`,"folder":`)
		buf.Write(folder)
	}
}

// wireFolder is a bookmark's folder in json and jsonl: its name and emoji
// (the server's id does not travel).
type wireFolder struct {
	Name  string `json:"name"`
	Emoji string `json:"emoji,omitempty"`
}

// readFolder checks a folder read from a file: a name of at most
// maxFolderName characters, cleaned of control characters; nil when
// absent or unusable.
func readFolder(raw json.RawMessage) *fedimarks.Folder {
	if isNull(raw) {
		return nil
	}
	var w wireFolder
	if json.Unmarshal(raw, &w) != nil {
		return nil
	}
	name := strings.TrimSpace(fedimarks.CleanText(w.Name))
	if name == "" || len([]rune(name)) > maxFolderName {
		return nil
	}
	emoji := strings.TrimSpace(fedimarks.CleanText(w.Emoji))
	if len([]rune(emoji)) > maxFolderName {
		emoji = ""
	}
	return &fedimarks.Folder{Name: name, Emoji: emoji}
}

// maxFolderName bounds a folder's name (and emoji) read from a file.
const maxFolderName = 200

// readLabels checks tags and a note read from a file, dropping tags that
// are not valid tags (a file is untrusted input) and duplicates.
func readLabels(tags []string, note string) ([]string, string) {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		if t, err := fedimarks.ParseTag(t); err == nil && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	note, err := fedimarks.CleanNote(note)
	if err != nil {
		note = ""
	}
	return out, note
}

// netscapeTags is the TAGS list of a bookmark: local tags, then hashtags
// not among them, each cleaned and without commas.
func netscapeTags(b fedimarks.Bookmark, hashtags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{b.Tags, hashtags} {
		for _, t := range list {
			t = strings.TrimSpace(strings.ReplaceAll(oneLineText(t), ",", " "))
			if t != "" && !seen[strings.ToLower(t)] {
				seen[strings.ToLower(t)] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// splitTags reads a comma-separated TAGS value.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// labelLine is how markdown and html show local tags: "Tags: a, b".
func labelLine(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	clean := make([]string, len(tags))
	for i, t := range tags {
		clean[i] = oneLineText(t)
	}
	return "Tags: " + strings.Join(clean, ", ")
}

// writeLabels writes b's local tags and note as paragraphs of its list
// item: the tags in italics, the note as a quote.
func (e *markdownEncoder) writeLabels(b fedimarks.Bookmark) {
	if l := labelLine(b.Tags); l != "" {
		e.writeBlock("*" + mdEscape(l) + "*")
	}
	if b.Note != "" {
		e.writeBlock("> Note: " + strings.ReplaceAll(mdEscapeBlock(b.Note), "\n", "\n> "))
	}
}

// wireLabels reads the tags and note of one element of our json export;
// values of another shape are ignored (a row is not invalid for its
// labels).
func wireLabels(w wireItem) ([]string, string) {
	var (
		tags []string
		note string
	)
	if !isNull(w.Tags) && json.Unmarshal(w.Tags, &tags) != nil {
		tags = nil
	}
	if !isNull(w.Note) && json.Unmarshal(w.Note, &note) != nil {
		note = ""
	}
	return readLabels(tags, note)
}
