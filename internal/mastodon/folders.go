package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fedimarks/fedimarks"
)

// Bookmark folders are Pleroma's (2.7 and later; Akkoma has none): see
// internal/mastodontest/folders.go for the API as Pleroma's source has
// it. A status shows its bookmark's folder as the folder's id in
// pleroma.bookmark_folder.

// ErrNoFolders is returned by Folders when the server has no bookmark
// folders (it answers 404 to their listing).
var ErrNoFolders = errors.New("the server has no bookmark folders")

// Folders lists the account's bookmark folders
// (GET /api/v1/pleroma/bookmark_folders, read:bookmarks): one request.
// A server without folders makes it ErrNoFolders.
func (c *Client) Folders(ctx context.Context) ([]fedimarks.Folder, error) {
	var w []struct {
		ID    json.RawMessage `json:"id"`
		Name  string          `json:"name"`
		Emoji *string         `json:"emoji"`
	}
	r := &call{method: http.MethodGet, url: c.apiURL("/api/v1/pleroma/bookmark_folders"), kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &w); err != nil {
		if IsStatus(err, http.StatusNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrNoFolders, err)
		}
		return nil, err
	}
	out := make([]fedimarks.Folder, 0, len(w))
	for _, f := range w {
		id := fedimarks.IDString(f.ID)
		if id == "" {
			continue
		}
		fo := fedimarks.Folder{ID: id, Name: f.Name}
		if f.Emoji != nil {
			fo.Emoji = *f.Emoji
		}
		out = append(out, fo)
	}
	return out, nil
}

// CreateFolder makes a bookmark folder (POST
// /api/v1/pleroma/bookmark_folders, write:bookmarks). The server answers
// 422 for a name the account has already and for an emoji it does not
// know. Not retried once sent: a second folder must not be made.
func (c *Client) CreateFolder(ctx context.Context, name, emoji string) (fedimarks.Folder, error) {
	body := map[string]string{"name": name}
	if emoji != "" {
		body["emoji"] = emoji
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fedimarks.Folder{}, err
	}
	var w struct {
		ID    json.RawMessage `json:"id"`
		Name  string          `json:"name"`
		Emoji *string         `json:"emoji"`
	}
	r := &call{method: http.MethodPost, url: c.apiURL("/api/v1/pleroma/bookmark_folders"), body: b, ctype: "application/json", kind: kindAPI}
	if _, err := c.getJSON(ctx, r, &w); err != nil {
		return fedimarks.Folder{}, err
	}
	f := fedimarks.Folder{ID: fedimarks.IDString(w.ID), Name: w.Name}
	if w.Emoji != nil {
		f.Emoji = *w.Emoji
	}
	if f.ID == "" {
		return fedimarks.Folder{}, fmt.Errorf("create folder %q: the answer has no id", name)
	}
	return f, nil
}

// BookmarkIn bookmarks a post by its id on this server in the folder
// folderID (POST /api/v1/statuses/:id/bookmark with folder_id in the JSON
// body). On Pleroma this also moves a post already bookmarked into the
// folder; a folder that is not the account's files it in none. Safe to
// repeat, so retried like a read.
func (c *Client) BookmarkIn(ctx context.Context, id, folderID string) (fedimarks.Status, error) {
	b, err := json.Marshal(map[string]string{"folder_id": folderID})
	if err != nil {
		return fedimarks.Status{}, err
	}
	var raw json.RawMessage
	r := &call{method: http.MethodPost, url: c.apiURL("/api/v1/statuses/" + url.PathEscape(id) + "/bookmark"),
		body: b, ctype: "application/json", kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &raw); err != nil {
		return fedimarks.Status{}, err
	}
	st, err := fedimarks.ParseStatus(raw)
	if err != nil {
		return fedimarks.Status{}, errorf(http.MethodPost, r.path(), err)
	}
	return st, nil
}

// FolderPage is the address of the first page of the bookmarks in the
// folder folderID (GET /api/v1/bookmarks?folder_id=...), for BookmarksPage.
func (c *Client) FolderPage(folderID string) string {
	return c.apiURL(bookmarksPath + "&folder_id=" + url.QueryEscape(folderID))
}

// BookmarkFolderOf returns the folder id a status's JSON shows for its
// bookmark (pleroma.bookmark_folder), "" when none or not said.
func BookmarkFolderOf(raw json.RawMessage) string {
	var w struct {
		Pleroma struct {
			BookmarkFolder json.RawMessage `json:"bookmark_folder"`
		} `json:"pleroma"`
	}
	if json.Unmarshal(raw, &w) != nil {
		return ""
	}
	return fedimarks.IDString(w.Pleroma.BookmarkFolder)
}
