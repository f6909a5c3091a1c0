package formats_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
)

func ExampleLookup() {
	f, _ := formats.Lookup("mastodon")
	enc := f.New(os.Stdout, formats.Meta{Account: "me@example.social"})
	for _, raw := range []string{
		`{"id":"2","uri":"https://b.example/users/bo/statuses/2"}`,
		`{"id":"1","uri":"https://a.example/users/ann/statuses/1"}`,
	} {
		s, _ := fedimarks.ParseStatus([]byte(raw))
		enc.Encode(fedimarks.Bookmark{Account: "me@example.social", Status: s})
	}
	enc.Close()
	// Output:
	// https://b.example/users/bo/statuses/2
	// https://a.example/users/ann/statuses/1
}

func ExampleRead() {
	res, err := formats.Read(context.Background(), "bookmarks.csv", strings.NewReader("#uri\r\nhttps://b.example/@bo/2\r\nnot a url\r\nhttps://a.example/@ann/1\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Format)
	for _, it := range res.Items {
		fmt.Println(strings.TrimSpace(fmt.Sprintln(it.Order, it.Source, it.URI, it.Invalid)))
	}
	for _, p := range res.Problems {
		fmt.Println(p)
	}
	// Output:
	// mastodon
	// 2 bookmarks.csv:2 https://b.example/@bo/2
	// 1 bookmarks.csv:3 not a url "not a url" is not an http(s) URL
	// 0 bookmarks.csv:4 https://a.example/@ann/1
	// bookmarks.csv:3: "not a url" is not an http(s) URL
}
