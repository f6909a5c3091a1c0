package fedimarks

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes untrusted text (a server's display name, error message,
// post text) safe for one line of a terminal or a TSV field: control
// characters (escape sequences, BEL, CR, C1 controls such as CSI),
// invalid bytes, tabs and line breaks become spaces, and runs of spaces
// one; the bidirectional overrides and isolates, which reorder what a
// terminal shows, are dropped. Letters, emoji and their joiners stay.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case isBidiControl(r):
			return -1
		case IsControl(r) || r == utf8.RuneError:
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// IsControl reports whether r is a character that must not reach a
// terminal as it is: a C0 or C1 control (ESC, BEL, CR, CSI...), DEL, or a
// line or paragraph separator. Tab and newline are controls too: callers
// that keep lines keep them.
func IsControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// isBidiControl reports whether r is an explicit bidirectional embedding,
// override or isolate (U+202A-U+202E, U+2066-U+2069): they make a
// terminal show text in another order than it is.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// isInvisible reports whether r shows as nothing: controls, format
// characters (zero-width spaces and joiners, soft hyphen, bidirectional
// marks, tags), variation selectors and the blank Hangul fillers.
func isInvisible(r rune) bool {
	switch {
	case IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r):
		return true
	}
	switch r {
	case '\u034f', '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return false
}

// Redact replaces every occurrence of each secret in s by mark. An
// occurrence may have invisible characters (zero-width spaces, soft
// hyphens, controls) between its characters, since a terminal would show
// the secret whole; the invisible characters around it stay. Empty
// secrets are ignored.
func Redact(s string, secrets []string, mark string) string {
	if s == "" {
		return s
	}
	// visible is s without its invisible characters; at[i] is where the
	// byte visible[i] is in s.
	var visible strings.Builder
	at := make([]int, 0, len(s))
	for i, r := range s {
		if isInvisible(r) {
			continue
		}
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			n = 1 // an invalid byte: keep it as the one byte it is
			visible.WriteByte(s[i])
		} else {
			visible.WriteRune(r)
		}
		for k := 0; k < n; k++ {
			at = append(at, i+k)
		}
	}
	v := visible.String()
	type span struct{ start, end int } // in s
	var spans []span
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for from := 0; from <= len(v)-len(sec); {
			k := strings.Index(v[from:], sec)
			if k < 0 {
				break
			}
			first, last := from+k, from+k+len(sec)-1
			spans = append(spans, span{at[first], at[last] + 1})
			from = first + len(sec)
		}
	}
	if len(spans) == 0 {
		return s
	}
	// Merge overlapping spans, in order of their start.
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	pos := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start < cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		b.WriteString(s[pos:cur.start])
		b.WriteString(mark)
		pos = cur.end
	}
	b.WriteString(s[pos:])
	return b.String()
}
