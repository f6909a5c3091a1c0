package fedimarks

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RankLimit is how many bookmarks a search may match and still be ranked
// by relevance, on the page and by the search command: with more, they
// are listed newest first (Query.ByDate), and the page says so. Ranking
// reads every match (about 7 µs each: 170 ms for a word in 25,000 posts),
// where a page by date reads only what it shows.
const RankLimit = 500

// Query is a search over one account's archived bookmarks. The zero value
// (with an Account) matches every active bookmark, newest bookmark first;
// with Text, results are ranked by relevance instead.
type Query struct {
	// Text is free text: words and "quoted phrases", all of which must
	// appear in a post's text, content warning, author name or handle,
	// mentioned accounts, or link targets. A word ending in * matches as a
	// prefix. A word or phrase written with a leading minus (-word,
	// -"a phrase") must not appear. Matching ignores case and diacritics.
	Text string
	// Account is whose bookmarks are searched. Required.
	Account Handle
	// From keeps posts by one author: "user@host", or "user" for that user
	// name on any host. Case is ignored.
	From string
	// HasMedia keeps posts with at least one attachment.
	HasMedia bool
	// Before, if set, keeps posts written before it; After, if set, posts
	// written at or after it.
	Before, After time.Time
	// Lang keeps posts in one language (ISO 639, "en"); "en" also matches
	// regional tags such as "en-GB".
	Lang string
	// Tags keeps bookmarks carrying every one of these local tags, NotTags
	// drops those carrying any of them (tag:x, -tag:x); HasNote keeps
	// bookmarks with a note (has:note). Note text is searched with Text.
	Tags, NotTags []string
	HasNote       bool
	// IncludeRemoved also searches bookmarks that a full backup found gone.
	IncludeRemoved bool
	// Limit and Offset page the results; Limit 0 means no limit.
	Limit, Offset int
	// ByDate lists the bookmarks matching Text newest first instead of
	// by relevance. Ranking reads every match; listing by date reads
	// only as many bookmarks as a page needs when a word is common.
	ByDate bool
	// Cursor, when set, continues a listing in date order (ByDate, or
	// no Text) from a hit's OlderCursor or NewerCursor instead of from
	// Offset, so that a deep page costs what the first one does. A
	// cursor that cannot be read is an EInvalid error.
	Cursor string
}

// ParseQuery reads a search as a person types it: free text and "quoted
// phrases" (-word and -"a phrase" exclude), plus the filters from:user@host (or from:user), has:media,
// has:note, tag:NAME and -tag:NAME (local tags; see ParseTag),
// before:YYYY-MM-DD, after:YYYY-MM-DD and lang:xx. Dates are whole days in
// UTC: before:2024-01-31 keeps posts written before that day began,
// after:2024-01-31 those written after it ended; a full RFC 3339 time is
// taken as given. Other word:value tokens (such as URLs' https:) are plain
// text. A bad date, an empty filter or an unknown has: value is an EInvalid
// error saying which, and so is a negated filter (-from:x) and a control
// character (a NUL byte, an escape) anywhere in s. Account,
// Limit and Offset are left zero for the caller to fill.
func ParseQuery(s string) (Query, error) {
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return Query{}, &Error{Code: EInvalid,
			Message: fmt.Sprintf("the search holds a control character (U+%04X), which no post contains", r),
			Hint:    "type words, \"phrases\" and filters such as from:user@host"}
	}
	var (
		q    Query
		text []string
	)
	for _, tok := range splitQuery(s) {
		word, isText, err := q.readToken(tok)
		if err != nil {
			return Query{}, err
		}
		if isText {
			text = append(text, word)
		}
	}
	q.Text = strings.Join(text, " ")
	return q, nil
}

// readToken sets the filter tok names, or returns tok as the text it
// adds to the search (isText).
func (q *Query) readToken(tok queryToken) (word string, isText bool, err error) {
	if tok.quoted {
		return tok.minus() + quote(tok.text), true, nil
	}
	key, val, ok := strings.Cut(tok.text, ":")
	if !ok {
		return tok.minus() + tok.text, true, nil
	}
	switch k := strings.ToLower(key); {
	case k == "tag":
		return "", false, q.addTag(val, tok.negated)
	case tok.negated && (k == "from" || k == "has" || k == "before" || k == "after" || k == "lang"):
		return "", false, &Error{Code: EInvalid, Message: fmt.Sprintf("-%s: filters cannot be negated", k),
			Hint: "a leading - excludes words and \"phrases\" only"}
	case tok.negated:
		return "-" + tok.text, true, nil
	}
	isFilter, err := q.setFilter(key, val)
	if err != nil || isFilter {
		return "", false, err
	}
	return tok.text, true, nil // a word:value that is no filter, such as https:
}

// addTag keeps (tag:) or drops (-tag:) the bookmarks carrying tag.
func (q *Query) addTag(tag string, negated bool) error {
	t, err := ParseTag(tag)
	if err != nil {
		return err
	}
	if negated {
		q.NotTags = append(q.NotTags, t)
	} else {
		q.Tags = append(q.Tags, t)
	}
	return nil
}

// setFilter sets the filter key:val (from:, has:, before:, after:, lang:)
// and reports whether key names one.
func (q *Query) setFilter(key, val string) (bool, error) {
	switch k := strings.ToLower(key); k {
	case "from":
		v := strings.TrimPrefix(val, "@")
		if v == "" || strings.ContainsAny(v, " /") || strings.Count(v, "@") > 1 || strings.HasSuffix(v, "@") {
			return true, Errorf(EInvalid, "from: needs an author as user@host or user, not %q", val)
		}
		q.From = strings.ToLower(v)
	case "has":
		switch {
		case strings.EqualFold(val, "media"):
			q.HasMedia = true
		case strings.EqualFold(val, "note"):
			q.HasNote = true
		default:
			return true, Errorf(EInvalid, "has: knows only has:media and has:note, not has:%s", val)
		}
	case "before", "after":
		t, err := parseQueryDate(val, k == "after")
		if err != nil {
			return true, &Error{Code: EInvalid, Message: key + ": " + err.Error(),
				Hint: "write dates as YYYY-MM-DD, e.g. " + key + ":2024-01-31"}
		}
		if k == "before" {
			q.Before = t
		} else {
			q.After = t
		}
	case "lang":
		if !validLang(val) {
			return true, Errorf(EInvalid, "lang: needs a language code such as en or pt-BR, not %q", val)
		}
		q.Lang = strings.ToLower(val)
	default:
		return false, nil
	}
	return true, nil
}

// isControl reports whether r is a control character other than the
// white space that separates words (tab, line breaks).
func isControl(r rune) bool {
	return unicode.IsControl(r) && !(r < utf8.RuneSelf && unicode.IsSpace(r))
}

// parseQueryDate reads a day (YYYY-MM-DD, UTC) or an RFC 3339 time. For
// after: a day means "once the day is over".
func parseQueryDate(s string, after bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, errorString("needs a date")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if after {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errorString("\"" + s + "\" is not a date")
}

type errorString string

func (e errorString) Error() string { return string(e) }

func validLang(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// Terms returns the words and phrases of q.Text that must match, without
// quotes: a phrase is one element with its spaces. Terms made only of
// punctuation are dropped, since they could match nothing (an emoji is a
// word, not punctuation); excluded terms
// (-word) are not in it but in Excluded.
func (q Query) Terms() []string { return q.terms(false) }

// Excluded returns the words and phrases of q.Text written with a leading
// minus (-word, -"a phrase"), without it and without quotes: posts with
// any of them do not match. Terms made only of punctuation are dropped.
func (q Query) Excluded() []string { return q.terms(true) }

func (q Query) terms(negated bool) []string {
	var out []string
	for _, tok := range splitQuery(q.Text) {
		if tok.negated != negated ||
			!strings.ContainsFunc(tok.text, searchable) {
			continue
		}
		out = append(out, tok.text)
	}
	return out
}

// searchable reports whether a term with r in it can match: letters,
// digits and symbols such as emoji are indexed, punctuation is not.
func searchable(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || r > unicode.MaxASCII && unicode.Is(unicode.So, r)
}

// String returns q's text and filters in the syntax ParseQuery reads, so
// that ParseQuery(q.String()) gives back q's Text and filters.
func (q Query) String() string {
	var parts []string
	if q.Text != "" {
		parts = append(parts, q.Text)
	}
	if q.From != "" {
		parts = append(parts, "from:"+q.From)
	}
	if q.HasMedia {
		parts = append(parts, "has:media")
	}
	if !q.Before.IsZero() {
		parts = append(parts, "before:"+formatQueryDate(q.Before, false))
	}
	if !q.After.IsZero() {
		parts = append(parts, "after:"+formatQueryDate(q.After, true))
	}
	if q.Lang != "" {
		parts = append(parts, "lang:"+q.Lang)
	}
	for _, t := range q.Tags {
		parts = append(parts, "tag:"+t)
	}
	for _, t := range q.NotTags {
		parts = append(parts, "-tag:"+t)
	}
	if q.HasNote {
		parts = append(parts, "has:note")
	}
	return strings.Join(parts, " ")
}

func formatQueryDate(t time.Time, after bool) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		if after {
			t = t.AddDate(0, 0, -1)
		}
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

type queryToken struct {
	text    string
	quoted  bool
	negated bool // written with a leading minus, not in text
}

// minus is "-" for a negated token, else "".
func (t queryToken) minus() string {
	if t.negated {
		return "-"
	}
	return ""
}

// splitQuery splits s at spaces outside double quotes. A quote left open
// runs to the end; quotes inside a word (from:"x") are kept as text. A
// leading minus before a word or a quote negates it; a minus alone is
// text.
func splitQuery(s string) []queryToken {
	var (
		out []queryToken
		cur strings.Builder
	)
	flush := func() {
		if cur.Len() > 0 {
			t := queryToken{text: cur.String()}
			if len(t.text) > 1 && t.text[0] == '-' {
				t.text, t.negated = t.text[1:], true
			}
			out = append(out, t)
			cur.Reset()
		}
	}
	for i := 0; i < len(s); {
		r := rune(s[i])
		switch {
		case r == '"' && (cur.Len() == 0 || cur.String() == "-"):
			negated := cur.Len() > 0
			cur.Reset()
			end := strings.IndexByte(s[i+1:], '"')
			var phrase string
			if end < 0 {
				phrase, i = s[i+1:], len(s)
			} else {
				phrase, i = s[i+1:i+1+end], i+end+2
			}
			if p := strings.Join(strings.Fields(phrase), " "); p != "" {
				out = append(out, queryToken{text: p, quoted: true, negated: negated})
			}
		case r < unicode.MaxASCII && unicode.IsSpace(r):
			flush()
			i++
		default:
			cur.WriteByte(s[i])
			i++
		}
	}
	flush()
	return out
}

// quote writes a phrase back in query syntax.
func quote(p string) string { return `"` + p + `"` }

// Hit is one search result: the bookmark and a short extract of the post
// around the matched words.
type Hit struct {
	Bookmark Bookmark
	// Snippet is plain text (never HTML) around the best match, with each
	// matched word between HighlightStart and HighlightEnd; without query
	// text it is the start of the post. Use Fragments to render it.
	Snippet string
	// Rank is the relevance score, lower is better (SQLite's bm25); 0
	// when the query had no text.
	Rank float64
	// ContextOf is set for a post that is not bookmarked but in the
	// thread of one (backup --context): the bookmarked post's URI.
	// Bookmark.Status is then the thread post.
	ContextOf string
	// OlderCursor and NewerCursor, set on hits listed in date order,
	// continue the listing (see Query.Cursor) with the bookmarks after
	// this one, or those before it (nearest first in the listing's
	// order, that is ending next to this one).
	OlderCursor, NewerCursor string
}

// HighlightStart and HighlightEnd mark matched words in Hit.Snippet. They
// are control characters that never occur in indexed text.
const (
	HighlightStart = "\x02"
	HighlightEnd   = "\x03"
)

// Fragment is a piece of a snippet: matched words or the text between.
type Fragment struct {
	Text  string
	Match bool
}

// Fragments splits a snippet at its highlight marks, in order, dropping
// empty pieces.
func Fragments(snippet string) []Fragment {
	var out []Fragment
	match := false
	for snippet != "" {
		mark := HighlightStart
		if match {
			mark = HighlightEnd
		}
		part, rest, found := strings.Cut(snippet, mark)
		if part != "" {
			out = append(out, Fragment{Text: part, Match: match})
		}
		if !found {
			break
		}
		snippet, match = rest, !match
	}
	return out
}

// PlainSnippet returns the snippet without highlight marks.
func (h Hit) PlainSnippet() string {
	return strings.NewReplacer(HighlightStart, "", HighlightEnd, "").Replace(h.Snippet)
}
