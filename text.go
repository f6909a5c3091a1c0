package fedimarks

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes untrusted text (a server's display name, error message,
// post text) safe for one line of a terminal or a TSV field: every rune
// goes through TerminalRune (controls, tabs and line breaks become
// spaces), invalid bytes become spaces, and runs of spaces one.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError {
			return ' '
		}
		return TerminalRune(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// TerminalRune is what a terminal may be shown for r: r itself; a space
// for a control character (IsControl: escape sequences, BEL, CR, C1
// controls such as CSI); nothing (-1) for a bidirectional embedding,
// override or isolate (U+202A-U+202E, U+2066-U+2069), which make a
// terminal show text in another order than it is. Letters, emoji and
// their joiners stay. Tab and newline are controls: callers that keep
// lines pass them on first.
func TerminalRune(r rune) rune {
	switch {
	case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
		return -1
	case IsControl(r):
		return ' '
	}
	return r
}

// LineRune is TerminalRune for text that keeps its lines: newline and tab
// pass as they are.
func LineRune(r rune) rune {
	if r == '\n' || r == '\t' {
		return r
	}
	return TerminalRune(r)
}

// CleanLines is CleanText for text that keeps its lines and spacing (a
// page, an export): every rune goes through LineRune.
func CleanLines(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return LineRune(r) != r }) {
		return s
	}
	return strings.Map(LineRune, s)
}

// IsControl reports whether r is a character that must not reach a
// terminal as it is: a C0 or C1 control (ESC, BEL, CR, CSI...), DEL, or a
// line or paragraph separator.
func IsControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029'
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
	// visible is s without its invisible characters and escape
	// sequences; at[i] is where the byte visible[i] is in s.
	var visible strings.Builder
	at := make([]int, 0, len(s))
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isInvisible(r) {
			visible.WriteString(s[i : i+size])
			for k := 0; k < size; k++ {
				at = append(at, i+k)
			}
		}
		i += size
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

// escapeLen is the length of the terminal escape sequence s starts with,
// 0 if none: a CSI (ESC [ or U+009B, parameters, a final byte), a string
// command ended by BEL or ST (OSC: ESC ] or U+009D; DCS, SOS, PM, APC), or
// ESC and one character. An unterminated sequence counts as none: its
// characters are judged one by one.
func escapeLen(s string) int {
	var body int // where the sequence's body starts
	var csi bool
	switch {
	case strings.HasPrefix(s, "\x1b["):
		body, csi = 2, true
	case strings.HasPrefix(s, "\u009b"):
		body, csi = 2, true
	case strings.HasPrefix(s, "\u009d"):
		body = 2
	case len(s) >= 2 && s[0] == 0x1b && strings.IndexByte("]PX^_", s[1]) >= 0:
		body = 2
	case len(s) >= 2 && s[0] == 0x1b && s[1] >= 0x20 && s[1] < 0x7f:
		return 2
	default:
		return 0
	}
	if csi {
		i := body
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
			i++
		}
		if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
		return 0
	}
	for i := body; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + 2
		}
	}
	return 0
}
