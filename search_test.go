package fedimarks

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in    string
		want  Query
		terms []string
	}{
		{in: "", want: Query{}},
		{in: "  cats   dogs ", want: Query{Text: "cats dogs"}, terms: []string{"cats", "dogs"}},
		{in: `"exact  phrase" word`, want: Query{Text: `"exact phrase" word`}, terms: []string{"exact phrase", "word"}},
		{in: `"unclosed phrase`, want: Query{Text: `"unclosed phrase"`}, terms: []string{"unclosed phrase"}},
		{in: "from:Alice@Example.COM rust", want: Query{Text: "rust", From: "alice@example.com"}, terms: []string{"rust"}},
		{in: "from:@bob", want: Query{From: "bob"}},
		{in: "has:media", want: Query{HasMedia: true}},
		{in: "HAS:Media x", want: Query{Text: "x", HasMedia: true}, terms: []string{"x"}},
		{in: "before:2024-01-31", want: Query{Before: day("2024-01-31")}},
		{in: "after:2024-01-31", want: Query{After: day("2024-02-01")}},
		{in: "After:2024-01-31", want: Query{After: day("2024-02-01")}},
		{in: "BEFORE:2024-01-31", want: Query{Before: day("2024-01-31")}},
		{in: "after:2024-01-31T10:00:00+02:00", want: Query{After: time.Date(2024, 1, 31, 8, 0, 0, 0, time.UTC)}},
		{in: "lang:EN", want: Query{Lang: "en"}},
		{in: "lang:pt-BR", want: Query{Lang: "pt-br"}},
		{in: "https://example.com/x foo:bar", want: Query{Text: "https://example.com/x foo:bar"},
			terms: []string{"https://example.com/x", "foo:bar"}},
		{in: `"from:alice" - ...`, want: Query{Text: `"from:alice" - ...`}, terms: []string{"from:alice"}},
		{in: "go* lang:de from:a@b has:media before:2020-01-01 after:2019-01-01",
			want:  Query{Text: "go*", Lang: "de", From: "a@b", HasMedia: true, Before: day("2020-01-01"), After: day("2019-01-02")},
			terms: []string{"go*"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseQuery(tt.in)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if terms := got.Terms(); !reflect.DeepEqual(terms, tt.terms) {
				t.Errorf("Terms() = %q, want %q", terms, tt.terms)
			}
			again, err := ParseQuery(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"before:2024-13-01", `before: "2024-13-01" is not a date`},
		{"after:yesterday", `after: "yesterday" is not a date`},
		{"before:", "before: needs a date"},
		{"from:", "from: needs an author"},
		{"from:a@b@c", "from: needs an author"},
		{"has:poll", "has: knows only has:media"},
		{"lang:", "lang: needs a language code"},
		{"lang:e<n", "lang: needs a language code"},
		{"quokka\x00", "control character (U+0000)"},
		{"a\x1b[31mb", "control character (U+001B)"},
		{"from:\x00", "control character (U+0000)"},
		{"\u0080", "control character (U+0080)"},
		{"\x02hit\x03", "control character (U+0002)"},
	}
	for _, tt := range tests {
		_, err := ParseQuery(tt.in)
		if err == nil {
			t.Errorf("ParseQuery(%q): no error", tt.in)
			continue
		}
		if ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseQuery(%q) = %v (code %s), want EInvalid containing %q", tt.in, err, ErrorCode(err), tt.want)
		}
	}
	// Tabs and line breaks (a pasted text) separate words.
	if q, err := ParseQuery("quokka\tmarsupial\r\nwombat"); err != nil || len(q.Terms()) != 3 {
		t.Errorf("a query with tabs and line breaks: %+v, %v; want three words", q.Terms(), err)
	}
	_, err := ParseQuery("before:31/01/2024")
	if err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("bad date error %v does not say the format", err)
	}
}

func TestFragments(t *testing.T) {
	s := "a " + HighlightStart + "cat" + HighlightEnd + " and " + HighlightStart + "dog" + HighlightEnd
	want := []Fragment{{"a ", false}, {"cat", true}, {" and ", false}, {"dog", true}}
	if got := Fragments(s); !reflect.DeepEqual(got, want) {
		t.Errorf("Fragments = %+v, want %+v", got, want)
	}
	if got := (Hit{Snippet: s}).PlainSnippet(); got != "a cat and dog" {
		t.Errorf("PlainSnippet = %q", got)
	}
	if got := Fragments("plain"); !reflect.DeepEqual(got, []Fragment{{"plain", false}}) {
		t.Errorf("Fragments(plain) = %+v", got)
	}
}

func TestParseQueryNegation(t *testing.T) {
	tests := []struct {
		in              string
		text            string
		terms, excluded []string
	}{
		{"ordinary -gardening", "ordinary -gardening", []string{"ordinary"}, []string{"gardening"}},
		{`cats -"small dogs" -fish*`, `cats -"small dogs" -fish*`, []string{"cats"}, []string{"small dogs", "fish*"}},
		{"-gardening", "-gardening", nil, []string{"gardening"}},
		{`"-not negated" e-mail`, `"-not negated" e-mail`, []string{"-not negated", "e-mail"}, nil},
		{"- -- -...", "- -- -...", nil, nil},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.in)
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", tt.in, err)
		}
		if q.Text != tt.text || !reflect.DeepEqual(q.Terms(), tt.terms) || !reflect.DeepEqual(q.Excluded(), tt.excluded) {
			t.Errorf("ParseQuery(%q): text %q, terms %q, excluded %q; want %q, %q, %q", tt.in, q.Text, q.Terms(), q.Excluded(),
				tt.text, tt.terms, tt.excluded)
		}
		again, err := ParseQuery(q.String())
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Errorf("round trip of %q: %+v, %v", tt.in, again, err)
		}
	}
	if _, err := ParseQuery("cats -from:bob@example.com"); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "-from:") {
		t.Errorf("negated filter: %v, want EInvalid naming -from:", err)
	}
}
