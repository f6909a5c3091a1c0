package formats

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Misskey's own favorites export (Settings > Import and export >
// Favorites: favorites-YYYY-MM-DD-HH-mm-ss.json, written by its
// ExportFavoritesProcessorService) is a JSON array, oldest favorite first
// (by favorite id), of
//
//	{"id": "9x...", "createdAt": "2024-...Z",
//	 "note": {"id", "text", "createdAt", "fileIds", "replyId", "renoteId",
//	          "poll", "cw", "visibility", "visibleUserIds", "localOnly",
//	          "reactionAcceptance", "uri", "url",
//	          "user": {"id", "name", "username", "host", "uri"}}}
//
// A note of another server carries its ActivityPub id in "uri"; a note of
// the exporting server itself has "uri" null and "user.host" null, and
// nothing in the file names that server: such a row needs the server
// given (ReadOptions.MisskeyServer), where its id is
// https://SERVER/notes/ID.

// misskeyFavorite is one element of Misskey's favorites export.
type misskeyFavorite struct {
	ID        string          `json:"id"`
	CreatedAt string          `json:"createdAt"`
	Note      json.RawMessage `json:"note"`
}

// misskeyNote holds the fields of an exported note that an import uses.
type misskeyNote struct {
	ID         string  `json:"id"`
	URI        *string `json:"uri"`
	URL        *string `json:"url"`
	CreatedAt  string  `json:"createdAt"`
	Visibility string  `json:"visibility"`
	User       struct {
		Username string  `json:"username"`
		Host     *string `json:"host"`
		URI      *string `json:"uri"`
	} `json:"user"`
}

// isMisskeyFavorite reports whether a JSON array element is a favorite of
// Misskey's export: an object whose "note" is an object (a fedimarks
// export's "note" is a string, and it has a "status").
func isMisskeyFavorite(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var probe struct {
		Note   json.RawMessage `json:"note"`
		Status json.RawMessage `json:"status"`
	}
	if json.Unmarshal(raw, &probe) != nil || !isNull(probe.Status) {
		return false
	}
	n := bytes.TrimSpace(probe.Note)
	return len(n) > 0 && n[0] == '{'
}

// misskeyVisibility maps a Misskey note's visibility to the Mastodon
// terms the import speaks: home is unlisted, followers is private (a
// follow first), specified is direct.
func misskeyVisibility(v string) string {
	switch v {
	case "public":
		return "public"
	case "home":
		return "unlisted"
	case "followers":
		return "private"
	case "specified":
		return "direct"
	}
	return ""
}

// misskeyLocalNote is the Invalid reason of a note of the exporting server
// read without that server given.
const misskeyLocalNote = "a note of the Misskey server this file was exported from: the file does not name that server; " +
	"give it with --from-server https://HOST"

// misskeyItem turns one favorite of Misskey's export into an ImportItem.
// server is the exporting server's base URL ("" unknown), for its own
// notes, which the file lists without an address.
func misskeyItem(raw []byte, src, server string) fedimarks.ImportItem {
	it := fedimarks.ImportItem{Source: src}
	var f misskeyFavorite
	if err := json.Unmarshal(raw, &f); err != nil {
		it.Invalid = "not a Misskey favorite: " + jsonErr(err)
		return it
	}
	var n misskeyNote
	if err := json.Unmarshal(f.Note, &n); err != nil {
		it.Invalid = "not a Misskey note: " + jsonErr(err)
		return it
	}
	if n.URI != nil {
		it.URI = strings.TrimSpace(*n.URI)
	}
	if n.URL != nil && fedimarks.WebURL(*n.URL) != "" && *n.URL != it.URI {
		it.URL = *n.URL
	}
	if n.User.URI != nil && fedimarks.WebURL(*n.User.URI) != "" {
		it.AuthorURL = *n.User.URI
	}
	if t, err := time.Parse(time.RFC3339Nano, n.CreatedAt); err == nil {
		it.CreatedAt = t.UTC()
	}
	it.Visibility = misskeyVisibility(n.Visibility)
	if it.URI != "" {
		return it
	}
	local := n.User.Host == nil || *n.User.Host == ""
	switch {
	case !local:
		it.Invalid = `the note of a remote user has no "uri"`
	case strings.TrimSpace(n.ID) == "" || strings.ContainsAny(n.ID, "/?#% \t\r\n"):
		it.Invalid = `the note has no usable "id"`
	case server == "":
		it.Invalid = misskeyLocalNote
	default:
		base := strings.TrimRight(server, "/")
		it.URI = base + "/notes/" + n.ID
		if n.User.Username != "" && it.AuthorURL == "" {
			it.AuthorURL = base + "/@" + n.User.Username
		}
	}
	return it
}

// ReadOptions says what a file cannot say of itself.
type ReadOptions struct {
	// MisskeyServer is the base URL of the Misskey server a favorites
	// export came from ("https://misskey.example"): its own notes are
	// listed there without an address. Unset, they are invalid rows that
	// say so.
	MisskeyServer string
}

// ReadFileWith is ReadFile with options.
func ReadFileWith(ctx context.Context, path string, opts ReadOptions) (Result, error) {
	return opts.ReadFile(ctx, path)
}

// ReadFile is the package's ReadFile with these options.
func (o ReadOptions) ReadFile(ctx context.Context, path string) (Result, error) {
	return ReadFile(o.with(ctx), path)
}

// ReadFileRows is the package's ReadFileRows with these options.
func (o ReadOptions) ReadFileRows(ctx context.Context, path string) (Result, error) {
	return ReadFileRows(o.with(ctx), path)
}

func (o ReadOptions) with(ctx context.Context) context.Context {
	if o.MisskeyServer != "" {
		ctx = context.WithValue(ctx, misskeyServerKey{}, o.MisskeyServer)
	}
	return ctx
}

// misskeyServerKey carries ReadOptions.MisskeyServer to the JSON reader,
// through the archive readers that may nest it (a gzipped export).
type misskeyServerKey struct{}

func misskeyServerOf(ctx context.Context) string {
	s, _ := ctx.Value(misskeyServerKey{}).(string)
	return s
}
