package fedimarks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTagLen bounds a local tag, in characters.
const MaxTagLen = 100

// ParseTag checks a local tag as a person writes it (a leading # is
// dropped) and returns it in lower case: tags compare without case. A tag
// is one word of letters, digits, marks and the punctuation - _ . : / (so
// folder:Name works), at most MaxTagLen characters: no spaces, commas,
// quotes or controls, since tags travel in comma lists (netscape TAGS)
// and search filters.
func ParseTag(s string) (string, error) {
	t := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	if t == "" {
		return "", Errorf(EInvalid, "a tag needs a name, such as recipes")
	}
	if utf8.RuneCountInString(t) > MaxTagLen {
		return "", Errorf(EInvalid, "tag %q is longer than %d characters", CleanText(shortTag(t)), MaxTagLen)
	}
	for _, r := range t {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune("-_.:/", r)) {
			return "", Errorf(EInvalid, "tag %q has %q: a tag is one word of letters, digits and - _ . : /", CleanText(shortTag(t)), r)
		}
	}
	return t, nil
}

func shortTag(t string) string {
	if r := []rune(t); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return t
}

// MaxNoteLen bounds a note, in bytes.
const MaxNoteLen = 64 << 10

// CleanNote trims a note and checks its size: control characters other
// than line breaks and tabs, and bidirectional overrides, are dropped (a
// note is shown on terminals and pages). "" means no note.
func CleanNote(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > MaxNoteLen {
		return "", Errorf(EInvalid, "the note is %d KiB: at most %d KiB", len(s)>>10, MaxNoteLen>>10)
	}
	return s, nil
}
