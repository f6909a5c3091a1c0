package mastodontest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type wireFolder struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Emoji    *string `json:"emoji"`
	EmojiURL *string `json:"emoji_url"`
}

type wireFoldered struct {
	URI     string `json:"uri"`
	Pleroma *struct {
		BookmarkFolder *string `json:"bookmark_folder"`
	} `json:"pleroma"`
}

// TestPleromaFolders checks the folder API as Pleroma's source has it:
// create (422 for a taken name or a bad emoji), list, bookmark with
// folder_id in the body (an upsert: without it the folder is cleared),
// the listing by folder_id with links that keep it, the status's
// pleroma.bookmark_folder, and the instance's feature.
func TestPleromaFolders(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{Quirk: Pleroma})
	alice := i.AddAccount("alice")
	bob := i.AddAccount("bob")
	tok := alice.Token("read", "write")

	r := call(t, "POST", i.URL()+"/api/v1/pleroma/bookmark_folders", tok, url.Values{"name": {"Recipes"}, "emoji": {"🍲"}})
	var rec wireFolder
	r.json(t, &rec)
	if r.status != 200 || rec.Name != "Recipes" || rec.Emoji == nil || *rec.Emoji != "🍲" || rec.EmojiURL != nil || rec.ID == "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", i.URL()+"/api/v1/pleroma/bookmark_folders", tok, url.Values{"name": {"Recipes"}}); r.status != 422 {
		t.Errorf("same name again: %d %s, want 422", r.status, r.body)
	}
	if r := call(t, "POST", i.URL()+"/api/v1/pleroma/bookmark_folders", tok, url.Values{"name": {"X"}, "emoji": {":blobcat:"}}); r.status != 422 || r.errorMessage(t) != "Invalid emoji" {
		t.Errorf("unknown custom emoji: %d %s, want 422 Invalid emoji", r.status, r.body)
	}
	bobs := bob.CreateFolder("Recipes", "") // the same name for another account is fine
	if r := call(t, "PATCH", i.URL()+"/api/v1/pleroma/bookmark_folders/"+bobs, tok, url.Values{"name": {"Mine"}}); r.status != 403 {
		t.Errorf("rename another's folder: %d, want 403", r.status)
	}
	var list []wireFolder
	call(t, "GET", i.URL()+"/api/v1/pleroma/bookmark_folders", tok, nil).json(t, &list)
	if len(list) != 1 || list[0].ID != rec.ID {
		t.Fatalf("list: %+v", list)
	}

	var posts []*Status
	for k := 0; k < 45; k++ {
		posts = append(posts, bob.Post(PostOptions{}))
	}
	for k, p := range posts {
		form := url.Values{}
		if k%2 == 0 {
			form.Set("folder_id", rec.ID)
		}
		if r := call(t, "POST", i.URL()+"/api/v1/statuses/"+p.ID()+"/bookmark", tok, form); r.status != 200 {
			t.Fatalf("bookmark: %d %s", r.status, r.body)
		}
	}
	// folder_id in the query string is not read.
	if r := call(t, "POST", i.URL()+"/api/v1/statuses/"+posts[1].ID()+"/bookmark?folder_id="+rec.ID, tok, url.Values{}); r.status != 200 {
		t.Fatal(r.status)
	}
	// A folder that is not the account's files in none.
	call(t, "POST", i.URL()+"/api/v1/statuses/"+posts[3].ID()+"/bookmark", tok, url.Values{"folder_id": {bobs}})
	// Bookmarking again without folder_id takes it out of its folder.
	call(t, "POST", i.URL()+"/api/v1/statuses/"+posts[44].ID()+"/bookmark", tok, url.Values{})

	var st wireFoldered
	call(t, "GET", i.URL()+"/api/v1/statuses/"+posts[0].ID(), tok, nil).json(t, &st)
	if st.Pleroma == nil || st.Pleroma.BookmarkFolder == nil || *st.Pleroma.BookmarkFolder != rec.ID {
		t.Errorf("status in a folder: pleroma = %+v", st.Pleroma)
	}
	call(t, "GET", i.URL()+"/api/v1/statuses/"+posts[1].ID(), tok, nil).json(t, &st)
	if st.Pleroma == nil || st.Pleroma.BookmarkFolder != nil {
		t.Errorf("status in no folder: pleroma = %+v", st.Pleroma)
	}

	// The folder's listing: 22 bookmarks (0, 2, ..., 42), pages of 20 and
	// 2 then an empty one, each link keeping folder_id.
	var got []string
	u := i.URL() + "/api/v1/bookmarks?limit=20&folder_id=" + rec.ID
	requests := 0
	for u != "" {
		r := call(t, "GET", u, tok, nil)
		requests++
		var page []wireFoldered
		r.json(t, &page)
		for _, s := range page {
			got = append(got, s.URI)
		}
		next := nextLink(r.header)
		if len(page) > 0 && (next == "" || !strings.Contains(next, "folder_id="+rec.ID) || prevLink(r.header) == "") {
			t.Fatalf("non-empty page's Link %q: want next and prev keeping folder_id", r.header.Get("Link"))
		}
		if len(page) == 0 && r.header.Get("Link") != "" {
			t.Fatalf("empty page has Link %q", r.header.Get("Link"))
		}
		u = next
	}
	var want []string
	for k := 42; k >= 0; k -= 2 {
		want = append(want, posts[k].URI())
	}
	if !slices.Equal(got, want) || requests != 3 {
		t.Errorf("folder listing: %d bookmarks in %d requests, want %d in 3", len(got), requests, len(want))
	}
	if m := alice.FolderMembers(); len(m["Recipes"]) != 22 || len(m[""]) != 23 {
		t.Errorf("FolderMembers: %d in Recipes, %d in none", len(m["Recipes"]), len(m[""]))
	}

	// Deleting the folder keeps its bookmarks, in no folder.
	if r := call(t, "DELETE", i.URL()+"/api/v1/pleroma/bookmark_folders/"+rec.ID, tok, nil); r.status != 200 {
		t.Fatalf("delete: %d", r.status)
	}
	if m := alice.FolderMembers(); len(m[""]) != 45 {
		t.Errorf("after delete: %d bookmarks in none, want 45", len(m[""]))
	}

	r = call(t, "GET", i.URL()+"/api/v1/instance", "", nil)
	if !strings.Contains(string(r.body), `"pleroma:bookmark_folders"`) || !strings.Contains(string(r.body), "(compatible; Pleroma") {
		t.Errorf("instance: %s", r.body)
	}
}

// TestNoFoldersElsewhere checks that a Mastodon instance has no folder
// API and shows no pleroma field.
func TestNoFoldersElsewhere(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	alice := i.AddAccount("alice")
	tok := alice.Token()
	if r := call(t, "GET", i.URL()+"/api/v1/pleroma/bookmark_folders", tok, nil); r.status != http.StatusNotFound {
		t.Errorf("Mastodon folders: %d, want 404", r.status)
	}
	p := alice.Post(PostOptions{})
	r := call(t, "GET", i.URL()+"/api/v1/statuses/"+p.ID(), tok, nil)
	if strings.Contains(string(r.body), `"pleroma"`) {
		t.Errorf("Mastodon status has a pleroma field: %s", r.body)
	}
	if r := call(t, "GET", i.URL()+"/api/v1/instance", "", nil); strings.Contains(string(r.body), "pleroma") {
		t.Errorf("Mastodon instance mentions pleroma: %s", r.body)
	}
}
