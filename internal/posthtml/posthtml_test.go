package posthtml

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"line breaks", "<p>a<br>b<br/>c</p>", "a\nb\nc"},
		{"entities", "<p>Tom &amp; Jerry &lt;3 &quot;x&quot; &#39;y&#39;</p>", `Tom & Jerry <3 "x" 'y'`},
		{"mention", `<p><span class="h-card"><a href="https://h.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi</p>`, "@bob hi"},
		{"hashtag", `<p><a href="https://h.example/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a></p>`, "#go"},
		{"shortened link", `<p><a href="https://example.com/a/very/long/path" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>`, "https://example.com/a/very/long/path"},
		{"ellipsis link", `<a href="https://example.com/abcdef">example.com/abc…</a>`, "https://example.com/abcdef"},
		{"titled link", `<a href="https://example.com/x">read this</a>`, "read this (https://example.com/x)"},
		{"short word that starts the host", `see <a href="https://github.com/foo/bar">git</a> docs`, "see git (https://github.com/foo/bar) docs"},
		{"word that is the host's first label", `<a href="https://ok.example">ok</a>`, "ok (https://ok.example)"},
		{"host written out", `<a href="https://github.com/foo/bar">github.com</a>`, "https://github.com/foo/bar"},
		{"www host written out", `<a href="https://www.example.com/a/b">example.com/a…</a>`, "https://www.example.com/a/b"},
		{"url text of another host", `<a href="https://evil.example/x">example.com</a>`, "example.com (https://evil.example/x)"},
		{"marked shortened without host in text", `<a href="https://example.com/longpath"><span class="invisible">https://example.com/</span><span class="ellipsis">long</span><span class="invisible">path</span></a>`, "https://example.com/longpath"},
		{"text without dot or slash that prefixes the path", `<a href="https://e.x/">e</a>`, "e (https://e.x/)"},
		{"js link keeps text only", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"script dropped", `<p>a<script>alert(1)</script>b</p>`, "ab"},
		{"list", `<ul><li>one</li><li>two</li></ul><p>after</p>`, "- one\n- two\n\nafter"},
		{"nbsp and emoji RTL", "<p>שלום\u00a0🙂</p>", "שלום 🙂"},
		{"double br blank line", "<p>a<br><br>b</p>", "a\n\nb"},
		{"broken html", "<p>unclosed <b>bold", "unclosed bold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	in := `<p><a href="https://h.example/@bob" class="u-url mention">@bob</a> <a href="https://h.example/tags/x" class="mention hashtag">#x</a> <a href="https://example.com/1">one</a> <a href="https://example.com/1">again</a> <a href="javascript:x">js</a> <a href="https://example.org/2">two</a></p>`
	got := Links(in)
	want := []string{"https://example.com/1", "https://example.org/2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Links = %q, want %q", got, want)
	}
}

func TestSanitize(t *testing.T) {
	evil := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<p onclick="alert(1)">x</p>`,
		`<iframe src="https://evil.example"></iframe>`,
		`<a href="data:text/html,<script>alert(1)</script>">d</a>`,
		`<svg><script>alert(1)</script></svg>`,
		`<style>body{display:none}</style>`,
	}
	for _, in := range evil {
		out := strings.ToLower(Sanitize(in))
		for _, bad := range []string{"<script", "onerror", "onclick", "javascript:", "<iframe", "<img", "data:", "<style", "<svg"} {
			if strings.Contains(out, bad) {
				t.Errorf("Sanitize(%q) = %q still contains %q", in, out, bad)
			}
		}
	}
	ok := `<p>Hi <a href="https://example.com/x" class="mention">@x</a><br>there</p>`
	out := Sanitize(ok)
	for _, want := range []string{`href="https://example.com/x"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`, "<br>", "<p>"} {
		if !strings.Contains(out, want) {
			t.Errorf("Sanitize(%q) = %q, missing %q", ok, out, want)
		}
	}
}

// TestSanitizeClasses: only Mastodon's classes survive, so that a post
// cannot borrow the page's own classes (to hide, overlay or restyle it).
func TestSanitizeClasses(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<span class="invisible">https://</span>`, `<span class="invisible">https://</span>`},
		{`<span class="h-card"><a href="https://h.example/@bob" class="u-url mention">@bob</a></span>`,
			`<span class="h-card"><a href="https://h.example/@bob" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@bob</a></span>`},
		{`<a href="https://h.example/tags/x" class="mention hashtag status-link">#x</a>`,
			`<a href="https://h.example/tags/x" class="mention hashtag" rel="nofollow noreferrer noopener" target="_blank">#x</a>`},
		{`<span class="ellipsis error">x</span>`, `<span class="ellipsis">x</span>`},
		{`<span class="error message removed">x</span>`, `<span>x</span>`},
		{`<p class="post">x</p>`, `<p>x</p>`},
		{`<span class="">x</span>`, `<span>x</span>`},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
