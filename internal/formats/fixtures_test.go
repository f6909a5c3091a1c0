package formats

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// nastyStatuses are raw Status objects as servers send them, full of what
// breaks writers: quotes, commas, line breaks, emoji, right-to-left text,
// entities, and XSS payloads in every field a writer shows.
var nastyStatuses = []string{
	// 0: a local post: quotes, commas, a line break, emoji, entities.
	`{"id":"112233445566778899","created_at":"2024-03-01T12:30:45.123Z","in_reply_to_id":null,"sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://example.social/users/alice/statuses/112233445566778899","url":"https://example.social/@alice/112233445566778899","content":"<p>Hello \"world\", it's me 🎉<br>second line &amp; more, &lt;b&gt;not bold&lt;/b&gt;</p><p>See <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener\" target=\"_blank\"><span class=\"invisible\">https://</span><span class=\"\">example.org/a?b=1&amp;c=2</span><span class=\"invisible\"></span></a></p>","account":{"id":"1","username":"alice","acct":"alice","display_name":"Alice \"Al\", Smith 🐱","url":"https://example.social/@alice","avatar":"https://example.social/a.png"},"media_attachments":[],"tags":[],"emojis":[],"reblog":null}`,
	// 1: XSS everywhere.
	`{"id":"112233445566778800","created_at":"2024-02-29T08:00:00.000Z","sensitive":true,"spoiler_text":"</details><script>alert('cw')</script>","visibility":"unlisted","language":"en\" onload=\"x","uri":"https://evil.example/users/mallory/statuses/1","url":"javascript:alert('url')","content":"<p>hi<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\" onclick=\"alert(4)\">click</a> <iframe src=\"https://evil.example/\"></iframe><a href=\"https://evil.example/tags/xss\" class=\"mention hashtag\" rel=\"tag\">#<span>xss</span></a></p>","account":{"id":"666","username":"mallory","acct":"mallory@evil.example","display_name":"<script>alert(\"name\")</script><img src=x onerror=alert(5)>","url":"javascript:alert('profile')"},"media_attachments":[{"id":"9","type":"image","url":"javascript:alert('media')","preview_url":null,"remote_url":"https://evil.example/m.png\" onerror=\"alert(6)","description":"<img src=x onerror=alert(7)>"}],"tags":[{"name":"xss"},{"name":"a,b\"c<d>"}],"reblog":null}`,
	// 2: right-to-left text with a content warning.
	`{"id":"112233445566778700","created_at":"2024-02-10T20:15:00.000Z","sensitive":false,"spoiler_text":"سياسة","visibility":"public","language":"ar","uri":"https://rtl.example/users/noor/statuses/42","url":"https://rtl.example/@noor/42","content":"<p>مرحبا بالعالم! שלום עולם, hello.</p>","account":{"id":"77","username":"noor","acct":"noor@rtl.example","display_name":"نور","url":"https://rtl.example/@noor"},"media_attachments":[],"tags":[],"reblog":null}`,
	// 3: a boost of a post that tries Markdown injection, with media.
	`{"id":"112233445566778600","created_at":"2024-02-01T00:00:00.000Z","sensitive":false,"spoiler_text":"","visibility":"public","language":null,"uri":"https://example.social/users/bob/statuses/112233445566778600/activity","url":null,"content":"","account":{"id":"2","username":"bob","acct":"bob","display_name":"Bob","url":"https://example.social/@bob"},"media_attachments":[],"tags":[],"reblog":{"id":"5000","created_at":"2023-12-31T23:59:59.000Z","sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://md.example/notes/9ab","url":"https://md.example/notes/9ab","content":"<p>[click](javascript:alert(1)) ![img](https://md.example/x.png)<br># heading<br>- item<br>1. first<br>    code? &lt;script&gt;x&lt;/script&gt; *star* _under_ \u0060tick\u0060 | pipe ~tilde~ &amp;amp;</p>","account":{"id":"3","username":"md","acct":"md@md.example","display_name":"Mark [Down](https://evil)","url":"https://md.example/@md"},"media_attachments":[{"id":"10","type":"image","url":"https://example.social/media/1.png","preview_url":"https://example.social/media/1s.png","remote_url":"https://md.example/1.png","description":"a cat,\n\"sleeping\""},{"id":"11","type":"video","url":"https://example.social/media/2.mp4","description":null}],"tags":[{"name":"markdown"},{"name":"test"}],"reblog":null}}`,
	// 4: a numeric id (Pixelfed, Akkoma), no url, no language.
	`{"id":4242,"created_at":"2023-06-15T09:00:00Z","sensitive":false,"spoiler_text":"","visibility":"private","uri":"https://pix.example/p/kim/4242","url":null,"content":"<p>Followers only, one line.</p>","account":{"id":99,"username":"kim","acct":"kim@pix.example","display_name":"","url":"https://pix.example/kim"},"media_attachments":[],"tags":[],"reblog":null}`,
}

// nastyBookmarks parses nastyStatuses into bookmarks, newest bookmark
// first, as an archive hands them to a writer.
func nastyBookmarks(t testing.TB) []fedimarks.Bookmark {
	t.Helper()
	first := time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC)
	removed := time.Date(2024, 3, 5, 7, 0, 0, 0, time.UTC)
	var out []fedimarks.Bookmark
	for i, raw := range nastyStatuses {
		s, err := fedimarks.ParseStatus([]byte(raw))
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		b := fedimarks.Bookmark{
			Account:   "me@example.social",
			Status:    s,
			FirstSeen: first.Add(-time.Duration(i) * time.Hour),
			LastSeen:  first.Add(48 * time.Hour),
		}
		if i == 4 {
			b.RemovedAt = &removed
		}
		out = append(out, b)
	}
	return out
}

// testMeta is the header data of golden exports.
var testMeta = Meta{Account: "me@example.social", Generated: time.Date(2024, 3, 7, 18, 0, 0, 0, time.UTC)}

func jsonCompact(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }
